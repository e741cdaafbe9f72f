"""Splitting rows into train, validation and test, and removing what would leak or contradict.

Splits are by `group` (template, conversation, review) and stratified: within each stratum
(an intent, a chatterbot category, a VADER corpus, chitchat as a whole) the groups are ordered
by a seeded hash and cut by cumulative row share; a stratum of two or more groups always gets
a test group, of four or more a validation group too, so that intents with few templates are
evaluated, while no group spans two splits. Commands of training templates filled with
held-out values form the unseen-values split. A text that lands in two splits is kept only in
the earliest one, and a text that two routes claim is kept only by the first of
`ROUTE_PRIORITY`, so that neither leaks nor contradicts.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from typing import Any

from mtassist.contracts import ALL_SPLITS, ROUTE_CHITCHAT, ROUTE_COMMAND, ROUTE_FAQ, SPLIT_UNSEEN_VALUES, SPLITS
from mtassist.data.config import DatasetConfig
from mtassist.data.text import fold_text

logger = logging.getLogger(__name__)

ROUTE_PRIORITY: tuple[str, ...] = (ROUTE_COMMAND, ROUTE_CHITCHAT, ROUTE_FAQ)
"""When two routes claim one text (e.g. "hello", "what's the weather like"), the first here
keeps it: the templates are exact, the conversation corpora are not."""

MAX_SAME_TEXT = 3
"""At most this many conversational rows share one text (chitchat has hundreds of "hi")."""


def _stratum(row: dict[str, Any]) -> str:
    if row["source"] == "intents":
        return f"intents:{row['intent']}"
    if row["source"] == "chatterbot":
        return row["group"].rsplit(":", 1)[0]
    return row["source"]


def _hash(seed: int, value: str) -> str:
    return hashlib.sha256(f"{seed}:{value}".encode()).hexdigest()


def _cut(sizes: list[int], fractions: dict[str, float]) -> list[str]:
    """Splits for groups in order: the split whose share holds the group's middle row."""
    bounds, total = [], 0.0
    for split in SPLITS:
        total += fractions[split]
        bounds.append((total, split))
    n_rows, seen, splits = sum(sizes), 0, []
    for size in sizes:
        middle = (seen + size / 2) / n_rows
        seen += size
        splits.append(next((s for bound, s in bounds if middle < bound), SPLITS[-1]))
    return splits


def _ensure_held_out(splits: list[str]) -> list[str]:
    """A stratum of two or more groups gets a test group; of four or more, a validation one.

    Without this, intents with a handful of templates would never be evaluated. Each
    held-out group is taken from the end of train, and train always keeps at least one.
    """
    train, validation, test = SPLITS
    if len(splits) < 4:
        splits = [train if s == validation else s for s in splits]
    needed = [test, validation] if len(splits) >= 4 else [test] if len(splits) >= 2 else []
    for split in needed:
        if split not in splits and splits.count(train) > 1:
            last_train = max(i for i, s in enumerate(splits) if s == train)
            splits[last_train] = split
    return splits


def assign_splits(rows: list[dict[str, Any]], config: DatasetConfig) -> None:
    """Set `split` on every row: by group, stratified, cut by cumulative row share."""
    sizes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        sizes[_stratum(row)][row["group"]] += 1
    split_of: dict[str, str] = {}
    for groups in sizes.values():
        ordered = sorted(groups, key=lambda g: _hash(config.seed, g))
        splits = _ensure_held_out(_cut([groups[g] for g in ordered], config.fractions))
        split_of.update(zip(ordered, splits))
    for row in rows:
        row["split"] = split_of[row["group"]]


def resolve_route_conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    routes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["route"] is not None:
            routes[fold_text(row["text"])].add(row["route"])
    keep_route = {
        key: next(r for r in ROUTE_PRIORITY if r in claimed) for key, claimed in routes.items() if len(claimed) > 1
    }
    if keep_route:
        logger.info("%d texts claimed by two routes: %s", len(keep_route), sorted(keep_route)[:10])
    return [
        row for row in rows
        if row["route"] is None or keep_route.get(fold_text(row["text"]), row["route"]) == row["route"]
    ]  # fmt: skip


def drop_contradictions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["sentiment"] is not None:
            labels[fold_text(row["text"])].add(row["sentiment"])
    return [
        row for row in rows
        if row["sentiment"] is None or len(labels[fold_text(row["text"])]) == 1
    ]  # fmt: skip


def limit_repeats(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: Counter[tuple[str, str]] = Counter()
    ids: set[str] = set()
    kept = []
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["id"] in ids:
            continue
        ids.add(row["id"])
        key = (row["source"], fold_text(row["text"]))
        limit = MAX_SAME_TEXT if row["response"] is not None else 1
        if seen[key] < limit:
            seen[key] += 1
            kept.append(row)
    return kept


def remove_cross_split_texts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first: dict[str, int] = {}
    for row in rows:
        key = fold_text(row["text"])
        first[key] = min(first.get(key, len(ALL_SPLITS)), ALL_SPLITS.index(row["split"]))
    return [row for row in rows if ALL_SPLITS.index(row["split"]) == first[fold_text(row["text"])]]


def assign_unseen_values(rows: list[dict[str, Any]], unseen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The unseen-values rows whose template is in train, in split SPLIT_UNSEEN_VALUES.

    Rows of templates in validation or test are dropped: the split isolates unseen values from
    unseen templates, which the test split measures.
    """
    split_of = {row["group"]: row["split"] for row in rows}
    return [{**row, "split": SPLIT_UNSEEN_VALUES} for row in unseen if split_of.get(row["group"]) == SPLITS[0]]
