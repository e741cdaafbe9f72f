"""Splits by group and stratum, held-out splits for small intents, no leaks and no route conflicts."""

from collections import Counter, defaultdict

import pytest

from mtassist.contracts import INTENT_NONE
from mtassist.data.config import DatasetConfig
from mtassist.data.splits import assign_splits, remove_cross_split_texts, resolve_route_conflicts


def _synthetic(n_groups: int, rows_per_group: int = 2, source: str = "chitchat") -> list[dict]:
    return [
        {"source": source, "group": f"{source}:{g}", "text": f"text {g} {i}", "route": "chitchat",
         "intent": INTENT_NONE, "split": None}
        for g in range(n_groups) for i in range(rows_per_group)
    ]  # fmt: skip


def test_splits_follow_the_configured_fractions_by_group() -> None:
    rows = _synthetic(2000)
    assign_splits(rows, DatasetConfig())
    shares = Counter(r["split"] for r in rows)
    assert abs(shares["train"] / len(rows) - 0.8) < 0.02
    assert abs(shares["validation"] / len(rows) - 0.1) < 0.02
    assert abs(shares["test"] / len(rows) - 0.1) < 0.02


def _intent_rows(intent: str, n_templates: int) -> list[dict]:
    return [
        {"source": "intents", "group": f"intents:{intent}:0:{t}", "text": f"{intent} {t} {i}",
         "route": "command", "intent": intent, "split": None}
        for t in range(n_templates) for i in range(3)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("n_templates", "held_out"),
    [(1, set()), (2, {"test"}), (3, {"test"}), (4, {"test", "validation"}), (7, {"test", "validation"})],
)
def test_an_intent_with_a_few_templates_still_reaches_the_held_out_splits(n_templates: int, held_out: set) -> None:
    rows = _intent_rows("HassFew", n_templates)
    assign_splits(rows, DatasetConfig())
    per_group = defaultdict(set)
    for row in rows:
        per_group[row["group"]].add(row["split"])
    assert all(len(splits) == 1 for splits in per_group.values())
    splits = Counter(split for (split,) in per_group.values())
    assert set(splits) - {"train"} == held_out
    assert splits["train"] >= max(1, n_templates - 2)


def test_a_text_in_two_splits_is_kept_only_in_the_earliest() -> None:
    rows = [
        {"text": "Hi!", "split": "test"},
        {"text": "hi", "split": "train"},
        {"text": "bye", "split": "validation"},
    ]
    kept = remove_cross_split_texts(rows)
    assert kept == [{"text": "hi", "split": "train"}, {"text": "bye", "split": "validation"}]


def test_a_text_claimed_by_two_routes_keeps_the_command() -> None:
    rows = [
        {"text": "Hello", "route": "chitchat"},
        {"text": "hello", "route": "command"},
        {"text": "Who are you?", "route": "faq"},
        {"text": "who are you", "route": "chitchat"},
        {"text": "great movie", "route": None},
    ]
    kept = resolve_route_conflicts(rows)
    assert kept == [rows[1], rows[3], rows[4]]
