"""The `validate` step: a Great Expectations suite per task over the dataset artifact.

Suites (one pandas data asset each; derived columns make cross-row rules checkable):

- `examples`: schema (the columns of `EXAMPLE_COLUMNS`, in order), unique ids, non-null
  keys and text, splits and label sets, text lengths.
- `leakage`: no group in two template splits (`leaked_group`; the unseen-values split reuses
  training templates by design), no text in two splits (`leaked_text`).
- `route`, `intent`, `slots`, `sentiment`, `response`: the rows labelled for that task:
  label sets, every split non-empty, valid frames (named slots with values, spans that point at
  their text), non-empty replies, and class-share
  bounds (`<task>_shares`).
- `commands`: a command has an intent other than `none` and a slot list, and its text
  (folded, `text_in_split`) is unique within its split, as is a rated sentence's; chitchat
  and FAQ texts may repeat with different replies.

`validate_dataset` writes the raw GE result as JSON and a readable HTML table next to it;
`check_dataset` raises `DataValidationError` naming every failed expectation.
"""

from __future__ import annotations

import html
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mtassist.contracts import (
    ALL_SPLITS,
    EXAMPLE_COLUMNS,
    INTENT_NONE,
    ROUTE_COMMAND,
    ROUTE_LABELS,
    SENTIMENT_LABELS,
    SPLIT_UNSEEN_VALUES,
    SPLITS,
)
from mtassist.data.config import DatasetConfig
from mtassist.data.dataset import load_examples, load_labels, load_manifest
from mtassist.data.text import fold_text
from mtassist.errors import MtassistError

logger = logging.getLogger(__name__)
logging.getLogger("great_expectations").setLevel(logging.WARNING)  # it logs its registry at INFO on import

DEFAULT_MAX_CHARS = DatasetConfig().max_chars
"""The length bound when the manifest does not say which one ingest used."""


@dataclass(frozen=True)
class ValidationThresholds:
    """Bounds the suite holds the dataset to; `max_chars` defaults to the ingest setting."""

    max_chars: int | None = None
    route_share: tuple[float, float] = (0.03, 0.85)
    sentiment_share: tuple[float, float] = (0.15, 0.6)
    min_rows_per_split: int = 1


@dataclass
class ValidationResult:
    """`failed` names each failed expectation with its column and what was observed."""

    success: bool
    failed: list[str]
    statistics: dict[str, Any]
    report_path: Path | None = None
    json_path: Path | None = None
    results: list[dict[str, Any]] = field(default_factory=list, repr=False)


class DataValidationError(MtassistError, ValueError):
    """The dataset failed its expectations; the message lists each one."""

    def __init__(self, failed: list[str], report_path: Path | None) -> None:
        self.failed = list(failed)
        self.report_path = report_path
        lines = "\n".join(f"  - {item}" for item in failed)
        where = f"\nThe report is at {report_path}." if report_path else ""
        super().__init__(
            f"dataset validation failed: {len(failed)} expectation(s) not met:\n{lines}{where}\n"
            "Fix the source or the ingest settings (DatasetConfig), then run ingest and "
            "validate again."
        )


def _frames(rows: list[dict[str, Any]], labels: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """One DataFrame per suite, with the derived columns its expectations read."""
    raw = pd.DataFrame(rows)
    examples = raw.copy()
    for column in EXAMPLE_COLUMNS:
        if column not in examples:
            examples[column] = None
    keys = examples["text"].map(lambda t: fold_text(t) if isinstance(t, str) else None)
    template_splits = examples[examples["split"] != SPLIT_UNSEEN_VALUES]
    splits_per_group = template_splits.groupby("group", dropna=True)["split"].nunique()
    splits_per_text = examples.assign(key=keys).groupby("key", dropna=True)["split"].nunique()
    leakage = pd.DataFrame({"id": examples["id"], "group": examples["group"], "split": examples["split"]})
    leakage["leaked_group"] = examples["group"].map(
        lambda g: g if g is not None and splits_per_group.get(g, 1) > 1 else None
    )
    leakage["leaked_text"] = [
        text if key is not None and splits_per_text.get(key, 1) > 1 else None
        for text, key in zip(examples["text"], keys)
    ]
    frames = {"examples": raw, "leakage": leakage}
    examples["text_in_split"] = [f"{split}: {key}" for split, key in zip(examples["split"], keys)]
    for task in ("route", "intent", "sentiment", "response"):
        frames[task] = examples[examples[task].notna()].reset_index(drop=True)
    frames["commands"] = examples[examples["route"] == ROUTE_COMMAND].reset_index(drop=True)
    slots = examples[examples["slots"].notna()].reset_index(drop=True)
    allowed = {tag.split("-", 1)[1] for tag in labels.get("slot_tags", []) if "-" in tag}
    slots["slot_error"] = [_slot_error(t, s, allowed) for t, s in zip(slots["text"], slots["slots"])]
    frames["slots"] = slots
    for task, values in (("route", ROUTE_LABELS), ("sentiment", SENTIMENT_LABELS)):
        frames[f"{task}_shares"] = _shares(frames[task], task, values)
    return frames


def _shares(frame: pd.DataFrame, column: str, values: tuple[str, ...]) -> pd.DataFrame:
    counts = frame[column].value_counts() if len(frame) else pd.Series(dtype=int)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"label": list(values), "share": [float(counts.get(v, 0)) / total for v in values]})


def _slot_error(text: Any, spans: Any, allowed: set[str]) -> str | None:
    if not isinstance(spans, list):
        return f"slots is {type(spans).__name__}, not a list"
    if not isinstance(text, str):
        return "slots without a text" if spans else None
    for slot in spans:
        if not isinstance(slot, dict) or not isinstance(slot.get("name"), str) or slot.get("value") is None:
            return f"malformed slot {slot!r}: a slot needs a name and a value"
        name = slot["name"]
        if name not in allowed:
            return f"slot {name!r} is not in labels.json"
        if "start" not in slot:
            continue
        start, end, spoken = slot.get("start"), slot.get("end"), slot.get("text")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            return f"{name} span [{start}:{end}] is out of range"
        if text[start:end] != spoken:
            return f"{name} span [{start}:{end}] is {text[start:end]!r}, not {spoken!r}"
    return None


def _suites(labels: dict[str, list[str]], thresholds: ValidationThresholds, max_chars: int) -> dict[str, list[Any]]:
    import great_expectations as gx

    e = gx.expectations
    splits = list(SPLITS)

    def per_task(column: str, value_set: list[str]) -> list[Any]:
        return [
            e.ExpectTableRowCountToBeBetween(min_value=thresholds.min_rows_per_split * len(SPLITS)),
            e.ExpectColumnValuesToBeInSet(column=column, value_set=value_set),
            e.ExpectColumnDistinctValuesToContainSet(column="split", value_set=splits),
        ]

    return {
        "examples": [
            e.ExpectTableColumnsToMatchOrderedList(column_list=list(EXAMPLE_COLUMNS)),
            e.ExpectTableRowCountToBeBetween(min_value=1),
            e.ExpectColumnValuesToBeUnique(column="id"),
            *[e.ExpectColumnValuesToNotBeNull(column=c) for c in ("id", "source", "group", "split", "text")],
            e.ExpectColumnValuesToBeInSet(column="split", value_set=list(ALL_SPLITS)),
            e.ExpectColumnValueLengthsToBeBetween(column="text", min_value=1, max_value=max_chars),
        ],
        "leakage": [
            e.ExpectColumnValuesToBeNull(column="leaked_group"),
            e.ExpectColumnValuesToBeNull(column="leaked_text"),
        ],
        "route": [*per_task("route", list(ROUTE_LABELS)), e.ExpectColumnDistinctValuesToContainSet(column="route", value_set=list(ROUTE_LABELS))],
        "route_shares": [
            e.ExpectColumnValuesToBeBetween(column="share", min_value=thresholds.route_share[0],
                                            max_value=thresholds.route_share[1]),
        ],
        "intent": per_task("intent", labels.get("intent", [])),
        "commands": [
            e.ExpectColumnValuesToBeUnique(column="text_in_split"),
            e.ExpectColumnValuesToNotBeInSet(column="intent", value_set=[INTENT_NONE]),
            e.ExpectColumnValuesToNotBeNull(column="intent"),
            e.ExpectColumnValuesToNotBeNull(column="slots"),
        ],
        "slots": [
            e.ExpectColumnDistinctValuesToContainSet(column="split", value_set=splits),
            e.ExpectColumnValuesToBeNull(column="slot_error"),
        ],
        "sentiment": [*per_task("sentiment", list(SENTIMENT_LABELS)), e.ExpectColumnValuesToBeUnique(column="text_in_split")],
        "sentiment_shares": [
            e.ExpectColumnValuesToBeBetween(column="share", min_value=thresholds.sentiment_share[0],
                                            max_value=thresholds.sentiment_share[1]),
        ],
        "response": [
            e.ExpectTableRowCountToBeBetween(min_value=thresholds.min_rows_per_split * len(SPLITS)),
            e.ExpectColumnDistinctValuesToContainSet(column="split", value_set=splits),
            e.ExpectColumnValueLengthsToBeBetween(column="response", min_value=1),
        ],
    }  # fmt: skip


_INDEX_COLUMNS = {"leakage": ["id"], "route_shares": ["label"], "sentiment_shares": ["label"],
                  "slots": ["id"], "examples": ["id"], "route": ["id"], "intent": ["id"],
                  "sentiment": ["id"], "response": ["id"], "commands": ["id"]}  # fmt: skip


def _run_suites(frames: dict[str, pd.DataFrame], suites: dict[str, list[Any]]) -> list[dict[str, Any]]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger(ProgressBarsConfig.__module__).setLevel(logging.WARNING)  # it sets its own logger to INFO
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("mtassist_dataset")
    results = []
    for name, expectations in suites.items():
        frame = frames[name]
        asset = source.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe(f"{name}_all").get_batch(
            batch_parameters={"dataframe": frame}
        )
        suite = context.suites.add(gx.ExpectationSuite(name=f"mtassist_{name}"))
        for expectation in expectations:
            suite.add_expectation(expectation)
        index_columns = [c for c in _INDEX_COLUMNS.get(name, []) if c in frame.columns]
        result_format: dict[str, Any] = {"result_format": "COMPLETE"}
        if index_columns and len(frame):
            result_format["unexpected_index_column_names"] = index_columns
        outcome = batch.validate(suite, result_format=result_format).to_json_dict()
        outcome["suite"] = name
        results.append(outcome)
    return results


def _shorten(values: list[Any], limit: int = 5) -> str:
    values = list({json.dumps(v, sort_keys=True, default=str): v for v in values}.values())
    shown = [v if not isinstance(v, str) or len(v) <= 60 else v[:57] + "..." for v in values[:limit]]
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return f"{shown}{more}"


def describe(outcome: dict[str, Any]) -> tuple[str, str, str]:
    """(expectation, column, observed) for one GE expectation result."""
    config = outcome.get("expectation_config", {})
    kwargs = config.get("kwargs", {})
    kind = config.get("type", "?")
    target = kwargs.get("column") or ",".join(kwargs.get("column_list", []))
    if kind.startswith("expect_table_"):
        target = "table"
    result = outcome.get("result", {}) or {}
    exception = outcome.get("exception_info") or {}
    if exception.get("raised_exception"):
        observed = f"error: {str(exception.get('exception_message'))[:200]}"
    elif kind == "expect_table_columns_to_match_ordered_list":
        expected, found = kwargs.get("column_list", []), result.get("observed_value") or []
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        observed = f"missing {missing}, unexpected {extra}" if missing or extra else f"order {found}"
    elif result.get("partial_unexpected_index_list") and target == "share":
        shares = result["partial_unexpected_index_list"]
        observed = "; ".join(f"{row['label']}={row['share']:.3f}" for row in shares)
    elif "unexpected_count" in result:
        values = result.get("partial_unexpected_list") or []
        if values and all(v is None for v in values) and result.get("partial_unexpected_index_list"):
            values = [f"id {row.get('id')}" for row in result["partial_unexpected_index_list"]]
        observed = (
            f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected, e.g. {_shorten(values)}"
        )
    elif result.get("partial_missing_list") is not None:
        observed = f"missing {result['partial_missing_list']}"
    elif "observed_value" in result:
        value = result["observed_value"]
        observed = f"observed {_shorten(value) if isinstance(value, list) else value}"
    else:
        observed = json.dumps(result, default=str)[:200]
    return kind, target, observed


def _render_html(results: list[dict[str, Any]], statistics: dict[str, Any]) -> str:
    rows = []
    for suite in results:
        for outcome in suite["results"]:
            expectation, column, observed = describe(outcome)
            status = "pass" if outcome.get("success") else "FAIL"
            rows.append(
                f"<tr class='{status.lower()}'><td>{html.escape(suite['suite'])}</td>"
                f"<td>{html.escape(expectation)}</td><td>{html.escape(column)}</td>"
                f"<td>{status}</td><td>{html.escape(observed)}</td></tr>"
            )
    verdict = "passed" if statistics["success"] else "FAILED"
    stats = html.escape(json.dumps(statistics, indent=2))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mtassist dataset validation</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        "tr.fail{background:#fdd}tr.pass{background:#efe}</style></head><body>"
        f"<h1>Dataset validation {verdict}</h1><pre>{stats}</pre>"
        "<table><tr><th>suite</th><th>expectation</th><th>column</th><th>result</th>"
        f"<th>observed</th></tr>{''.join(rows)}</table></body></html>\n"
    )


def validate_dataset(
    dataset_dir: Path, report_path: Path, thresholds: ValidationThresholds | None = None
) -> ValidationResult:
    """Run every suite on the dataset in `dataset_dir`; write the HTML report and raw JSON."""
    dataset_dir, report_path = Path(dataset_dir), Path(report_path)
    thresholds = thresholds or ValidationThresholds()
    rows, labels = load_examples(dataset_dir), load_labels(dataset_dir)
    try:
        manifest = load_manifest(dataset_dir)
    except (OSError, ValueError):
        manifest = {}
    max_chars = thresholds.max_chars or manifest.get("config", {}).get("max_chars") or DEFAULT_MAX_CHARS
    results = _run_suites(_frames(rows, labels), _suites(labels, thresholds, max_chars))
    failed = [
        f"{suite['suite']}: {expectation}({column}): {observed}"
        for suite in results
        for outcome in suite["results"]
        if not outcome.get("success")
        for expectation, column, observed in [describe(outcome)]
    ]
    evaluated = sum(len(suite["results"]) for suite in results)
    statistics = {
        "success": not failed,
        "dataset_version": manifest.get("version"),
        "rows": len(rows),
        "evaluated_expectations": evaluated,
        "successful_expectations": evaluated - len(failed),
        "unsuccessful_expectations": len(failed),
        "suites": {s["suite"]: s.get("statistics", {}) for s in results},
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    json_path = report_path.with_suffix(".json")
    json_path.write_text(json.dumps({"statistics": statistics, "suites": results}, indent=2, default=str))
    report_path.write_text(_render_html(results, statistics), encoding="utf-8")
    logger.info("validation %s: %d of %d expectations met", "passed" if not failed else "FAILED",
                evaluated - len(failed), evaluated)  # fmt: skip
    return ValidationResult(not failed, failed, statistics, report_path, json_path, results)


def check_dataset(
    dataset_dir: Path, report_path: Path, thresholds: ValidationThresholds | None = None
) -> ValidationResult:
    """`validate_dataset`, raising `DataValidationError` when any expectation fails."""
    result = validate_dataset(dataset_dir, report_path, thresholds)
    if not result.success:
        raise DataValidationError(result.failed, result.report_path)
    return result
