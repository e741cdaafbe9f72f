import torch

from mtassist.evaluation import evaluate_model
from mtassist.model.multitask import student_from_teacher
from mtassist.training.batches import Collator
from mtassist.training.config import DistillationConfig, TrainingConfig
from mtassist.training.distillation import distillation_loss, soft_kl
from mtassist.training.loop import train


def test_soft_kl_is_zero_for_equal_logits_and_positive_otherwise():
    logits = torch.randn(4, 5)
    assert soft_kl(logits, logits, 2.0).item() < 1e-6
    assert soft_kl(logits, logits.flip(-1), 2.0).item() > 0.01


def test_distillation_loss_has_hard_and_soft_terms_for_every_head(tiny_model, tokenizer, toy_rows):
    student = student_from_teacher(tiny_model, 1)
    batch = Collator(tokenizer, tiny_model.labels, 32)(toy_rows[:12])
    losses = distillation_loss(tiny_model, DistillationConfig(student_layers=1), 20.0)(student, batch)
    assert {"route", "intent", "slots", "response"} <= set(losses)
    assert {"kd_route", "kd_intent", "kd_sentiment", "kd_slots", "kd_hidden", "kd_embedding"} <= set(losses)
    assert all(torch.isfinite(value) for value in losses.values())


def test_distilled_student_approaches_a_trained_teacher(tiny_model, tokenizer, toy_rows):
    config = TrainingConfig(
        max_steps=120, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=40, patience=5
    )
    train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    teacher_score = evaluate_model(tiny_model, tokenizer, toy_rows, 32)["score"]
    student = student_from_teacher(tiny_model, 1)
    distill = DistillationConfig(student_layers=1)
    student_config = TrainingConfig(
        max_steps=60, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=20, patience=5
    )
    result = train(
        student, tokenizer, toy_rows, toy_rows, student_config, loss_fn=distillation_loss(tiny_model, distill, 20.0)
    )
    assert result.best_score >= teacher_score - 0.15
