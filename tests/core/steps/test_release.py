"""Register, promote and roll back on a real MLflow store: the gate and the rollback of a failed release."""

import json

import pytest

from mtassist import registry
from mtassist.contracts import BUNDLE_CARD, CHAMPION_ALIAS
from mtassist.serving.smoke import smoke_test
from mtassist.steps import release

METRICS = {
    "score": 0.6,
    "route_accuracy": 0.9,
    "intent_macro_f1": 0.6,
    "slot_f1": 0.5,
    "sentiment_macro_f1": 0.5,
    "response_mrr": 0.3,
}


def _register(tmp_path, name: str, score: float, latency_ms: float = 4.0) -> str:
    bundle = tmp_path / name
    bundle.mkdir()
    card = {
        "dataset_version": "d",
        "teacher_run_id": "t",
        "student_run_id": "s",
        "onnx_sha256": name,
        "latency_p50_ms": latency_ms,
        "latency_p95_ms": latency_ms,
    }
    (bundle / BUNDLE_CARD).write_text(json.dumps(card))
    return release.register(bundle, {**METRICS, "score": score}, git_commit="abc")["version"]


def _champion() -> str | None:
    found = registry.version_by_alias(CHAMPION_ALIAS)
    return found.version if found else None


def test_promote_when_challenger_is_worse_keeps_champion(tracking, tmp_path):
    release.promote(_register(tmp_path, "a", 0.6), latency_budget_ms=50)
    decision = release.promote(_register(tmp_path, "b", 0.5), latency_budget_ms=50)
    assert not decision["promoted"] and "does not beat" in decision["reason"]
    assert _champion() == "1" and decision["previous_champion"] == "1"


def test_promote_when_challenger_is_better_moves_champion(tracking, tmp_path):
    release.promote(_register(tmp_path, "a", 0.6), latency_budget_ms=50)
    decision = release.promote(_register(tmp_path, "b", 0.7), latency_budget_ms=50)
    assert decision["promoted"] and _champion() == "2" and decision["previous_champion"] == "1"


def test_failed_smoke_test_puts_the_earlier_champion_back(tracking, tmp_path):
    release.promote(_register(tmp_path, "a", 0.6), latency_budget_ms=50)
    previous = release.promote(_register(tmp_path, "b", 0.7), latency_budget_ms=50)["previous_champion"]
    redeployed = []
    with (
        pytest.raises(release.RolloutFailed, match="no model repository.*champion is version 1 again"),
        release.champion_restored_on_failure(previous, lambda: redeployed.append(_champion())),
    ):
        smoke_test(tmp_path / "no-such-repository", "", "2", check_answers=False)
    assert _champion() == "1" and redeployed == ["1"]


def test_failed_first_release_leaves_no_champion(tracking, tmp_path):
    previous = release.promote(_register(tmp_path, "a", 0.6), latency_budget_ms=50)["previous_champion"]
    with (
        pytest.raises(release.RolloutFailed, match="alias was removed"),
        release.champion_restored_on_failure(previous),
    ):
        raise RuntimeError("server did not come up")
    assert _champion() is None
