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


def _viterbi(
    scores: np.ndarray, tags: Sequence[str], allowed: Collection[str] | None, required: Sequence[str] = ()
) -> tuple[list[int], float]:
    """The best tag id per word under BIO constraints, with a span of every `required` name, and its
    log-probability (-inf where no path has them all); (W, K) log-probabilities in.

    A state is a tag and the set of required names begun so far (a bit each), so the search stays
    exact: 2 ** len(required) times the tags.
    """
    if not required:
        return _plain_viterbi(scores, *_allowed_tables(tuple(tags), None if allowed is None else frozenset(allowed)))
    blocked, inside, penalty = _bio_tables(tuple(tags), None if allowed is None else frozenset(allowed))
    scores = np.where(blocked, -np.inf, scores)
    n_tags, n_sets = len(tags), 1 << len(required)
    bits = np.array([1 << required.index(tag[2:]) if tag[:2] == "B-" and tag[2:] in required else 0 for tag in tags])
    tag_ids = np.arange(n_tags)
    best = np.full((n_sets, n_tags), -np.inf)
    best[bits, tag_ids] = np.where(inside, -np.inf, scores[0])
    back = []
    for word in range(1, len(scores)):
        following = np.full((n_sets, n_tags), -np.inf)
        pointers = np.zeros((n_sets, n_tags), dtype=int)
        for seen in range(n_sets):
            candidates = best[seen][:, None] + penalty  # (from, to)
            values = candidates.max(axis=0) + scores[word]
            target = (seen | bits, tag_ids)
            better = values > following[target]
            following[target] = np.where(better, values, following[target])
            pointers[target] = np.where(better, seen * n_tags + candidates.argmax(axis=0), pointers[target])
        back.append(pointers)
        best = following
    state = (n_sets - 1) * n_tags + int(best[n_sets - 1].argmax())
    path = [state % n_tags]
    for pointers in reversed(back):
        state = int(pointers[state // n_tags, state % n_tags])
        path.append(state % n_tags)
    return path[::-1], float(best[n_sets - 1].max())


@functools.lru_cache(maxsize=256)
def _allowed_tables(tags: tuple[str, ...], allowed: frozenset[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the tag ids not blocked, which of them are inside tags, the transition penalty between them)."""
    blocked, inside, penalty = _bio_tables(tags, allowed)
    kept = np.flatnonzero(~blocked)
    return kept, inside[kept], penalty[np.ix_(kept, kept)]


def _plain_viterbi(
    scores: np.ndarray, kept: np.ndarray, inside: np.ndarray, penalty: np.ndarray
) -> tuple[list[int], float]:
    """`_viterbi` without required names, over the allowed tags only (most calls, so kept lean):
    one state per tag; a blocked tag is on no best path, `O` being always allowed."""
    scores = scores[:, kept]
    best = np.where(inside, -np.inf, scores[0])
    back = []
    for word_scores in scores[1:]:
        candidates = best[:, None] + penalty  # (from, to)
        pointers = candidates.argmax(axis=0)
        best = candidates.max(axis=0) + word_scores
        back.append(pointers)
    path = [int(best.argmax())]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return [int(kept[tag]) for tag in reversed(path)], float(best.max())


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

    def best(
        self, allowed: Collection[str] | None = None, required: Collection[str] = ()
    ) -> tuple[list[dict[str, Any]], float]:
        """The best spans `{"name", "text", "start", "end"}` tagging only `allowed` names, and their
        log-probability; with `required`, the best that has a span of each of those names, or the
        best without where the words cannot hold them all."""
        if not self.words:
            return [], 0.0
        path, score = _viterbi(self.scores, self.tags, allowed)
        missing = set(required) - {self.tags[tag_id][2:] for tag_id in path if self.tags[tag_id][:2] == "B-"}
        if missing:  # the search with required names costs 2 ** len(required) times more: only when needed
            forced = _viterbi(self.scores, self.tags, allowed, tuple(sorted(required)))
            if forced[1] > -np.inf:
                path, score = forced
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
