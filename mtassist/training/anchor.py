"""Keeping the reply embedding near the pretrained encoder's while the other heads fine-tune it.

all-MiniLM-L6-v2 was trained on about a billion sentence pairs to put a message near its reply;
fine-tuning the shared encoder for routing, intents, slots and sentiment pulls its pooled states
away from that space, and the few thousand conversation pairs here cannot pull them back: the
fine-tuned teacher retrieved replies worse than the untuned encoder (docs/QUALITY.md). The anchor
adds `weight * (1 - cos(e, e0))` (weight 30 by default) on each batch drawn for the response task, where `e` is the
model's sentence embedding and `e0` the pretrained encoder's (a frozen copy taken before
training): the reply space stays where pretraining put it, and the contrastive loss refines it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mtassist.model.multitask import MultiTaskModel
from mtassist.training.batches import Batch


def frozen_copy(model: MultiTaskModel) -> MultiTaskModel:
    """A copy of the model as it is now, in eval mode, that no optimizer will touch."""
    reference = copy.deepcopy(model).eval()
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    return reference


@dataclass
class EmbeddingAnchor:
    """`weight * (1 - cos(e, e0))` against a frozen reference model's sentence embedding `e0`."""

    reference: MultiTaskModel
    weight: float

    def __call__(self, embedding: torch.Tensor, batch: Batch) -> torch.Tensor:
        device = embedding.device
        if next(self.reference.parameters()).device != device:
            self.reference.to(device)
        with torch.no_grad():
            target = self.reference(**batch.inputs).sentence_embedding  # (B, H)
        return self.weight * (1 - F.cosine_similarity(embedding.float(), target.float())).mean()
