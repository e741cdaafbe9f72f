"""The INT8 shortlist of replies: its candidates, ranked by their exact scores, answer as the whole bank does."""

import numpy as np
import pytest

from mtassist.answers import ResponseBank
from mtassist.reply_shortlist import MAX_TOP_K, SHORTLIST, ReplyShortlist


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def clustered_bank() -> ResponseBank:
    """3,000 replies in 60 tight topics, as sentence embeddings cluster: near neighbours are close calls."""
    rng = np.random.default_rng(7)
    topics = rng.standard_normal((60, 96))
    embeddings = _unit(topics[rng.integers(0, 60, 3000)] + 0.35 * rng.standard_normal((3000, 96)))
    return ResponseBank(texts=tuple(f"reply {i}" for i in range(3000)), embeddings=embeddings)


def _exact(bank: ResponseBank, queries: np.ndarray, k: int) -> list[list[str]]:
    order = np.argsort(-(_unit(queries) @ bank.embeddings.T), axis=1, kind="stable")[:, :k]
    return [[bank.texts[i] for i in row] for row in order]


@pytest.mark.parametrize("k", [1, 3, MAX_TOP_K, MAX_TOP_K + 5])
def test_top_k_through_the_shortlist_is_the_exact_top_k(clustered_bank, k):
    rng = np.random.default_rng(1)
    queries = clustered_bank.embeddings[rng.integers(0, 3000, 300)] + 0.3 * rng.standard_normal((300, 96))
    answered = clustered_bank.top_k(queries, k)
    assert [[reply["text"] for reply in replies] for replies in answered] == _exact(clustered_bank, queries, k)
    scores = [[reply["score"] for reply in replies] for replies in answered]
    assert all(row == sorted(row, reverse=True) for row in scores)


def test_the_shortlist_returns_its_size_in_bank_rows_per_query(clustered_bank):
    assert clustered_bank.shortlist is not None
    rows = clustered_bank.shortlist(clustered_bank.embeddings[:5])
    assert rows.shape == (5, SHORTLIST) and rows.min() >= 0 and rows.max() < 3000
    assert list(rows[:, 0]) == [0, 1, 2, 3, 4]  # each reply is its own nearest


def test_a_bank_no_larger_than_the_shortlist_is_scored_in_full():
    bank = ResponseBank(texts=tuple("abcd"), embeddings=np.eye(4, dtype=np.float32))
    assert bank.shortlist is None
    with pytest.raises(ValueError, match="needs a bank of more rows"):
        ReplyShortlist(np.eye(4, dtype=np.float32))
