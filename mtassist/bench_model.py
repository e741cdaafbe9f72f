"""`mtassist bench model`: teacher and student, in PyTorch and in ONNX Runtime FP32 and INT8.

For each of the six, in one process on this machine: latency at batch 1 (p50, p99) over real
test utterances, throughput at batch 32, size on disk, and every head's metric on the test split.
Everything runs on one thread (PyTorch and ONNX Runtime alike), so the figures compare the
models, not how many cores each runtime grabs. Tokenization is outside the timings: it is the
same for all six. The six take turns at the latency utterances (`interleaved_latency`), so a
machine that slows down for a minute slows all of them alike. The teacher is exported and
quantized here with the same code as the student.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mtassist.contracts import CARD_MAX_LENGTH, MODEL_RUN_FILE, SCORE_METRICS

log = logging.getLogger(__name__)

LATENCY_UTTERANCES = 300
THROUGHPUT_BATCH = 32
THROUGHPUT_BATCHES = 20
WARMUP_CALLS = 20
LATENCY_ROUNDS = 5
"""Passes over the latency utterances, the variants taking turns (`interleaved_latency`)."""
FIGURES_SECTION = "## Model: teacher and student, PyTorch and ONNX Runtime"


@dataclass
class VariantFigures:
    model: str
    runtime: str
    p50_ms: float
    p99_ms: float
    throughput_per_s: float
    size_mb: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.model} {self.runtime}"


def _timed_calls(forward: Callable[[dict], dict], feeds: Sequence[dict]) -> list[float]:
    for feed in feeds[:WARMUP_CALLS]:
        forward(feed)
    timings = []
    for feed in feeds:
        started = time.perf_counter()
        forward(feed)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def timed_texts(texts: Sequence[str]) -> list[str]:
    """LATENCY_UTTERANCES of `texts`, spread over them."""
    return list(texts[:: max(1, len(texts) // LATENCY_UTTERANCES)][:LATENCY_UTTERANCES])


def latency_feeds(tokenizer, texts: Sequence[str], max_length: int) -> list[dict]:
    """Each text encoded alone: batch 1."""
    from mtassist.tokenization import encode

    return [encode(tokenizer, [text], max_length) for text in texts]


def interleaved_latency(
    forwards: dict[str, Callable[[dict], dict]], feeds: dict[str, list[dict]], rounds: int = LATENCY_ROUNDS
) -> dict[str, list[float]]:
    """Each forward's batch-1 timings over its feeds, in `rounds` round-robin passes.

    Timed one after another, minutes apart, two models' p50 drift with the machine (the same
    student graph measured 1.86 and 2.12 ms in two runs); taking turns, each model meets the same
    moments of the machine, so their ratio holds still.
    """
    timings: dict[str, list[float]] = {name: [] for name in forwards}
    for _ in range(rounds):
        for name, forward in forwards.items():
            timings[name] += _timed_calls(forward, feeds[name])
    return timings


def throughput_and_metrics(
    forward, tokenizer, texts: Sequence[str], rows: Sequence[dict], max_length: int
) -> dict[str, object]:
    """Throughput at THROUGHPUT_BATCH over `texts`, and every head's test metric."""
    from mtassist.evaluation import evaluate
    from mtassist.tokenization import encode

    needed = THROUGHPUT_BATCH * THROUGHPUT_BATCHES
    pool = (texts * (needed // len(texts) + 1))[:needed]
    batches = [
        encode(tokenizer, pool[i : i + THROUGHPUT_BATCH], max_length) for i in range(0, needed, THROUGHPUT_BATCH)
    ]
    batch_ms = _timed_calls(forward, batches)
    metrics = evaluate(forward, tokenizer, rows, max_length).metrics
    return {
        "throughput_per_s": THROUGHPUT_BATCH * 1000 / float(np.mean(batch_ms)),
        "metrics": {name: metrics[name] for name in SCORE_METRICS},
    }


def latency_figures(timings: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": float(np.percentile(timings, 50)), "p99_ms": float(np.percentile(timings, 99))}


def measure(forward, tokenizer, texts: Sequence[str], rows: Sequence[dict], max_length: int) -> dict[str, object]:
    """Latency at batch 1 (LATENCY_UTTERANCES of `texts`, spread over them), throughput at
    THROUGHPUT_BATCH, and every head's test metric of one Forward."""
    spread = timed_texts(texts)
    return {
        **latency_figures(_timed_calls(forward, latency_feeds(tokenizer, spread, max_length))),
        **throughput_and_metrics(forward, tokenizer, spread, rows, max_length),
    }


def _size_mb(paths: Sequence[Path]) -> float:
    total = 0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files)
    return total / 1e6


def bench_models(dataset_dir: Path, model_dirs: dict[str, Path], progress: Callable[[str], None] = print) -> list:
    """VariantFigures for each model of `model_dirs` in pytorch, onnxruntime-fp32 and onnxruntime-int8."""
    import torch

    from mtassist.contracts import MODEL_ENCODER_DIR, MODEL_HEADS_FILE
    from mtassist.data.dataset import rows_by_split
    from mtassist.export import export_onnx, quantize_int8
    from mtassist.inference import REPLIES_FROM, EmbeddedBy, OnnxForward, TorchForward
    from mtassist.model.storage import load_trained

    torch.set_num_threads(1)
    rows = rows_by_split(dataset_dir)["test"]
    texts = timed_texts([row["text"] for row in rows])
    variants: dict[tuple[str, str], tuple] = {}  # (model, runtime): (forward, tokenizer, max_length, files)
    loaded: dict[str, TorchForward] = {}
    with tempfile.TemporaryDirectory(prefix="mtassist-bench-") as scratch:
        for name, directory in model_dirs.items():
            model, tokenizer, _ = load_trained(directory)
            loaded[name] = TorchForward(model)
            source = loaded.get(REPLIES_FROM.get(name, ""))
            replies = EmbeddedBy(source) if source is not None else None
            max_length = int(json.loads((Path(directory) / MODEL_RUN_FILE).read_text())[CARD_MAX_LENGTH])
            progress(f"bench model: exporting {name} to ONNX FP32 and INT8 ...")
            fp32 = export_onnx(model, tokenizer, Path(scratch) / name / "encoder.onnx")
            int8 = quantize_int8(fp32, Path(scratch) / name / "encoder.int8.onnx")
            for runtime, forward, files in (
                ("pytorch", TorchForward(model, replies=replies),
                 [Path(directory) / MODEL_ENCODER_DIR, Path(directory) / MODEL_HEADS_FILE]),
                ("onnxruntime-fp32", OnnxForward(fp32, model.labels, replies=replies), [fp32]),
                ("onnxruntime-int8", OnnxForward(int8, model.labels, replies=replies), [int8]),
            ):  # fmt: skip
                variants[name, runtime] = (forward, tokenizer, max_length, files)
        progress(
            f"bench model: latency at batch 1, {LATENCY_ROUNDS} rounds of {len(texts)} utterances, taking turns ..."
        )
        timings = interleaved_latency(
            {key: forward for key, (forward, *_) in variants.items()},
            {
                key: latency_feeds(tokenizer, texts, max_length)
                for key, (_, tokenizer, max_length, _) in variants.items()
            },
        )
        figures = []
        for (name, runtime), (forward, tokenizer, max_length, files) in variants.items():
            progress(f"bench model: {name} {runtime}: throughput and {len(rows)} test rows ...")
            measured = throughput_and_metrics(forward, tokenizer, texts, rows, max_length)
            figures.append(
                VariantFigures(
                    name, runtime, size_mb=_size_mb(files), **latency_figures(timings[name, runtime]), **measured
                )
            )
            progress(
                f"  p50 {figures[-1].p50_ms:.2f} ms, p99 {figures[-1].p99_ms:.2f} ms, "
                f"{figures[-1].throughput_per_s:.0f}/s at batch {THROUGHPUT_BATCH}"
            )
    return figures


def _find(figures: Sequence[VariantFigures], model: str, runtime: str) -> VariantFigures:
    return next(f for f in figures if f.model == model and f.runtime == runtime)


def targets(figures: Sequence[VariantFigures]) -> list[tuple[str, str, bool]]:
    """The model figures the product asks for: (what, measured, met)."""
    teacher = _find(figures, "teacher", "onnxruntime-fp32")
    student = _find(figures, "student", "onnxruntime-fp32")
    int8 = _find(figures, "student", "onnxruntime-int8")
    retained = min(student.metrics[m] / teacher.metrics[m] for m in SCORE_METRICS if teacher.metrics[m] > 0)
    int8_drop = max(student.metrics[m] - int8.metrics[m] for m in SCORE_METRICS)
    return [
        ("student FP32 >= 3x faster than teacher FP32 (p50, batch 1)", f"{teacher.p50_ms / student.p50_ms:.2f}x",
         teacher.p50_ms / student.p50_ms >= 3),
        ("every student head >= 97% of the teacher's", f"{retained:.1%} (worst head)", retained >= 0.97),
        ("INT8 >= 1.5x faster than FP32 student (p50, batch 1)", f"{student.p50_ms / int8.p50_ms:.2f}x",
         student.p50_ms / int8.p50_ms >= 1.5),
        ("INT8 loses <= 1 point on any head", f"{int8_drop * 100:.2f} points", int8_drop <= 0.01),
        ("student INT8 p50 <= 2 ms at batch 1", f"{int8.p50_ms:.2f} ms", int8.p50_ms <= 2.0),
    ]  # fmt: skip


def figures_markdown(figures: Sequence[VariantFigures], command: str, machine: str) -> str:
    heads = " | ".join(SCORE_METRICS)
    lines = [
        FIGURES_SECTION,
        "",
        f"Measured by `{command}` on {machine}, one thread per runtime, tokenization excluded; "
        f"latency over {LATENCY_ROUNDS} rounds of {LATENCY_UTTERANCES} test utterances at batch 1, the models "
        "and runtimes taking turns, so that they meet the same moments of the machine; throughput over "
        f"{THROUGHPUT_BATCHES} batches of {THROUGHPUT_BATCH}; metrics on the test split.",
        "",
        f"| model | runtime | p50 ms | p99 ms | utterances/s (batch {THROUGHPUT_BATCH}) | MB | {heads} |",
        "|---" * (6 + len(SCORE_METRICS)) + "|",
    ]
    for f in figures:
        scores = " | ".join(f"{f.metrics[m]:.3f}" for m in SCORE_METRICS)
        lines.append(
            f"| {f.model} | {f.runtime} | {f.p50_ms:.2f} | {f.p99_ms:.2f} | {f.throughput_per_s:.0f} | "
            f"{f.size_mb:.1f} | {scores} |"
        )
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {'yes' if met else 'no'} |" for what, value, met in targets(figures)]
    return "\n".join(lines) + "\n"


def read_section(path: Path, title: str) -> str | None:
    """The section of the Markdown file at `path` that starts with the line `title`, up to the next
    `## ` heading; None where the file or the section is missing."""
    text = path.read_text() if path.is_file() else ""
    start = text.find(title + "\n")
    if start < 0:
        return None
    following = text.find("\n## ", start + len(title))
    return text[start : following + 1 if following >= 0 else len(text)].rstrip("\n") + "\n"


def write_section(path: Path, section: str, heading: str = "# mtassist benchmarks") -> None:
    """Put `section` into the Markdown file at `path`, replacing the section of the same title;
    a new file starts with `heading`."""
    title = section.splitlines()[0]
    text = path.read_text() if path.is_file() else heading + "\n\n"
    if title in text:
        start = text.index(title)
        following = text.find("\n## ", start + len(title))
        text = text[:start] + section + (text[following + 1 :] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def log_to_mlflow(figures: Sequence[VariantFigures], markdown: str) -> str:
    import mlflow

    from mtassist.registry import tracked_run

    with tracked_run("bench_model", tags={"mtassist.step": "bench"}) as run:
        for f in figures:
            key = f"{f.model}.{f.runtime}"
            mlflow.log_metrics({f"{key}.p50_ms": f.p50_ms, f"{key}.p99_ms": f.p99_ms,
                                f"{key}.throughput_per_s": f.throughput_per_s, f"{key}.size_mb": f.size_mb,
                                **{f"{key}.{m}": v for m, v in f.metrics.items()}})  # fmt: skip
        mlflow.log_text(markdown, "BENCHMARKS-model.md")
        mlflow.log_text(json.dumps([asdict(f) for f in figures], indent=1), "bench-model.json")
    return run.info.run_id
