"""`mtassist report distillation`: which teacher layers the student should start from.

Distils one student per layer choice from a run's teacher, on that run's dataset, with the same
training and distillation settings, and measures each beside the teacher: every head's score on
the test split, its share of the teacher's, the distillation's wall time, and the latency in
ONNX Runtime FP32 at batch 1 on one thread, measured as `mtassist bench model` does. Each student
is an MLflow run of its own (`distill_student`), so its curves can be read there too.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mtassist.contracts import CARD_MAX_LENGTH, MODEL_RUN_FILE, SCORE_METRICS
from mtassist.training.config import DistillationConfig, TrainingConfig

SECTION = "## Which teacher layers the student starts from"
LAYER_CHOICES = (DistillationConfig().student_layers, "0,2", "2,5")
"""What `mtassist report distillation` compares when not told: the pipeline's default (two layers,
first and last), the bottom two, and two from the top."""


@dataclass
class LayerChoiceFigures:
    """One model of the comparison: the teacher, or a student named by the teacher layers it kept."""

    name: str
    layers: tuple[int, ...]
    p50_ms: float
    metrics: dict[str, float] = field(default_factory=dict)
    train_seconds: float | None = None

    def retention(self, teacher: LayerChoiceFigures) -> dict[str, float]:
        """Each head's score as a share of the teacher's."""
        return {m: self.metrics[m] / teacher.metrics[m] for m in SCORE_METRICS if teacher.metrics[m] > 0}


def compare_layer_choices(
    dataset_dir: Path,
    teacher_dir: Path,
    choices: Sequence[str],
    training: TrainingConfig,
    distill: DistillationConfig,
    progress: Callable[[str], None] = print,
) -> list[LayerChoiceFigures]:
    """The teacher's figures, then one student's per layer choice (a count or the layers named:
    `mtassist.model.layers`)."""
    from mtassist.bench_model import measure
    from mtassist.data.dataset import rows_by_split
    from mtassist.model.layers import choose_layers
    from mtassist.steps.train import distill_student

    rows = rows_by_split(dataset_dir)["test"]
    texts = [row["text"] for row in rows]
    max_length = int(json.loads((Path(teacher_dir) / MODEL_RUN_FILE).read_text())[CARD_MAX_LENGTH])
    training = replace(training, max_length=max_length)
    figures = [_measured("teacher", None, Path(teacher_dir), texts, rows, max_length, measure)]
    teacher_replies = _teacher_replies(Path(teacher_dir))
    teacher_layers = len(figures[0].layers)
    with tempfile.TemporaryDirectory(prefix="mtassist-layers-") as scratch:
        for choice in choices:
            layers = tuple(choose_layers(choice, teacher_layers))
            name = "student " + ",".join(map(str, layers))
            progress(f"report distillation: {name}: distilling ...")
            started = time.perf_counter()
            student_dir = Path(scratch) / name.replace(" ", "-").replace(",", "_")
            distill_student(dataset_dir, teacher_dir, student_dir, training, replace(distill, student_layers=choice))
            seconds = time.perf_counter() - started
            figures.append(
                _measured(name, layers, student_dir, texts, rows, max_length, measure, seconds, teacher_replies)
            )
            progress(f"  {_summary(figures[-1], figures[0])}")
    return figures


def _measured(
    name: str,
    layers: Sequence[int] | None,
    model_dir: Path,
    texts: Sequence[str],
    rows: Sequence[dict],
    max_length: int,
    measure: Callable[..., dict],
    train_seconds: float | None = None,
    replies=None,
) -> LayerChoiceFigures:
    """A model's test scores and ONNX Runtime FP32 latency at batch 1, on one thread; `layers`
    None: all of them (the teacher). `replies`: where its candidate replies' embeddings come from
    (the teacher, for a student), else the model itself."""
    import torch

    from mtassist.export import export_onnx
    from mtassist.inference import OnnxForward
    from mtassist.model.storage import load_trained

    model, tokenizer, _ = load_trained(model_dir)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="mtassist-onnx-") as scratch:
        onnx = export_onnx(model, tokenizer, Path(scratch) / "encoder.onnx")
        measured = measure(OnnxForward(onnx, model.labels, replies=replies), tokenizer, texts, rows, max_length)
    layers = tuple(range(model.num_layers)) if layers is None else tuple(layers)
    return LayerChoiceFigures(name, layers, measured["p50_ms"], measured["metrics"], train_seconds)


def _teacher_replies(teacher_dir: Path):
    """The teacher's reply embeddings, as a distilled student's bundle carries them."""
    from mtassist.inference import EmbeddedBy, TorchForward
    from mtassist.model.storage import load_trained

    return EmbeddedBy(TorchForward(load_trained(teacher_dir)[0]))


def _summary(student: LayerChoiceFigures, teacher: LayerChoiceFigures) -> str:
    worst, share = min(student.retention(teacher).items(), key=lambda item: item[1])
    return f"p50 {student.p50_ms:.2f} ms; worst head {worst} at {share:.1%} of the teacher"


def layer_choice_markdown(figures: Sequence[LayerChoiceFigures], command: str, machine: str) -> str:
    teacher, students = figures[0], figures[1:]
    heads = " | ".join(SCORE_METRICS)
    lines = [
        SECTION,
        "",
        f"Measured by `{command}` on {machine}: each student distilled from the same teacher with the "
        "pipeline's settings (the epochs as the command says), scored on the test split; p50 in ONNX Runtime FP32 at batch 1, one thread. "
        "A head's share of the teacher's score is in brackets.",
        "",
        f"| model | layers | distillation s | p50 ms | {heads} | worst share |",
        "|---" * (5 + len(SCORE_METRICS)) + "|",
        f"| teacher | {teacher.layers[0]}-{teacher.layers[-1]} | | {teacher.p50_ms:.2f} | "
        + " | ".join(f"{teacher.metrics[m]:.3f}" for m in SCORE_METRICS)
        + " | |",
    ]
    for student in students:
        shares = student.retention(teacher)
        cells = " | ".join(f"{student.metrics[m]:.3f} ({shares.get(m, 0):.0%})" for m in SCORE_METRICS)
        lines.append(
            f"| {student.name} | {','.join(map(str, student.layers))} | {student.train_seconds:.0f} | "
            f"{student.p50_ms:.2f} | {cells} | {min(shares.values()):.1%} |"
        )
    return "\n".join(lines) + "\n"


def log_to_mlflow(figures: Sequence[LayerChoiceFigures], markdown: str) -> str:
    import mlflow

    from mtassist.registry import tracked_run

    teacher = figures[0]
    with tracked_run("distillation_report", tags={"mtassist.step": "report"}) as run:
        for f in figures:
            key = f.name.replace(" ", "_").replace(",", "_")
            shares = {} if f is teacher else {f"{key}.share.{m}": v for m, v in f.retention(teacher).items()}
            mlflow.log_metrics({f"{key}.p50_ms": f.p50_ms, **{f"{key}.{m}": v for m, v in f.metrics.items()}, **shares})
        mlflow.log_text(markdown, "DISTILLATION.md")
        mlflow.log_text(json.dumps([asdict(f) for f in figures], indent=1), "layer-choices.json")
    return run.info.run_id
