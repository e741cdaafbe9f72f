import pytest
import torch

from mtassist.training.relations import AttentionCapture, relation_heads_for, relation_log_probs, relation_loss


def _states(seed: int, batch: int = 2, tokens: int = 5, width: int = 8) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {name: torch.randn(batch, tokens, width, generator=generator) for name in ("query", "key", "value")}


def test_relations_are_distributions_over_real_tokens_only():
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    probs = relation_log_probs(_states(0)["query"], mask, heads=2).exp()  # (B, h, T, T)
    assert probs.shape == (2, 2, 5, 5)
    assert torch.allclose(probs.sum(-1), torch.ones(2, 2, 5))
    assert probs[0, :, :, 3:].max() < 1e-6


def test_relation_loss_is_zero_for_equal_states_and_ignores_padding():
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    teacher = _states(0)
    assert relation_loss(teacher, teacher, mask, heads=2).item() < 1e-6
    student = _states(1)
    assert relation_loss(student, teacher, mask, heads=2).item() > 0.01
    padded_differently = {name: value.clone() for name, value in student.items()}
    for value in padded_differently.values():
        value[0, 3:] = 100.0
    assert torch.allclose(
        relation_loss(student, teacher, mask, heads=2), relation_loss(padded_differently, teacher, mask, heads=2)
    )


def test_relation_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="3 relation heads do not divide a width of 8"):
        relation_log_probs(torch.zeros(1, 2, 8), torch.ones(1, 2), heads=3)


def test_capture_keeps_the_last_layer_projections_and_removes_its_hooks(tiny_model, tokenizer):
    inputs = {k: torch.tensor(v) for k, v in tokenizer(["turn on the lights"], return_token_type_ids=True).items()}
    capture = AttentionCapture(tiny_model)
    with capture as states:
        tiny_model(**inputs)
    assert set(states) == {"query", "key", "value"}
    assert states["query"].shape == (1, inputs["input_ids"].shape[1], 32)
    states.clear()
    tiny_model(**inputs)
    assert states == {}


@pytest.mark.parametrize(
    ("widths", "attention_heads", "expected"),
    [((384, 384), 12, 12), ((32, 32), 4, 4), ((384, 312), 12, 12), ((384, 32), 12, 8), ((30, 30), 4, 3)],
)
def test_relation_heads_divide_both_widths(widths, attention_heads, expected):
    assert relation_heads_for(widths, attention_heads) == expected
