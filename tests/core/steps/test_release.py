"""Register, promote and roll back on a real MLflow store: the gate scores the champion's and the
challenger's real bundles on the challenger's test split, and a failed release is rolled back."""

import json

import pytest

from mtassist import registry
from mtassist.contracts import CHAMPION_ALIAS, SCORE_METRICS
from mtassist.serving.smoke import smoke_test
from mtassist.steps import release


def _register(bundle, score: float) -> str:
    metrics = {**dict.fromkeys(SCORE_METRICS, score), "score": score}
    return release.register(bundle, metrics, git_commit="abc", pipeline_run_id="run-1")["version"]


def _promote(version: str, dataset, latency_budget_ms: float = 1000.0) -> dict:
    return release.promote(version, latency_budget_ms, dataset, tolerance=0.01, by="test")


def _champion() -> str | None:
    found = registry.version_by_alias(CHAMPION_ALIAS)
    return found.version if found else None


def _tags(version: str) -> dict[str, str]:
    return registry.find_version(version).tags


def test_register_records_the_lineage_of_the_version(tracking, toy_bundles):
    version = _register(toy_bundles["trained"], 0.5)
    tags = _tags(version)
    assert tags["git_commit"] == "abc" and tags["pipeline_run_id"] == "run-1" and tags["student_run_id"] == "trained"
    assert "torch==2.13.0" in tags["packages"] and len(tags["bundle_sha256"]) == 64
    assert len(tags["onnx_sha256"]) == len(tags["onnx_int8_sha256"]) == 64


def test_the_first_version_becomes_champion_and_says_who_made_it(tracking, toy_bundles, toy_dataset):
    decision = _promote(_register(toy_bundles["trained"], 0.5), toy_dataset)
    assert decision["promoted"] and decision["champion"] == "1" and decision["previous_champion"] == ""
    tags = _tags("1")
    assert tags["champion_by"] == "test" and tags["champion_at"].endswith("+00:00")
    assert json.loads(tags["gate"])["compared_on"] == "no champion"


def test_a_worse_challenger_is_refused_on_scores_measured_on_its_own_test_split(tracking, toy_bundles, toy_dataset):
    _promote(_register(toy_bundles["trained"], 0.1), toy_dataset)
    # Registered as far better than the champion: only scoring both bundles shows it is worse.
    decision = _promote(_register(toy_bundles["untrained"], 0.99), toy_dataset)
    assert not decision["promoted"] and "below the champion's" in decision["reason"]
    assert _champion() == "1" and decision["previous_champion"] == "1"
    gate = json.loads(_tags("2")["gate"])
    assert gate["compared_on"] == "test split of dataset toy000000000"
    assert gate["champion"]["route_accuracy"] > gate["challenger"]["route_accuracy"]


def test_a_challenger_trained_on_every_split_is_compared_on_its_held_out_metrics(tracking, toy_bundles, toy_dataset):
    _promote(_register(toy_bundles["trained"], 0.1), toy_dataset)
    # Scoring this bundle would refuse it (the test above); its weights saw the test rows, so the
    # metrics of its held-out evaluation count instead.
    challenger = _register(toy_bundles["untrained"], 1.0)
    registry.set_version_tags(challenger, {"trained_on": "every split"})
    decision = _promote(challenger, toy_dataset)
    assert decision["promoted"] and _champion() == challenger
    gate = json.loads(_tags(challenger)["gate"])
    assert gate["compared_on"] == (
        "challenger: registered held-out metrics (its weights trained on every split); "
        "champion: test split of dataset toy000000000"
    )
    assert gate["challenger"]["route_accuracy"] == 1.0


def test_a_champion_trained_on_every_split_is_compared_on_its_held_out_metrics(tracking, toy_bundles, toy_dataset):
    # Scored on the test split, this champion loses to the trained challenger (two tests above);
    # its weights saw the test rows, so the metrics of its held-out evaluation count instead.
    champion = _register(toy_bundles["untrained"], 1.0)
    registry.set_version_tags(champion, {"trained_on": "every split"})
    _promote(champion, toy_dataset)
    decision = _promote(_register(toy_bundles["trained"], 0.1), toy_dataset)
    gate = json.loads(_tags("2")["gate"])
    assert gate["compared_on"] == (
        "challenger: test split of dataset toy000000000; "
        "champion: registered held-out metrics (its weights trained on every split)"
    )
    assert set(gate["champion"].values()) == {1.0}
    assert not decision["promoted"] and "response_mrr" in decision["reason"] and _champion() == champion


def test_an_equal_challenger_is_promoted_and_remembers_the_champion_it_replaced(tracking, toy_bundles, toy_dataset):
    _promote(_register(toy_bundles["trained"], 0.9), toy_dataset)
    # Registered as worse, but the same bundle scores the same on the same rows.
    decision = _promote(_register(toy_bundles["trained"], 0.1), toy_dataset)
    assert decision["promoted"] and _champion() == "2" and _tags("2")["previous_champion"] == "1"


def test_a_challenger_outside_the_latency_budget_is_refused(tracking, toy_bundles, toy_dataset):
    decision = _promote(_register(toy_bundles["trained"], 0.5), toy_dataset, latency_budget_ms=1e-6)
    assert not decision["promoted"] and "budget" in decision["reason"] and _champion() is None


def test_failed_smoke_test_puts_the_earlier_champion_back(tracking, toy_bundles, toy_dataset, tmp_path):
    _promote(_register(toy_bundles["trained"], 0.5), toy_dataset)
    previous = _promote(_register(toy_bundles["trained"], 0.5), toy_dataset)["previous_champion"]
    redeployed = []
    with (
        pytest.raises(release.RolloutFailed, match="no model repository.*champion is version 1 again"),
        release.champion_restored_on_failure(previous, lambda: redeployed.append(_champion())),
    ):
        smoke_test(tmp_path / "no-such-repository", "", "2", check_answers=False)
    assert _champion() == "1" and redeployed == ["1"]


def test_failed_first_release_leaves_no_champion(tracking, toy_bundles, toy_dataset):
    previous = _promote(_register(toy_bundles["trained"], 0.5), toy_dataset)["previous_champion"]
    with (
        pytest.raises(release.RolloutFailed, match="alias was removed"),
        release.champion_restored_on_failure(previous),
    ):
        raise RuntimeError("server did not come up")
    assert _champion() is None
