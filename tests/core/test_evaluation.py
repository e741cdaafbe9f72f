import numpy as np
import pytest

from mtassist import evaluation
from mtassist.contracts import SCORE_METRICS
from mtassist.evaluation import evaluate


def test_macro_f1_averages_over_gold_classes():
    gold = np.array([0, 0, 1, 1])
    assert evaluation._macro_f1(gold, gold) == 1.0
    assert evaluation._macro_f1(gold, np.array([0, 0, 0, 0])) == pytest.approx((2 / 3 + 0) / 2)


def test_confusion_rows_are_truth_and_columns_predictions():
    assert evaluation._confusion(np.array([0, 1, 1]), np.array([0, 0, 1]), 2) == [[1, 0], [1, 1]]


def test_evaluation_reports_every_head_and_the_mean_score(tiny_model, tokenizer, toy_rows):
    result = evaluate(tiny_model, tokenizer, toy_rows, 32)
    for name in (
        "route_accuracy",
        "intent_accuracy",
        "intent_macro_f1",
        "slot_f1",
        "frame_accuracy",
        "sentiment_accuracy",
        "sentiment_macro_f1",
        "response_recall_at_1",
        "response_recall_at_10",
        "response_mrr",
    ):
        assert 0.0 <= result.metrics[name] <= 1.0, name
    assert result.metrics["score"] == pytest.approx(np.mean([result.metrics[m] for m in SCORE_METRICS]))
    assert np.sum(result.confusion["route"]) == sum(row["route"] is not None for row in toy_rows)
    assert result.metrics["response_recall_at_10"] == 1.0  # 8 distinct replies: every one is in the top 10
