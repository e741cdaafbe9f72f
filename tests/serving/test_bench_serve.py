"""The serving benchmark's targets and report, and perf_analyzer against the real server."""

from __future__ import annotations

import json
import math

import pytest

from mtassist.serving.bench_serve import (
    CONCURRENCIES,
    FIGURES_SECTION,
    SERVER_PHASES,
    ServeFigures,
    SystemFigures,
    _per_request_ms,
    _perf_input,
    figures_json,
    figures_markdown,
    median_figures,
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


def test_repeated_rounds_give_each_figure_its_median_and_its_spread():
    rounds = [
        SystemFigures(
            "assistant (Triton, gRPC)",
            "perf_analyzer",
            p50,
            5.0 + p50,
            {**dict.fromkeys(CONCURRENCIES, 400.0), 8: c8},
            {"queue": p50 / 10},
        )
        for p50, c8 in ((2.0, 1100.0), (2.6, 880.0), (2.2, 1010.0))
    ]
    median = median_figures(rounds)
    assert (median.p50_ms, median.p99_ms, median.throughput_per_s[8]) == (2.2, 7.2, 1010.0)
    assert median.server_ms == {"queue": pytest.approx(0.22)} and median.measured_by == "perf_analyzer"
    assert median.sweeps == 3 and median.spread["c=8"] == [880.0, 1100.0] and median.spread["p50_ms"] == [2.0, 2.6]
    figures = _figures(served_p50=2.2, served_c8=1010.0, failed=0)
    figures.systems[2] = median
    served = {target: measured for target, measured, _ in targets(figures)}
    assert served["`assistant` >= 1,000 requests/s at concurrency 8"] == "1,010/s (rounds 880/s to 1,100/s)"
    assert "measured in 3 rounds" in figures_markdown(figures, "mtassist bench serve", "2 cores")


def test_server_phases_are_the_mean_per_successful_request_between_two_snapshots():
    before = {"success": (10, 50_000_000), "queue": (10, 1_000_000), "compute_infer": (10, 40_000_000)}
    after = {"success": (110, 250_000_000), "queue": (110, 6_000_000), "compute_infer": (110, 190_000_000)}
    per_request = _per_request_ms(before, after)
    assert list(per_request) == list(SERVER_PHASES)
    assert per_request["queue"] == pytest.approx(0.05) and per_request["compute_infer"] == pytest.approx(1.5)
    assert per_request["compute_input"] == 0.0
    assert _per_request_ms(before, before) == {}


def test_the_report_breaks_the_served_latency_down_where_triton_measured_it():
    figures = _figures(served_p50=1.4, served_c8=1200.0, failed=0)
    figures.systems[2].server_ms = dict.fromkeys(SERVER_PHASES, 0.25)
    markdown = figures_markdown(figures, "mtassist bench serve", "2 cores")
    assert "assistant (Triton, gRPC), Triton's own statistics at concurrency 1" in markdown
    assert "compute infer 0.25" in markdown and "The client waited 1.40 ms at p50: the rest is gRPC" in markdown
    assert markdown.count("Triton's own statistics") == 1


@pytest.mark.slow
def test_perf_analyzer_measures_the_real_server(tiny_bundle, tmp_path, triton_server_dir, source_cache):
    from mtassist.serving.client import AssistantClient
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
        with AssistantClient(server.grpc_url) as client:
            before = client.inference_statistics()
            result = analyzer.measure(
                server.grpc_url, "assistant", data, concurrency=2, window_ms=2000, stability_percent=60
            )
            server_ms = _per_request_ms(before, client.inference_statistics())
        with pytest.raises(PerfAnalyzerError, match="exited"):
            analyzer.measure(server.grpc_url, "no_such_model", data, concurrency=1, window_ms=500)
    assert result.concurrency == 2
    assert result.throughput_per_s > 0 and 0 < result.p50_ms <= result.p99_ms
    assert not math.isnan(result.p50_ms)
    assert 0 < server_ms["compute_infer"] < result.p99_ms, "the stub's time is part of what the client waits for"
