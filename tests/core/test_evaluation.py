import numpy as np
import pytest

from mtassist import evaluation
from mtassist.contracts import SCORE_METRICS
from mtassist.evaluation import evaluate


def test_macro_f1_averages_over_gold_classes():
    gold = np.array([0, 0, 1, 1])
    assert evaluation.macro_f1(gold, gold) == 1.0
    assert evaluation.macro_f1(gold, np.array([0, 0, 0, 0])) == pytest.approx((2 / 3 + 0) / 2)


def test_confusion_rows_are_truth_and_columns_predictions():
    assert evaluation._confusion(np.array([0, 1, 1]), np.array([0, 0, 1]), 2) == [[1, 0], [1, 1]]


def test_evaluation_reports_every_head_and_the_mean_score(tiny_model, tokenizer, toy_rows):
    result = evaluate(tiny_model, tokenizer, toy_rows, 32)
    assert set(SCORE_METRICS) | {"intent_accuracy", "frame_accuracy", "sentiment_accuracy"} <= set(result.metrics)
    assert result.metrics["score"] == pytest.approx(np.mean([result.metrics[m] for m in SCORE_METRICS]))
    assert np.sum(result.confusion["route"]) == sum(row["route"] is not None for row in toy_rows)
    assert np.sum(result.confusion["sentiment"]) == sum(row["sentiment"] is not None for row in toy_rows)


def test_a_model_that_learned_the_toy_task_scores_full_marks_where_it_can(tiny_model, tokenizer, toy_rows):
    from mtassist.training.config import TrainingConfig
    from mtassist.training.loop import train

    config = TrainingConfig(max_steps=150, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=50)
    train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    metrics = evaluate(tiny_model, tokenizer, toy_rows, 32).metrics
    assert metrics["route_accuracy"] == 1.0 and metrics["intent_accuracy"] == 1.0
    assert metrics["slot_f1"] == 1.0 and metrics["frame_accuracy"] == 1.0


def test_evaluate_splits_adds_unseen_values_and_noisy_each_with_and_without_context(tiny_model, tokenizer, toy_rows):
    commands = [row for row in toy_rows if row["route"] == "command"]
    metrics = evaluation.evaluate_splits(tiny_model, tokenizer, {"test": toy_rows, "test_values": commands}, 32).metrics
    for prefix in ("unseen_values", "unseen_values_context", "noisy", "noisy_context"):
        assert {f"{prefix}_{name}" for name in evaluation.COMMAND_METRICS} <= set(metrics), prefix
    assert all(0.0 <= value <= 1.0 for name, value in metrics.items() if name.startswith("noisy"))


def _predictions(query_vectors: np.ndarray, replies: dict[str, np.ndarray]) -> evaluation.Predictions:
    n = len(query_vectors)
    empty = np.zeros(n, dtype=int)
    return evaluation.Predictions(empty, empty, empty, [None] * n, query_vectors, replies)


def test_retrieval_ranks_the_true_reply_among_every_distinct_reply():
    """12 candidates; the true replies rank 1st, 2nd and 12th: recall@1 1/3, recall@10 2/3, MRR (1 + 1/2 + 1/12)/3."""
    axes = np.eye(12, dtype=np.float32)
    replies = {f"reply {i}": axes[i] for i in range(12)}
    queries = np.stack([
        axes[0],  # reply 0 is its own best match: rank 1
        axes[1] * 0.9 + axes[2],  # reply 1 comes second behind reply 2: rank 2
        -axes[11] + 0.1 * axes[:11].sum(axis=0),  # reply 11 comes last of 12
    ])  # fmt: skip
    rows = [{"response": "reply 0"}, {"response": "reply 1"}, {"response": "reply 11"}]
    metrics = evaluation._retrieval_metrics(rows, _predictions(queries, replies))
    assert metrics["response_recall_at_1"] == pytest.approx(1 / 3)
    assert metrics["response_recall_at_10"] == pytest.approx(2 / 3)
    assert metrics["response_mrr"] == pytest.approx((1 + 1 / 2 + 1 / 12) / 3)


def test_probes_report_route_and_intent_accuracy_and_list_the_misses(tiny_model, tokenizer, toy_rows):
    from mtassist.data.probes import PROBES

    result = evaluation.evaluate_splits(tiny_model, tokenizer, {"test": toy_rows}, 32)
    assert 0.0 <= result.metrics["probe_route_accuracy"] <= 1.0
    wrong_routes = sum(miss["route"] != miss["predicted_route"] for miss in result.probe_misses)
    assert wrong_routes == round((1 - result.metrics["probe_route_accuracy"]) * len(PROBES))
    assert {miss["text"] for miss in result.probe_misses} <= {text for text, _, _ in PROBES}


def test_slot_rows_without_a_route_are_decoded_for_the_slot_only_baseline(tiny_model, tokenizer, toy_rows):
    commands = [{**row, "route": None, "intent": None} for row in toy_rows if row["route"] == "command"]
    predictions = evaluation.predict(tiny_model, tokenizer, commands, 32, slots_by_intent=False)
    assert all(isinstance(frame, list) for frame in predictions.frames)
    assert all("start" in slot for frame in predictions.frames for slot in frame), "no implied slots without an intent"


def test_recall_among_100_draws_the_same_distractors_for_every_model_and_skips_the_truth():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 300))
    truth = rng.integers(0, 300, size=40)
    first = evaluation.ranks_among_candidates(scores, truth)
    assert (first == evaluation.ranks_among_candidates(scores.copy(), truth)).all()
    assert first.min() >= 1 and first.max() <= evaluation.CANDIDATES
    perfect = scores.copy()
    perfect[np.arange(40), truth] = 100.0
    assert (evaluation.ranks_among_candidates(perfect, truth) == 1).all()
    worst = scores.copy()
    worst[np.arange(40), truth] = -100.0
    assert (evaluation.ranks_among_candidates(worst, truth) == evaluation.CANDIDATES).all()
    few = scores[:, :50]
    np.testing.assert_array_equal(
        evaluation.ranks_among_candidates(few, truth % 50), evaluation.ranks_of_true_replies(few, truth % 50)
    )
    metrics = evaluation.retrieval_metrics(perfect, truth)
    assert metrics["response_recall_at_1_of_100"] == 1.0 and set(metrics) == set(evaluation.RETRIEVAL_METRICS)
