"""deploy: the champion's Triton model repository, written where the pipeline says."""

import json
from pathlib import Path

import pytest

from mtassist.components.deploy import deploy
from mtassist.contracts import BUNDLE_CARD, BUNDLE_ONNX, BUNDLE_ONNX_INT8, CARD_INT8_CHECK, CARD_ONNX_INT8_SHA256
from mtassist.serving.layout import MANIFEST
from mtassist.serving.model_configs import MODEL_NAMES


def test_deploy_writes_the_champions_repository(deployed, registered, exported):
    repository, version = deployed
    manifest = json.loads((repository / MANIFEST).read_text())
    assert version == registered == manifest["model_version"] == str(manifest["version"])
    card = json.loads((Path(exported[0].path) / BUNDLE_CARD).read_text())
    served = manifest["versions"][version]
    if card[CARD_INT8_CHECK]["passed"]:
        assert (served["graph"], served["onnx_sha256"]) == (BUNDLE_ONNX_INT8, card[CARD_ONNX_INT8_SHA256])
    else:
        assert (served["graph"], served["onnx_sha256"]) == (BUNDLE_ONNX, exported[1])
    assert manifest["models"] == list(MODEL_NAMES)
    assert all((repository / name / "config.pbtxt").is_file() for name in MODEL_NAMES)


def test_deploy_to_an_unknown_target_fails_and_leaves_the_repository(deployed, promoted, store):
    repository, _version = deployed
    before = (repository / MANIFEST).read_text()
    with pytest.raises(ValueError, match="unknown target 'gpu-cluster'"):
        deploy.python_func(
            tracking_uri=store.tracking_uri, model_repository=str(repository), triton_url="",
            serving_target="gpu-cluster", previous_champion=promoted.champion,
        )  # fmt: skip
    assert (repository / MANIFEST).read_text() == before
