"""Distilling the teacher into a student with fewer layers, on every head at once.

The student's loss is `alpha` times the hard-label multi-task loss plus `1 - alpha` times the
soft losses: temperature-scaled KL divergence on every classification head (slots per token),
MSE between the last hidden states, and cosine distance between the sentence embeddings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mtassist.model.multitask import MultiTaskModel
from mtassist.training.batches import Batch
from mtassist.training.config import DistillationConfig
from mtassist.training.loop import LossFn, multitask_loss


def soft_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on temperature-softened distributions, scaled by T^2."""
    student = F.log_softmax(student_logits / temperature, dim=-1)
    teacher = F.log_softmax(teacher_logits / temperature, dim=-1)
    return F.kl_div(student, teacher, log_target=True, reduction="batchmean") * temperature**2


def distillation_loss(teacher: MultiTaskModel, config: DistillationConfig, response_scale: float) -> LossFn:
    """The student's loss against `teacher`, which follows the batches to their device."""
    teacher.eval()

    def loss(student: MultiTaskModel, batch: Batch) -> dict[str, torch.Tensor]:
        device = batch.inputs["input_ids"].device
        if next(teacher.parameters()).device != device:
            teacher.to(device)
        with torch.no_grad():
            target = teacher(**batch.inputs)
        output = student(**batch.inputs)
        hard = multitask_loss(output, batch, student, response_scale)
        mask = batch.inputs["attention_mask"].bool()  # (B, T)
        soft = {
            "kd_route": soft_kl(output.route_logits, target.route_logits, config.temperature),
            "kd_intent": soft_kl(output.intent_logits, target.intent_logits, config.temperature),
            "kd_sentiment": soft_kl(output.sentiment_logits, target.sentiment_logits, config.temperature),
            "kd_slots": soft_kl(output.slot_logits[mask], target.slot_logits[mask], config.temperature),
            "kd_hidden": config.hidden_weight * F.mse_loss(output.hidden_states[mask], target.hidden_states[mask]),
            "kd_embedding": config.embedding_weight
            * (1 - F.cosine_similarity(output.sentence_embedding, target.sentence_embedding)).mean(),
        }
        return {
            **{name: config.alpha * value for name, value in hard.items()},
            **{name: (1 - config.alpha) * value for name, value in soft.items()},
        }

    return loss
