"""`mtassist models list`: every registered version with its aliases, key metrics and lineage."""

from __future__ import annotations

from mtassist.contracts import (
    CARD_DATASET_VERSION,
    CARD_LATENCY_P95_MS,
    CARD_TRAINED_ON,
    LINEAGE_GIT_COMMIT,
    LINEAGE_PIPELINE_RUN,
    TAG_CHAMPION_AT,
    TAG_CHAMPION_BY,
    TAG_PREVIOUS_CHAMPION,
    TAG_ROLLED_BACK_AT,
)
from mtassist.promotion import GATE_METRICS

_COLUMNS: dict[str, str] = {
    "score": "score",
    "route_accuracy": "route",
    "intent_macro_f1": "intent",
    "slot_f1": "slots",
    "sentiment_macro_f1": "sentiment",
    "response_mrr": "replies",
    CARD_LATENCY_P95_MS: "p95 ms",
}
"""Metric -> column title: the gate's metrics and the latency it checks."""


def version_records() -> list[dict]:
    """One dict per registered version, newest first: version, aliases, created, metrics, lineage, tags."""
    from mtassist.registry import aliases_by_version, all_versions, version_metrics

    aliases = aliases_by_version()
    records = []
    for found in all_versions():
        metrics = version_metrics(found)
        records.append(
            {
                "version": str(found.version),
                "aliases": aliases.get(str(found.version), []),
                "created_ms": found.creation_timestamp,
                "metrics": {name: metrics[name] for name in (*GATE_METRICS, CARD_LATENCY_P95_MS) if name in metrics},
                "tags": dict(found.tags),
            }
        )
    return records


def format_table(records: list[dict]) -> str:
    """A fixed-width table of `version_records()`, with a line of lineage under each version."""
    from datetime import UTC, datetime

    if not records:
        return "no registered versions yet: `mtassist run` trains and registers one"
    header = ["version", "aliases", "created (UTC)", *_COLUMNS.values()]
    rows = []
    for record in records:
        created = datetime.fromtimestamp(record["created_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        figures = [f"{record['metrics'][m]:.3f}" if m in record["metrics"] else "-" for m in _COLUMNS]
        rows.append([record["version"], ",".join(record["aliases"]) or "-", created, *figures])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for record, row in zip([None, *records], [header, *rows]):
        lines.append("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        if record is not None:
            lines.append("    " + _lineage(record["tags"]))
    return "\n".join(lines)


def _lineage(tags: dict[str, str]) -> str:
    parts = [
        f"dataset {tags.get(CARD_DATASET_VERSION, '?')[:12]}",
        f"commit {tags.get(LINEAGE_GIT_COMMIT, '?')[:12]}",
        f"pipeline run {tags.get(LINEAGE_PIPELINE_RUN) or '?'}",
    ]
    if CARD_TRAINED_ON in tags:
        parts.append(f"trained on {tags[CARD_TRAINED_ON]}")
    if TAG_CHAMPION_AT in tags:
        replaced = tags.get(TAG_PREVIOUS_CHAMPION) or "none"
        parts.append(
            f"champion since {tags[TAG_CHAMPION_AT]} by {tags.get(TAG_CHAMPION_BY, '?')} (replaced {replaced})"
        )
    if TAG_ROLLED_BACK_AT in tags:
        parts.append(f"rolled back {tags[TAG_ROLLED_BACK_AT]}")
    return "; ".join(parts)
