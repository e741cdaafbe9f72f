"""The dataset artifact: columns, labels, manifest, deterministic splits without leaks."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from mtassist.contracts import (
    DATASET_EXAMPLES,
    DATASET_LABELS,
    DATASET_MANIFEST,
    EXAMPLE_COLUMNS,
    INTENT_NONE,
    ROUTE_LABELS,
    SENTIMENT_LABELS,
    SPLITS,
    TASKS,
)
from mtassist.data.config import DatasetConfig
from mtassist.data.dataset import build_dataset, count_rows, load_examples, load_labels, load_manifest
from mtassist.data.rows import chatterbot_rows
from mtassist.data.splits import assign_splits, remove_cross_split_texts, resolve_route_conflicts
from mtassist.data.text import fold_text


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("dataset")
    build_dataset(out, DatasetConfig.small(), source_cache)
    return out


@pytest.fixture(scope="module")
def rows(small: Path) -> list[dict]:
    return load_examples(small)


def test_examples_have_exactly_the_contract_columns_in_order(small: Path) -> None:
    lines = (small / DATASET_EXAMPLES).read_text(encoding="utf-8").splitlines()
    assert 300 < len(lines) < 1000
    assert all(list(json.loads(line)) == list(EXAMPLE_COLUMNS) for line in lines)


def test_ids_are_unique(rows: list[dict]) -> None:
    assert len({r["id"] for r in rows}) == len(rows)


def test_every_task_has_examples_in_every_split(small: Path, rows: list[dict]) -> None:
    counts = load_manifest(small)["counts"]
    assert counts == count_rows(rows)
    for split in SPLITS:
        for task in TASKS:
            assert counts[split][task] > 0, (split, task)


def test_same_config_and_seed_give_byte_identical_files(small: Path, tmp_path: Path, source_cache: Path) -> None:
    manifest = build_dataset(tmp_path, DatasetConfig.small(), source_cache)
    for name in (DATASET_EXAMPLES, DATASET_LABELS, DATASET_MANIFEST):
        assert (tmp_path / name).read_bytes() == (small / name).read_bytes(), name
    assert manifest.version == load_manifest(small)["version"]


def test_another_seed_gives_another_version(small: Path, tmp_path: Path, source_cache: Path) -> None:
    manifest = build_dataset(tmp_path, DatasetConfig.small(seed=99), source_cache)
    assert manifest.version != load_manifest(small)["version"]


def test_the_version_is_the_sha256_of_examples_then_labels(small: Path) -> None:
    digest = hashlib.sha256((small / DATASET_EXAMPLES).read_bytes() + (small / DATASET_LABELS).read_bytes())
    manifest = load_manifest(small)
    assert manifest["version"] == digest.hexdigest()
    assert manifest["sources"]["vaderSentiment"] == "3.3.2"
    assert manifest["config"]["seed"] == DatasetConfig.small().seed


def test_no_group_spans_two_splits(rows: list[dict]) -> None:
    splits_of = defaultdict(set)
    for row in rows:
        splits_of[row["group"]].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())


def test_no_text_appears_in_two_splits(rows: list[dict]) -> None:
    splits_of = defaultdict(set)
    for row in rows:
        splits_of[fold_text(row["text"])].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())


def test_labels_hold_the_fixed_spaces_none_first_and_bio_slot_tags(small: Path, rows: list[dict]) -> None:
    labels = load_labels(small)
    assert labels["route"] == list(ROUTE_LABELS)
    assert labels["sentiment"] == list(SENTIMENT_LABELS)
    assert labels["intent"][0] == INTENT_NONE
    assert labels["intent"][1:] == sorted(labels["intent"][1:]) and len(labels["intent"]) == 43
    tags = labels["slot_tags"]
    names = [tag[2:] for tag in tags[1::2]]
    assert tags[0] == "O" and names == sorted(names)
    assert tags[1:] == [f"{p}-{n}" for n in names for p in ("B", "I")]
    used = {slot["name"] for row in rows for slot in row["slots"] or ()}
    assert used <= set(names)
    assert {row["intent"] for row in rows if row["intent"]} <= set(labels["intent"])


def test_command_rows_carry_intent_and_exact_slot_spans(rows: list[dict]) -> None:
    commands = [r for r in rows if r["route"] == "command"]
    assert commands and all(r["source"] == "intents" for r in commands)
    for row in commands:
        assert row["intent"].startswith("Hass") and row["sentiment"] is None and row["response"] is None
        for slot in row["slots"]:
            assert row["text"][slot["start"] : slot["end"]] == slot["value"]


def test_conversational_rows_have_intent_none_no_slots_and_a_reply(rows: list[dict]) -> None:
    talk = [r for r in rows if r["route"] in ("chitchat", "faq")]
    assert {r["source"] for r in talk} == {"chitchat", "chatterbot"}
    assert all(r["intent"] == INTENT_NONE and r["slots"] == [] and r["response"] for r in talk)
    assert all(r["sentiment"] is None for r in talk)


def test_sentiment_rows_carry_only_a_sentiment_label(rows: list[dict]) -> None:
    rated = [r for r in rows if r["sentiment"] is not None]
    assert {r["source"] for r in rated} == {"vader-amazon", "vader-movies", "vader-nyt", "vader-tweets"}
    assert all(
        r["route"] is None and r["intent"] is None and r["slots"] is None and r["response"] is None for r in rated
    )
    assert set(Counter(r["sentiment"] for r in rated)) == set(SENTIMENT_LABELS)


def test_texts_respect_the_character_limit(rows: list[dict]) -> None:
    limit = DatasetConfig.small().max_chars
    assert all(0 < len(r["text"]) <= limit for r in rows)


def test_greetings_and_how_are_you_are_chitchat_not_faq() -> None:
    produced = chatterbot_rows(DatasetConfig())
    greetings = [r for r in produced if r["group"].startswith("chatterbot:greetings:")]
    assert greetings and all(r["route"] == "chitchat" for r in greetings)
    how_are_you = [r for r in produced if "how are you" in r["text"].casefold()]
    assert how_are_you and all(r["route"] == "chitchat" for r in how_are_you)
    assert {r["route"] for r in produced} == {"chitchat", "faq"}


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


def test_dataset_config_rejects_fractions_that_do_not_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        replace(DatasetConfig(), test_fraction=0.3)
