"""Distilling the teacher into a student with fewer layers, on every head at once.

The student's loss is `alpha` times the hard-label multi-task loss plus `1 - alpha` times the
soft losses:
- temperature-scaled KL divergence on every classification head (slots per token);
- MSE between the last hidden states, through a learned projection where the widths differ;
- MiniLMv2 self-attention relations of the last layers (`mtassist.training.relations`);
- on the reply embedding, the cosine distance to the teacher's (through the same projection), and two
  relational terms: the student ranks a batch's replies for each message as the teacher does (KL
  between the two softened score distributions), and, given the teacher's embeddings of every
  training reply (`reply_bank`), every message ranks that whole bank as the teacher does.

The student is served against a reply bank the teacher embedded (`mtassist.inference.REPLIES_FROM`),
so with `teacher_replies` (the default) its messages learn to rank the teacher's reply embeddings,
in the hard contrastive term and in the relational one, and the replies need no student pass.

The teacher's outputs are memoised per distinct input (`mtassist.training.teacher_memo`), except
its attention where relations are on: those batches run the teacher.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedTokenizerBase

from mtassist.inference import EmbeddedBy, TorchForward
from mtassist.model.multitask import MultiTaskModel, MultiTaskOutput
from mtassist.training.batches import Batch
from mtassist.training.config import DistillationConfig
from mtassist.training.loop import multitask_loss
from mtassist.training.relations import AttentionCapture, relation_heads_for, relation_loss
from mtassist.training.teacher_memo import TeacherMemo


def soft_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on temperature-softened distributions, scaled by T^2."""
    student = F.log_softmax(student_logits.float() / temperature, dim=-1)
    teacher = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    return F.kl_div(student, teacher, log_target=True, reduction="batchmean") * temperature**2


def teacher_reply_bank(
    teacher: MultiTaskModel, tokenizer: PreTrainedTokenizerBase, rows: Sequence[dict], max_length: int
) -> torch.Tensor:
    """The teacher's embeddings of the distinct replies in `rows`, (N, H), for `DistillationLoss`."""
    texts = sorted({row["response"] for row in rows if row["response"] is not None})
    return torch.from_numpy(EmbeddedBy(TorchForward(teacher)).embed_replies(texts, tokenizer, max_length))


class DistillationLoss(nn.Module):
    """The student's loss against `teacher`, which follows the batches to their device.

    A module, so that the training loop optimizes (and checkpoints) the hidden-state projection
    along with the student. The teacher is held outside the module's parameters: never trained.
    """

    def __init__(
        self,
        teacher: MultiTaskModel,
        student: MultiTaskModel,
        config: DistillationConfig,
        response_scale: float,
        reply_bank: torch.Tensor | None = None,
    ) -> None:
        """`reply_bank`: the teacher's embeddings of the training replies, (N, H), for the
        "kd_bank_ranking" term; None leaves that term out."""
        super().__init__()
        self.config = config
        self.response_scale = response_scale
        self.register_buffer("reply_bank", reply_bank, persistent=False)
        self._teacher = (teacher.eval(),)
        widths = (student.encoder.config.hidden_size, teacher.encoder.config.hidden_size)
        if config.teacher_replies and widths[0] != widths[1]:
            raise ValueError(
                f"a student {widths[0]} wide cannot rank the teacher's {widths[1]}-wide reply embeddings:"
                " distil with teacher_replies=False, or a student as wide as the teacher"
            )
        self.projection = nn.Identity() if widths[0] == widths[1] else nn.Linear(*widths)
        self._relations = None
        if config.relation_weight:
            self._relations = (AttentionCapture(teacher), AttentionCapture(student))
            self.relation_heads = config.relation_heads or relation_heads_for(
                widths, teacher.encoder.config.num_attention_heads
            )
        self.memo = TeacherMemo(teacher) if config.memoize_teacher else None

    @property
    def teacher(self) -> MultiTaskModel:
        return self._teacher[0]

    def forward(self, student: MultiTaskModel, batch: Batch) -> dict[str, torch.Tensor]:
        config = self.config
        device = batch.inputs["input_ids"].device
        if next(self.teacher.parameters()).device != device:
            self.teacher.to(device)
        teacher_capture, student_capture = self._relations or (None, None)
        if teacher_capture is None:
            target = self._teacher_output(batch.inputs)
        else:
            with torch.no_grad(), teacher_capture:
                target = self.teacher(**batch.inputs)
        with student_capture or nullcontext():
            output = student(**batch.inputs)
        teacher_replies, replies = None, None
        if batch.response_inputs is not None:
            teacher_replies = self._teacher_output(batch.response_inputs).sentence_embedding
            replies = teacher_replies if config.teacher_replies else student(**batch.response_inputs).sentence_embedding
        hard = multitask_loss(output, batch, student, self.response_scale, replies)
        mask = batch.inputs["attention_mask"].bool()  # (B, T)
        hidden = self.projection(output.hidden_states[mask].float())
        embedding = self.projection(output.sentence_embedding.float())
        soft = {
            "kd_route": soft_kl(output.route_logits, target.route_logits, config.temperature),
            "kd_intent": soft_kl(output.intent_logits, target.intent_logits, config.temperature),
            "kd_sentiment": soft_kl(output.sentiment_logits, target.sentiment_logits, config.temperature),
            "kd_slots": soft_kl(output.slot_logits[mask], target.slot_logits[mask], config.temperature),
            "kd_hidden": config.hidden_weight * F.mse_loss(hidden, target.hidden_states[mask].float()),
            "kd_embedding": config.embedding_weight
            * (1 - F.cosine_similarity(embedding, target.sentence_embedding.float())).mean(),
        }
        if self._relations:
            soft["kd_attention"] = config.relation_weight * relation_loss(
                student_capture.states, teacher_capture.states, batch.inputs["attention_mask"], self.relation_heads
            )
        if config.reply_relation_weight and replies is not None:
            soft["kd_reply_ranking"] = config.reply_relation_weight * self._reply_ranking(
                output, target, batch.response_rows, replies, teacher_replies
            )
        if config.bank_ranking_weight and self.reply_bank is not None:
            soft["kd_bank_ranking"] = config.bank_ranking_weight * soft_kl(
                self.response_scale * F.normalize(embedding, dim=-1) @ self.reply_bank.T,  # the student's, projected
                self.response_scale * target.sentence_embedding.float() @ self.reply_bank.T,
                config.bank_ranking_temperature,
            )
        return {
            **{name: config.alpha * value for name, value in hard.items()},
            **{name: (1 - config.alpha) * value for name, value in soft.items()},
        }

    def _teacher_output(self, inputs: dict[str, torch.Tensor]) -> MultiTaskOutput:
        if self.memo is not None:
            return self.memo(inputs)
        with torch.no_grad():
            return self.teacher(**inputs)

    def _reply_ranking(
        self,
        output: MultiTaskOutput,
        target: MultiTaskOutput,
        rows: torch.Tensor,
        student_replies: torch.Tensor,
        teacher_replies: torch.Tensor,
    ) -> torch.Tensor:
        """KL between the teacher's and the student's distributions over the batch's replies."""
        teacher_scores = self.response_scale * target.sentence_embedding[rows] @ teacher_replies.T  # (R, R)
        student_scores = self.response_scale * output.sentence_embedding[rows] @ student_replies.T  # (R, R)
        return soft_kl(student_scores, teacher_scores, self.config.temperature)
