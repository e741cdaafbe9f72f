"""Where candidate replies' embeddings come from: the model, the teacher, or a bundle's bank."""

import numpy as np
import pytest

from mtassist.inference import EmbeddedBy, ReplyBank, TorchForward


class _Constant:
    """A reply source that embeds every text as the same vector, and counts what it was asked."""

    def __init__(self, vector: np.ndarray) -> None:
        self.vector, self.asked = vector, []

    def embed_replies(self, texts, tokenizer=None, max_length=0):
        self.asked += list(texts)
        return np.stack([self.vector] * len(texts))


def test_a_bank_looks_replies_up_by_text_and_embeds_only_what_it_lacks():
    bank_vectors = np.eye(3, dtype=np.float32)
    fallback = _Constant(np.full(3, 0.5, dtype=np.float32))
    bank = ReplyBank(["hello", "bye", "thanks"], bank_vectors, fallback=fallback)
    got = bank.embed_replies(["bye", "new reply", " hello "])
    np.testing.assert_array_equal(got, [bank_vectors[1], fallback.vector, bank_vectors[0]])
    assert fallback.asked == ["new reply"]


def test_a_bank_without_a_fallback_names_the_reply_it_lacks():
    with pytest.raises(ValueError, match="1 replies are not in the response bank, e.g. 'new reply'"):
        ReplyBank(["hello"], np.eye(1)).embed_replies(["hello", "new reply"])


def test_embedded_by_a_model_matches_its_own_sentence_embeddings(tiny_model, tokenizer):
    from mtassist.tokenization import encode

    texts = ["i am fine", "see you soon", "hi friend"]
    forward = TorchForward(tiny_model)
    expected = forward(encode(tokenizer, texts, 32))["sentence_embedding"]
    np.testing.assert_allclose(EmbeddedBy(forward).embed_replies(texts, tokenizer, 32), expected, atol=1e-6)


def test_evaluation_ranks_replies_against_the_source_the_forward_names(tiny_model, tokenizer, toy_rows):
    from mtassist.evaluation import evaluate

    talk = [row for row in toy_rows if row["response"]]
    own = evaluate(TorchForward(tiny_model), tokenizer, talk, 32).metrics["response_mrr"]
    width = tiny_model.encoder.config.hidden_size
    flat = TorchForward(tiny_model, replies=_Constant(np.ones(width, dtype=np.float32)))
    ties = evaluate(flat, tokenizer, talk, 32).metrics["response_mrr"]
    assert ties == pytest.approx(1.0)  # every reply scores the same: none ranks above the true one
    assert own < ties
