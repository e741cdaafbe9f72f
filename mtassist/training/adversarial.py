"""FGM: adversarial training on the word embeddings (Miyato, Dai and Goodfellow, 2017).

Each step also trains on its batch with every utterance's word embeddings moved by `epsilon` in
the direction that raises the batch's loss most, to first order: r = epsilon * g / ||g||, where g
is the gradient of the loss with respect to that utterance's embedding lookup (its tokens'
vectors, one L2 norm per utterance). The adversarial loss's gradients add to the clean ones
before the optimizer steps, so the model learns to answer alike for nearby inputs.

The word embeddings are frozen (`model.multitask.build_model`), so the perturbation moves the
lookup's output, not the embedding weights; the clean backward pass gives g at no extra cost. A
step costs one more forward and backward pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

_TINY = 1e-12


class EmbeddingAdversary:
    """Records a model's word-embedding lookups on the clean pass and perturbs them on the next.

    Within `recording()`, every lookup of the model's input embeddings is kept (as many as the
    loss function calls the model); after the clean backward pass, `perturbed()` replays the
    same calls in the same order with each lookup moved by epsilon along its gradient. Outside
    either, the model is untouched (validation, inference).
    """

    def __init__(self, model: nn.Module, epsilon: float) -> None:
        if epsilon <= 0:
            raise ValueError(f"the adversarial epsilon must be positive (0 turns FGM off), not {epsilon}")
        self.epsilon = epsilon
        self._lookups: list[torch.Tensor] = []
        self._gradients: list[torch.Tensor | None] | None = None
        self._perturbations: list[torch.Tensor] | None = None
        self._recording = False
        self._hook = model.encoder.get_input_embeddings().register_forward_hook(self._on_lookup)

    def close(self) -> None:
        """Remove the hook from the model."""
        self._hook.remove()

    @contextmanager
    def recording(self) -> Iterator[None]:
        """The clean pass: each lookup becomes a tensor whose gradient the backward pass keeps."""
        self._lookups, self._gradients, self._recording = [], None, True
        try:
            yield
        finally:
            self._recording = False

    def keep_gradients(self, loss: torch.Tensor) -> None:
        """Take the lookups' gradients of `loss` now, for a backward pass that does not leave them
        in `.grad` (the `pcgrad` weighting's); costs one more backward pass."""
        gradients = torch.autograd.grad(loss, self._lookups, retain_graph=True, allow_unused=True)
        self._gradients = list(gradients)

    @contextmanager
    def perturbed(self) -> Iterator[None]:
        """The adversarial pass: the recorded calls again, each lookup moved by its perturbation.

        Raises:
            RuntimeError: outside the order recording, backward, perturbed.
        """
        if not self._lookups:
            raise RuntimeError("no embedding lookup was recorded: run the clean pass under recording() first")
        gradients = self._gradients or [lookup.grad for lookup in self._lookups]
        self._perturbations = [self.perturbation(lookup, g) for lookup, g in zip(self._lookups, gradients)]
        try:
            yield
        finally:
            self._perturbations, self._lookups, self._gradients = None, [], None

    def perturbation(self, lookup: torch.Tensor, gradient: torch.Tensor | None) -> torch.Tensor:
        """epsilon * g / ||g|| per utterance, for a lookup (B, T, H) and its gradient g (None:
        the loss did not reach it, no perturbation)."""
        if gradient is None:
            return torch.zeros_like(lookup, requires_grad=False)
        gradient = gradient.detach().float()
        norms = gradient.flatten(1).norm(dim=1).clamp_min(_TINY).view(-1, *([1] * (gradient.dim() - 1)))
        return (self.epsilon * gradient / norms).to(lookup.dtype)

    def _on_lookup(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor | None:
        if self._recording:
            if output.requires_grad:  # trainable word embeddings: keep their own gradient path
                output.retain_grad()
            else:
                output = output.detach().requires_grad_(True)
            self._lookups.append(output)
            return output
        if self._perturbations is not None:
            if not self._perturbations:
                raise RuntimeError("the adversarial pass called the model more often than the clean pass")
            return output + self._perturbations.pop(0)
        return None
