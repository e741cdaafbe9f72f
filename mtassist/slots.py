"""Slot spans <-> BIO tags over tokens.

Spans are `{"name", "value", "start", "end"}` with character offsets into the text; tokens carry
character offsets from the tokenizer, (0, 0) for special tokens and padding.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        inside = (offsets[:, 0] >= span["start"]) & (offsets[:, 1] <= span["end"]) & ~special
        positions = np.flatnonzero(inside)
        if positions.size == 0:
            continue
        tags[positions[0]] = tag_index[f"B-{span['name']}"]
        tags[positions[1:]] = tag_index[f"I-{span['name']}"]
    tags[special] = IGNORE_INDEX
    return tags


def tag_ids_to_spans(text: str, offsets: np.ndarray, tag_ids: Sequence[int], tags: Sequence[str]) -> list[dict]:
    """Slot spans from predicted BIO tag ids; an `I-x` without a `B-x` before it starts a span."""
    spans: list[dict] = []
    current: dict | None = None
    for (start, end), tag_id in zip(offsets.tolist(), tag_ids):
        if start == end == 0:
            continue
        tag = tags[int(tag_id)]
        prefix, _, name = tag.partition("-")
        if tag == SLOT_OUTSIDE:
            current = None
        elif prefix == "I" and current is not None and current["name"] == name:
            current["end"] = end
        else:
            current = {"name": name, "start": start, "end": end}
            spans.append(current)
    return [
        {"name": s["name"], "value": text[s["start"] : s["end"]], "start": s["start"], "end": s["end"]} for s in spans
    ]
