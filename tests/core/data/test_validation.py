"""The Great Expectations suite: a fresh dataset passes; each kind of corruption is named."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mtassist.contracts import DATASET_EXAMPLES
from mtassist.data.dataset import load_examples
from mtassist.data.validation import (
    DataValidationError,
    ValidationThresholds,
    check_dataset,
    validate_dataset,
)

Rows = list[dict]


def corrupted(small_dataset: Path, tmp_path: Path, change: Callable[[Rows], None]) -> Path:
    """A copy of the small dataset with `change` applied to its rows."""
    target = tmp_path / "dataset"
    shutil.copytree(small_dataset, target)
    rows = load_examples(target)
    change(rows)
    (target / DATASET_EXAMPLES).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return target


def failures_of(dataset: Path, tmp_path: Path, **thresholds: object) -> list[str]:
    result = validate_dataset(dataset, tmp_path / "report" / "validation.html", ValidationThresholds(**thresholds))
    assert not result.success
    return result.failed


def first(rows: Rows, **match: object) -> dict:
    return next(r for r in rows if all(r[k] == v for k, v in match.items()))


def test_a_freshly_built_dataset_passes_and_gets_an_html_and_json_report(small_dataset: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "validation.html"
    result = check_dataset(small_dataset, report)
    assert result.success and result.failed == []
    assert result.statistics["unsuccessful_expectations"] == 0
    assert result.statistics["evaluated_expectations"] >= 30
    page = report.read_text(encoding="utf-8")
    assert "<table>" in page and "expect_column_values_to_be_null" in page and "leaked_group" in page
    raw = json.loads(report.with_suffix(".json").read_text())
    assert {suite["suite"] for suite in raw["suites"]} >= {
        "examples",
        "leakage",
        "route",
        "intent",
        "slots",
        "sentiment",
        "response",
    }


@pytest.fixture(scope="module")
def broken(small_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One dataset with several independent corruptions, checked once; what each one was."""
    planted: dict = {}

    def change(rows: Rows) -> None:
        first(rows, source="vader-tweets")["sentiment"] = "happy"
        null_text = first(rows, source="chitchat", split="validation")
        null_text["text"] = None
        planted["null_id"] = null_text["id"]
        train = first(rows, source="chitchat", split="train")
        first(rows, source="chitchat", split="test")["group"] = train["group"]
        planted["group"] = train["group"]
        leaked = first(rows, source="vader-movies", split="test")
        leaked["text"] = first(rows, source="vader-nyt", split="train")["text"]
        planted["leaked_text"] = leaked["text"]
        commands = [
            r
            for r in rows
            if r["route"] == "command" and r["split"] == "train" and r["slots"] and "start" in r["slots"][0]
        ]
        commands[0]["slots"][0]["start"] += 1
        commands[1]["intent"] = "HassMakeCoffee"
        commands[3]["text"], commands[3]["slots"] = commands[2]["text"], commands[2]["slots"]

    tmp = tmp_path_factory.mktemp("broken")
    report = tmp / "report" / "validation.html"
    with pytest.raises(DataValidationError) as caught:
        check_dataset(corrupted(small_dataset, tmp, change), report)
    return {"error": caught.value, "report": report, **planted}


def failure(broken: dict, prefix: str) -> str:
    found = [f for f in broken["error"].failed if f.startswith(prefix)]
    assert len(found) == 1, (prefix, broken["error"].failed)
    return found[0]


def test_validate_when_a_sentiment_label_is_unknown_names_the_label_set(broken: dict) -> None:
    found = failure(broken, "sentiment: expect_column_values_to_be_in_set(sentiment): 1 of")
    assert "'happy'" in found


def test_validate_when_a_text_is_null_names_the_not_null_expectation(broken: dict) -> None:
    found = failure(broken, "examples: expect_column_values_to_not_be_null(text): 1 of")
    assert broken["null_id"] in found


def test_validate_when_a_group_spans_two_splits_names_the_leak(broken: dict) -> None:
    found = failure(broken, "leakage: expect_column_values_to_be_null(leaked_group)")
    assert broken["group"] in found


def test_validate_when_a_text_is_in_train_and_test_names_the_leak(broken: dict) -> None:
    found = failure(broken, "leakage: expect_column_values_to_be_null(leaked_text)")
    assert broken["leaked_text"][:40] in found


def test_validate_when_a_slot_span_is_off_names_the_slot_error(broken: dict) -> None:
    found = failure(broken, "slots: expect_column_values_to_be_null(slot_error): 1 of")
    assert "span [" in found and ", not " in found


def test_validate_when_an_intent_is_not_in_labels_names_the_intent(broken: dict) -> None:
    found = failure(broken, "intent: expect_column_values_to_be_in_set(intent): 1 of")
    assert "HassMakeCoffee" in found


def test_validate_when_a_command_text_repeats_in_a_split_names_the_duplicate(broken: dict) -> None:
    failure(broken, "commands: expect_column_values_to_be_unique(text_in_split)")


def test_check_dataset_raises_listing_every_failure_and_what_to_do(broken: dict) -> None:
    error = broken["error"]
    message = str(error)
    lines = message.splitlines()
    assert lines[0] == f"dataset validation failed: {len(error.failed)} expectation(s) not met:"
    assert len(error.failed) == 7
    assert all(f"  - {f}" in lines for f in error.failed)
    assert "fix the source or the ingest settings" in message.casefold()
    assert str(broken["report"]) in message
    page = broken["report"].read_text(encoding="utf-8")
    assert page.count("<td>FAIL</td>") == len(error.failed)


def test_validate_when_a_column_is_missing_names_the_schema(small_dataset: Path, tmp_path: Path) -> None:
    def change(rows: Rows) -> None:
        for row in rows:
            del row["response"]

    failed = failures_of(corrupted(small_dataset, tmp_path, change), tmp_path)
    schema = [f for f in failed if f.startswith("examples: expect_table_columns_to_match_ordered_list(table)")]
    assert schema and "missing ['response']" in schema[0], failed


def test_validate_when_a_split_has_no_sentiment_names_the_missing_split(small_dataset: Path, tmp_path: Path) -> None:
    def change(rows: Rows) -> None:
        rows[:] = [r for r in rows if not (r["sentiment"] and r["split"] == "validation")]

    failed = failures_of(corrupted(small_dataset, tmp_path, change), tmp_path)
    assert failed == ["sentiment: expect_column_distinct_values_to_contain_set(split): missing ['validation']"]


def test_validate_when_a_route_share_is_out_of_bounds_names_the_label(small_dataset: Path, tmp_path: Path) -> None:
    failed = failures_of(small_dataset, tmp_path, route_share=(0.2, 0.9))
    assert len(failed) == 1 and failed[0].startswith("route_shares: expect_column_values_to_be_between(share)")
    assert "faq=" in failed[0]
