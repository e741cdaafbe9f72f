import json

import numpy as np
import onnx
import pytest

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_MANIFEST,
    BUNDLE_ONNX,
    BUNDLE_ONNX_INT8,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    ONNX_INPUTS,
    ONNX_OUTPUTS,
    PARITY_TOLERANCE,
)
from mtassist.export import ParityError, check_parity, export_bundle
from mtassist.hashing import verify_manifest
from mtassist.inference import onnx_session
from mtassist.tokenization import encode


@pytest.fixture(scope="module")
def exported(tmp_path_factory, label_space, tokenizer, toy_rows):
    from mtassist.model.multitask import build_tiny_model

    model = build_tiny_model(label_space, vocab_size=len(tokenizer)).eval()
    bundle = tmp_path_factory.mktemp("bundle")
    card = export_bundle(
        model, tokenizer, bundle, ["i am fine", "hi friend"], {"dataset_version": "abc"}, check_rows=toy_rows
    )
    return model, bundle, card


def test_bundle_holds_everything_serving_reads(exported):
    _, bundle, card = exported
    for name in (BUNDLE_ONNX, BUNDLE_LABELS, BUNDLE_RESPONSE_TEXTS, BUNDLE_RESPONSE_EMBEDDINGS, BUNDLE_CARD):
        assert (bundle / name).is_file(), name
    assert (bundle / BUNDLE_TOKENIZER_DIR / "tokenizer.json").is_file()
    card = dict(card)
    assert verify_manifest(bundle, BUNDLE_MANIFEST, card.pop("bundle_sha256")) is None
    assert json.loads((bundle / BUNDLE_CARD).read_text()) == card
    assert card["parity_max_abs_diff"] <= PARITY_TOLERANCE and card["latency_p95_ms"] > 0
    assert np.load(bundle / BUNDLE_RESPONSE_EMBEDDINGS).shape == (2, 32)


def test_onnx_graph_has_the_contract_names_and_dynamic_axes(exported):
    _, bundle, _ = exported
    graph = onnx.load(str(bundle / BUNDLE_ONNX)).graph
    assert [i.name for i in graph.input] == list(ONNX_INPUTS)
    assert [o.name for o in graph.output] == list(ONNX_OUTPUTS)
    for tensor in graph.input:
        dims = tensor.type.tensor_type.shape.dim
        assert dims[0].dim_param and dims[1].dim_param, f"{tensor.name} has fixed axes"


def test_onnx_runs_at_other_batch_and_sequence_sizes(exported, tokenizer):
    model, bundle, _ = exported
    texts = ["a", "turn on the kitchen lights in the evening please", "how are you", "ok"]
    assert check_parity(model, tokenizer, bundle / BUNDLE_ONNX, texts) <= PARITY_TOLERANCE
    encoded = encode(tokenizer, texts)
    slots = onnx_session(bundle / BUNDLE_ONNX).run(["slot_logits"], {n: encoded[n] for n in ONNX_INPUTS})[0]
    assert slots.shape[:2] == encoded["input_ids"].shape


def test_parity_outside_tolerance_fails_the_export(exported, tokenizer):
    model, bundle, _ = exported
    with pytest.raises(ParityError, match="differs from PyTorch"):
        check_parity(model, tokenizer, bundle / BUNDLE_ONNX, tolerance=-1.0)


def test_int8_graph_answers_like_fp32_and_the_card_says_how_close(exported, tokenizer, toy_rows):
    _, bundle, card = exported
    check = card["int8_check"]
    assert check["rows"] == len(toy_rows) and set(check["metrics"]) >= {"route_accuracy", "slot_f1"}
    assert check["passed"] == (check["max_drop"] <= 0.01)
    assert (bundle / BUNDLE_ONNX_INT8).stat().st_size < (bundle / BUNDLE_ONNX).stat().st_size
    encoded = encode(tokenizer, ["turn on the kitchen lights"])
    feeds = {n: encoded[n] for n in ONNX_INPUTS}
    fp32 = onnx_session(bundle / BUNDLE_ONNX).run(["route_logits"], feeds)[0]
    int8 = onnx_session(bundle / BUNDLE_ONNX_INT8).run(["route_logits"], feeds)[0]
    assert fp32.shape == int8.shape and np.abs(fp32 - int8).max() < 0.5
