"""validate: a clean dataset passes with a report; a bad one stops the pipeline naming the expectation."""

import json
import shutil
from pathlib import Path

import pytest
from kfp.dsl import HTML, Dataset

from mtassist.components.validate import validate
from mtassist.contracts import DATASET_EXAMPLES
from mtassist.data.validation import DataValidationError


def test_validate_passes_a_clean_dataset_and_writes_its_report(ingested, tmp_path):
    statistics = validate.python_func(dataset=ingested[0], report=HTML(uri=str(tmp_path / "report.html")))
    assert "'success': True" in statistics
    assert "<table" in (tmp_path / "report.html").read_text()


def test_validate_when_a_label_is_unknown_stops_with_the_expectation_named(ingested, tmp_path):
    broken = Path(shutil.copytree(ingested[0].path, tmp_path / "broken"))
    rows = [json.loads(line) for line in (broken / DATASET_EXAMPLES).read_text().splitlines()]
    next(row for row in rows if row["sentiment"])["sentiment"] = "ecstatic"
    (broken / DATASET_EXAMPLES).write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DataValidationError, match="sentiment.*ecstatic"):
        validate.python_func(dataset=Dataset(uri=str(broken)), report=HTML(uri=str(tmp_path / "report.html")))
