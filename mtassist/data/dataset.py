"""The multi-task dataset artifact: `examples.jsonl`, `labels.json` and `manifest.json`.

`build_dataset` collects every source's rows (`rows`), splits and de-duplicates them
(`splits`), derives the label spaces and writes the three files; the content hash of examples
and labels is the dataset's version. Same config and seed give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mtassist.contracts import (
    ALL_SPLITS,
    DATASET_EXAMPLES,
    DATASET_LABELS,
    DATASET_MANIFEST,
    EXAMPLE_COLUMNS,
    INTENT_NONE,
    ROUTE_COMMAND,
    ROUTE_LABELS,
    SENTIMENT_LABELS,
    SPLITS,
    TASKS,
)
from mtassist.data import templates as intent_templates
from mtassist.data.config import DatasetConfig
from mtassist.data.frame_rules import derive_frame_rules
from mtassist.data.noise import NOISY_ID_SUFFIX, noisy_rows
from mtassist.data.rows import (
    chatterbot_rows,
    chitchat_rows,
    command_rows,
    held_out_reply_rows,
    held_out_sentiment_rows,
    sentiment_rows,
    unseen_value_rows,
    world_question_rows,
)
from mtassist.data.sources import source_versions
from mtassist.data.splits import (
    assign_splits,
    assign_unseen_values,
    drop_contradictions,
    limit_repeats,
    remove_cross_split_texts,
    resolve_route_conflicts,
)
from mtassist.data.text import fold_text
from mtassist.slots import slot_tags
from mtassist.spelling import words_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetManifest:
    """What `manifest.json` holds."""

    version: str
    counts: dict[str, dict[str, int]]
    sources: dict[str, str]
    config: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_labels(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The label spaces (fixed ones from contracts, intents and slot tags from the templates), frame
    rules and lexicon (the words of the training split's commands as written, without noise)."""
    rows = list(rows)
    intents = set(intent_templates.intent_names())
    slot_names = set(intent_templates.slot_names())
    lexicon = words_of(
        row["text"]
        for row in rows
        if row["split"] == SPLITS[0] and row["route"] == ROUTE_COMMAND and not row["id"].endswith(NOISY_ID_SUFFIX)
    )
    for row in rows:
        if row["intent"] not in (None, INTENT_NONE):
            intents.add(row["intent"])
        slot_names.update(span["name"] for span in row["slots"] or () if "start" in span)
    return {
        "route": list(ROUTE_LABELS),
        "intent": [INTENT_NONE, *sorted(intents)],
        "slot_tags": slot_tags(sorted(slot_names)),
        "sentiment": list(SENTIMENT_LABELS),
        "frames": derive_frame_rules().to_dict(),
        "lexicon": dict(sorted(lexicon.items())),
    }


def _has_task(row: dict[str, Any], task: str) -> bool:
    return row[task] is not None


def count_rows(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Rows per split per task (a row counts for every task whose label it carries)."""
    counts = {split: {task: 0 for task in TASKS} for split in ALL_SPLITS}
    for row in rows:
        for task in TASKS:
            counts[row["split"]][task] += int(_has_task(row, task))
    return counts


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    lines = (json.dumps({c: row[c] for c in EXAMPLE_COLUMNS}, ensure_ascii=False) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def collect_rows(config: DatasetConfig, cache_dir: Path) -> list[dict[str, Any]]:
    """Every source's rows, split, de-duplicated, noisy training copies added, ordered (split, then id)."""
    rows: list[dict[str, Any]] = []
    for name, produce in (
        ("commands", lambda: command_rows(config)),
        ("world questions", lambda: world_question_rows(config)),
        ("chitchat", lambda: chitchat_rows(config)),
        ("chatterbot", lambda: chatterbot_rows(config)),
        ("sentiment", lambda: sentiment_rows(config, cache_dir)),
    ):
        produced = produce()
        logger.info("%s: %d rows", name, len(produced))
        rows.extend(produced)
    rows = limit_repeats(drop_contradictions(resolve_route_conflicts(rows)))
    assign_splits(rows, config)
    unseen = assign_unseen_values(rows, unseen_value_rows(config))
    logger.info("unseen values: %d rows", len(unseen))
    rows = remove_cross_split_texts(rows + unseen)
    held_out = held_out_sentiment_rows(config, cache_dir, rows)
    logger.info("held-out rated test sentences: %d rows", len(held_out))
    rows += held_out
    held_out = held_out_reply_rows(config, rows)
    logger.info("held-out test message-reply pairs: %d rows", len(held_out))
    rows += held_out
    rows += _noisy_training_copies(rows, config)
    rows.sort(key=lambda r: (ALL_SPLITS.index(r["split"]), r["id"]))
    return rows


def _noisy_training_copies(rows: list[dict[str, Any]], config: DatasetConfig) -> list[dict[str, Any]]:
    """Noisy copies of some training rows with a route, none whose text is already in the dataset."""
    train = [row for row in rows if row["split"] == SPLITS[0] and row["route"] is not None]
    known = {fold_text(row["text"]) for row in rows}
    copies = []
    for copy in noisy_rows(train, config.seed, config.noise_share):
        if fold_text(copy["text"]) not in known:
            known.add(fold_text(copy["text"]))
            copies.append(copy)
    logger.info("noisy training copies: %d rows", len(copies))
    return copies


def build_dataset(output_dir: Path, config: DatasetConfig, cache_dir: Path) -> DatasetManifest:
    """Write examples, labels and manifest to `output_dir`; return the manifest."""
    output_dir = Path(output_dir)
    rows = collect_rows(config, Path(cache_dir))
    labels = build_labels(rows)
    examples_bytes, labels_bytes = _jsonl(rows), _json(labels)
    digest = hashlib.sha256()
    digest.update(examples_bytes)
    digest.update(labels_bytes)
    manifest = DatasetManifest(
        version=digest.hexdigest(),
        counts=count_rows(rows),
        sources=source_versions(),
        config=asdict(config),
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / DATASET_EXAMPLES).write_bytes(examples_bytes)
    (output_dir / DATASET_LABELS).write_bytes(labels_bytes)
    (output_dir / DATASET_MANIFEST).write_bytes(_json(manifest.to_json()))
    logger.info("dataset %s: %d rows in %s", manifest.version[:12], len(rows), output_dir)
    return manifest


def load_examples(dataset_dir: Path) -> list[dict[str, Any]]:
    """The rows of `examples.jsonl`."""
    with (Path(dataset_dir) / DATASET_EXAMPLES).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_labels(dataset_dir: Path) -> dict[str, list[str]]:
    """The label spaces of `labels.json`."""
    return json.loads((Path(dataset_dir) / DATASET_LABELS).read_text(encoding="utf-8"))


def load_manifest(dataset_dir: Path) -> dict[str, Any]:
    """`manifest.json` as a dict."""
    return json.loads((Path(dataset_dir) / DATASET_MANIFEST).read_text(encoding="utf-8"))


def rows_by_split(dataset_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The rows of `examples.jsonl`, by split, in file order."""
    rows: dict[str, list[dict[str, Any]]] = {split: [] for split in ALL_SPLITS}
    for row in load_examples(dataset_dir):
        rows[row["split"]].append(row)
    return rows
