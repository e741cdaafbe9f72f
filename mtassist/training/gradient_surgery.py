"""PCGrad, the `pcgrad` loss weighting: gradient surgery between the heads of one batch.

Yu et al. (2020), "Gradient Surgery for Multi-Task Learning". A batch of command rows trains
route, intent and slots at once through the shared encoder; where two heads' gradients on the
encoder point against each other (a negative dot product), each loses its component along the
other's before they are summed, so that one head's step does not undo another's. The heads' own
parameters, and the terms that are no head's (distillation terms, the reply anchor), keep their
plain gradients. A batch that trains one head only (rated sentences, replies) steps as `static`.

It costs one backward pass per head on the batches that train several (command rows fill about
half of the default teacher's): its 705 steps took 646 s on 2 cores, where `uncertainty` took 306 s
(docs/QUALITY.md, "Loss weighting").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from mtassist.contracts import TASKS

HEAD_PARAMETERS = "heads."
"""The prefix of the parameters that belong to one head each; every other parameter is shared."""
_TINY = 1e-20


def project_conflicting(gradients: Sequence[torch.Tensor]) -> torch.Tensor:
    """The sum of the flat `gradients`, each first projected onto the normal plane of every other
    one it conflicts with, the others taken in random order (`torch`'s generator, so seeded runs
    repeat)."""
    projected = []
    for i, gradient in enumerate(gradients):
        gradient = gradient.clone()
        for j in torch.randperm(len(gradients)).tolist():
            if j == i:
                continue
            other = gradients[j]
            dot = torch.dot(gradient, other)
            if dot < 0:
                gradient -= dot / other.pow(2).sum().clamp_min(_TINY) * other
        projected.append(gradient)
    return torch.stack(projected).sum(0)


def backward_with_surgery(
    model: nn.Module,
    terms: Mapping[str, torch.Tensor],
    scale: Callable[[torch.Tensor], torch.Tensor] = lambda loss: loss,
) -> None:
    """Accumulate the gradient of the sum of `terms` into `.grad`, with the heads' terms
    (`TASKS`) combined by `project_conflicting` on `model`'s shared parameters. `scale`: the loss
    scaling of mixed precision (`GradScaler.scale`)."""
    heads = [name for name in terms if name in TASKS]
    if len(heads) < 2:
        scale(sum(terms.values())).backward()
        return
    others = [value for name, value in terms.items() if name not in TASKS]
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    parameters = [p for _, p in named]
    shared = [i for i, (name, _) in enumerate(named) if not name.startswith(HEAD_PARAMETERS)]
    shared_set = set(shared)
    if others:
        scale(sum(others)).backward(retain_graph=True)
    per_head = [
        torch.autograd.grad(scale(terms[name]), parameters, retain_graph=True, allow_unused=True) for name in heads
    ]
    for i, parameter in enumerate(parameters):
        if i in shared_set:
            continue
        gradients = [grads[i] for grads in per_head if grads[i] is not None]
        if gradients:
            _accumulate(parameter, torch.stack(gradients).sum(0))
    flat = [
        torch.cat([(g[i] if g[i] is not None else torch.zeros_like(parameters[i])).reshape(-1) for i in shared])
        for g in per_head
    ]
    combined = project_conflicting(flat)
    offset = 0
    for i in shared:
        size = parameters[i].numel()
        _accumulate(parameters[i], combined[offset : offset + size].view_as(parameters[i]))
        offset += size


def _accumulate(parameter: nn.Parameter, gradient: torch.Tensor) -> None:
    parameter.grad = gradient.detach().clone() if parameter.grad is None else parameter.grad + gradient.detach()
