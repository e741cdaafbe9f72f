"""Single-task baselines: one head's rows, one head's loss, that head's metrics."""

import pytest
import torch

from mtassist.data.dataset import load_labels, rows_by_split
from mtassist.labels import LabelSpace
from mtassist.training.config import TrainingConfig
from mtassist.training.single_task import HEAD_METRICS, head_only, head_rows, train_single_task


def test_head_only_keeps_the_heads_terms_and_the_reply_anchor_with_replies():
    losses = {name: torch.tensor(1.0) for name in ("route", "intent", "slots", "response", "embedding_anchor")}
    assert set(head_only(lambda model, batch: losses, "intent")(None, None)) == {"intent"}
    assert set(head_only(lambda model, batch: losses, "response")(None, None)) == {"response", "embedding_anchor"}


def test_head_rows_are_the_rows_labelled_for_the_head_with_no_other_label(toy_rows):
    assert all(row["sentiment"] is not None for row in head_rows(toy_rows, "sentiment"))
    replies = head_rows(toy_rows, "response")
    assert len(replies) == sum(row["response"] is not None for row in toy_rows)
    assert all(row["route"] is None and row["intent"] is None and row["slots"] is None for row in replies)


def test_a_single_task_model_reports_only_its_heads_metrics(small_dataset, tiny_encoder_dir, tokenizer):
    labels = LabelSpace.from_dict(load_labels(small_dataset))
    config = TrainingConfig(max_steps=4, batch_size=8, eval_every=4)
    metrics = train_single_task(
        "sentiment", str(tiny_encoder_dir), tokenizer, labels, rows_by_split(small_dataset), config
    )
    assert set(metrics) == set(HEAD_METRICS["sentiment"])


def test_an_unknown_head_is_refused_naming_the_heads(small_dataset, tiny_encoder_dir, tokenizer, label_space):
    with pytest.raises(ValueError, match="unknown head 'mood': choose from route, intent"):
        train_single_task("mood", str(tiny_encoder_dir), tokenizer, label_space, {}, TrainingConfig())


def test_each_single_task_model_is_selected_by_its_heads_part_of_the_score():
    from mtassist.training.single_task import SELECTED_BY

    assert SELECTED_BY == {
        "route": "route_accuracy",
        "intent": "intent_macro_f1",
        "slots": "slot_f1",
        "sentiment": "sentiment_macro_f1",
        "response": "response_mrr",
    }


def test_the_intent_only_model_is_scored_by_its_intent_heads_own_choice(
    small_dataset, tiny_encoder_dir, tokenizer, monkeypatch
):
    """Its slot head is untrained: weighing intents by it would score noise, not the baseline.
    Here the untrained slot head tags every word as the first slot name, which fits few intents."""
    import numpy as np

    from mtassist.inference import as_forward
    from mtassist.tokenization import encode
    from mtassist.training import single_task

    real_build, built = single_task.build_model, []

    def build_and_keep(*args):
        built.append(real_build(*args))
        with torch.no_grad():
            built[-1].heads.slots.linear.bias[1] += 50.0  # B- of the first slot name
        return built[-1]

    monkeypatch.setattr(single_task, "build_model", build_and_keep)
    labels = LabelSpace.from_dict(load_labels(small_dataset))
    config = TrainingConfig(max_steps=4, batch_size=8, eval_every=4)
    splits = rows_by_split(small_dataset)
    metrics = train_single_task("intent", str(tiny_encoder_dir), tokenizer, labels, splits, config)
    test = splits["test"]
    rows = [test[i] for i in single_task.task_pools(test)["intent"]]
    logits = as_forward(built[0])(encode(tokenizer, [row["text"] for row in rows], config.max_length))["intent_logits"]
    chosen = [labels.intent[i] for i in logits.argmax(-1)]
    assert metrics["intent_accuracy"] == pytest.approx(np.mean([c == row["intent"] for c, row in zip(chosen, rows)]))
