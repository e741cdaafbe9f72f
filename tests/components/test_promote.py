"""promote: the first challenger inside the latency budget becomes champion; anything else is refused."""

import pytest

from mtassist.components.promote import promote
from mtassist.registry import find_version, version_by_alias


def test_the_first_version_becomes_champion(promoted, registered):
    assert promoted.champion == registered and promoted.previous_champion == ""
    assert version_by_alias("champion").version == registered


def test_the_champion_records_the_pipeline_run_that_promoted_it(promoted, registered):
    tags = find_version(registered).tags
    assert tags["champion_by"] == "pipeline run run-123" and tags["pipeline_run_id"] == "run-123"


def test_promote_refuses_a_version_that_is_not_the_challenger(tmp_path, ingested):
    with pytest.raises(RuntimeError, match="not the challenger"):
        promote.python_func(
            version="7",
            dataset=ingested[0],
            tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
            latency_budget_ms=50.0,
            gate_tolerance=0.01,
            pipeline_run_id="run-123",
        )
