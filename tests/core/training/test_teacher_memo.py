import pytest
import torch

from mtassist.contracts import ONNX_OUTPUTS
from mtassist.model.multitask import student_from_teacher
from mtassist.training.batches import Collator
from mtassist.training.config import DistillationConfig
from mtassist.training.distillation import DistillationLoss
from mtassist.training.teacher_memo import TeacherMemo


@pytest.fixture
def teacher(tiny_model):
    return tiny_model.eval()


def _batch(tokenizer, teacher, rows):
    return Collator(tokenizer, teacher.labels, 32)(rows)


def _rows_read(teacher) -> list[int]:
    """Counts the rows of every forward pass of `teacher` into the returned list."""
    read = []
    teacher.register_forward_hook(
        lambda _module, _args, kwargs, _out: read.append(len(kwargs["input_ids"])), with_kwargs=True
    )
    return read


def test_the_memo_answers_as_the_teacher_does(teacher, tokenizer, toy_rows):
    batch = _batch(tokenizer, teacher, toy_rows[:12])
    mask = batch.inputs["attention_mask"].bool()
    with torch.no_grad():
        live = teacher(**batch.inputs)
    memo = TeacherMemo(teacher)
    for answer in (memo(batch.inputs), memo(batch.inputs)):  # read, then remembered
        for name in ONNX_OUTPUTS:
            expected, got = getattr(live, name), getattr(answer, name)
            assert got.shape == expected.shape, name
            if got.dim() == 3:
                expected, got = expected[mask], got[mask]
            torch.testing.assert_close(got, expected, rtol=2e-3, atol=2e-3, msg=name)


def test_each_distinct_row_is_read_once_whatever_its_batch_and_padding(teacher, tokenizer, toy_rows):
    read = _rows_read(teacher)
    memo = TeacherMemo(teacher)
    short = sorted(toy_rows, key=lambda row: len(row["text"]))[:4]
    longest = max(toy_rows, key=lambda row: len(row["text"]))
    first = memo(_batch(tokenizer, teacher, short + short).inputs)  # each row twice in one batch
    assert read == [4] and memo.teacher_rows == 4 and len(memo) == 4

    padded = _batch(tokenizer, teacher, [*short, longest])  # the same rows, padded wider
    again = memo(padded.inputs)
    assert read == [4, 1] and memo.teacher_rows == 5
    width = first.hidden_states.shape[1]
    assert again.hidden_states.shape[1] > width
    assert torch.equal(again.route_logits[:4], first.route_logits[:4])
    assert torch.equal(again.hidden_states[:4, :width], first.hidden_states[:4])
    assert not again.hidden_states[:4, width:].any()


def test_a_memoised_teacher_gives_the_losses_of_a_live_one(teacher, tokenizer, toy_rows):
    student = student_from_teacher(teacher, 1).eval()
    with_reply = [row for row in toy_rows if row["response"]][:4]
    batch = _batch(tokenizer, teacher, with_reply + [row for row in toy_rows if not row["response"]][:8])
    assert batch.response_inputs is not None
    memoised = DistillationLoss(teacher, student, DistillationConfig(), 20.0)
    live = DistillationLoss(teacher, student, DistillationConfig(memoize_teacher=False), 20.0)
    expected = live(student, batch)
    for _ in range(2):
        got = memoised(student, batch)
        assert got.keys() == expected.keys()
        for name in expected:
            torch.testing.assert_close(got[name], expected[name], rtol=1e-3, atol=1e-4, msg=name)
    assert live.memo is None and len(memoised.memo) == batch.size + len(with_reply)
