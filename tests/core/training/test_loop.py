"""The training loop: it learns, stops early, and resumes from its checkpoint."""

import pytest
import torch

from mtassist.evaluation import evaluate_model
from mtassist.inference import EmbeddedBy, TorchForward
from mtassist.model.multitask import build_tiny_model
from mtassist.training import loop
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
    assert result.stopped_early and result.steps == 6
    assert result.best_step == 6, "of equal scores, the latest weights are kept"


def test_the_latest_weights_near_the_top_score_are_kept(tiny_model, tokenizer, toy_rows, monkeypatch):
    scores = iter([0.5, 0.8, 0.79, 0.7, 0.75])  # validations at steps 2, 4, 6, 8, (10)
    monkeypatch.setattr(loop, "evaluate_model", lambda *args, **kwargs: {"score": next(scores)})
    config = TrainingConfig(max_steps=10, batch_size=4, eval_every=2, patience=2, selection_tolerance=0.02)
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    assert result.stopped_early and result.steps == 8, "two validations below the top of 0.8: stop"
    assert (result.best_step, result.best_score) == (6, 0.79), "0.79 is within 0.02 of the top, and later"


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


def test_without_validation_rows_every_step_trains_and_the_last_weights_stay(
    tiny_model, tokenizer, toy_rows, monkeypatch, tmp_path
):
    def never(*args, **kwargs):
        raise AssertionError("nothing to validate on")

    monkeypatch.setattr(loop, "evaluate_model", never)
    config = TrainingConfig(max_steps=6, batch_size=4, eval_every=2, patience=1)
    result = train(tiny_model, tokenizer, toy_rows, [], config, checkpoint_dir=tmp_path)
    assert (result.steps, result.best_step, result.history, result.stopped_early) == (6, 6, [], False)
    saved = torch.load(tmp_path / CHECKPOINT_FILE, weights_only=False)
    assert saved["state"]["step"] == 6 and saved["best_weights"] is None, "resumable, and no weights chosen"
    for name, value in tiny_model.state_dict().items():
        assert torch.equal(value, saved["model"][name].cpu()), f"{name}: not the last step's weights"


def _fresh_model(label_space, tokenizer):
    from mtassist.model.multitask import build_tiny_model

    return build_tiny_model(label_space, vocab_size=len(tokenizer), seed=5)


def test_two_runs_with_the_same_seed_give_the_same_weights_and_metrics(label_space, tokenizer, toy_rows):
    config = TrainingConfig(max_steps=12, batch_size=4, eval_every=6, threads=2)
    first, second = _fresh_model(label_space, tokenizer), _fresh_model(label_space, tokenizer)
    a = train(first, tokenizer, toy_rows, toy_rows, config)
    b = train(second, tokenizer, toy_rows, toy_rows, config)
    assert a.history == b.history
    assert all(torch.equal(x, y) for x, y in zip(first.state_dict().values(), second.state_dict().values()))


class _Interrupted(Exception):
    pass


def _snapshot_at(step: int, model, into: dict, interrupt: bool = False):
    """An on_eval hook that keeps the weights at `step` (and then stops the run, if asked)."""

    def on_eval(current: int, metrics: dict) -> None:
        if current == step:
            into[step] = {name: value.detach().clone() for name, value in model.state_dict().items()}
            if interrupt:
                raise _Interrupted

    return on_eval


def test_a_resumed_run_ends_as_the_uninterrupted_run(label_space, tokenizer, toy_rows, tmp_path):
    config = TrainingConfig(max_steps=8, batch_size=4, eval_every=2, patience=10, threads=2)
    straight, weights = _fresh_model(label_space, tokenizer), {}
    expected = train(straight, tokenizer, toy_rows, toy_rows, config, on_eval=_snapshot_at(8, straight, weights))
    first = _fresh_model(label_space, tokenizer)
    with pytest.raises(_Interrupted):
        train(first, tokenizer, toy_rows, toy_rows, config, checkpoint_dir=tmp_path,
              on_eval=_snapshot_at(4, first, {}, interrupt=True))  # fmt: skip
    resumed, resumed_weights = _fresh_model(label_space, tokenizer), {}
    result = train(resumed, tokenizer, toy_rows, toy_rows, config, checkpoint_dir=tmp_path,
                   on_eval=_snapshot_at(8, resumed, resumed_weights))  # fmt: skip
    assert [h["step"] for h in result.history] == [2, 4, 6, 8]
    assert result.history == expected.history
    assert all(torch.equal(weights[8][name], resumed_weights[8][name]) for name in weights[8])


def test_the_best_step_can_be_chosen_by_one_heads_metric(tiny_model, tokenizer, toy_rows):
    config = TrainingConfig(max_steps=12, batch_size=4, eval_every=3, patience=10)
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, config, selection_metric="sentiment_macro_f1")
    top = max(h["sentiment_macro_f1"] for h in result.history)
    kept = [h for h in result.history if h["sentiment_macro_f1"] >= top - config.selection_tolerance][-1]
    assert result.best_score == kept["sentiment_macro_f1"] and result.best_step == kept["step"]


def test_validation_ranks_the_replies_its_reply_source_embeds(tiny_model, label_space, tokenizer, toy_rows):
    """A student served with the teacher's reply bank is validated against that bank."""
    teacher_replies = EmbeddedBy(TorchForward(build_tiny_model(label_space, vocab_size=len(tokenizer), seed=1)))
    frozen = TrainingConfig(max_steps=2, batch_size=4, learning_rate=0.0, head_learning_rate=0.0, eval_every=2)
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, frozen, replies=teacher_replies)
    served = evaluate_model(TorchForward(tiny_model, teacher_replies), tokenizer, toy_rows, frozen.max_length)
    own = evaluate_model(tiny_model, tokenizer, toy_rows, frozen.max_length)
    assert result.history[0]["response_mrr"] == pytest.approx(served["response_mrr"])
    assert served["response_mrr"] != pytest.approx(own["response_mrr"])
