"""The registry on a real MLflow sqlite store in a temporary folder."""

import json

import pytest

from mtassist import registry
from mtassist.contracts import BUNDLE_CARD, CHALLENGER_ALIAS, CHAMPION_ALIAS


@pytest.fixture
def bundle(tmp_path):
    directory = tmp_path / "bundle"
    directory.mkdir()
    (directory / BUNDLE_CARD).write_text(json.dumps({"dataset_version": "d1"}))
    (directory / "encoder.onnx").write_bytes(b"not really onnx")
    return directory


def test_register_aliases_the_new_version_challenger_with_lineage(tracking, bundle):
    lineage = {
        "dataset_version": "d1",
        "git_commit": "abc",
        "teacher_run_id": "t",
        "student_run_id": "s",
        "onnx_sha256": "f",
    }
    first = registry.register_bundle(bundle, {"score": 0.5}, lineage)
    second = registry.register_bundle(bundle, {"score": 0.6}, lineage)
    assert (first.version, second.version) == ("1", "2")
    assert registry.version_by_alias(CHALLENGER_ALIAS).version == "2"
    assert registry.version_metrics(second)["score"] == 0.6
    version = tracking.get_model_version(first.name, "1")
    assert version.tags["dataset_version"] == "d1" and version.tags["git_commit"] == "abc"


def test_download_by_alias_gives_back_the_bundle(tracking, bundle, tmp_path):
    registered = registry.register_bundle(bundle, {"score": 0.5}, {"dataset_version": "d1"})
    registry.set_alias(CHAMPION_ALIAS, registered.version)
    downloaded, version = registry.download_bundle(CHAMPION_ALIAS, tmp_path / "download")
    assert version.version == registered.version
    assert (downloaded / "encoder.onnx").read_bytes() == b"not really onnx"


def test_download_of_a_missing_alias_says_what_to_do(tracking, tmp_path):
    with pytest.raises(registry.RegistryError, match="no version 'champion'.*mtassist run"):
        registry.download_bundle(CHAMPION_ALIAS, tmp_path / "download")
    assert registry.version_by_alias(CHAMPION_ALIAS) is None
