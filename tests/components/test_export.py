"""export: the student as a serving bundle that serving accepts, named by the ONNX graph's SHA-256."""

from pathlib import Path

from mtassist.contracts import BUNDLE_ONNX, PARITY_TOLERANCE
from mtassist.hashing import sha256_file
from mtassist.serving.bundle import read_bundle


def test_export_returns_the_graphs_sha256_and_a_bundle_serving_reads(exported, student):
    bundle, sha256 = exported
    assert sha256 == sha256_file(Path(bundle.path) / BUNDLE_ONNX) == bundle.metadata["onnx_sha256"]
    checked = read_bundle(Path(bundle.path))
    assert checked.card["student_run_id"] == student[1] and checked.card["num_layers"] == 1
    assert checked.model_version == "unregistered"  # deploy writes the registry's version
    assert checked.card["parity_max_abs_diff"] <= PARITY_TOLERANCE
    assert checked.card["response_bank_size"] > 0


def test_the_card_says_the_weights_learned_from_the_train_split_and_were_evaluated_themselves(
    exported, student, teacher
):
    card = read_bundle(Path(exported[0].path)).card
    assert card["trained_on"] == "train split"
    assert (card["evaluated_student_run_id"], card["evaluated_teacher_run_id"]) == (student[1], teacher[1])


def test_the_response_bank_holds_held_out_replies_too(exported, ingested):
    import json

    from mtassist.contracts import BUNDLE_RESPONSE_TEXTS
    from mtassist.data.dataset import rows_by_split

    bank = set(json.loads((Path(exported[0].path) / BUNDLE_RESPONSE_TEXTS).read_text()))
    test_replies = {row["response"].strip() for row in rows_by_split(Path(ingested[0].path))["test"] if row["response"]}
    assert test_replies and test_replies <= bank


def test_the_response_bank_is_embedded_by_the_teacher_the_student_was_distilled_from(exported, teacher):
    import json

    import numpy as np

    from mtassist.contracts import BUNDLE_CARD, BUNDLE_RESPONSE_EMBEDDINGS, BUNDLE_RESPONSE_TEXTS
    from mtassist.inference import EmbeddedBy, TorchForward
    from mtassist.model.storage import load_trained

    folder = Path(exported[0].path)
    texts = json.loads((folder / BUNDLE_RESPONSE_TEXTS).read_text())[:20]
    model, tokenizer, run = load_trained(Path(teacher[0].path))
    expected = EmbeddedBy(TorchForward(model)).embed_replies(texts, tokenizer, run["max_length"])
    np.testing.assert_allclose(np.load(folder / BUNDLE_RESPONSE_EMBEDDINGS)[:20], expected, atol=1e-5)
    assert json.loads((folder / BUNDLE_CARD).read_text())["response_bank_encoder"] == "teacher"
