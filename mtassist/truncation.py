"""Utterances longer than the model reads: cut before tokenizing, and said so in the answer.

The model reads the first `max_length` tokens. A text is cut to `max_length * MAX_CHARS_PER_TOKEN`
characters before it is tokenized, so that a megabyte of text costs what a sentence does, and an
answer says `"truncated": true` when the tokens the model read end before the text does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_CHARS_PER_TOKEN = 64
"""Far more characters than `max_length` tokens ever span in words of any real language."""


def clip_text(text: str, max_length: int) -> str:
    """The text, cut to what `max_length` tokens can reach."""
    limit = max_length * MAX_CHARS_PER_TOKEN
    return text if len(text) <= limit else text[:limit]


def truncated_rows(texts: Sequence[str], offsets: np.ndarray) -> list[bool]:
    """Per text: whether words follow the last token read (offsets (B, T, 2) from the tokenizer)."""
    ends = offsets[..., 1].max(axis=1) if offsets.size else np.zeros(len(texts), dtype=np.int64)
    return [bool(text[int(end) :].strip()) for text, end in zip(texts, ends)]
