"""Export: the student to ONNX, a parity check against PyTorch, INT8, and the model bundle.

The bundle (contracts.BUNDLE_*) is everything serving needs and nothing else: the FP32 ONNX graph
and its INT8 quantization, the tokenizer, the label space, the response bank with its embeddings,
a model card, and the SHA-256 of every file (BUNDLE_MANIFEST), which the registry checks.

Two checks guard what is exported: the FP32 graph must reproduce PyTorch's outputs within
PARITY_TOLERANCE on real utterances (the export fails otherwise), and the INT8 graph must score
within INT8_MAX_DROP of the FP32 graph on every head (the card records the check and its
verdict; serving may use INT8 only where it passed).
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
    BUNDLE_MANIFEST,
    BUNDLE_ONNX,
    BUNDLE_ONNX_INT8,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    CARD_INT8_CHECK,
    CARD_LATENCY_P50_MS,
    CARD_LATENCY_P95_MS,
    CARD_MAX_LENGTH,
    CARD_ONNX_INT8_SHA256,
    CARD_ONNX_SHA256,
    CARD_RESPONSE_BANK_ENCODER,
    LINEAGE_BUNDLE_SHA256,
    ONNX_DYNAMIC_AXES,
    ONNX_INPUTS,
    ONNX_OPSET,
    ONNX_OUTPUTS,
    PARITY_TOLERANCE,
    SCORE_METRICS,
)
from mtassist.errors import MtassistError
from mtassist.hashing import sha256_file, write_manifest
from mtassist.inference import EmbeddedBy, OnnxForward, ReplyBank, TorchForward, onnx_session
from mtassist.model.multitask import MultiTaskModel
from mtassist.tokenization import encode
from mtassist.training.config import DEFAULT_MAX_LENGTH

log = logging.getLogger(__name__)
for _chatty in ("onnx_ir", "onnxscript"):  # the exporter logs every rewrite at INFO
    logging.getLogger(_chatty).setLevel(logging.WARNING)

PARITY_TEXTS = (
    "turn on the kitchen lights",
    "set the bedroom brightness to 40 percent",
    "how are you doing today?",
    "what is the capital of france",
    "this movie was a complete waste of time",
)


PARITY_BATCH = 64
PARITY_ROWS = 400
"""How many of the check rows the FP32 graph's parity with PyTorch is measured on."""
INT8_MAX_DROP = 0.01
"""The most any head's metric (contracts.SCORE_METRICS) may lose from FP32 to INT8: one point."""

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


def check_parity(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    path: Path,
    texts: Sequence[str] = PARITY_TEXTS,
    max_length: int = DEFAULT_MAX_LENGTH,
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """The largest absolute difference between PyTorch and ONNX Runtime over every output of `texts`.

    Raises:
        ParityError: when it exceeds `tolerance`.
    """
    differences = dict.fromkeys(ONNX_OUTPUTS, 0.0)
    session = onnx_session(path)
    for start in range(0, len(texts), PARITY_BATCH):
        encoded = encode(tokenizer, texts[start : start + PARITY_BATCH], max_length)
        feeds = {name: encoded[name] for name in ONNX_INPUTS}
        with torch.no_grad():
            expected = model(**{name: torch.from_numpy(value) for name, value in feeds.items()}).as_onnx_tuple()
        actual = session.run(list(ONNX_OUTPUTS), feeds)
        for name, e, a in zip(ONNX_OUTPUTS, expected, actual):
            differences[name] = max(differences[name], float(np.max(np.abs(e.numpy() - a))))
    worst = max(differences.values())
    if worst > tolerance:
        raise ParityError(
            f"ONNX Runtime differs from PyTorch by {worst:.2e} (> {tolerance:.0e}) per output {differences}: "
            "the export is not faithful; check the exporter version and the model's operators"
        )
    return worst


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


def quantize_int8(fp32_path: Path, int8_path: Path) -> Path:
    """The FP32 graph with INT8 weights and dynamically quantized activations (onnxruntime).

    Per-channel weight scales over the full 8-bit range. On the default student, per-tensor INT8
    cost 4.4 points of sentiment macro-F1 on the test split. With replies ranked against the
    teacher's bank, per-channel with a reduced 7-bit range lost 1.01 points of reply MRR, and the
    full range 0.97 at most on any head, equally fast (x86 with VNNI here). A CPU without VNNI
    can saturate the full range: the INT8 check at export then fails, and serving keeps FP32.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantizer_log = logging.getLogger()  # onnxruntime.quantization logs each skipped node on the root logger
    level = quantizer_log.level
    quantizer_log.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False
        )
    finally:
        quantizer_log.setLevel(level)
    return int8_path


def check_int8(
    fp32: OnnxForward,
    int8: OnnxForward,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[dict],
    max_length: int,
    max_drop: float = INT8_MAX_DROP,
) -> dict:
    """Every head's metric (contracts.SCORE_METRICS) of both graphs on `rows`: CARD_INT8_CHECK."""
    from mtassist.evaluation import evaluate

    scores = {
        name: evaluate(graph, tokenizer, rows, max_length).metrics for name, graph in (("fp32", fp32), ("int8", int8))
    }
    metrics = {metric: {name: scores[name][metric] for name in scores} for metric in SCORE_METRICS}
    drop = max(values["fp32"] - values["int8"] for values in metrics.values())
    return {"rows": len(rows), "max_drop": drop, "passed": drop <= max_drop, "metrics": metrics}


def export_bundle(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    bundle_dir: Path,
    response_bank: Sequence[str],
    card: dict,
    max_length: int = DEFAULT_MAX_LENGTH,
    check_rows: Sequence[dict] = (),
    reply_model: MultiTaskModel | None = None,
) -> dict:
    """Write the whole bundle; returns its model card.

    `check_rows` (real utterances with every head's labels, such as the test split) are what the
    FP32 graph's parity with PyTorch and the INT8 graph's scores are checked on; without them,
    parity is checked on a few fixed sentences and INT8 is not scored.

    The response bank is embedded by `reply_model` when given: the teacher, whose embedding space
    the student is distilled into, so the student's query embeddings meet the teacher's replies
    (the card's CARD_RESPONSE_BANK_ENCODER says which). Otherwise the exported graph embeds it.

    Raises:
        ParityError: when the exported graph does not reproduce PyTorch's outputs.
    """
    bundle_dir = Path(bundle_dir)
    bundle_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = export_onnx(model, tokenizer, bundle_dir / BUNDLE_ONNX)
    spread = check_rows[:: max(1, len(check_rows) // PARITY_ROWS)][:PARITY_ROWS]
    parity_texts = [row["text"] for row in spread] or list(PARITY_TEXTS)
    parity = check_parity(model, tokenizer, onnx_path, parity_texts, max_length)
    log.info("ONNX parity on %d utterances: max abs difference %.2e", len(parity_texts), parity)
    int8_path = quantize_int8(onnx_path, bundle_dir / BUNDLE_ONNX_INT8)
    tokenizer.save_pretrained(bundle_dir / BUNDLE_TOKENIZER_DIR)
    model.labels.save(bundle_dir / BUNDLE_LABELS)
    texts = list(response_bank)
    if not texts:
        raise ValueError("the response bank is empty: the dataset has no replies in its train split")
    (bundle_dir / BUNDLE_RESPONSE_TEXTS).write_text(json.dumps(texts, indent=0))
    encoder = EmbeddedBy(TorchForward(reply_model) if reply_model is not None else OnnxForward(onnx_path, model.labels))
    embeddings = encoder.embed_replies(texts, tokenizer, max_length).astype(np.float32)
    np.save(bundle_dir / BUNDLE_RESPONSE_EMBEDDINGS, embeddings)
    bank = ReplyBank(texts, embeddings, fallback=encoder)
    session = onnx_session(onnx_path)
    card = {
        **card,
        CARD_MAX_LENGTH: max_length,
        "num_layers": model.num_layers,
        CARD_ONNX_SHA256: sha256_file(onnx_path),
        CARD_ONNX_INT8_SHA256: sha256_file(int8_path),
        "parity_max_abs_diff": parity,
        "parity_utterances": len(parity_texts),
        "response_bank_size": len(texts),
        CARD_RESPONSE_BANK_ENCODER: "teacher" if reply_model is not None else "student",
        **measure_latency(session, tokenizer),
        **{f"int8_{key}": value for key, value in measure_latency(onnx_session(int8_path), tokenizer).items()},
    }
    if check_rows:
        check = check_int8(
            OnnxForward(onnx_path, model.labels, replies=bank),
            OnnxForward(int8_path, model.labels, replies=bank),
            tokenizer,
            check_rows,
            max_length,
        )
        log.info("INT8 against FP32 on %d rows: largest drop %.4f (%s)", check["rows"], check["max_drop"],
                 "passed" if check["passed"] else f"more than {INT8_MAX_DROP}")  # fmt: skip
        card[CARD_INT8_CHECK] = check
    (bundle_dir / BUNDLE_CARD).write_text(json.dumps(card, indent=1, sort_keys=True))
    card[LINEAGE_BUNDLE_SHA256] = write_manifest(bundle_dir, BUNDLE_MANIFEST)
    return card
