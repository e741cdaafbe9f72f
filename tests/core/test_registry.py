"""The registry on a real MLflow sqlite store in a temporary folder: lineage, downloads that check
every file's SHA-256, lookups that say what is missing, and a registry that does not answer."""

import json
import time

import pytest

from mtassist import registry
from mtassist.contracts import BUNDLE_CARD, BUNDLE_MANIFEST, CHALLENGER_ALIAS, CHAMPION_ALIAS
from mtassist.hashing import write_manifest
from mtassist.serving.ports import free_port


@pytest.fixture
def bundle(tmp_path):
    directory = tmp_path / "exported-bundle"
    directory.mkdir()
    (directory / BUNDLE_CARD).write_text(json.dumps({"dataset_version": "d1"}))
    (directory / "encoder.onnx").write_bytes(b"not really onnx")
    write_manifest(directory, BUNDLE_MANIFEST)
    return directory


def test_register_aliases_the_new_version_challenger_with_lineage(tracking, bundle):
    lineage = {"dataset_version": "d1", "git_commit": "abc", "teacher_run_id": "t", "student_run_id": "s"}
    first = registry.register_bundle(bundle, {"score": 0.5}, lineage)
    second = registry.register_bundle(bundle, {"score": 0.6}, lineage)
    assert (first.version, second.version) == ("1", "2")
    assert registry.version_by_alias(CHALLENGER_ALIAS).version == "2"
    assert registry.version_metrics(second)["score"] == 0.6
    tags = registry.find_version("1").tags
    assert tags["dataset_version"] == "d1" and tags["git_commit"] == "abc"
    assert tags["bundle_sha256"] == registry.sha256_file(bundle / BUNDLE_MANIFEST)


def test_a_bundle_that_differs_from_its_manifest_is_not_registered(tracking, bundle):
    (bundle / "encoder.onnx").write_bytes(b"changed after export")
    with pytest.raises(registry.ArtifactMismatch, match="the bundle to register fails.*encoder.onnx"):
        registry.register_bundle(bundle, {"score": 0.5}, {})
    assert registry.all_versions() == []


def test_download_by_alias_gives_back_the_checked_bundle(tracking, bundle, tmp_path):
    registered = registry.register_bundle(bundle, {"score": 0.5}, {"dataset_version": "d1"})
    registry.set_alias(CHAMPION_ALIAS, registered.version)
    downloaded, version = registry.download_bundle(CHAMPION_ALIAS, tmp_path / "download")
    assert version.version == registered.version
    assert (downloaded / "encoder.onnx").read_bytes() == b"not really onnx"


def test_a_stored_artifact_that_was_changed_is_refused(tracking, bundle, tmp_path):
    registry.register_bundle(bundle, {"score": 0.5}, {})
    [stored] = (tmp_path / "artifacts").rglob("encoder.onnx")
    stored.write_bytes(b"tampered")
    with pytest.raises(registry.ArtifactMismatch, match="version 1 fails its SHA-256 check.*encoder.onnx has SHA-256"):
        registry.download_bundle("1", tmp_path / "download")


def test_download_of_a_missing_alias_or_version_says_what_to_do(tracking, bundle, tmp_path):
    with pytest.raises(registry.RegistryError, match="no version of mtassist-assistant has the alias 'champion'"):
        registry.download_bundle(CHAMPION_ALIAS, tmp_path / "download")
    registry.register_bundle(bundle, {"score": 0.5}, {})
    with pytest.raises(registry.RegistryError, match="no version 7 of mtassist-assistant.*mtassist models list"):
        registry.download_bundle("7", tmp_path / "download")
    assert registry.version_by_alias(CHAMPION_ALIAS) is None


def test_an_alias_whose_version_was_deleted_names_no_version(tracking, bundle):
    registry.register_bundle(bundle, {"score": 0.5}, {})
    registry.set_alias(CHAMPION_ALIAS, "1")
    tracking.delete_model_version("mtassist-assistant", "1")
    with pytest.raises(registry.RegistryError, match="has the alias 'champion'"):
        registry.find_version(CHAMPION_ALIAS)


def test_a_registry_that_does_not_answer_is_named_quickly(monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    try:
        with pytest.raises(registry.RegistryError, match=f"{uri}.*start it, or point --tracking-uri"):
            registry.use_tracking(uri)
    finally:
        mlflow.set_tracking_uri(None)
    assert time.monotonic() - started < 20
