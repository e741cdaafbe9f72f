"""Slot spans <-> BIO tags over tokens, and the decoding of the slot head into spans.

Spoken slots are `{"name", "text", "start", "end", ...}` with character offsets into the text;
slots a template implies carry no offsets and no tag. Tokens carry character offsets from the
tokenizer, (0, 0) for special tokens and padding.

Decoding works on words (a word is a run of sub-word tokens; each punctuation mark is its own
word): each word takes the tag scores of its first token, and a Viterbi pass picks the best tag
sequence with valid BIO transitions (`I-x` only after `B-x` or `I-x`) among the slot names
allowed (an intent's, see `command_decoding`). A span therefore never ends inside a word.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtassist.contracts import SLOT_OUTSIDE

IGNORE_INDEX = -100
"""Label of special and padding tokens: no loss, no metric."""


def slot_tags(slot_names: Sequence[str]) -> list[str]:
    """The BIO tag list for some slot names: `O`, then `B-x`, `I-x` for each name in order."""
    return [SLOT_OUTSIDE] + [f"{prefix}-{name}" for name in slot_names for prefix in ("B", "I")]


def spans_to_tag_ids(offsets: np.ndarray, spans: Sequence[dict], tag_index: dict[str, int]) -> np.ndarray:
    """BIO tag ids for one tokenized text; IGNORE_INDEX on special and padding tokens.

    Args:
        offsets: (T, 2) character offsets of each token.
        spans: the text's slot spans.
        tag_index: tag name -> id, as in the label space's `slot_tags`.
    """
    tags = np.full(len(offsets), tag_index[SLOT_OUTSIDE], dtype=np.int64)
    special = (offsets[:, 0] == 0) & (offsets[:, 1] == 0)
    for span in spans:
        if "start" not in span:
            continue
        inside = (offsets[:, 0] >= span["start"]) & (offsets[:, 1] <= span["end"]) & ~special
        positions = np.flatnonzero(inside)
        if positions.size == 0:
            continue
        tags[positions[0]] = tag_index[f"B-{span['name']}"]
        tags[positions[1:]] = tag_index[f"I-{span['name']}"]
    tags[special] = IGNORE_INDEX
    return tags


def words(text: str, offsets: np.ndarray) -> list[list[int]]:
    """Token positions grouped into words; special and padding tokens belong to none."""
    grouped: list[list[int]] = []
    previous_end, previous_word_char = -1, False
    for position, (start, end) in enumerate(offsets.tolist()):
        if start == end == 0:
            continue
        word_char = any(c.isalnum() for c in text[start:end])
        if grouped and start == previous_end and word_char and previous_word_char:
            grouped[-1].append(position)
        else:
            grouped.append([position])
        previous_end, previous_word_char = end, word_char
    return grouped


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities along the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@functools.lru_cache(maxsize=256)
def _bio_tables(tags: tuple[str, ...], allowed: frozenset[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(blocked tags, inside tags, transition penalty) for a tag list and the slot names allowed.

    Built once per tag list and intent: answering a request only looks them up.
    """
    names = [tag.partition("-")[2] for tag in tags]
    blocked = np.array([tag != SLOT_OUTSIDE and allowed is not None and name not in allowed
                        for tag, name in zip(tags, names)])  # fmt: skip
    inside = np.array([tag.startswith("I-") for tag in tags])
    # transition[i, j]: may tag j follow tag i? I-x only after B-x or I-x.
    transition = np.ones((len(tags), len(tags)), dtype=bool)
    for j in np.flatnonzero(inside):
        transition[:, j] = [tags[i] in (f"B-{names[j]}", f"I-{names[j]}") for i in range(len(tags))]
    return blocked, inside, np.where(transition, 0.0, -np.inf)


def _viterbi(scores: np.ndarray, tags: Sequence[str], allowed: Collection[str] | None) -> tuple[list[int], float]:
    """The best tag id per word under BIO constraints, and its log-probability; (W, K) log-probabilities in."""
    blocked, inside, penalty = _bio_tables(tuple(tags), None if allowed is None else frozenset(allowed))
    scores = np.where(blocked, -np.inf, scores)
    best = np.where(inside, -np.inf, scores[0])
    back = []
    for word in range(1, len(scores)):
        candidates = best[:, None] + penalty  # (from, to)
        back.append(candidates.argmax(axis=0))
        best = candidates.max(axis=0) + scores[word]
    path = [int(best.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return path[::-1], float(best.max())


@dataclass(frozen=True)
class SlotScores:
    """One row's slot-head scores per word, ready to decode under any set of allowed slot names."""

    text: str
    offsets: np.ndarray
    words: list[list[int]]
    scores: np.ndarray
    """(W, K) log-probabilities of each word's tags (its first token's)."""
    tags: tuple[str, ...]

    @classmethod
    def of(cls, text: str, offsets: np.ndarray, slot_logits: np.ndarray, tags: Sequence[str]) -> SlotScores:
        """From one row's (T, K) slot logits and (T, 2) token offsets."""
        grouped = words(text, offsets)
        scores = log_softmax(slot_logits[[word[0] for word in grouped]].astype(np.float64)) if grouped else None
        return cls(text, offsets, grouped, scores, tuple(tags))

    def best(self, allowed: Collection[str] | None = None) -> tuple[list[dict[str, Any]], float]:
        """The best spans `{"name", "text", "start", "end"}` tagging only `allowed` names, and their log-probability."""
        if not self.words:
            return [], 0.0
        path, score = _viterbi(self.scores, self.tags, allowed)
        spans: list[dict[str, Any]] = []
        for word, tag_id in zip(self.words, path):
            prefix, _, name = self.tags[tag_id].partition("-")
            start, end = int(self.offsets[word[0]][0]), int(self.offsets[word[-1]][1])
            if prefix == "I" and spans:
                spans[-1]["end"] = end
            elif prefix == "B":
                spans.append({"name": name, "start": start, "end": end})
        return [{**span, "text": self.text[span["start"] : span["end"]]} for span in spans], score


def decode_spans(
    text: str, offsets: np.ndarray, slot_logits: np.ndarray, tags: Sequence[str], allowed: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Spoken slots `{"name", "text", "start", "end"}` from one row's (T, K) slot logits."""
    return SlotScores.of(text, offsets, slot_logits, tags).best(allowed)[0]
