"""How the loss terms of one batch become the one number the optimizer minimises.

- `static`: the sum of each term times its `TrainingConfig.task_weights` entry (1 when absent);
- `uncertainty`: Kendall, Gal and Cipolla (2018): each head's term is scaled by exp(-s) and s is
  added, with s = log(sigma^2) learned per head, so a head whose loss stays high is weighed down
  and one that is learned is weighed up, without hand-set weights. Terms that are not a head's
  (distillation terms, the reply anchor) keep their static weight;
- `pcgrad`: the static terms, with the heads' gradients on the shared encoder projected where
  they conflict (`training.gradient_surgery`): the loop calls its backward pass.

A static weight moves the balance between terms of the same batch: route, intent and slots on
command rows, a head's hard and distilled terms, replies and their anchor. It does little for a
term alone in its batch (the teacher's sentiment): the loop clips each batch's gradient to norm 1 and
AdamW normalises each parameter's steps, so a scaled term gives the same update. A teacher with
sentiment weighted 2 scored every head as the default did, to 4 decimals (dataset 74f05a5d6fc4);
`TrainingConfig.task_sampling` is what gives such a head more of the training.
"""

from __future__ import annotations

import torch
from torch import nn

from mtassist.contracts import TASKS
from mtassist.training.config import LOSS_WEIGHTINGS


class LossWeighting(nn.Module):
    """Combines a batch's loss terms into their total; `uncertainty` learns one scale per head."""

    def __init__(self, method: str, static_weights: dict[str, float] | None = None) -> None:
        super().__init__()
        if method not in LOSS_WEIGHTINGS:
            raise ValueError(f"unknown loss weighting {method!r}: choose from {', '.join(LOSS_WEIGHTINGS)}")
        self.method = method
        self.static_weights = dict(static_weights or {})
        learned = TASKS if method == "uncertainty" else ()
        self.log_variances = nn.ParameterDict({task: nn.Parameter(torch.zeros(())) for task in learned})

    def forward(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        total = torch.zeros((), device=next(iter(losses.values())).device)
        for value in self.terms(losses).values():
            total = total + value
        return total

    def terms(self, losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each term as it enters the total: weighted, and scaled where a scale is learned."""
        weighted = {}
        for name, value in losses.items():
            value = self.static_weights.get(name, 1.0) * value
            if name in self.log_variances:
                log_variance = self.log_variances[name]
                value = torch.exp(-log_variance) * value + log_variance
            weighted[name] = value
        return weighted

    def learned_weights(self) -> dict[str, float]:
        """exp(-s) per head: the weight each head's loss has now (empty for `static`)."""
        return {task: float(torch.exp(-s.detach())) for task, s in self.log_variances.items()}
