"""The training loop: it learns, stops early, and resumes from its checkpoint."""

import pytest

from mtassist.evaluation import evaluate_model
from mtassist.training.config import TrainingConfig
from mtassist.training.loop import CHECKPOINT_FILE, train


def test_training_learns_every_head_of_a_toy_task(tiny_model, tokenizer, toy_rows):
    before = evaluate_model(tiny_model, tokenizer, toy_rows, 32)
    config = TrainingConfig(
        max_steps=120, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=40, patience=5
    )
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    after = evaluate_model(tiny_model, tokenizer, toy_rows, 32)
    assert result.best_score == pytest.approx(after["score"])
    assert after["score"] > before["score"] + 0.2
    assert after["route_accuracy"] == 1.0 and after["slot_f1"] >= 0.9


def test_training_stops_early_when_validation_does_not_improve(tiny_model, tokenizer, toy_rows):
    config = TrainingConfig(
        max_steps=40, batch_size=4, learning_rate=0.0, head_learning_rate=0.0, eval_every=2, patience=2
    )
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    assert result.stopped_early and result.steps == 6 and result.best_step == 2


def test_training_resumes_from_its_checkpoint(tiny_model, tokenizer, toy_rows, tmp_path):
    config = TrainingConfig(max_steps=4, batch_size=4, eval_every=2, patience=10)
    train(tiny_model, tokenizer, toy_rows, toy_rows, config, checkpoint_dir=tmp_path)
    assert (tmp_path / CHECKPOINT_FILE).is_file()
    resumed = train(
        tiny_model,
        tokenizer,
        toy_rows,
        toy_rows,
        TrainingConfig(max_steps=6, batch_size=4, eval_every=2, patience=10),
        checkpoint_dir=tmp_path,
    )
    assert resumed.steps == 6 and [h["step"] for h in resumed.history] == [2, 4, 6]
