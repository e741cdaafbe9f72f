"""Utterances to answers in one process: typos corrected, the bundle's tokenizer, its encoder and `AnswerDecoder`.

Triton's `assistant` model runs this (locally with the ONNX graph in process; on the GPU targets
its encoder is a call to Triton's `encoder` model), and so do the MLflow pyfunc and the serving
benchmark's in-process figures:

    assistant = Assistant.from_dir(bundle_dir)          # FP32 graph, one thread
    assistant.answer(["turn on the kitchen lights"])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from mtassist.answers import ALL_HEADS, AnswerDecoder, needed_outputs
from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_ONNX,
    BUNDLE_TOKENIZER_DIR,
    CARD_MAX_LENGTH,
    DEFAULT_TOP_K_REPLIES,
    ONNX_INPUTS,
)
from mtassist.home import HomeContext
from mtassist.inference import onnx_session
from mtassist.spelling import SpellCorrector
from mtassist.tokenization import encode, load_tokenizer

Encoder = Callable[[Mapping[str, np.ndarray], Sequence[str]], Mapping[str, np.ndarray]]
"""(encoded batch by ONNX input name, the ONNX outputs wanted) -> those outputs."""


class OnnxEncoder:
    """The ONNX graph in ONNX Runtime on the CPU; runs only the outputs asked for."""

    def __init__(self, path: Path, threads: int = 1, spin: bool = True) -> None:
        self.session = onnx_session(path, threads, spin=spin)

    def __call__(self, encoded: Mapping[str, np.ndarray], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        values = self.session.run(list(outputs), {name: encoded[name] for name in ONNX_INPUTS})
        return dict(zip(outputs, values))


class Assistant:
    """Tokenize, encode and decode a batch of utterances into one answer each.

    Args:
        tokenizer: the bundle's tokenizer (`tokenization.load_tokenizer`).
        max_length: the tokens the model reads (the card's CARD_MAX_LENGTH).
        encoder: runs the graph (`OnnxEncoder`, or a call to another server).
        decoder: the bundle's labels, response bank and model version.
        max_batch_size: rows per encoder call; more rows are answered in chunks.
    """

    def __init__(
        self, tokenizer, max_length: int, encoder: Encoder, decoder: AnswerDecoder, max_batch_size: int = 32
    ) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.encoder = encoder
        self.decoder = decoder
        self.max_batch_size = max(1, max_batch_size)
        self.corrector = SpellCorrector.of(decoder.labels.lexicon, tokenizer)

    @classmethod
    def from_dir(
        cls,
        folder: Path,
        *,
        encoder: Encoder | None = None,
        graph: str = BUNDLE_ONNX,
        threads: int = 1,
        top_k: int = DEFAULT_TOP_K_REPLIES,
        max_batch_size: int = 32,
    ) -> Assistant:
        """An assistant from a folder with the bundle's files (a bundle, or a Triton version folder).

        Args:
            folder: holds the tokenizer folder, model card, labels, response bank and, unless
                `encoder` is given, the graph.
            encoder: what runs the graph; default `graph` in this folder on ONNX Runtime.
            graph: the ONNX file in `folder` (BUNDLE_ONNX, or BUNDLE_ONNX_INT8).
            threads: ONNX Runtime's intra-op threads.
        """
        folder = Path(folder)
        max_length = int(json.loads((folder / BUNDLE_CARD).read_text())[CARD_MAX_LENGTH])
        return cls(
            load_tokenizer(folder / BUNDLE_TOKENIZER_DIR),
            max_length,
            encoder or OnnxEncoder(folder / graph, threads),
            AnswerDecoder.from_dir(folder, top_k=top_k),
            max_batch_size,
        )

    @property
    def model_version(self) -> str:
        return self.decoder.model_version

    def answer(
        self,
        texts: Sequence[str],
        tasks: Sequence[frozenset[str]] | None = None,
        contexts: Sequence[HomeContext | None] | None = None,
        routes: Sequence[str | None] | None = None,
    ) -> list[dict]:
        """One answer per text (`AnswerDecoder.decode`), in order.

        Args:
            tasks: the heads wanted per row (default all); `answers.parse_tasks` reads them.
            contexts: each row's home, or None.
            routes: each row's route as the caller names it, or None for the model's own.
        """
        count = len(texts)
        tasks = list(tasks) if tasks is not None else [ALL_HEADS] * count
        contexts = list(contexts) if contexts is not None else [None] * count
        routes = list(routes) if routes is not None else [None] * count
        answers: list[dict] = []
        for start in range(0, count, self.max_batch_size):
            rows = slice(start, start + self.max_batch_size)
            corrections = [
                self.corrector.correct(text, context.words if context else None)
                for text, context in zip(texts[rows], contexts[rows])
            ]
            chunk = [correction.text for correction in corrections]
            encoded = encode(self.tokenizer, chunk, self.max_length)
            heads = self.encoder(encoded, needed_outputs(tasks[rows]))
            decoded = self.decoder.decode(
                chunk, encoded["offsets"], heads, tasks[rows], contexts=contexts[rows], named_routes=routes[rows]
            )
            for answer, correction in zip(decoded, corrections):
                if answer.get("slots"):
                    answer["slots"] = correction.restore(answer["slots"])
            answers += decoded
        return answers
