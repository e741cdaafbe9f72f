import pytest
import torch

from mtassist.model.multitask import build_tiny_model, student_from_teacher
from mtassist.training.batches import Collator
from mtassist.training.config import DistillationConfig, TrainingConfig
from mtassist.training.distillation import DistillationLoss, soft_kl, teacher_reply_bank
from mtassist.training.loop import train

FAST = {"batch_size": 8, "learning_rate": 3e-3, "head_learning_rate": 3e-3, "patience": 5}


def test_soft_kl_is_zero_for_equal_logits_and_positive_otherwise():
    logits = torch.randn(4, 5)
    assert soft_kl(logits, logits, 2.0).item() < 1e-6
    assert soft_kl(logits, logits.flip(-1), 2.0).item() > 0.01


def _reply_batch(tokenizer, model, toy_rows):
    """A batch with replies in it, whatever order the toy rows come in."""
    with_reply = [row for row in toy_rows if row["response"]][:4]
    others = [row for row in toy_rows if not row["response"]][:8]
    return Collator(tokenizer, model.labels, 32)(with_reply + others)


def test_distillation_loss_has_hard_and_soft_terms_for_every_head(tiny_model, tokenizer, toy_rows):
    student = student_from_teacher(tiny_model, 1)
    batch = _reply_batch(tokenizer, tiny_model, toy_rows)
    losses = DistillationLoss(tiny_model, student, DistillationConfig(relation_weight=1.0), 20.0)(student, batch)
    assert {"route", "intent", "slots", "response"} <= set(losses)
    soft = {"kd_route", "kd_intent", "kd_sentiment", "kd_slots", "kd_hidden", "kd_embedding"}
    assert soft | {"kd_attention", "kd_reply_ranking"} <= set(losses)
    assert all(torch.isfinite(value) for value in losses.values())
    assert losses["kd_attention"] > 0 and losses["kd_reply_ranking"] > 0


def test_a_student_equal_to_its_teacher_has_no_soft_loss(tiny_model, tokenizer, toy_rows):
    tiny_model.eval()
    student = student_from_teacher(tiny_model, 2).eval()
    batch = _reply_batch(tokenizer, tiny_model, toy_rows)
    losses = DistillationLoss(tiny_model, student, DistillationConfig(relation_weight=1.0), 20.0)(student, batch)
    for name in ("kd_route", "kd_slots", "kd_hidden", "kd_attention", "kd_reply_ranking"):
        assert losses[name].item() < 1e-5, name


def test_terms_with_zero_weight_are_left_out(tiny_model, tokenizer, toy_rows):
    student = student_from_teacher(tiny_model, 1)
    config = DistillationConfig(relation_weight=0.0, reply_relation_weight=0.0)
    losses = DistillationLoss(tiny_model, student, config, 20.0)(student, _reply_batch(tokenizer, tiny_model, toy_rows))
    assert "kd_attention" not in losses and "kd_reply_ranking" not in losses


def test_with_teacher_replies_the_student_ranks_the_teacher_s_reply_embeddings(tiny_model, tokenizer, toy_rows):
    """The student is served against a bank the teacher embedded: its messages learn to rank those
    embeddings, and the replies take no student pass."""
    tiny_model.eval()
    student = student_from_teacher(tiny_model, 1).eval()  # no dropout: the loss is recomputed below
    batch = _reply_batch(tokenizer, tiny_model, toy_rows)
    passes = []
    student.register_forward_hook(lambda *_: passes.append(1))
    config = DistillationConfig(alpha=1.0)
    losses = DistillationLoss(tiny_model, student, config, 20.0)(student, batch)
    assert len(passes) == 1
    with torch.no_grad():
        queries = student(**batch.inputs).sentence_embedding[batch.response_rows]
        replies = tiny_model(**batch.response_inputs).sentence_embedding
        expected = torch.nn.functional.cross_entropy(20.0 * queries @ replies.T, torch.arange(len(queries)))
    assert losses["response"].item() == pytest.approx(expected.item(), rel=1e-4)

    passes.clear()
    DistillationLoss(tiny_model, student, DistillationConfig(teacher_replies=False), 20.0)(student, batch)
    assert len(passes) == 2


def test_a_narrower_student_cannot_rank_the_teacher_s_replies(tiny_model, tokenizer):
    student = build_tiny_model(tiny_model.labels, len(tokenizer), seed=1, hidden_size=16)
    with pytest.raises(ValueError, match="teacher_replies=False"):
        DistillationLoss(tiny_model, student, DistillationConfig(), 20.0)


def _soft_gap(teacher, student, batch) -> float:
    """KL(teacher || student) summed over the sentence-level heads, on one batch."""
    with torch.no_grad():
        target, output = teacher(**batch.inputs), student(**batch.inputs)
    heads = ("route_logits", "intent_logits", "sentiment_logits")
    return sum(soft_kl(getattr(output, head), getattr(target, head), 1.0).item() for head in heads)


@pytest.fixture(scope="module")
def trained_teacher(label_space, tokenizer, toy_rows):
    teacher = build_tiny_model(label_space, vocab_size=len(tokenizer))
    train(teacher, tokenizer, toy_rows, toy_rows, TrainingConfig(max_steps=120, eval_every=40, **FAST))
    return teacher


@pytest.mark.parametrize("student_width", [32, 16])
def test_distillation_alone_pulls_a_fresh_student_towards_the_teacher(
    trained_teacher, tokenizer, toy_rows, student_width
):
    """With alpha 0 the student sees no label, only the teacher's outputs: the gap must close,
    also for a narrower student, whose hidden states reach the teacher's through a projection."""
    student = build_tiny_model(trained_teacher.labels, len(tokenizer), seed=1, hidden_size=student_width)
    batch = Collator(tokenizer, trained_teacher.labels, 32)(toy_rows)
    before = _soft_gap(trained_teacher, student, batch)
    config = DistillationConfig(alpha=0.0, teacher_replies=student_width == 32)
    soft_only = DistillationLoss(trained_teacher, student, config, 20.0)
    projection_before = [p.detach().clone() for p in soft_only.parameters()]
    train(student, tokenizer, toy_rows, toy_rows, TrainingConfig(max_steps=60, eval_every=60, **FAST), soft_only)
    after = _soft_gap(trained_teacher, student, batch)
    assert after < 0.5 * before, (before, after)
    assert len(projection_before) == (0 if student_width == 32 else 2)
    assert all(not torch.equal(old, new) for old, new in zip(projection_before, soft_only.parameters(), strict=True))


def test_every_message_ranks_the_teacher_s_reply_bank_as_the_teacher_does(tiny_model, tokenizer, toy_rows):
    tiny_model.eval()
    bank = teacher_reply_bank(tiny_model, tokenizer, toy_rows, 32)
    replies = {row["response"] for row in toy_rows if row["response"] is not None}
    assert bank.shape == (len(replies), 32)
    torch.testing.assert_close(bank.norm(dim=-1), torch.ones(len(replies)))
    batch = Collator(tokenizer, tiny_model.labels, 32)(toy_rows[:8])  # commands: no reply in the batch

    twin = student_from_teacher(tiny_model, 2).eval()
    assert DistillationLoss(tiny_model, twin, DistillationConfig(), 20.0, bank)(twin, batch)["kd_bank_ranking"] < 1e-5

    student = build_tiny_model(tiny_model.labels, len(tokenizer), seed=1).eval()
    losses = DistillationLoss(tiny_model, student, DistillationConfig(alpha=0.0), 20.0, bank)(student, batch)
    with torch.no_grad():
        scores = [20.0 * model(**batch.inputs).sentence_embedding @ bank.T for model in (student, tiny_model)]
    assert losses["kd_bank_ranking"].item() == pytest.approx(soft_kl(*scores, 1.0).item(), rel=1e-3)
    assert losses["kd_bank_ranking"] > 1e-3

    for left_out in (
        DistillationLoss(tiny_model, student, DistillationConfig(), 20.0),
        DistillationLoss(tiny_model, student, DistillationConfig(bank_ranking_weight=0.0), 20.0, bank),
    ):
        assert "kd_bank_ranking" not in left_out(student, batch)
