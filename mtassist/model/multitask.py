"""The multi-task model: one shared transformer encoder, five small heads.

Hard parameter sharing: the encoder's token states feed the `slots` head; their masked mean
feeds the sentence-level heads (`route`, `intent`, `sentiment`) and, through a projection
initialised to the identity, the L2-normalised `sentence_embedding` of the `response` head.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel

from mtassist.contracts import MODEL_ENCODER_DIR, MODEL_HEADS_FILE, MODEL_LABELS_FILE, ONNX_OUTPUTS
from mtassist.labels import LabelSpace
from mtassist.model.layers import choose_layers


@dataclass
class MultiTaskOutput:
    """Every head's output; field names are the ONNX output names."""

    route_logits: torch.Tensor  # (B, n_route)
    intent_logits: torch.Tensor  # (B, n_intent)
    slot_logits: torch.Tensor  # (B, T, n_slot_tags)
    sentiment_logits: torch.Tensor  # (B, n_sentiment)
    sentence_embedding: torch.Tensor  # (B, H), unit length
    hidden_states: torch.Tensor  # (B, T, H), the encoder's last layer

    def as_onnx_tuple(self) -> tuple[torch.Tensor, ...]:
        return tuple(getattr(self, name) for name in ONNX_OUTPUTS)


class ClassificationHead(nn.Module):
    """Dropout and a linear layer, as in BERT's task heads."""

    def __init__(self, hidden: int, n_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden, n_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(features))


class EmbeddingHead(nn.Module):
    """A projection initialised to the identity, then L2 normalisation."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.projection = nn.Linear(hidden, hidden)
        with torch.no_grad():
            self.projection.weight.copy_(torch.eye(hidden))
            self.projection.bias.zero_()

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projection(pooled), dim=-1)


class MultiTaskHeads(nn.Module):
    def __init__(self, hidden: int, labels: LabelSpace, dropout: float) -> None:
        super().__init__()
        self.route = ClassificationHead(hidden, len(labels.route), dropout)
        self.intent = ClassificationHead(hidden, len(labels.intent), dropout)
        self.slots = ClassificationHead(hidden, len(labels.slot_tags), dropout)
        self.sentiment = ClassificationHead(hidden, len(labels.sentiment), dropout)
        self.response = EmbeddingHead(hidden)


def mean_pool(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(states.dtype)  # (B, T, 1)
    return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-6)  # (B, H)


class MultiTaskModel(nn.Module):
    def __init__(self, encoder: PreTrainedModel, labels: LabelSpace, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.labels = labels
        self.heads = MultiTaskHeads(encoder.config.hidden_size, labels, dropout)

    @property
    def num_layers(self) -> int:
        return self.encoder.config.num_hidden_layers

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> MultiTaskOutput:
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state  # (B, T, H)
        pooled = mean_pool(states, attention_mask)  # (B, H)
        return MultiTaskOutput(
            route_logits=self.heads.route(pooled),
            intent_logits=self.heads.intent(pooled),
            slot_logits=self.heads.slots(states),
            sentiment_logits=self.heads.sentiment(pooled),
            sentence_embedding=self.heads.response(pooled),
            hidden_states=states,
        )

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(directory / MODEL_ENCODER_DIR)
        torch.save(self.heads.state_dict(), directory / MODEL_HEADS_FILE)
        self.labels.save(directory / MODEL_LABELS_FILE)

    @classmethod
    def load(cls, directory: Path) -> MultiTaskModel:
        directory = Path(directory)
        model = build_model(str(directory / MODEL_ENCODER_DIR), LabelSpace.load(directory / MODEL_LABELS_FILE))
        model.heads.load_state_dict(torch.load(directory / MODEL_HEADS_FILE, weights_only=True))
        return model.eval()


def build_model(
    encoder_source: str, labels: LabelSpace, dropout: float = 0.1, freeze_word_embeddings: bool = True
) -> MultiTaskModel:
    """A multi-task model on a pretrained encoder (a local model directory or a hub id).

    Frozen word embeddings keep the pretrained vocabulary intact for words the training data
    lacks and spare the optimizer its largest matrix (a third of MiniLM's weights).
    """
    config = AutoConfig.from_pretrained(encoder_source)
    encoder = AutoModel.from_pretrained(encoder_source, config=config, attn_implementation="sdpa")
    encoder.get_input_embeddings().weight.requires_grad_(not freeze_word_embeddings)
    return MultiTaskModel(encoder, labels, dropout)


def build_tiny_model(labels: LabelSpace, vocab_size: int, seed: int = 0, hidden_size: int = 32) -> MultiTaskModel:
    """A randomly initialised 2-layer BERT (hidden 32 unless said, 4 heads) for fast tests."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=128,
    )
    return MultiTaskModel(BertModel(config, add_pooling_layer=False), labels)


def student_from_teacher(teacher: MultiTaskModel, layers: str | int) -> MultiTaskModel:
    """A copy of the teacher that keeps some of its encoder layers, and all its heads: a count of
    evenly spread ones, or the ones named ("0,5"; `mtassist.model.layers`)."""
    keep = choose_layers(str(layers), teacher.num_layers)
    student = copy.deepcopy(teacher)
    encoder_layers = student.encoder.encoder.layer
    student.encoder.encoder.layer = nn.ModuleList([encoder_layers[i] for i in keep])
    student.encoder.config.num_hidden_layers = len(keep)
    return student
