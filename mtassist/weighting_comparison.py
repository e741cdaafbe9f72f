"""`mtassist report weighting`: how the teacher should combine its heads' losses.

Trains one teacher per loss weighting (`mtassist.training.weighting`: static, uncertainty,
pcgrad), and per FGM epsilon asked for (`mtassist.training.adversarial`; 0 is without), on a
run's dataset with the pipeline's teacher settings and the same seed, and scores each on that
run's test split, every head, as the evaluate step does. The run's own teacher stands for the
weighting and epsilon it was trained with (training is deterministic on a CPU: it would come out
the same). Each teacher is an MLflow run of its own (`train_teacher`), so its curves can be read
there.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from mtassist.contracts import (
    CARD_ADVERSARIAL_EPSILON,
    CARD_LOSS_WEIGHTING,
    CARD_MAX_LENGTH,
    CARD_MODEL_SOURCE,
    MODEL_RUN_FILE,
)
from mtassist.training.config import LOSS_WEIGHTINGS, TrainingConfig

SECTION = "## Loss weighting"
COMPARED_METRICS: tuple[str, ...] = (
    "score",
    "route_accuracy",
    "intent_accuracy",
    "intent_macro_f1",
    "slot_f1",
    "frame_accuracy",
    "sentiment_macro_f1",
    "response_mrr",
    "response_recall_at_1_of_100",
    "noisy_intent_accuracy",
    "noisy_frame_accuracy",
)
"""The test metrics the comparison shows: the gate's score, each head's, then commands with
realistic noise (`mtassist.data.noise`), what training on perturbed embeddings is for."""
BEFORE_THE_CHOICE = "static"
"""The weighting of a teacher whose record names none: the only one there was."""


@dataclass
class WeightingFigures:
    """One teacher of the comparison."""

    weighting: str
    metrics: dict[str, float]
    steps: int
    best_step: int
    train_seconds: float | None = None
    """None: the run's own teacher, not trained again."""
    adversarial_epsilon: float = 0.0
    """FGM's epsilon; 0: trained without."""

    @property
    def label(self) -> str:
        """The weighting, and FGM's epsilon where there is one: "static + FGM 0.3"."""
        return self.weighting + (f" + FGM {self.adversarial_epsilon:g}" if self.adversarial_epsilon else "")


def dataset_marker(dataset_version: str) -> str:
    """How the section names its dataset: `mtassist report quality` keeps the section only where
    it measured the same one."""
    return f"dataset `{dataset_version[:12]}`"


def teacher_weighting(teacher_dir: Path) -> tuple[str, float]:
    """The loss weighting and FGM epsilon a trained teacher's record names."""
    record = json.loads((Path(teacher_dir) / MODEL_RUN_FILE).read_text())
    return record.get(CARD_LOSS_WEIGHTING, BEFORE_THE_CHOICE), float(record.get(CARD_ADVERSARIAL_EPSILON, 0.0))


def compare_weightings(
    dataset_dir: Path,
    teacher_dir: Path,
    teacher_metrics: dict[str, float],
    weightings: Sequence[str],
    config: TrainingConfig,
    cache_dir: Path,
    progress: Callable[[str], None] = print,
    epsilons: Sequence[float] = (0.0,),
) -> list[WeightingFigures]:
    """One teacher's figures per weighting and FGM epsilon, in the order given: the run's teacher
    (`teacher_dir`, scored `teacher_metrics` on the test split) for its own pair, a new one for
    the others."""
    from mtassist.data.dataset import rows_by_split
    from mtassist.evaluation import evaluate_splits
    from mtassist.model.storage import load_trained
    from mtassist.steps.train import train_teacher

    unknown = [w for w in weightings if w not in LOSS_WEIGHTINGS]
    if unknown:
        raise ValueError(f"unknown loss weighting {', '.join(unknown)}: choose from {', '.join(LOSS_WEIGHTINGS)}")
    if any(epsilon < 0 for epsilon in epsilons):
        raise ValueError(f"an FGM epsilon cannot be negative: {', '.join(f'{e:g}' for e in epsilons)}")

    record = json.loads((Path(teacher_dir) / MODEL_RUN_FILE).read_text())
    config = replace(config, max_length=int(record[CARD_MAX_LENGTH]))
    own = teacher_weighting(teacher_dir)
    splits = rows_by_split(dataset_dir)
    figures = []
    with tempfile.TemporaryDirectory(prefix="mtassist-weighting-") as scratch:
        for weighting, epsilon in ((w, e) for w in weightings for e in epsilons):
            if (weighting, epsilon) == own:
                figures.append(
                    WeightingFigures(weighting, teacher_metrics, record["steps"], record["best_step"], None, epsilon)
                )
                progress(
                    f"report weighting: {figures[-1].label}: the run's teacher, score {teacher_metrics['score']:.3f}"
                )
                continue
            label = WeightingFigures(weighting, {}, 0, 0, None, epsilon).label
            progress(f"report weighting: {label}: training a teacher ...")
            started = time.perf_counter()
            output = Path(scratch) / f"{weighting}-{epsilon:g}"
            trained = train_teacher(
                dataset_dir, output, record[CARD_MODEL_SOURCE], cache_dir,
                replace(config, loss_weighting=weighting, adversarial_epsilon=epsilon),
            )  # fmt: skip
            seconds = time.perf_counter() - started
            model, tokenizer, _ = load_trained(output)
            metrics = evaluate_splits(model, tokenizer, splits, config.max_length).metrics
            figures.append(
                WeightingFigures(weighting, metrics, trained["steps"], trained["best_step"], seconds, epsilon)
            )
            progress(f"  {label}: score {metrics['score']:.3f} after {seconds:.0f} s")
    return figures


def weighting_markdown(
    figures: Sequence[WeightingFigures],
    command: str,
    machine: str,
    dataset_version: str,
    previous: str | None = None,
) -> str:
    """The section; rows of `previous` (the section as an earlier comparison wrote it, on the same
    dataset) that this one did not measure again are kept, each cell under its column's name."""
    columns = ["training s", "steps (kept)", *COMPARED_METRICS]
    rows: dict[str, dict[str, str]] = {}
    if previous is not None and dataset_marker(dataset_version) in previous:
        rows = table_rows(previous)
    kept = [label for label in rows if label not in {f.label for f in figures}]
    for f in figures:
        rows[f.label] = {
            "training s": "the run's teacher" if f.train_seconds is None else f"{f.train_seconds:.0f}",
            "steps (kept)": f"{f.steps} ({f.best_step})",
            **{m: f"{f.metrics[m]:.3f}" for m in COMPARED_METRICS if m in f.metrics},  # older runs: no noisy split
        }
    lines = [
        SECTION,
        "",
        f"Measured by `{command}` on {machine}: one teacher per loss weighting, trained on "
        f"{dataset_marker(dataset_version)} with the pipeline's teacher settings and seed, scored on its test split, "
        "`noisy_` on its commands with realistic noise as in the quality report "
        '(`mtassist.training.weighting`; `mtassist run --teacher-loss-weighting` picks one). "+ FGM e": also trained '
        "on word embeddings moved e along the loss gradient (`mtassist.training.adversarial`; "
        "`mtassist run --teacher-adversarial-epsilon`)."
        + (
            f" Kept from an earlier comparison on the same dataset (its training seconds are that machine's): "
            f"{', '.join(kept)}."
            if kept
            else ""
        ),
        "",
        "| weighting | " + " | ".join(columns) + " |",
        "|---" * (1 + len(columns)) + "|",
    ]
    for label, cells in rows.items():
        lines.append(f"| {label} | " + " | ".join(cells.get(column, "") for column in columns) + " |")
    best = max(rows, key=lambda label: float(rows[label].get("score") or "-inf"))
    lines += [
        "",
        f"Highest test score: {best} ({rows[best]['score']}). The pipeline's teacher trains "
        f"with `{TrainingConfig().loss_weighting}`"
        + (f" and FGM {TrainingConfig().adversarial_epsilon:g}." if TrainingConfig().adversarial_epsilon else "."),
    ]
    return "\n".join(lines) + "\n"


def table_rows(section: str) -> dict[str, dict[str, str]]:
    """The rows of a section's Markdown table by their first cell, each row's cells by column name."""
    table = [line.strip().strip("|") for line in section.splitlines() if line.startswith("|")]
    if len(table) < 2:
        return {}
    header = [cell.strip() for cell in table[0].split("|")]
    rows = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.split("|")]
        rows[cells[0]] = dict(zip(header[1:], cells[1:]))
    return rows


def log_to_mlflow(figures: Sequence[WeightingFigures], markdown: str) -> str:
    import mlflow

    from mtassist.registry import tracked_run

    with tracked_run("weighting_report", tags={"mtassist.step": "report"}) as run:
        for f in figures:
            prefix = f.weighting + (f"_fgm_{f.adversarial_epsilon:g}" if f.adversarial_epsilon else "")
            mlflow.log_metrics({f"{prefix}.{m}": f.metrics[m] for m in COMPARED_METRICS if m in f.metrics})
        mlflow.log_text(markdown, "WEIGHTING.md")
        mlflow.log_text(json.dumps([asdict(f) for f in figures], indent=1), "weightings.json")
    return run.info.run_id
