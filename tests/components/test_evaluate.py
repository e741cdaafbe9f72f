"""evaluate: every head of teacher and student on the test split, as KFP metrics, confusion matrices and a report."""

import json
from pathlib import Path

import numpy as np
import pytest

from mtassist.contracts import INTENT_NONE, ROUTE_LABELS, SCORE_METRICS, SENTIMENT_LABELS
from mtassist.data.dataset import rows_by_split


def test_evaluation_holds_every_metric_of_both_models_and_returns_the_students_score(evaluated):
    result = json.loads(Path(evaluated.evaluation.path).read_text())
    assert set(result["models"]) == {"teacher", "student"}
    for metrics in (result["models"][name]["metrics"] for name in ("teacher", "student")):
        assert set(SCORE_METRICS) | {"score", "intent_accuracy", "frame_accuracy"} <= set(metrics)
        assert metrics["score"] == pytest.approx(np.mean([metrics[m] for m in SCORE_METRICS]))
    assert evaluated.score == result["models"]["student"]["metrics"]["score"]


def test_kfp_metrics_carry_the_same_values(evaluated):
    result = json.loads(Path(evaluated.evaluation.path).read_text())
    assert evaluated.student_metrics.metadata == pytest.approx(result["models"]["student"]["metrics"])
    assert evaluated.teacher_metrics.metadata == pytest.approx(result["models"]["teacher"]["metrics"])


def test_confusion_matrices_count_every_labelled_test_row(evaluated, ingested):
    test_rows = rows_by_split(Path(ingested[0].path))["test"]
    intents = json.loads(Path(evaluated.evaluation.path).read_text())["labels"]["intent"]
    for artifact, counted, labels in (
        (evaluated.route_confusion, lambda r: r["route"] is not None, ROUTE_LABELS),
        (evaluated.intent_confusion, lambda r: r["intent"] not in (None, INTENT_NONE), intents),
        (evaluated.sentiment_confusion, lambda r: r["sentiment"] is not None, SENTIMENT_LABELS),
    ):
        matrix = artifact.metadata["confusionMatrix"]
        assert [c["displayName"] for c in matrix["annotationSpecs"]] == list(labels)
        assert sum(sum(row["row"]) for row in matrix["rows"]) == sum(map(counted, test_rows))


def test_the_report_has_a_row_per_metric_and_per_intent_and_a_column_per_model(evaluated, ingested):
    report = Path(evaluated.report.path).read_text()
    assert "| metric | teacher | student |" in report
    assert all(f"| {metric} |" in report for metric in SCORE_METRICS)
    test_intents = {r["intent"] for r in rows_by_split(Path(ingested[0].path))["test"] if r["route"] == "command"}
    assert "| intent | test rows | teacher | student |" in report
    assert all(f"| {intent} | " in report for intent in test_intents)


def test_per_intent_accuracy_weighs_up_to_the_intent_accuracy(evaluated):
    student = json.loads(Path(evaluated.evaluation.path).read_text())["models"]["student"]
    per_intent = student["per_intent"]
    rows = sum(cell["rows"] for cell in per_intent.values())
    weighted = sum(cell["rows"] * cell["accuracy"] for cell in per_intent.values()) / rows
    assert weighted == pytest.approx(student["metrics"]["intent_accuracy"])
