"""Components called as plain functions (`component.python_func`) with local artifacts."""

import json
from pathlib import Path

import pytest
from kfp.dsl import Artifact, Dataset

from mtassist.components.ingest import ingest
from mtassist.components.promote import promote
from mtassist.components.validate import validate
from mtassist.contracts import DATASET_EXAMPLES
from mtassist.data.validation import DataValidationError
from tests.conftest import TEST_CACHE


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    dataset = Dataset(uri=str(tmp_path_factory.mktemp("ingest") / "dataset"))
    version = ingest.python_func(data_size="small", seed=13, cache_dir=str(TEST_CACHE), dataset=dataset)
    return dataset, version


def test_ingest_writes_a_versioned_dataset(small_dataset):
    dataset, version = small_dataset
    assert len(version) == 64 and dataset.metadata["version"] == version
    assert len(Path(dataset.path, DATASET_EXAMPLES).read_text().splitlines()) > 100


def test_validate_passes_a_clean_dataset_and_writes_its_report(small_dataset, tmp_path):
    dataset, _ = small_dataset
    report = Artifact(uri=str(tmp_path / "report.html"))
    validate.python_func(dataset=dataset, report=report)
    assert "<table" in (tmp_path / "report.html").read_text()


def test_validate_when_a_label_is_unknown_stops_with_the_expectation_named(small_dataset, tmp_path):
    dataset, _ = small_dataset
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("labels.json", "manifest.json"):
        (broken / name).write_text(Path(dataset.path, name).read_text())
    rows = [json.loads(line) for line in Path(dataset.path, DATASET_EXAMPLES).read_text().splitlines()]
    next(row for row in rows if row["sentiment"])["sentiment"] = "ecstatic"
    (broken / DATASET_EXAMPLES).write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DataValidationError, match="sentiment.*ecstatic"):
        validate.python_func(dataset=Dataset(uri=str(broken)), report=Artifact(uri=str(tmp_path / "report.html")))


def test_promote_refuses_a_version_that_is_not_the_challenger(tmp_path):
    with pytest.raises(RuntimeError, match="not the challenger"):
        promote.python_func(version="7", tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", latency_budget_ms=50.0)
