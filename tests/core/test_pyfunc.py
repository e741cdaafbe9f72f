"""The registered MLflow pyfunc: loaded by alias, it answers as Triton's `assistant` does, in process."""

from __future__ import annotations

import mlflow

from mtassist.contracts import CHALLENGER_ALIAS, REGISTERED_MODEL_NAME, SCORE_METRICS
from mtassist.registry import register_bundle


def test_the_challenger_loads_by_alias_and_answers_every_head(tracking, tiny_bundle):
    register_bundle(tiny_bundle, dict.fromkeys(SCORE_METRICS, 0.5), {"dataset_version": "tiny-test"})
    model = mlflow.pyfunc.load_model(f"models:/{REGISTERED_MODEL_NAME}@{CHALLENGER_ALIAS}")
    command, chitchat = model.predict(["turn on the kitchen lights", "how are you"])
    assert command["route"]["label"] == "command" and command["intent"]["label"] == "HassTurnOn"
    assert command["slots"] == [{"name": "area", "value": "kitchen", "text": "kitchen", "start": 12, "end": 19}]
    assert "replies" not in command
    assert chitchat["route"]["label"] == "chitchat" and len(chitchat["replies"]) == 3
    assert "intent" not in chitchat and "slots" not in chitchat
