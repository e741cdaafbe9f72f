"""Realistic noise on an utterance and its slot spans: typos, a dropped word, casing, no punctuation.

Training adds noisy copies of some training rows (`DatasetConfig.noise_share`); evaluation applies
the same noise to the test split, so that the report shows what typing on a phone costs. Spans
stay exact: a slot's `text`, `start` and `end` follow the noisy text, its `value` stays what the
speaker meant.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row in _KEYBOARD_ROWS:
    for _i, _key in enumerate(_row):
        _near = _row[max(_i - 1, 0) : _i] + _row[_i + 1 : _i + 2]
        _NEIGHBOURS[_key] = _near
_FILLERS = frozenset({"the", "please", "my", "our", "a", "an", "all", "your"})
_WORD = re.compile(r"[^\W\d_]{3,}")
_PUNCTUATION = re.compile(r"[.,!?;:]")

Piece = list  # [text, slot index or None]
NOISY_ID_SUFFIX = "~noisy"
"""Ends the id of a noisy copy of a row."""


def _pieces(text: str, spans: Sequence[dict[str, Any]]) -> list[Piece]:
    pieces: list[Piece] = []
    position = 0
    for index, span in sorted(enumerate(spans), key=lambda item: item[1]["start"]):
        pieces.append([text[position : span["start"]], None])
        pieces.append([text[span["start"] : span["end"]], index])
        position = span["end"]
    pieces.append([text[position:], None])
    return pieces


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip after the first two letters: two letters swapped, one dropped, doubled or a neighbour key hit."""
    i = rng.randrange(2, len(word)) if len(word) > 2 else len(word) - 1
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap" and i + 1 < len(word) and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "neighbour" and _NEIGHBOURS.get(word[i].lower()):
        key = rng.choice(_NEIGHBOURS[word[i].lower()])
        return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _add_typo(pieces: list[Piece], rng: random.Random) -> None:
    words = [(p, m) for p, piece in enumerate(pieces) for m in _WORD.finditer(piece[0])]
    if not words:
        return
    p, match = rng.choice(words)
    text = pieces[p][0]
    pieces[p][0] = text[: match.start()] + typo(match.group(), rng) + text[match.end() :]


def _drop_filler(pieces: list[Piece], rng: random.Random) -> None:
    found = [
        (p, m) for p, piece in enumerate(pieces) if piece[1] is None
        for m in re.finditer(r"\b\w+\b ?", piece[0]) if m.group().strip().casefold() in _FILLERS
    ]  # fmt: skip
    if found:
        p, match = rng.choice(found)
        text = pieces[p][0]
        pieces[p][0] = text[: match.start()] + text[match.end() :]


def _recase(pieces: list[Piece], rng: random.Random) -> None:
    style = rng.choice(("lower", "upper", "capitalised"))
    for piece in pieces:
        piece[0] = piece[0].upper() if style == "upper" else piece[0].lower()
    if style == "capitalised":
        first = next((piece for piece in pieces if piece[0]), None)
        if first is not None:
            first[0] = first[0][:1].upper() + first[0][1:]


def _strip_punctuation(pieces: list[Piece], rng: random.Random) -> None:
    for piece in pieces:
        if piece[1] is None:
            piece[0] = _PUNCTUATION.sub("", piece[0])


NOISES = (_add_typo, _add_typo, _drop_filler, _recase, _strip_punctuation)
"""The kinds of noise, typos twice as likely as the others."""


def add_noise(text: str, slots: Sequence[dict[str, Any]] | None, rng: random.Random) -> tuple[str, list | None]:
    """The text with one or two kinds of noise, and its slots moved to follow it."""
    spans = [slot for slot in slots or () if "start" in slot]
    pieces = _pieces(text, spans)
    for noise in rng.sample(NOISES, rng.choice((1, 2))):
        noise(pieces, rng)
    out, moved, position = [], {}, 0
    for piece_text, index in pieces:
        if index is not None:
            moved[index] = (position, position + len(piece_text), piece_text)
        out.append(piece_text)
        position += len(piece_text)
    noisy_text = "".join(out)
    if slots is None:
        return noisy_text, None
    noisy_slots = []
    for slot in slots:
        if "start" in slot:
            index = spans.index(slot)
            start, end, span_text = moved[index]
            noisy_slots.append({**slot, "text": span_text, "start": start, "end": end})
        else:
            noisy_slots.append(dict(slot))
    return noisy_text, noisy_slots


def noisy_rows(rows: Sequence[dict[str, Any]], seed: int, share: float = 1.0) -> list[dict[str, Any]]:
    """Noisy copies of a `share` of the rows (ids suffixed NOISY_ID_SUFFIX), deterministic for the seed."""
    copies = []
    for row in rows:
        rng = random.Random(f"{seed}:noise:{row['id']}")
        if rng.random() >= share:
            continue
        text, slots = add_noise(row["text"], row["slots"], rng)
        if text.strip() and text != row["text"]:
            copies.append({**row, "id": f"{row['id']}{NOISY_ID_SUFFIX}", "text": text, "slots": slots})
    return copies
