"""Loss weighting: static weights, and uncertainty weighting that learns one scale per head."""

import pytest
import torch

from mtassist.training.config import TrainingConfig
from mtassist.training.loop import train
from mtassist.training.weighting import LossWeighting

LOSSES = {"route": torch.tensor(0.5), "slots": torch.tensor(2.0), "kd_route": torch.tensor(1.0)}


def test_static_weighting_sums_each_term_times_its_weight():
    total = LossWeighting("static", {"slots": 3.0})(LOSSES)
    assert total.item() == pytest.approx(0.5 + 3.0 * 2.0 + 1.0)


def test_uncertainty_weighting_starts_as_the_plain_sum_and_weighs_down_a_high_loss():
    weighting = LossWeighting("uncertainty")
    total = weighting(LOSSES)
    assert total.item() == pytest.approx(3.5)
    total.backward()
    grads = {task: weighting.log_variances[task].grad.item() for task in ("route", "slots")}
    assert grads["route"] == pytest.approx(1 - 0.5) and grads["slots"] == pytest.approx(1 - 2.0)
    # gradient descent raises s (lowers the weight exp(-s)) where the loss is above 1
    assert "kd_route" not in weighting.log_variances


def test_an_unknown_weighting_names_the_choices():
    with pytest.raises(ValueError, match="choose from static, uncertainty, pcgrad"):
        LossWeighting("gradnorm")


def test_training_with_uncertainty_weighting_learns_and_reports_the_weights(tiny_model, tokenizer, toy_rows):
    config = TrainingConfig(max_steps=24, batch_size=8, eval_every=12, loss_weighting="uncertainty")
    result = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    weights = {k: v for k, v in result.history[-1].items() if k.startswith("loss_weight_")}
    assert set(weights) == {f"loss_weight_{t}" for t in ("route", "intent", "slots", "sentiment", "response")}
    assert any(abs(w - 1.0) > 0.01 for w in weights.values())
