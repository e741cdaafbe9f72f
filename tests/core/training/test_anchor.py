"""The embedding anchor: zero at the start, only on reply batches, and it keeps the reply space."""

import torch

from mtassist.training.anchor import EmbeddingAnchor, frozen_copy
from mtassist.training.batches import Collator
from mtassist.training.config import TrainingConfig
from mtassist.training.loop import hard_label_loss, train


def _embeddings(model, batch):
    with torch.no_grad():
        return model.eval()(**batch.inputs).sentence_embedding


def test_a_frozen_copy_is_equal_in_eval_mode_and_trains_nothing(tiny_model):
    reference = frozen_copy(tiny_model)
    assert not reference.training and not any(p.requires_grad for p in reference.parameters())
    assert all(torch.equal(a, b) for a, b in zip(tiny_model.state_dict().values(), reference.state_dict().values()))


def test_the_anchor_is_zero_for_the_reference_itself_and_only_on_reply_batches(tiny_model, tokenizer, toy_rows):
    loss = hard_label_loss(20.0, EmbeddingAnchor(frozen_copy(tiny_model), weight=10.0))
    collate = Collator(tokenizer, tiny_model.labels, 32)
    replies = collate([row for row in toy_rows if row["response"]], task="response")
    commands = collate([row for row in toy_rows if row["route"] == "command"], task="intent")
    tiny_model.eval()
    assert loss(tiny_model, replies)["embedding_anchor"].item() < 1e-6
    assert "embedding_anchor" not in loss(tiny_model, commands)


def test_training_with_the_anchor_keeps_embeddings_nearer_the_pretrained_ones(label_space, tokenizer, toy_rows):
    from mtassist.model.multitask import build_tiny_model

    config = TrainingConfig(max_steps=80, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=80)
    batch = Collator(tokenizer, label_space, 32)(toy_rows)
    similarity = {}
    for weight in (0.0, 10.0):
        model = build_tiny_model(label_space, vocab_size=len(tokenizer), seed=3)
        reference = frozen_copy(model)
        anchor = EmbeddingAnchor(reference, weight) if weight else None
        train(model, tokenizer, toy_rows, toy_rows, config, loss_fn=hard_label_loss(20.0, anchor))
        cosine = torch.nn.functional.cosine_similarity(_embeddings(model, batch), _embeddings(reference, batch))
        similarity[weight] = cosine.mean().item()
    assert similarity[10.0] > similarity[0.0] + 0.05, similarity
