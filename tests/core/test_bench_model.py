"""The model benchmark: six variants measured the same way, figures checked against the targets,
and its section of docs/BENCHMARKS.md replaced in place."""

import pytest

from mtassist.bench_model import (
    FIGURES_SECTION,
    WARMUP_CALLS,
    bench_models,
    figures_markdown,
    interleaved_latency,
    targets,
    write_section,
)
from mtassist.contracts import SCORE_METRICS


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory, label_space, tokenizer):
    import torch

    from mtassist.model.multitask import build_tiny_model, student_from_teacher
    from mtassist.model.storage import save_trained

    torch.manual_seed(0)
    teacher = build_tiny_model(label_space, vocab_size=len(tokenizer))
    dirs = {}
    for name, model in (("teacher", teacher), ("student", student_from_teacher(teacher, 1))):
        dirs[name] = tmp_path_factory.mktemp(name)
        save_trained(model, tokenizer, dirs[name], {"max_length": 32})
    return dirs


def test_every_model_in_every_runtime_is_timed_and_scored(model_dirs, toy_dataset):
    figures = bench_models(toy_dataset, model_dirs, progress=lambda _: None)
    assert [(f.model, f.runtime) for f in figures] == [
        (model, runtime)
        for model in ("teacher", "student")
        for runtime in ("pytorch", "onnxruntime-fp32", "onnxruntime-int8")
    ]
    for f in figures:
        assert 0 < f.p50_ms <= f.p99_ms and f.throughput_per_s > 0 and f.size_mb > 0
        assert set(f.metrics) == set(SCORE_METRICS)
    onnx = {f.runtime: f for f in figures if f.model == "teacher"}
    assert onnx["onnxruntime-int8"].size_mb < onnx["onnxruntime-fp32"].size_mb
    assert onnx["pytorch"].metrics == pytest.approx(onnx["onnxruntime-fp32"].metrics, abs=1e-6)
    assert len(targets(figures)) == 5
    markdown = figures_markdown(figures, "mtassist bench model", "a test machine")
    assert markdown.startswith(FIGURES_SECTION) and "| student | onnxruntime-int8 |" in markdown


def test_latency_is_timed_in_rounds_where_the_variants_take_turns():
    calls = []
    forwards = {name: (lambda feed, name=name: calls.append((name, feed["i"]))) for name in ("teacher", "student")}
    feeds = {name: [{"i": i} for i in range(WARMUP_CALLS + 5)] for name in forwards}
    timings = interleaved_latency(forwards, feeds, rounds=3)
    assert {name: len(t) for name, t in timings.items()} == {"teacher": 75, "student": 75}
    assert all(t >= 0 for values in timings.values() for t in values)
    order = [name for i, (name, _) in enumerate(calls) if i == 0 or calls[i - 1][0] != name]
    assert order == ["teacher", "student"] * 3  # each round: the teacher's warm-up and calls, then the student's


def test_the_section_is_replaced_and_other_sections_are_kept(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# mtassist benchmarks\n\n## Serving\n\nserving figures\n")
    write_section(path, f"{FIGURES_SECTION}\n\nfirst\n")
    write_section(path, f"{FIGURES_SECTION}\n\nsecond\n")
    text = path.read_text()
    assert "serving figures" in text and "second" in text and "first" not in text
    assert text.count(FIGURES_SECTION) == 1
