"""FGM: each utterance's embedding lookup moves by epsilon along its loss gradient, and only then."""

import pytest
import torch

from mtassist.evaluation import evaluate_model
from mtassist.training.adversarial import EmbeddingAdversary
from mtassist.training.batches import Collator
from mtassist.training.config import TrainingConfig
from mtassist.training.loop import hard_label_loss, train


def _frozen(model):
    model.encoder.get_input_embeddings().weight.requires_grad_(False)
    return model


def _batch(model, tokenizer, rows):
    return Collator(tokenizer, model.labels, 32)(rows, "")


def _total(model, batch) -> torch.Tensor:
    return sum(hard_label_loss(20.0)(model, batch).values())


@pytest.mark.parametrize("freeze", [True, False], ids=["frozen embeddings", "trainable embeddings"])
def test_each_utterance_moves_by_epsilon_along_its_gradient_and_the_loss_rises(tiny_model, tokenizer, toy_rows, freeze):
    model = (_frozen(tiny_model) if freeze else tiny_model).eval()  # no dropout: the passes compare
    batch = _batch(model, tokenizer, toy_rows[:6])
    adversary = EmbeddingAdversary(model, epsilon=0.05)
    with adversary.recording():
        clean = _total(model, batch)
    clean.backward()
    lookup = adversary._lookups[0]
    perturbation = adversary.perturbation(lookup, lookup.grad)
    assert perturbation.flatten(1).norm(dim=1).tolist() == pytest.approx([0.05] * 6, rel=1e-4)
    cosine = torch.nn.functional.cosine_similarity(perturbation.flatten(1), lookup.grad.flatten(1))
    assert cosine.tolist() == pytest.approx([1.0] * 6, abs=1e-5)
    with torch.no_grad(), adversary.perturbed():
        attacked = _total(model, batch)
    assert attacked > clean + 1e-4, "a step along the gradient raises the loss"
    with torch.no_grad():
        assert _total(model, batch) == pytest.approx(float(clean), abs=1e-6), "outside both passes, untouched"
    adversary.close()
    assert not model.encoder.get_input_embeddings()._forward_hooks


def test_gradients_taken_by_hand_perturb_as_the_backward_pass_would(tiny_model, tokenizer, toy_rows):
    """The `pcgrad` weighting runs its own backward pass: `keep_gradients` gives the same attack."""
    model = _frozen(tiny_model).eval()
    batch = _batch(model, tokenizer, toy_rows[:6])
    attacked = []
    for by_hand in (False, True):
        adversary = EmbeddingAdversary(model, epsilon=0.05)
        with adversary.recording():
            loss = _total(model, batch)
        adversary.keep_gradients(loss) if by_hand else loss.backward()
        with torch.no_grad(), adversary.perturbed():
            attacked.append(float(_total(model, batch)))
        adversary.close()
    assert attacked[1] == pytest.approx(attacked[0], abs=1e-6)


def test_an_attack_needs_a_recorded_clean_pass(tiny_model):
    adversary = EmbeddingAdversary(tiny_model, epsilon=1.0)
    with pytest.raises(RuntimeError, match="recording"), adversary.perturbed():
        pass
    with pytest.raises(ValueError, match="positive"):
        EmbeddingAdversary(tiny_model, epsilon=0.0)


@pytest.mark.parametrize("weighting", ["static", "pcgrad"])
def test_training_with_fgm_learns_and_repeats_with_the_seed(label_space, tokenizer, toy_rows, weighting):
    from mtassist.model.multitask import build_tiny_model

    config = TrainingConfig(
        max_steps=120, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3, eval_every=40, patience=5,
        adversarial_epsilon=0.05, loss_weighting=weighting,
    )  # fmt: skip
    weights = []
    for _ in range(2):
        model = build_tiny_model(label_space, vocab_size=len(tokenizer))
        before = evaluate_model(model, tokenizer, toy_rows, 32)
        train(model, tokenizer, toy_rows, toy_rows, config)
        assert evaluate_model(model, tokenizer, toy_rows, 32)["score"] > before["score"] + 0.2
        assert not model.encoder.get_input_embeddings()._forward_hooks, "the loop removes its hook"
        weights.append(model.state_dict())
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0]), "same seed, same weights"


def test_the_adversarial_pass_changes_what_is_learned_and_frozen_embeddings_stay(label_space, tokenizer, toy_rows):
    from mtassist.model.multitask import build_tiny_model

    trained = []
    for epsilon in (0.0, 0.05):
        model = _frozen(build_tiny_model(label_space, vocab_size=len(tokenizer)))
        embeddings = model.encoder.get_input_embeddings().weight.detach().clone()
        train(model, tokenizer, toy_rows, [], TrainingConfig(max_steps=4, batch_size=8, adversarial_epsilon=epsilon))
        assert torch.equal(model.encoder.get_input_embeddings().weight, embeddings)
        trained.append(model.state_dict())
    assert not all(torch.equal(trained[0][name], trained[1][name]) for name in trained[0])
