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

CALL_COST_TOKENS = 12
"""What one encoder call costs beyond its tokens, in padded tokens: the student's INT8 graph on one
CPU thread takes about 0.28 ms a call plus 0.022 ms per token of the padded batch."""


def length_groups(lengths: Sequence[int], call_cost_tokens: float = CALL_COST_TOKENS) -> list[list[int]]:
    """The rows of a batch in groups of similar length, each group one encoder call.

    A call pads its rows to the longest, so a batch of mixed lengths computes much padding: 8
    typical utterances of 6 to 40 tokens take 1.4 ms a row in one call and 0.9 ms a row in 3
    calls. The groups are the split of the rows sorted by length that costs least, where a group
    costs `call_cost_tokens` plus its rows times its longest row's length.

    Args:
        lengths: each row's token count.
        call_cost_tokens: one call's own cost in padded tokens; infinite: a single call.

    Returns:
        Row indices per group, shortest rows first.
    """
    order = sorted(range(len(lengths)), key=lambda row: lengths[row])
    if len(order) <= 1 or call_cost_tokens == float("inf"):
        return [order] if order else []
    # cost[end]: the least cost of the first `end` sorted rows; cut[end]: where its last group starts.
    cost = [0.0] + [float("inf")] * len(order)
    cut = [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        for start in range(end):
            total = cost[start] + call_cost_tokens + (end - start) * longest
            if total < cost[end]:
                cost[end], cut[end] = total, start
    groups, end = [], len(order)
    while end:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups[::-1]


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
        call_cost_tokens: one encoder call's own cost in padded tokens (`length_groups`); the
            rows of a chunk are encoded in groups of similar length. Infinite: one call per chunk
            (an encoder on another server, where a call costs a round trip).
    """

    def __init__(
        self,
        tokenizer,
        max_length: int,
        encoder: Encoder,
        decoder: AnswerDecoder,
        max_batch_size: int = 32,
        call_cost_tokens: float = CALL_COST_TOKENS,
    ) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.encoder = encoder
        self.decoder = decoder
        self.max_batch_size = max(1, max_batch_size)
        self.call_cost_tokens = call_cost_tokens
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
        call_cost_tokens: float = CALL_COST_TOKENS,
    ) -> Assistant:
        """An assistant from a folder with the bundle's files (a bundle, or a Triton version folder).

        Args:
            folder: holds the tokenizer folder, model card, labels, response bank and, unless
                `encoder` is given, the graph.
            encoder: what runs the graph; default `graph` in this folder on ONNX Runtime.
            graph: the ONNX file in `folder` (BUNDLE_ONNX, or BUNDLE_ONNX_INT8).
            threads: ONNX Runtime's intra-op threads.
            call_cost_tokens: see the class doc.
        """
        folder = Path(folder)
        max_length = int(json.loads((folder / BUNDLE_CARD).read_text())[CARD_MAX_LENGTH])
        return cls(
            load_tokenizer(folder / BUNDLE_TOKENIZER_DIR),
            max_length,
            encoder or OnnxEncoder(folder / graph, threads),
            AnswerDecoder.from_dir(folder, top_k=top_k),
            max_batch_size,
            call_cost_tokens,
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
        answers: list[dict | None] = [None] * count
        for start in range(0, count, self.max_batch_size):
            rows = range(start, min(count, start + self.max_batch_size))
            corrections = [
                self.corrector.correct(texts[row], contexts[row].words if contexts[row] else None) for row in rows
            ]
            chunk = [correction.text for correction in corrections]
            encoded = encode(self.tokenizer, chunk, self.max_length)
            lengths = encoded["attention_mask"].sum(axis=1).tolist()
            for group in length_groups(lengths, self.call_cost_tokens):
                width = max(lengths[i] for i in group)
                part = {name: array[group, :width] for name, array in encoded.items()}
                wanted = [tasks[start + i] for i in group]
                decoded = self.decoder.decode(
                    [chunk[i] for i in group], part["offsets"], self.encoder(part, needed_outputs(wanted)), wanted,
                    contexts=[contexts[start + i] for i in group], named_routes=[routes[start + i] for i in group],
                )  # fmt: skip
                for i, answer in zip(group, decoded):
                    if answer.get("slots"):
                        answer["slots"] = corrections[i].restore(answer["slots"])
                    answers[start + i] = answer
        return answers
