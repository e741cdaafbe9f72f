"""The quality report: the pipeline's teacher and student beside classical baselines, per head.

`quality_report` reads what a pipeline run wrote (its dataset and its evaluation of teacher and
student on the test split), runs the baselines of `mtassist.baselines` on the same test rows, and
returns the figures and their Markdown (docs/QUALITY.md). Every number in it comes from that run
and that computation; nothing is typed in by hand.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mtassist.contracts import DATASET_MANIFEST, MODEL_RUN_FILE, TASKS
from mtassist.weighting_comparison import SECTION as WEIGHTING_SECTION

if TYPE_CHECKING:
    from mtassist.training.config import TrainingConfig

MODELS = ("teacher", "student")

COMMAND_SPLITS: tuple[tuple[str, str, str | None], ...] = (
    ("unseen templates (test)", "", "hassil"),
    ("unseen values", "unseen_values_", "hassil unseen values"),
    ("unseen values, home names as CONTEXT", "unseen_values_context_", None),
    ("noisy test", "noisy_", "hassil noisy"),
    ("noisy test, home names as CONTEXT", "noisy_context_", None),
)
"""(what, metric prefix of the evaluate step, hassil baseline) for the commands table."""
COMMAND_COLUMNS: tuple[str, ...] = ("route_accuracy", "intent_accuracy", "slot_f1", "frame_accuracy")

HEAD_METRICS: tuple[tuple[str, str], ...] = (
    ("route", "route_accuracy"),
    ("intent", "intent_accuracy"),
    ("intent", "intent_macro_f1"),
    ("slots", "slot_f1"),
    ("slots", "frame_accuracy"),
    ("sentiment", "sentiment_macro_f1"),
    ("sentiment", "sentiment_accuracy"),
    ("response", "response_recall_at_1"),
    ("response", "response_recall_at_10"),
    ("response", "response_mrr"),
    ("response", "response_recall_at_1_of_100"),
)
"""The rows of the per-head table, in the order heads are reported everywhere."""


@dataclass
class QualityFigures:
    dataset_version: str
    test_rows: int
    models: dict[str, dict]
    """The evaluate step's figures per model: metrics, per_intent, sentiment_by_source."""
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    """Baseline name -> metrics named as the model's ("vader": sentiment by source, ...)."""
    single_task: dict[str, float] = field(default_factory=dict)
    """Each head's metrics from the encoder fine-tuned for that head alone (empty: not run)."""
    training: dict[str, dict] = field(default_factory=dict)
    """Per model, its run record (`run.json`): steps trained and the best step kept."""


def quality_figures(
    dataset_dir: Path,
    evaluation_path: Path,
    encoder_dir: str,
    max_length: int,
    single_task: TrainingConfig | None = None,
    model_dirs: dict[str, Path] | None = None,
) -> QualityFigures:
    """The run's evaluation and the baselines on its test split; with `single_task`, also each
    head fine-tuned alone with that configuration (five trainings: minutes on a CPU)."""
    from mtassist.baselines import bm25_retrieval, encoder_retrieval, hassil_commands, vader_sentiment
    from mtassist.contracts import SPLIT_UNSEEN_VALUES
    from mtassist.data.dataset import rows_by_split
    from mtassist.data.noise import noisy_rows
    from mtassist.data.slot_values import HELD_OUT, SEEN
    from mtassist.evaluation import NOISE_SEED

    evaluation = json.loads(Path(evaluation_path).read_text())
    manifest = json.loads((Path(dataset_dir) / DATASET_MANIFEST).read_text())
    splits = rows_by_split(Path(dataset_dir))
    test_rows = splits["test"]
    return QualityFigures(
        dataset_version=manifest["version"],
        test_rows=len(test_rows),
        models=evaluation["models"],
        baselines={
            "vader": vader_sentiment(test_rows),
            "bm25": bm25_retrieval(test_rows),
            "untuned encoder": encoder_retrieval(encoder_dir, test_rows, max_length),
            "hassil": hassil_commands(test_rows, SEEN),
            "hassil unseen values": hassil_commands(splits[SPLIT_UNSEEN_VALUES], HELD_OUT),
            "hassil noisy": hassil_commands(
                noisy_rows([row for row in test_rows if row["route"] is not None], NOISE_SEED), SEEN
            ),
        },
        single_task=_single_task_figures(dataset_dir, splits, encoder_dir, single_task) if single_task else {},
        training={
            name: json.loads((Path(directory) / MODEL_RUN_FILE).read_text())
            for name, directory in (model_dirs or {}).items()
            if (Path(directory) / MODEL_RUN_FILE).is_file()
        },
    )


def _single_task_figures(
    dataset_dir: Path, splits: dict[str, list[dict]], encoder_dir: str, config: TrainingConfig
) -> dict[str, float]:
    from mtassist.data.dataset import load_labels
    from mtassist.labels import LabelSpace
    from mtassist.tokenization import load_tokenizer
    from mtassist.training.single_task import train_single_task

    labels, tokenizer = LabelSpace.from_dict(load_labels(Path(dataset_dir))), load_tokenizer(encoder_dir)
    figures: dict[str, float] = {}
    for head in TASKS:
        figures.update(train_single_task(head, encoder_dir, tokenizer, labels, splits, config))
    return figures


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _recall_of_100_line(metrics: dict[str, dict], baselines: dict[str, dict]) -> list[str]:
    """The teacher's recall@1 among 100 against the aim: twice BM25's, 10 points above the untuned encoder."""
    metric = "response_recall_at_1_of_100"
    teacher = metrics.get("teacher", {}).get(metric)
    bm25 = baselines.get("bm25", {}).get(metric)
    untuned = baselines.get("untuned encoder", {}).get(metric)
    if teacher is None or not bm25 or untuned is None:
        return []
    return [
        "",
        f"Teacher recall@1 among 100: {teacher:.3f}, {teacher / bm25:.2f}x BM25's (aim: 2x) and "
        f"{(teacher - untuned) * 100:+.1f} points against the untuned encoder (aim: +10).",
    ]


SINGLE_TASK_TOLERANCE = 0.01
"""How far below its single-task baseline a teacher's metric may be (1 point)."""


def _single_task_gap_line(teacher: dict[str, float], single_task: dict[str, float]) -> list[str]:
    """The teacher's metrics more than SINGLE_TASK_TOLERANCE below the same head trained alone."""
    if not single_task:
        return []
    tolerance = f"{SINGLE_TASK_TOLERANCE * 100:.0f} point"
    below = [
        f"{metric} {(teacher[metric] - value) * 100:+.1f}"
        for _, metric in HEAD_METRICS
        if (value := single_task.get(metric)) is not None
        and metric in teacher
        and teacher[metric] < value - SINGLE_TASK_TOLERANCE
    ]
    if not below:
        return ["", f"Every teacher metric is within {tolerance} of its single-task baseline."]
    return [
        "",
        f"Teacher metrics more than {tolerance} below the single-task baseline, in points: {', '.join(below)}"
        f" (aim: none more than {tolerance} below; each task's share of the teacher's batches is"
        " `TEACHER_TASK_SAMPLING`).",
    ]


def quality_markdown(figures: QualityFigures, command: str, weighting_section: str | None = None) -> str:
    """docs/QUALITY.md: provenance, then per head, per sentiment source and per intent; last the
    loss-weighting comparison, `weighting_section` as `mtassist report weighting` wrote it."""
    models = [name for name in MODELS if name in figures.models]
    metrics = {name: figures.models[name]["metrics"] for name in models}
    baseline_of = {
        "sentiment_macro_f1": ("VADER lexicon", figures.baselines.get("vader", {}).get("all")),
        "response_recall_at_1": ("BM25", figures.baselines.get("bm25", {}).get("response_recall_at_1")),
        "response_recall_at_10": ("BM25", figures.baselines.get("bm25", {}).get("response_recall_at_10")),
        "response_mrr": ("BM25", figures.baselines.get("bm25", {}).get("response_mrr")),
        "response_recall_at_1_of_100": ("BM25", figures.baselines.get("bm25", {}).get("response_recall_at_1_of_100")),
    }
    untuned = figures.baselines.get("untuned encoder", {})
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# mtassist quality",
        "",
        f"Written by `{command}` on {when} ({platform.machine()}, Python {platform.python_version()}).",
        f"Test split of dataset `{figures.dataset_version[:12]}`: {figures.test_rows} rows. Templates, "
        "conversations and reviews in the test split are not in training (splits are by group). These are "
        "the evaluated models; a run with `--release-on-every-split` releases them trained again on every "
        "split, and its registered version carries these held-out figures (its `metric_sources` tag).",
        *_training_lines(figures),
        "",
        "## Per head",
        "",
        "| head | metric | " + " | ".join(models) + " | single-task | classical baseline | untuned encoder |",
        "|---" * (len(models) + 5) + "|",
    ]
    for head, metric in HEAD_METRICS:
        baseline_name, baseline_value = baseline_of.get(metric, ("", None))
        baseline = f"{_cell(baseline_value)} ({baseline_name})" if baseline_value is not None else ""
        cells = " | ".join(_cell(metrics[name].get(metric)) for name in models)
        single = _cell(figures.single_task.get(metric))
        lines.append(f"| {head} | {metric} | {cells} | {single} | {baseline} | {_cell(untuned.get(metric))} |")
    lines += [
        "",
        "Replies are ranked among every distinct reply of the test split, the same candidates for the",
        "model, BM25 and the untuned encoder (mean-pooled, cosine); `response_recall_at_1_of_100` ranks each",
        "true reply among 100: itself and 99 others drawn with a fixed seed, the same for all.",
        *_recall_of_100_line(metrics, figures.baselines),
        "",
        "Single-task: the same pretrained encoder fine-tuned for that head alone, as many epochs over that",
        "head's rows as the teacher, same seed and settings"
        + (" (not run: `mtassist report quality --single-task`)." if not figures.single_task else "."),
        *_single_task_gap_line(metrics.get("teacher", {}), figures.single_task),
        "",
        "## Sentiment macro-F1 per source",
        "",
        "| source | " + " | ".join(models) + " | VADER lexicon |",
        "|---" * (len(models) + 2) + "|",
    ]
    vader = figures.baselines.get("vader", {})
    for source in sorted(vader, key=lambda s: (s == "all", s)):
        cells = " | ".join(_cell(figures.models[name].get("sentiment_by_source", {}).get(source)) for name in models)
        lines.append(f"| {source} | {cells} | {_cell(vader[source])} |")
    lines += _commands_section(figures, models)
    lines += _probes_section(figures, models)
    per_intent = {name: figures.models[name].get("per_intent", {}) for name in models}
    intents = sorted({intent for cells in per_intent.values() for intent in cells})
    lines += ["", "## Intent accuracy per intent", "", "| intent | test rows | " + " | ".join(models) + " |"]
    lines.append("|---" * (len(models) + 2) + "|")
    for intent in intents:
        rows = next(cells[intent]["rows"] for cells in per_intent.values() if intent in cells)
        cells = " | ".join(_cell(per_intent[name].get(intent, {}).get("accuracy")) for name in models)
        lines.append(f"| {intent} | {rows} | {cells} |")
    lines += ["", weighting_section or _NO_WEIGHTING_SECTION]
    return "\n".join(lines).rstrip("\n") + "\n"


_NO_WEIGHTING_SECTION = "\n".join(
    [
        WEIGHTING_SECTION,
        "",
        "Not measured on this dataset yet: `mtassist report weighting` trains a teacher per loss weighting and "
        "writes this section.",
    ]
)


def _training_lines(figures: QualityFigures) -> list[str]:
    if not figures.training:
        return []
    parts = [
        f"{name} {record.get('steps', '?')} steps (best validation at step {record.get('best_step', '?')})"
        for name, record in figures.training.items()
    ]
    return [f"Trained: {'; '.join(parts)}."]


def _probes_section(figures: QualityFigures, models: list[str]) -> list[str]:
    """Hand-written probes: accuracy per model, and the teacher's misses."""
    from mtassist.data.probes import PROBES

    lines = [
        "",
        f"## Hand-written probes ({len(PROBES)} sentences in everyday wording, `mtassist/data/probes.py`)",
        "",
        "| metric | " + " | ".join(models) + " |",
        "|---" * (len(models) + 1) + "|",
    ]
    for metric in ("probe_route_accuracy", "probe_intent_accuracy"):
        lines.append(
            f"| {metric} | " + " | ".join(_cell(figures.models[n]["metrics"].get(metric)) for n in models) + " |"
        )
    misses = figures.models.get(models[0], {}).get("probe_misses", []) if models else []
    if misses:
        lines += [
            "",
            f"The {models[0]}'s misses:",
            "",
            "| text | route | answered | intent | answered |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {m['text']} | {m['route']} | {m['predicted_route']} | {m['intent']} | {m['predicted_intent']} |"
            for m in misses
        ]
    return lines


def _commands_section(figures: QualityFigures, models: list[str]) -> list[str]:
    """Commands on each evaluation split: the models beside Home Assistant's recognizer."""
    lines = [
        "",
        "## Commands: unseen templates, unseen values, noise",
        "",
        "| split | metric | " + " | ".join(models) + " | hassil recognizer |",
        "|---" * (len(models) + 3) + "|",
    ]
    for split, prefix, baseline in COMMAND_SPLITS:
        for metric in COMMAND_COLUMNS:
            cells = " | ".join(_cell(figures.models[name]["metrics"].get(prefix + metric)) for name in models)
            hassil = _cell(figures.baselines.get(baseline, {}).get(metric)) if baseline else ""
            lines.append(f"| {split} | {metric} | {cells} | {hassil} |")
    lines += [
        "",
        "slot_f1: spoken slots (name and exact span) as the answer gives them. frame_accuracy: intent",
        "and every slot's name and normalised value right, implied slots included. Unseen values:",
        "training templates filled with held-out areas, floors, entity names and wildcard values.",
        "Noisy: the test split with the training noise (typos, a dropped filler word, casing, no",
        "punctuation); without CONTEXT a misspelt name counts as wrong. CONTEXT: the split's areas,",
        "floors and entity names, as Home Assistant sends them. hassil: Home Assistant's recognizer",
        "with every template (the test templates included) and the same names as CONTEXT.",
    ]
    return lines


def log_to_mlflow(figures: QualityFigures, markdown: str) -> str:
    """Log the baselines' figures and the report as an MLflow run; returns its id."""
    import mlflow

    from mtassist.registry import tracked_run

    with tracked_run(
        "quality_report", tags={"mtassist.step": "report", "dataset_version": figures.dataset_version}
    ) as run:
        for name, values in {**figures.baselines, "single_task": figures.single_task}.items():
            mlflow.log_metrics({f"{name.replace(' ', '_')}.{k}": v for k, v in values.items()})
        mlflow.log_text(markdown, "QUALITY.md")
    return run.info.run_id
