"""The serving benchmark's targets and report, and perf_analyzer against the real server."""

from __future__ import annotations

import json
import math

import pytest

from mtassist.serving.bench_serve import (
    CONCURRENCIES,
    FIGURES_SECTION,
    ServeFigures,
    SystemFigures,
    _perf_input,
    figures_json,
    figures_markdown,
    targets,
)


def _figures(served_p50: float, served_c8: float, failed: int) -> ServeFigures:
    rates = dict.fromkeys(CONCURRENCIES, 100.0)
    return ServeFigures(
        systems=[
            SystemFigures("assistant in process (ONNX Runtime)", "threads", 1.0, 2.0, dict(rates)),
            SystemFigures("teacher in PyTorch eager", "threads", 7.0, 20.0, {**rates, 8: 100.0}),
            SystemFigures("assistant (Triton, gRPC)", "perf_analyzer", served_p50, 5.0, {**rates, 8: served_c8}),
            SystemFigures("assistant_ensemble (Triton, gRPC)", "perf_analyzer", 3.0, 6.0, dict(rates)),
        ],
        rollout={"clients": 8, "requests": 5000, "failed": failed, "versions_answered": ["1", "2"],
                 "steps": [{"version": "2", "seconds": 3.0}, {"version": "1", "seconds": 2.5}]},
        graph="encoder.int8.onnx",
        utterances=200,
    )  # fmt: skip


def test_every_target_is_judged_from_the_figures():
    met = targets(_figures(served_p50=1.4, served_c8=1200.0, failed=0))
    assert [ok for *_, ok in met] == [True] * 6
    missed = dict((target, ok) for target, _, ok in targets(_figures(served_p50=1.6, served_c8=900.0, failed=2)))
    assert missed["Triton p50 <= 1.5x in-process p50 (same work)"] is False
    assert missed["`assistant` >= 1,000 requests/s at concurrency 8"] is False
    assert missed["throughput >= 10x the teacher in PyTorch at concurrency 8"] is False
    assert missed["0 failed requests across deploy and rollback (8 clients)"] is False
    assert missed["`assistant` p50 <= 4 ms at concurrency 1"] is True


def test_the_report_has_every_system_the_rollout_and_the_targets():
    figures = _figures(served_p50=1.4, served_c8=1200.0, failed=0)
    markdown = figures_markdown(figures, "mtassist bench serve", "2 cores")
    assert markdown.startswith(FIGURES_SECTION)
    for system in figures.systems:
        assert f"| {system.system} |" in markdown
    assert "1,200" in markdown and "0 failed; versions that answered: 1, 2" in markdown
    assert json.loads(figures_json(figures))["rollout"]["requests"] == 5000


@pytest.mark.slow
def test_perf_analyzer_measures_the_real_server(tiny_bundle, tmp_path, triton_server_dir, source_cache):
    from mtassist.serving.launcher import TritonServer, free_ports
    from mtassist.serving.perf_analyzer import PerfAnalyzerError, find_perf_analyzer
    from mtassist.serving.repository import build_model_repository

    try:
        analyzer = find_perf_analyzer(source_cache)
    except PerfAnalyzerError as error:
        pytest.skip(f"perf_analyzer cannot be had here: {error}")
    repository = build_model_repository(tiny_bundle, tmp_path / "model-repository")
    data = _perf_input(["turn on the kitchen lights", "how are you?"], tmp_path / "input.json")
    with TritonServer(repository, ports=free_ports(), server_dir=triton_server_dir) as server:
        result = analyzer.measure(
            server.grpc_url, "assistant", data, concurrency=2, window_ms=2000, stability_percent=60
        )
        with pytest.raises(PerfAnalyzerError, match="exited"):
            analyzer.measure(server.grpc_url, "no_such_model", data, concurrency=1, window_ms=500)
    assert result.concurrency == 2
    assert result.throughput_per_s > 0 and 0 < result.p50_ms <= result.p99_ms
    assert not math.isnan(result.p50_ms)
