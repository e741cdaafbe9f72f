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
    SPLIT_UNSEEN_VALUES,
    SPLITS,
    TASKS,
)
from mtassist.data.config import DatasetConfig
from mtassist.data.dataset import build_dataset, collect_rows, count_rows, load_examples, load_labels, load_manifest
from mtassist.data.text import fold_text


@pytest.fixture(scope="module")
def rows(small_dataset: Path) -> list[dict]:
    return load_examples(small_dataset)


def test_examples_have_exactly_the_contract_columns_in_order(small_dataset: Path) -> None:
    lines = (small_dataset / DATASET_EXAMPLES).read_text(encoding="utf-8").splitlines()
    assert 300 < len(lines) < 1000
    assert all(list(json.loads(line)) == list(EXAMPLE_COLUMNS) for line in lines)


def test_ids_are_unique(rows: list[dict]) -> None:
    assert len({r["id"] for r in rows}) == len(rows)


def test_every_task_has_examples_in_every_split(small_dataset: Path, rows: list[dict]) -> None:
    counts = load_manifest(small_dataset)["counts"]
    assert counts == count_rows(rows)
    for split in SPLITS:
        for task in TASKS:
            assert counts[split][task] > 0, (split, task)


def test_same_config_and_seed_give_byte_identical_files(
    small_dataset: Path, tmp_path: Path, source_cache: Path
) -> None:
    manifest = build_dataset(tmp_path, DatasetConfig.small(), source_cache)
    for name in (DATASET_EXAMPLES, DATASET_LABELS, DATASET_MANIFEST):
        assert (tmp_path / name).read_bytes() == (small_dataset / name).read_bytes(), name
    assert manifest.version == load_manifest(small_dataset)["version"]


def test_another_seed_gives_another_version(small_dataset: Path, tmp_path: Path, source_cache: Path) -> None:
    manifest = build_dataset(tmp_path, DatasetConfig.small(seed=99), source_cache)
    assert manifest.version != load_manifest(small_dataset)["version"]


def test_the_version_is_the_sha256_of_examples_then_labels(small_dataset: Path) -> None:
    digest = hashlib.sha256(
        (small_dataset / DATASET_EXAMPLES).read_bytes() + (small_dataset / DATASET_LABELS).read_bytes()
    )
    manifest = load_manifest(small_dataset)
    assert manifest["version"] == digest.hexdigest()
    assert manifest["sources"]["vaderSentiment"] == "3.3.2"
    assert manifest["config"]["seed"] == DatasetConfig.small().seed


def test_no_group_spans_two_template_splits(rows: list[dict]) -> None:
    splits_of = defaultdict(set)
    for row in rows:
        if row["split"] != SPLIT_UNSEEN_VALUES:
            splits_of[row["group"]].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())


def test_unseen_values_fill_training_templates_with_held_out_values_only(rows: list[dict]) -> None:
    unseen = [row for row in rows if row["split"] == SPLIT_UNSEEN_VALUES]
    assert unseen and all(row["route"] == "command" for row in unseen)
    train_groups = {row["group"] for row in rows if row["split"] == "train"}
    assert {row["group"] for row in unseen} <= train_groups
    seen_values = {slot["text"] for row in rows if row["split"] != SPLIT_UNSEEN_VALUES for slot in row["slots"] or ()
                   if slot["name"] in ("area", "floor") and "text" in slot}  # fmt: skip
    held = [slot["text"] for row in unseen for slot in row["slots"] if slot["name"] in ("area", "floor")]
    assert held and not set(held) & seen_values


def test_noisy_copies_are_training_rows_whose_spans_follow_the_noise(rows: list[dict]) -> None:
    noisy = [row for row in rows if row["id"].endswith("~noisy")]
    assert noisy and all(row["split"] == "train" for row in noisy)
    originals = {row["id"]: row for row in rows}
    for row in noisy:
        original = originals[row["id"].removesuffix("~noisy")]
        assert row["text"] != original["text"] and row["route"] == original["route"]
        for slot, clean in zip(row["slots"] or (), original["slots"] or (), strict=True):
            assert slot["value"] == clean["value"]
            if "start" in slot:
                assert row["text"][slot["start"] : slot["end"]] == slot["text"]


def test_no_text_appears_in_two_splits(rows: list[dict]) -> None:
    splits_of = defaultdict(set)
    for row in rows:
        splits_of[fold_text(row["text"])].add(row["split"])
    assert all(len(splits) == 1 for splits in splits_of.values())


def test_labels_hold_the_fixed_spaces_none_first_and_bio_slot_tags(small_dataset: Path, rows: list[dict]) -> None:
    labels = load_labels(small_dataset)
    assert labels["route"] == list(ROUTE_LABELS)
    assert labels["sentiment"] == list(SENTIMENT_LABELS)
    assert labels["intent"][0] == INTENT_NONE
    assert labels["intent"][1:] == sorted(labels["intent"][1:]) and len(labels["intent"]) == 43
    tags = labels["slot_tags"]
    names = [tag[2:] for tag in tags[1::2]]
    assert tags[0] == "O" and names == sorted(names)
    assert tags[1:] == [f"{p}-{n}" for n in names for p in ("B", "I")]
    used = {slot["name"] for row in rows for slot in row["slots"] or ()}
    assert "domain" in names and labels["frames"]["values"]["domain"]["lights"] == "light"
    assert used <= set(names)
    assert {row["intent"] for row in rows if row["intent"]} <= set(labels["intent"])


def test_command_rows_carry_intent_and_exact_slot_spans(rows: list[dict]) -> None:
    commands = [r for r in rows if r["route"] == "command"]
    assert commands and all(r["source"] == "intents" for r in commands)
    for row in commands:
        assert row["intent"].startswith("Hass") and row["sentiment"] is None and row["response"] is None
        for slot in row["slots"]:
            assert slot["value"] is not None
            if "start" in slot:
                assert row["text"][slot["start"] : slot["end"]] == slot["text"]


def test_conversational_rows_have_intent_none_no_slots_and_a_reply(rows: list[dict]) -> None:
    talk = [r for r in rows if r["route"] in ("chitchat", "faq") and r["source"] != "world"]
    assert {r["source"] for r in talk} == {"chitchat", "chatterbot"}
    assert all(r["intent"] == INTENT_NONE and r["slots"] == [] and r["response"] for r in talk)
    assert all(r["sentiment"] is None for r in talk)


def test_questions_about_the_world_are_faq_without_a_reply(rows: list[dict]) -> None:
    world = [r for r in rows if r["source"] == "world"]
    assert world and all(r["route"] == "faq" and r["intent"] == INTENT_NONE and r["response"] is None for r in world)
    assert {r["split"] for r in world} >= {"train", "test"}


def test_sentiment_rows_carry_only_a_sentiment_label(rows: list[dict]) -> None:
    rated = [r for r in rows if r["sentiment"] is not None]
    assert {r["source"] for r in rated} == {"vader-amazon", "vader-movies", "vader-nyt", "vader-tweets"}
    assert all(
        r["route"] is None and r["intent"] is None and r["slots"] is None and r["response"] is None for r in rated
    )
    assert set(Counter(r["sentiment"] for r in rated)) == set(SENTIMENT_LABELS)


def test_held_out_test_rows_come_from_unseen_reviews_and_conversations_and_leave_other_splits_alone(
    source_cache: Path,
) -> None:
    config = DatasetConfig.small()
    topped_up = collect_rows(config, source_cache)
    sample_only = collect_rows(replace(config, sentiment_test_cap_per_corpus=0, reply_test_rows=0), source_cache)
    test = SPLITS[-1]

    def rated_test(rows: list[dict]) -> Counter:
        return Counter((r["source"], r["sentiment"]) for r in rows if r["sentiment"] and r["split"] == test)

    def reply_test(rows: list[dict]) -> list[dict]:
        return [r for r in rows if r["response"] is not None and r["split"] == test]

    assert [r for r in topped_up if r["split"] != test] == [r for r in sample_only if r["split"] != test]
    per_stratum = config.sentiment_test_cap_per_corpus // len(SENTIMENT_LABELS)
    strata = {(r["source"], r["sentiment"]) for r in sample_only if r["sentiment"]}
    assert len(strata) == 4 * len(SENTIMENT_LABELS)
    assert rated_test(topped_up) == {stratum: max(per_stratum, rated_test(sample_only)[stratum]) for stratum in strata}
    assert len(reply_test(sample_only)) < config.reply_test_rows == len(reply_test(topped_up))
    held_out_replies = [r for r in reply_test(topped_up) if r["route"] is None]
    assert len(held_out_replies) == config.reply_test_rows - len(reply_test(sample_only))
    assert all(r["intent"] is None and r["slots"] is None and r["source"] == "chitchat" for r in held_out_replies)
    seen_groups = {r["group"] for r in topped_up if r["split"] != test}
    for task in ("sentiment", "response"):
        test_groups = {r["group"] for r in topped_up if r[task] is not None and r["split"] == test}
        assert not seen_groups & test_groups, task
    sample_groups = {r["group"] for r in sample_only}
    assert not sample_groups & {r["group"] for r in held_out_replies}


def test_texts_respect_the_character_limit(rows: list[dict]) -> None:
    limit = DatasetConfig.small().max_chars
    assert all(0 < len(r["text"]) <= limit for r in rows)


def test_dataset_config_rejects_fractions_that_do_not_sum_to_one() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        replace(DatasetConfig(), test_fraction=0.3)
