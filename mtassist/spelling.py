"""Correcting typos before the model reads an utterance, and giving spans back in the user's text.

People type "put eggs on the shoppign list" and "paues the timer". A word is corrected when it is
neither in the lexicon (the words of the training commands and of the value pools, counted;
`labels.json` key `lexicon`, written at ingest) nor a whole word of the tokenizer's vocabulary
(so real English words stay as typed), has at least `MIN_LETTERS` letters, and is one edit
(a letter dropped, added, changed, or two swapped) from a lexicon word: the most frequent such
word wins, in the typed word's casing. With a CONTEXT, the home's own names join the lexicon, so
"Bedrroom" becomes the home's "Bedroom" and a name the home has is never changed.

The model reads the corrected text; `Correction.restore` moves decoded spans back onto the text
as typed, so offsets and `text` are the user's, while values come from the corrected words.
Torch-free: the Triton python-backend model uses it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_LETTERS = 4
"""Shorter words are left alone: "lo", "th" and "hee" are one edit from too many words."""
_WORD = re.compile(r"[^\W\d_]+")


def words_of(texts: Iterable[str]) -> Counter[str]:
    """Lower-case words of some texts, counted: what a lexicon is built from."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(word.lower() for word in _WORD.findall(text))
    return counts


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether b is a from one dropped, added or changed letter, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])  # fmt: skip
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _cased_like(word: str, typed: str) -> str:
    if typed.isupper():
        return word.upper()
    if typed[0].isupper():
        return word[0].upper() + word[1:]
    return word


@dataclass(frozen=True)
class Correction:
    """One utterance as typed and as corrected, with the words replaced."""

    typed: str
    text: str
    replaced: tuple[tuple[int, int, int, int], ...] = ()
    """(start, end) in the typed text and (start, end) in the corrected text of each replaced word."""

    def _typed_position(self, position: int, end: bool) -> int:
        shift = 0
        for typed_start, typed_end, start, stop in self.replaced:
            if position < start or (end and position == start):
                break
            if position < stop or (end and position == stop):  # on a replaced word: its typed edge
                return typed_end if end else typed_start
            shift = typed_end - stop
        return position + shift

    def restore(self, slots: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The slots with their spans moved back onto the typed text (slots without a span unchanged)."""
        if not self.replaced:
            return list(slots)
        restored = []
        for slot in slots:
            if "start" not in slot:
                restored.append(slot)
                continue
            start, end = self._typed_position(slot["start"], False), self._typed_position(slot["end"], True)
            restored.append({**slot, "start": start, "end": end, "text": self.typed[start:end]})
        return restored


@dataclass(frozen=True)
class Lexicon:
    """Known words with their counts, indexed for one-edit look-ups."""

    counts: Mapping[str, int]
    _by_delete: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Lexicon:
        index: dict[str, set[str]] = defaultdict(set)
        for word in counts:
            for key in (word, *_deletes(word)):
                index[key].add(word)
        return cls(dict(counts), {key: tuple(sorted(words)) for key, words in index.items()})

    def closest(self, word: str) -> str | None:
        """The most frequent known word one edit from `word`, or None."""
        candidates = {known for key in (word, *_deletes(word)) for known in self._by_delete.get(key, ())}
        near = [known for known in candidates if _one_edit_apart(word, known)]
        return max(near, key=lambda known: (self.counts[known], known)) if near else None


@dataclass(frozen=True)
class SpellCorrector:
    """Corrects utterances against a lexicon, leaving the tokenizer's whole words alone."""

    lexicon: Lexicon
    vocabulary: Collection[str]
    """Whole words of the tokenizer: real words, never corrected."""

    @classmethod
    def of(cls, lexicon: Mapping[str, int], tokenizer: Any) -> SpellCorrector:
        """For a label space's lexicon and a Hugging Face tokenizer (its whole-word vocabulary)."""
        vocabulary = frozenset(token for token in tokenizer.get_vocab() if token.isalpha())
        return cls(Lexicon.of(lexicon), vocabulary)

    def correct(self, text: str, home: Lexicon | None = None) -> Correction:
        """The utterance with its typos corrected; `home` is the CONTEXT's words, if any."""
        pieces, replaced, position, shift = [], [], 0, 0
        for match in _WORD.finditer(text):
            typed = match.group()
            word = typed.lower()
            if len(word) < MIN_LETTERS or word in self.vocabulary or word in self.lexicon.counts:
                continue
            if home is not None and word in home.counts:
                continue
            found = (home.closest(word) if home is not None else None) or self.lexicon.closest(word)
            if found is None:
                continue
            fixed = _cased_like(found, typed)
            pieces.append(text[position : match.start()] + fixed)
            start = match.start() + shift
            replaced.append((match.start(), match.end(), start, start + len(fixed)))
            shift += len(fixed) - len(typed)
            position = match.end()
        if not replaced:
            return Correction(text, text)
        return Correction(text, "".join(pieces) + text[position:], tuple(replaced))
