import torch

from mtassist.model.multitask import build_tiny_model, student_from_teacher
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


def _soft_gap(teacher, student, batch) -> float:
    """KL(teacher || student) summed over the sentence-level heads, on one batch."""
    with torch.no_grad():
        target, output = teacher(**batch.inputs), student(**batch.inputs)
    heads = ("route_logits", "intent_logits", "sentiment_logits")
    return sum(soft_kl(getattr(output, head), getattr(target, head), 1.0).item() for head in heads)


def test_distillation_alone_pulls_a_fresh_student_towards_the_teacher(tiny_model, tokenizer, toy_rows):
    """With alpha 0 the student sees no label, only the teacher's outputs: the gap must close."""
    fast = {"batch_size": 8, "learning_rate": 3e-3, "head_learning_rate": 3e-3, "patience": 5}
    train(tiny_model, tokenizer, toy_rows, toy_rows, TrainingConfig(max_steps=120, eval_every=40, **fast))
    student = build_tiny_model(tiny_model.labels, vocab_size=len(tokenizer), seed=1)  # knows nothing yet
    batch = Collator(tokenizer, tiny_model.labels, 32)(toy_rows)
    before = _soft_gap(tiny_model, student, batch)
    soft_only = distillation_loss(tiny_model, DistillationConfig(student_layers=1, alpha=0.0), 20.0)
    train(
        student, tokenizer, toy_rows, toy_rows, TrainingConfig(max_steps=60, eval_every=60, **fast), loss_fn=soft_only
    )
    after = _soft_gap(tiny_model, student, batch)
    assert after < 0.5 * before, (before, after)
