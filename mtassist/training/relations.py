"""Self-attention relations (MiniLMv2): what a student's last layer learns from the teacher's.

For each of a layer's self-attention queries, keys and values, split into `heads` relation heads,
the relation is softmax(X X^T / sqrt(d)) over the tokens: one T x T distribution per head and
token. The student learns the teacher's relations by KL divergence (Wang et al., 2021, "MiniLMv2:
Multi-Head Self-Attention Relation Distillation"). The relation heads decouple the loss from the
number of attention heads and from the width, so a narrower student needs no projection here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mtassist.model.multitask import MultiTaskModel

RELATIONS = ("query", "key", "value")


def self_attention_projections(model: MultiTaskModel, layer: int = -1) -> dict[str, nn.Module]:
    """The query, key and value projections of one encoder layer (BERT, RoBERTa and kin).

    Raises:
        ValueError: when the layer has no modules named query, key and value.
    """
    found = {
        name.rsplit(".", 1)[-1]: module
        for name, module in model.encoder.encoder.layer[layer].named_modules()
        if name.rsplit(".", 1)[-1] in RELATIONS
    }
    if set(found) != set(RELATIONS):
        raise ValueError(
            f"encoder layer {layer} has no {'/'.join(RELATIONS)} projections (found {sorted(found)}): "
            "attention relations need a BERT-like encoder; set the relation weight to 0 for this one"
        )
    return found


class AttentionCapture:
    """Keeps the outputs of one layer's query, key and value projections while in a `with` block."""

    def __init__(self, model: MultiTaskModel, layer: int = -1) -> None:
        self.projections = self_attention_projections(model, layer)
        self.states: dict[str, torch.Tensor] = {}
        self._hooks: list[torch.utils.hooks.RemovableHandle] = []

    def __enter__(self) -> dict[str, torch.Tensor]:
        self.states.clear()
        for name, module in self.projections.items():
            self._hooks.append(module.register_forward_hook(self._keep(name)))
        return self.states

    def __exit__(self, *exc_info: object) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks.clear()

    def _keep(self, name: str):
        def hook(module: nn.Module, inputs: object, output: torch.Tensor) -> None:
            self.states[name] = output

        return hook


def relation_heads_for(widths: tuple[int, ...], attention_heads: int) -> int:
    """The most relation heads, up to `attention_heads`, that divide every width."""
    return next(heads for heads in range(attention_heads, 0, -1) if all(width % heads == 0 for width in widths))


def relation_log_probs(states: torch.Tensor, attention_mask: torch.Tensor, heads: int) -> torch.Tensor:
    """log softmax(X X^T / sqrt(d)) per relation head: (B, T, H) -> (B, heads, T, T), padding masked."""
    batch, tokens, width = states.shape
    if width % heads:
        raise ValueError(f"{heads} relation heads do not divide a width of {width}")
    split = states.float().view(batch, tokens, heads, width // heads).transpose(1, 2)  # (B, h, T, d)
    scores = split @ split.transpose(-1, -2) / math.sqrt(width // heads)  # (B, h, T, T)
    keys = attention_mask[:, None, None, :].bool()
    return F.log_softmax(scores.masked_fill(~keys, torch.finfo(scores.dtype).min), dim=-1)


def relation_loss(
    student: dict[str, torch.Tensor], teacher: dict[str, torch.Tensor], attention_mask: torch.Tensor, heads: int
) -> torch.Tensor:
    """KL(teacher || student) of the query-query, key-key and value-value relations, averaged over
    relation heads and real tokens."""
    rows = attention_mask.to(torch.float32)  # (B, T)
    total = torch.zeros((), device=attention_mask.device)
    for name in RELATIONS:
        target = relation_log_probs(teacher[name], attention_mask, heads)
        output = relation_log_probs(student[name], attention_mask, heads)
        kl = (target.exp() * (target - output)).sum(-1).mean(1)  # (B, T)
        total = total + (kl * rows).sum() / rows.sum().clamp(min=1)
    return total / len(RELATIONS)
