"""One forward pass, whatever runs it: the PyTorch model or its ONNX graph in ONNX Runtime.

A `Forward` takes an encoded batch (`tokenization.encode`) and returns every head's output by
its ONNX output name (contracts.ONNX_OUTPUTS), as numpy arrays. Evaluation, the export's checks,
the promotion gate and the model benchmark all score through it, so that the PyTorch model, the
FP32 graph and the INT8 graph are measured by the same code on the same rows. Torch is imported
only to run a PyTorch model: scoring a bundle (the promotion gate) needs ONNX Runtime alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import onnxruntime as ort

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_ONNX,
    BUNDLE_ONNX_INT8,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    CARD_MAX_LENGTH,
    ONNX_INPUTS,
    ONNX_OUTPUTS,
)
from mtassist.labels import LabelSpace

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from mtassist.model.multitask import MultiTaskModel


class Forward(Protocol):
    labels: LabelSpace
    replies: ReplySource | None
    """Where the embeddings of candidate replies come from; None: this forward embeds them itself."""

    def __call__(self, encoded: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class ReplySource(Protocol):
    def embed_replies(
        self, texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, max_length: int
    ) -> np.ndarray: ...


class ReplyBank:
    """Reply embeddings looked up by text: a bundle's response bank, as serving ranks against it.

    A reply the bank lacks (a dataset that changed since the bundle was made, or a bank cut at
    its size limit) is embedded by `fallback`; without one it is an error that names the reply.
    """

    def __init__(self, texts: Sequence[str], embeddings: np.ndarray, fallback: ReplySource | None = None) -> None:
        self.index = {text: row for row, text in enumerate(texts)}
        self.embeddings = embeddings
        self.fallback = fallback

    @classmethod
    def load(cls, bundle_dir: Path, fallback: ReplySource | None = None) -> ReplyBank:
        texts = json.loads((Path(bundle_dir) / BUNDLE_RESPONSE_TEXTS).read_text())
        return cls(texts, np.load(Path(bundle_dir) / BUNDLE_RESPONSE_EMBEDDINGS), fallback)

    def embed_replies(self, texts: Sequence[str], tokenizer=None, max_length: int = 0) -> np.ndarray:
        missing = [text for text in texts if text.strip() not in self.index]
        if missing and self.fallback is None:
            raise ValueError(f"{len(missing)} replies are not in the response bank, e.g. {missing[0]!r}")
        extra = dict(zip(missing, self.fallback.embed_replies(missing, tokenizer, max_length))) if missing else {}
        return np.stack([extra[text] if text in extra else self.embeddings[self.index[text.strip()]] for text in texts])


REPLIES_FROM: dict[str, str] = {"student": "teacher"}
"""Whose embeddings a model's candidate replies are ranked against, by the model's name in a run:
the student's bundle carries a response bank embedded by the teacher (`export.export_bundle`), so
the student is scored as it serves."""


class EmbeddedBy:
    """Reply embeddings computed by another model: the teacher, whose space the student is distilled into."""

    def __init__(self, forward: Forward) -> None:
        self.forward = forward

    def embed_replies(self, texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, max_length: int) -> np.ndarray:
        from mtassist.tokenization import encode

        chunks = [
            self.forward(encode(tokenizer, texts[start : start + 64], max_length))["sentence_embedding"]
            for start in range(0, len(texts), 64)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


class TorchForward:
    """The PyTorch model, in eval mode and without gradients, on whatever device it is on."""

    def __init__(self, model: MultiTaskModel, replies: ReplySource | None = None) -> None:
        self.model = model.eval()
        self.labels = model.labels
        self.replies = replies

    def __call__(self, encoded: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        device = next(self.model.parameters()).device
        with torch.no_grad():
            output = self.model(**{name: torch.from_numpy(encoded[name]).to(device) for name in ONNX_INPUTS})
        return {name: value.float().cpu().numpy() for name, value in zip(ONNX_OUTPUTS, output.as_onnx_tuple())}


DISABLED_OPTIMIZERS: tuple[str, ...] = ("SkipLayerNormFusion",)
"""ONNX Runtime graph rewrites left out of every CPU session. Fusing each residual Add into its
LayerNormalization (SkipLayerNormalization) made the default student's INT8 encoder slower at every
batch size and thread count measured on this 2-core Xeon: at batch 1 on one thread, 0.94 ms per
utterance fused against 0.77 ms unfused; at batch 32, 1.46 against 1.20 ms; the FP32 graph
1.89 against 1.70 ms (200 test utterances; a student trained on dataset 40f3d7143d3e). On the
default run of dataset c8bce2011c8c, the same way: student INT8 0.87 against 0.73 ms, student FP32
1.77 against 1.60 ms, teacher FP32 5.65 against 5.32 ms."""


def onnx_session(path: Path | bytes, threads: int = 1, spin: bool = True) -> ort.InferenceSession:
    """A CPU session on a graph (a file, or its bytes) with `threads` intra-op threads, so that timings repeat.

    `spin` False keeps idle intra-op threads from spinning, leaving their cores to other work
    (a server's other instances, its gRPC threads). 0 threads: ONNX Runtime's default (every core).
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    graph = path if isinstance(path, bytes) else str(path)
    return ort.InferenceSession(
        graph, options, providers=["CPUExecutionProvider"], disabled_optimizers=list(DISABLED_OPTIMIZERS)
    )


class OnnxForward:
    """An exported graph (FP32 or INT8) in ONNX Runtime, with the label space it was trained on."""

    def __init__(self, path: Path, labels: LabelSpace, threads: int = 1, replies: ReplySource | None = None) -> None:
        self.session = onnx_session(path, threads)
        self.labels = labels
        self.replies = replies

    def __call__(self, encoded: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outputs = self.session.run(list(ONNX_OUTPUTS), {name: encoded[name] for name in ONNX_INPUTS})
        return dict(zip(ONNX_OUTPUTS, outputs))


def as_forward(model: MultiTaskModel | Forward) -> Forward:
    """A Forward as it is; a PyTorch model wrapped in TorchForward."""
    return model if isinstance(model, (TorchForward, OnnxForward)) else TorchForward(model)


def bundle_forward(bundle_dir: Path, int8: bool = False) -> tuple[OnnxForward, PreTrainedTokenizerBase, int]:
    """A bundle's FP32 (or INT8) graph as a Forward, with its tokenizer and max_length; replies are
    ranked against the bundle's response bank, as serving ranks them (a reply the bank lacks is
    embedded by the graph)."""
    from mtassist.tokenization import load_tokenizer

    bundle_dir = Path(bundle_dir)
    forward = OnnxForward(
        bundle_dir / (BUNDLE_ONNX_INT8 if int8 else BUNDLE_ONNX), LabelSpace.load(bundle_dir / BUNDLE_LABELS)
    )
    forward.replies = ReplyBank.load(bundle_dir, fallback=EmbeddedBy(forward))
    max_length = int(json.loads((bundle_dir / BUNDLE_CARD).read_text())[CARD_MAX_LENGTH])
    return forward, load_tokenizer(bundle_dir / BUNDLE_TOKENIZER_DIR), max_length
