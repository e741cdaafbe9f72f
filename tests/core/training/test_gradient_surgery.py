"""PCGrad: conflicting head gradients are projected apart on the shared parameters only."""

import pytest
import torch
from torch import nn

from mtassist.training.config import TrainingConfig
from mtassist.training.gradient_surgery import backward_with_surgery, project_conflicting
from mtassist.training.loop import train


def test_conflicting_gradients_lose_their_components_along_each_other():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])
    # a.b = -1: a becomes a + b/2 = (0.5, 0.5), b becomes b + a = (0, 1)
    assert project_conflicting([a, b]).tolist() == pytest.approx([0.5, 1.5])
    assert torch.dot(a + 0.5 * b, b) == pytest.approx(0.0)


def test_gradients_that_agree_are_summed_unchanged():
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.0])
    assert project_conflicting([a, b]).tolist() == pytest.approx([1.5, 2.0])


class _TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(2, 2, bias=False)
        self.heads = nn.ModuleDict({"route": nn.Linear(2, 1, bias=False), "intent": nn.Linear(2, 1, bias=False)})


def _losses(model: _TwoHeads) -> dict[str, torch.Tensor]:
    hidden = model.shared(torch.tensor([[1.0, -1.0]]))
    return {
        "route": model.heads["route"](hidden).sum(),
        "intent": -2.0 * model.heads["intent"](hidden).sum(),
        "embedding_anchor": hidden.pow(2).sum(),
    }


def _plain_gradients(model: _TwoHeads, names: tuple[str, ...]) -> dict[str, torch.Tensor]:
    model.zero_grad()
    losses = _losses(model)
    sum(losses[name] for name in names).backward()
    return {name: p.grad.clone() if p.grad is not None else None for name, p in model.named_parameters()}


def test_surgery_changes_only_the_shared_parameters_where_heads_conflict():
    torch.manual_seed(0)
    model = _TwoHeads()
    with torch.no_grad():
        model.heads["route"].weight.copy_(torch.tensor([[1.0, 0.0]]))
        model.heads["intent"].weight.copy_(torch.tensor([[1.0, 0.0]]))  # the intent term pulls the other way
    plain = _plain_gradients(model, ("route", "intent", "embedding_anchor"))
    route, intent, anchor = (_plain_gradients(model, (name,)) for name in ("route", "intent", "embedding_anchor"))
    model.zero_grad()
    backward_with_surgery(model, _losses(model))
    surgery = {name: p.grad for name, p in model.named_parameters()}
    for head in ("heads.route.weight", "heads.intent.weight"):
        assert torch.allclose(surgery[head], plain[head])
    flat = [g["shared.weight"].reshape(-1) for g in (route, intent)]
    expected = project_conflicting(flat).view(2, 2) + anchor["shared.weight"]
    assert torch.dot(*flat) < 0, "the two heads conflict on the shared layer"
    assert torch.allclose(surgery["shared.weight"], expected)
    assert not torch.allclose(surgery["shared.weight"], plain["shared.weight"])


def test_a_batch_of_one_head_steps_as_the_plain_sum():
    model = _TwoHeads()
    plain = _plain_gradients(model, ("route", "embedding_anchor"))
    model.zero_grad()
    losses = _losses(model)
    backward_with_surgery(model, {"route": losses["route"], "embedding_anchor": losses["embedding_anchor"]})
    for name, parameter in model.named_parameters():
        if name != "heads.intent.weight":
            assert torch.allclose(parameter.grad, plain[name])


def test_training_with_pcgrad_learns_and_repeats_with_the_seed(tiny_model, tokenizer, toy_rows):
    config = TrainingConfig(max_steps=16, batch_size=8, eval_every=8, loss_weighting="pcgrad")
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    first = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    assert any(not torch.equal(before[k], v) for k, v in tiny_model.state_dict().items() if k.startswith("encoder."))
    tiny_model.load_state_dict(before)
    second = train(tiny_model, tokenizer, toy_rows, toy_rows, config)
    assert first.history == second.history
