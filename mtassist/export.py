"""Export: the student to ONNX, a parity check against PyTorch, and the model bundle.

The bundle (contracts.BUNDLE_*) is everything serving needs and nothing else: the ONNX graph,
the tokenizer, the label space, the response bank with its embeddings, and a model card.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_ONNX,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    CARD_LATENCY_P50_MS,
    CARD_LATENCY_P95_MS,
    CARD_MAX_LENGTH,
    CARD_ONNX_SHA256,
    ONNX_DYNAMIC_AXES,
    ONNX_INPUTS,
    ONNX_OPSET,
    ONNX_OUTPUTS,
    PARITY_TOLERANCE,
)
from mtassist.errors import MtassistError
from mtassist.hashing import sha256_file
from mtassist.model.multitask import MultiTaskModel
from mtassist.tokenization import encode
from mtassist.training.config import DEFAULT_MAX_LENGTH

log = logging.getLogger(__name__)
logging.getLogger("onnx_ir").setLevel(logging.WARNING)

PARITY_TEXTS = (
    "turn on the kitchen lights",
    "set the bedroom brightness to 40 percent",
    "how are you doing today?",
    "what is the capital of france",
    "this movie was a complete waste of time",
)


_AXIS_BOUNDS: dict[str, tuple[int, int]] = {"batch": (1, 1024), "sequence": (2, 512)}
"""The range the exporter traces each dynamic axis of contracts.ONNX_DYNAMIC_AXES over."""


class ParityError(MtassistError):
    """ONNX Runtime and PyTorch disagree beyond the tolerance."""


class _OnnxGraph(nn.Module):
    """The model with a tuple of outputs in ONNX_OUTPUTS order."""

    def __init__(self, model: MultiTaskModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):
        return self.model(input_ids, attention_mask, token_type_ids).as_onnx_tuple()


def export_onnx(model: MultiTaskModel, tokenizer: PreTrainedTokenizerBase, path: Path) -> Path:
    """Write the model as ONNX with named inputs and outputs and dynamic batch and sequence axes."""
    model.eval()
    sample = encode(tokenizer, PARITY_TEXTS[:2], 16)
    args = tuple(torch.from_numpy(sample[name]) for name in ONNX_INPUTS)
    dims = {axis: torch.export.Dim(axis, min=low, max=high) for axis, (low, high) in _AXIS_BOUNDS.items()}
    dynamic_shapes = {
        name: {index: dims[axis] for index, axis in ONNX_DYNAMIC_AXES[name].items()} for name in ONNX_INPUTS
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            _OnnxGraph(model),
            args,
            dynamo=True,
            input_names=list(ONNX_INPUTS),
            output_names=list(ONNX_OUTPUTS),
            dynamic_shapes=dynamic_shapes,
            opset_version=ONNX_OPSET,
            verbose=False,
        )
    program.save(str(path))
    return path


def onnx_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check_parity(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    path: Path,
    texts: Sequence[str] = PARITY_TEXTS,
    max_length: int = DEFAULT_MAX_LENGTH,
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """The largest absolute difference between PyTorch and ONNX Runtime over every output.

    Raises:
        ParityError: when it exceeds `tolerance`.
    """
    encoded = encode(tokenizer, texts, max_length)
    feeds = {name: encoded[name] for name in ONNX_INPUTS}
    with torch.no_grad():
        expected = model(**{name: torch.from_numpy(value) for name, value in feeds.items()}).as_onnx_tuple()
    actual = onnx_session(path).run(list(ONNX_OUTPUTS), feeds)
    differences = {name: float(np.max(np.abs(e.numpy() - a))) for name, e, a in zip(ONNX_OUTPUTS, expected, actual)}
    worst = max(differences.values())
    if worst > tolerance:
        raise ParityError(
            f"ONNX Runtime differs from PyTorch by {worst:.2e} (> {tolerance:.0e}) per output {differences}: "
            "the export is not faithful; check the exporter version and the model's operators"
        )
    return worst


def embed_texts(
    session: ort.InferenceSession, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int
) -> np.ndarray:
    """Sentence embeddings from the exported graph itself, so the bank matches what serving computes."""
    if not texts:
        raise ValueError("the response bank is empty: the dataset has no replies in its train split")
    chunks = []
    for start in range(0, len(texts), 64):
        encoded = encode(tokenizer, texts[start : start + 64], max_length)
        chunks.append(session.run(["sentence_embedding"], {name: encoded[name] for name in ONNX_INPUTS})[0])
    return np.concatenate(chunks).astype(np.float32)


def measure_latency(
    session: ort.InferenceSession,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str] = PARITY_TEXTS,
    runs: int = 50,
) -> dict[str, float]:
    """Batch-1 latency of the exported graph in ONNX Runtime, over `runs` calls after a warm-up."""
    feeds = [
        {name: value for name, value in encode(tokenizer, [text]).items() if name in ONNX_INPUTS} for text in texts
    ]
    for feed in feeds:
        session.run(None, feed)
    timings = []
    for i in range(runs):
        start = time.perf_counter()
        session.run(None, feeds[i % len(feeds)])
        timings.append((time.perf_counter() - start) * 1000)
    return {
        CARD_LATENCY_P50_MS: float(np.percentile(timings, 50)),
        CARD_LATENCY_P95_MS: float(np.percentile(timings, 95)),
    }


def export_bundle(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    bundle_dir: Path,
    response_bank: Sequence[str],
    card: dict,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> dict:
    """Write the whole bundle; returns its model card (with `onnx_sha256` and `parity_max_abs_diff`).

    Raises:
        ParityError: when the exported graph does not reproduce PyTorch's outputs.
    """
    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, tokenizer, bundle_dir / BUNDLE_ONNX)
    parity = check_parity(model, tokenizer, onnx_path, max_length=max_length)
    log.info("ONNX parity: max abs difference %.2e", parity)
    tokenizer.save_pretrained(bundle_dir / BUNDLE_TOKENIZER_DIR)
    model.labels.save(bundle_dir / BUNDLE_LABELS)
    texts = list(response_bank)
    (bundle_dir / BUNDLE_RESPONSE_TEXTS).write_text(json.dumps(texts, indent=0))
    session = onnx_session(onnx_path)
    np.save(bundle_dir / BUNDLE_RESPONSE_EMBEDDINGS, embed_texts(session, tokenizer, texts, max_length))
    card = {
        **card,
        CARD_MAX_LENGTH: max_length,
        "num_layers": model.num_layers,
        CARD_ONNX_SHA256: sha256_file(onnx_path),
        "parity_max_abs_diff": parity,
        "response_bank_size": len(texts),
        **measure_latency(session, tokenizer),
    }
    (bundle_dir / BUNDLE_CARD).write_text(json.dumps(card, indent=1, sort_keys=True))
    return card
