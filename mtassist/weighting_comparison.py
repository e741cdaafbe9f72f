"""`mtassist report weighting`: how the teacher should combine its heads' losses.

Trains one teacher per loss weighting (`mtassist.training.weighting`: static, uncertainty,
pcgrad) on a run's dataset with the pipeline's teacher settings and the same seed, and scores each
on that run's test split, every head, as the evaluate step does. The run's own teacher stands for
the weighting it was trained with (training is deterministic on a CPU: it would come out the
same). Each teacher is an MLflow run of its own (`train_teacher`), so its curves can be read there.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from mtassist.contracts import CARD_LOSS_WEIGHTING, CARD_MAX_LENGTH, CARD_MODEL_SOURCE, MODEL_RUN_FILE
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
)
"""The test metrics the comparison shows: the gate's score, then each head's."""
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


def dataset_marker(dataset_version: str) -> str:
    """How the section names its dataset: `mtassist report quality` keeps the section only where
    it measured the same one."""
    return f"dataset `{dataset_version[:12]}`"


def teacher_weighting(teacher_dir: Path) -> str:
    """The loss weighting a trained teacher's record names."""
    record = json.loads((Path(teacher_dir) / MODEL_RUN_FILE).read_text())
    return record.get(CARD_LOSS_WEIGHTING, BEFORE_THE_CHOICE)


def compare_weightings(
    dataset_dir: Path,
    teacher_dir: Path,
    teacher_metrics: dict[str, float],
    weightings: Sequence[str],
    config: TrainingConfig,
    cache_dir: Path,
    progress: Callable[[str], None] = print,
) -> list[WeightingFigures]:
    """One teacher's figures per weighting, in the order given: the run's teacher (`teacher_dir`,
    scored `teacher_metrics` on the test split) for its own weighting, a new one for the others."""
    from mtassist.data.dataset import rows_by_split
    from mtassist.evaluation import evaluate
    from mtassist.model.storage import load_trained
    from mtassist.steps.train import train_teacher

    unknown = [w for w in weightings if w not in LOSS_WEIGHTINGS]
    if unknown:
        raise ValueError(f"unknown loss weighting {', '.join(unknown)}: choose from {', '.join(LOSS_WEIGHTINGS)}")

    record = json.loads((Path(teacher_dir) / MODEL_RUN_FILE).read_text())
    config = replace(config, max_length=int(record[CARD_MAX_LENGTH]))
    own = teacher_weighting(teacher_dir)
    test = rows_by_split(dataset_dir)["test"]
    figures = []
    with tempfile.TemporaryDirectory(prefix="mtassist-weighting-") as scratch:
        for weighting in weightings:
            if weighting == own:
                figures.append(WeightingFigures(weighting, teacher_metrics, record["steps"], record["best_step"]))
                progress(f"report weighting: {weighting}: the run's teacher, score {teacher_metrics['score']:.3f}")
                continue
            progress(f"report weighting: {weighting}: training a teacher ...")
            started = time.perf_counter()
            output = Path(scratch) / weighting
            trained = train_teacher(
                dataset_dir, output, record[CARD_MODEL_SOURCE], cache_dir, replace(config, loss_weighting=weighting)
            )
            seconds = time.perf_counter() - started
            model, tokenizer, _ = load_trained(output)
            metrics = evaluate(model, tokenizer, test, config.max_length).metrics
            figures.append(WeightingFigures(weighting, metrics, trained["steps"], trained["best_step"], seconds))
            progress(f"  {weighting}: score {metrics['score']:.3f} after {seconds:.0f} s")
    return figures


def weighting_markdown(figures: Sequence[WeightingFigures], command: str, machine: str, dataset_version: str) -> str:
    lines = [
        SECTION,
        "",
        f"Measured by `{command}` on {machine}: one teacher per loss weighting, trained on "
        f"{dataset_marker(dataset_version)} with the pipeline's teacher settings and seed, scored on its test split "
        "(`mtassist.training.weighting`; `mtassist run --teacher-loss-weighting` picks one).",
        "",
        "| weighting | training s | steps (kept) | " + " | ".join(COMPARED_METRICS) + " |",
        "|---" * (3 + len(COMPARED_METRICS)) + "|",
    ]
    for f in figures:
        seconds = "the run's teacher" if f.train_seconds is None else f"{f.train_seconds:.0f}"
        cells = " | ".join(f"{f.metrics[m]:.3f}" for m in COMPARED_METRICS)
        lines.append(f"| {f.weighting} | {seconds} | {f.steps} ({f.best_step}) | {cells} |")
    best = max(figures, key=lambda f: f.metrics["score"])
    lines += [
        "",
        f"Highest test score: {best.weighting} ({best.metrics['score']:.3f}). The pipeline's teacher trains "
        f"with `{TrainingConfig().loss_weighting}`.",
    ]
    return "\n".join(lines) + "\n"


def log_to_mlflow(figures: Sequence[WeightingFigures], markdown: str) -> str:
    import mlflow

    from mtassist.registry import tracked_run

    with tracked_run("weighting_report", tags={"mtassist.step": "report"}) as run:
        for f in figures:
            mlflow.log_metrics({f"{f.weighting}.{m}": f.metrics[m] for m in COMPARED_METRICS})
        mlflow.log_text(markdown, "WEIGHTING.md")
        mlflow.log_text(json.dumps([asdict(f) for f in figures], indent=1), "weightings.json")
    return run.info.run_id
