"""`mtassist bench serve`: the served model over gRPC, in process, and the teacher in PyTorch, in one run.

For one realistic mix of utterances (the test split: commands, chit-chat, FAQ questions and
rated sentences), one utterance per request, on this machine with the client beside the server:
- `assistant` and `assistant_ensemble` on the local Triton server, measured by Triton's own
  `perf_analyzer` (a C++ gRPC client): p50 and p99 at concurrency 1, throughput at 1, 4, 8, 16;
- the same work in process: the same `Assistant` (tokenizer, the graph the server runs, decoder)
  in Python threads, each with its own tokenizer;
- the teacher in PyTorch eager with the same tokenizer and decoding, in the same way;
- a deploy and a rollback under load: 8 clients ask without pause while version 2 is rolled out
  and version 1 rolled back; every failed request is counted.

A figure moves by about 10% from one measurement to the next on a small shared machine, so the
four systems are measured in `SWEEPS` rounds, one after the other within each round (a slow spell
touches them alike), and each figure is the median of its rounds; the lowest and highest are
reported beside the targets.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_TOKENIZER_DIR,
    CARD_MODEL_VERSION,
    ONNX_OUTPUTS,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENSEMBLE_MODEL,
    TRITON_INPUT_TEXT,
)
from mtassist.cores import available_cores, single_threaded_blas
from mtassist.serving.perf_analyzer import PerfAnalyzerError, find_perf_analyzer

CONCURRENCIES: tuple[int, ...] = (1, 4, 8, 16)
SWEEPS = 3
IN_PROCESS_SYSTEM = "assistant in process (ONNX Runtime)"
TEACHER_SYSTEM = "teacher in PyTorch eager"
SERVER_PHASES: tuple[str, ...] = ("queue", "compute_input", "compute_infer", "compute_output")
"""Where Triton's statistics say a request spent its time on the server; the rest of the client's
latency is gRPC and the client."""
UTTERANCES = 200
LATENCY_CALLS = 600
THROUGHPUT_SECONDS = 3.0
ROLLOUT_CLIENTS = 8
ROLLOUT_REPLIES = 300
FIGURES_SECTION = "## Serving: Triton over gRPC, in process, and the teacher in PyTorch"


@dataclass
class SystemFigures:
    system: str
    measured_by: str
    p50_ms: float
    p99_ms: float
    throughput_per_s: dict[int, float] = field(default_factory=dict)
    server_ms: dict[str, float] = field(default_factory=dict)
    """Triton's own mean per request at concurrency 1, by phase (SERVER_PHASES); empty in process."""
    sweeps: int = 1
    """How many rounds each figure is the median of."""
    spread: dict[str, list[float]] = field(default_factory=dict)
    """Lowest and highest over the rounds: "p50_ms", "p99_ms" and "c=N" for each concurrency."""


@dataclass
class ServeFigures:
    systems: list[SystemFigures]
    rollout: dict
    graph: str
    utterances: int
    notes: list[str] = field(default_factory=list)

    def find(self, system: str) -> SystemFigures:
        return next(s for s in self.systems if s.system == system)


# --- the utterances -----------------------------------------------------------------------------


def utterance_mix(dataset_dir: Path, count: int = UTTERANCES) -> list[str]:
    """`count` test utterances spread evenly over the test split (every source and route)."""
    from mtassist.data.dataset import rows_by_split

    rows = sorted(rows_by_split(dataset_dir)["test"], key=lambda row: row["id"])
    return [row["text"] for row in rows[:: max(1, len(rows) // count)][:count]]


# --- in process -----------------------------------------------------------------------------------


def _latency(ask: Callable[[str], object], texts: Sequence[str], calls: int = LATENCY_CALLS) -> tuple[float, float]:
    for text in texts[:20]:
        ask(text)
    timings = []
    for index in range(calls):
        started = time.perf_counter()
        ask(texts[index % len(texts)])
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 99))


def _throughput(askers: Sequence[Callable[[str], object]], texts: Sequence[str], seconds: float) -> float:
    """Utterances answered per second by one thread per asker, each asking one at a time."""
    counts = [0] * len(askers)
    start = time.monotonic()
    deadline = start + seconds

    def work(index: int) -> None:
        position = index * 7
        while time.monotonic() < deadline:
            askers[index](texts[position % len(texts)])
            counts[index] += 1
            position += 1

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(askers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - start)


def median_figures(rounds: Sequence[SystemFigures]) -> SystemFigures:
    """One system's figures over its rounds: each figure the median of its own values."""
    first = rounds[0]
    values: dict[str, list[float]] = {
        "p50_ms": [r.p50_ms for r in rounds],
        "p99_ms": [r.p99_ms for r in rounds],
        **{f"c={c}": [r.throughput_per_s[c] for r in rounds] for c in first.throughput_per_s},
    }
    median = {name: float(np.median(found)) for name, found in values.items()}
    return SystemFigures(
        first.system,
        " / ".join(dict.fromkeys(r.measured_by for r in rounds)),
        median["p50_ms"],
        median["p99_ms"],
        {c: median[f"c={c}"] for c in first.throughput_per_s},
        {phase: float(np.median([r.server_ms.get(phase, np.nan) for r in rounds])) for phase in first.server_ms},
        sweeps=len(rounds),
        spread={name: [min(found), max(found)] for name, found in values.items()},
    )


def _in_process_figures(system: str, askers: Sequence[Callable[[str], object]], texts: Sequence[str]):
    """p50/p99 at concurrency 1 and throughput at CONCURRENCIES, one asker per thread."""
    p50, p99 = _latency(askers[0], texts)
    throughput = {c: _throughput(askers[:c], texts, THROUGHPUT_SECONDS) for c in CONCURRENCIES}
    return SystemFigures(system, "Python threads, in process", p50, p99, throughput)


def _askers(version_dir: Path, encoder) -> Callable[[], Callable[[str], object]]:
    """Askers over the served version folder: one tokenizer each (a tokenizer is not thread-safe),
    one encoder and one decoder for all."""
    from mtassist.assistant import Assistant
    from mtassist.tokenization import load_tokenizer

    shared = Assistant.from_dir(version_dir, encoder=encoder)

    def make() -> Callable[[str], object]:
        tokenizer = load_tokenizer(version_dir / BUNDLE_TOKENIZER_DIR)
        own = Assistant(tokenizer, shared.max_length, shared.encoder, shared.decoder)
        return lambda text: own.answer([text])

    return make


def _assistant_askers(version_dir: Path, threads: int) -> Callable[[], Callable[[str], object]]:
    """The served graph in ONNX Runtime, as the server's instances run it."""
    from mtassist.assistant import OnnxEncoder
    from mtassist.serving.layout import ONNX_MODEL_FILE

    return _askers(version_dir, OnnxEncoder(version_dir / ONNX_MODEL_FILE, threads, spin=False))


def _teacher_askers(teacher_dir: Path, version_dir: Path) -> Callable[[], Callable[[str], object]]:
    """The teacher in PyTorch eager (all cores), with the served tokenizer and decoding."""
    import torch

    from mtassist.inference import TorchForward
    from mtassist.model.storage import load_trained

    torch.set_num_threads(available_cores())
    model, _, _ = load_trained(teacher_dir)
    forward = TorchForward(model)

    def encoder(encoded, outputs):
        heads = forward(encoded)
        return {name: heads[name] for name in outputs if name in ONNX_OUTPUTS}

    return _askers(version_dir, encoder)


# --- Triton -----------------------------------------------------------------------------------


def _perf_input(texts: Sequence[str], path: Path) -> Path:
    data = [{TRITON_INPUT_TEXT: {"content": [text], "shape": [1]}} for text in texts]
    path.write_text(json.dumps({"data": data}))
    return path


def _triton_figures(analyzer, url: str, model: str, input_data: Path, texts: Sequence[str], notes, progress):
    """perf_analyzer at each concurrency; a longer window where it does not settle, and Python
    clients (noted) where it still does not."""
    measured: dict[int, tuple[float, float, float]] = {}
    server_ms: dict[str, float] = {}
    for concurrency in CONCURRENCIES:
        before = _statistics(url, model) if concurrency == 1 else None
        result = None
        for window_ms in (3000, 8000) if analyzer is not None else ():
            try:
                result = analyzer.measure(url, model, input_data, concurrency, window_ms=window_ms)
                break
            except PerfAnalyzerError as error:
                failure = error
        if result is not None:
            measured[concurrency] = (result.throughput_per_s, result.p50_ms, result.p99_ms)
        elif analyzer is None:
            measured[concurrency] = _python_clients(url, model, texts, concurrency)
        else:
            notes.append(f"{model} at concurrency {concurrency}: Python clients, as perf_analyzer failed: {failure}")
            progress(f"bench serve: {notes[-1]}")
            measured[concurrency] = _python_clients(url, model, texts, concurrency)
        if before is not None:
            server_ms = _per_request_ms(before, _statistics(url, model))
        progress(f"  {model} at concurrency {concurrency}: {measured[concurrency][0]:,.0f}/s")
    _, p50, p99 = measured[CONCURRENCIES[0]]
    if analyzer is None:
        how = "Python gRPC clients"
    else:
        how = (
            "perf_analyzer"
            if not any(note.startswith(f"{model} at") for note in notes)
            else "perf_analyzer (see notes)"
        )
    throughput = {c: figures[0] for c, figures in measured.items()}
    return SystemFigures(f"{model} (Triton, gRPC)", how, p50, p99, throughput, server_ms)


def _statistics(url: str, model: str) -> dict[str, tuple[int, int]]:
    from mtassist.serving.client import AssistantClient

    with AssistantClient(url, model=model) as client:
        return client.inference_statistics()


def _per_request_ms(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Mean milliseconds per successful request in each of SERVER_PHASES between two snapshots."""
    requests = after.get("success", (0, 0))[0] - before.get("success", (0, 0))[0]
    if requests <= 0:
        return {}
    return {
        phase: (after.get(phase, (0, 0))[1] - before.get(phase, (0, 0))[1]) / requests / 1e6 for phase in SERVER_PHASES
    }


def _python_clients(url: str, model: str, texts: Sequence[str], concurrency: int) -> tuple[float, float, float]:
    """(throughput, p50 ms, p99 ms) with Python gRPC clients, one per thread: without perf_analyzer."""
    from mtassist.serving.client import AssistantClient

    clients = [AssistantClient(url, model=model, retries=0) for _ in range(concurrency)]
    try:
        askers = [lambda text, client=client: client.ask([text]) for client in clients]
        p50, p99 = _latency(askers[0], texts) if concurrency == 1 else (float("nan"), float("nan"))
        return _throughput(askers, texts, THROUGHPUT_SECONDS), p50, p99
    finally:
        for client in clients:
            client.close()


def _bundle_as_version(bundle_dir: Path, folder: Path, version: str) -> Path:
    copy = shutil.copytree(bundle_dir, folder / f"bundle-{version}")
    card = json.loads((copy / BUNDLE_CARD).read_text())
    (copy / BUNDLE_CARD).write_text(json.dumps({**card, CARD_MODEL_VERSION: version}))
    return copy


def _rollout_under_load(url: str, repository: Path, bundles: dict[str, Path], texts: Sequence[str], progress) -> dict:
    from mtassist.serving.client import AssistantClient
    from mtassist.serving.load import ConcurrentLoad
    from mtassist.serving.repository import build_model_repository
    from mtassist.serving.rollout import roll_out

    steps = []
    with AssistantClient(url) as control, ConcurrentLoad(url, texts, clients=ROLLOUT_CLIENTS) as load:
        load.wait_for(ROLLOUT_REPLIES)
        for version in ("2", "1"):
            started = time.monotonic()
            build_model_repository(bundles[version], repository)
            roll_out(control, repository)
            steps.append({"version": version, "seconds": round(time.monotonic() - started, 2)})
            progress(f"  version {version} rolled out in {steps[-1]['seconds']} s under load")
            load.wait_for(ROLLOUT_REPLIES)
    return {
        "clients": ROLLOUT_CLIENTS,
        "requests": len(load.replies),
        "failed": len(load.failures),
        "first_failures": [reply.error for reply in load.failures[:3]],
        "versions_answered": sorted({str(reply.version) for reply in load.replies if reply.error is None}),
        "steps": steps,
    }


# --- the run ------------------------------------------------------------------------------------


def bench_serve(
    bundle_dir: Path,
    teacher_dir: Path,
    dataset_dir: Path,
    cache_dir: Path,
    progress: Callable[[str], None] = print,
    sweeps: int = SWEEPS,
) -> ServeFigures:
    """Every figure of the module doc, for the bundle `export` wrote and the teacher it came from."""
    if sweeps < 1:
        raise ValueError(f"sweeps must be at least 1, not {sweeps}")
    from mtassist.serving.launcher import TritonServer, free_ports
    from mtassist.serving.model_configs import ServingOptions
    from mtassist.serving.repository import build_model_repository, read_manifest

    texts = utterance_mix(dataset_dir)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mtassist-bench-serve-") as scratch_name:
        scratch = Path(scratch_name)
        bundles = {version: _bundle_as_version(bundle_dir, scratch, version) for version in ("1", "2")}
        repository = build_model_repository(bundles["1"], scratch / "model-repository")
        graph = read_manifest(repository)["versions"]["1"]["graph"]
        version_dir = repository / TRITON_ASSISTANT_MODEL / "1"
        threads = max(1, available_cores() // ServingOptions().assistant_instances)

        make_assistant, make_teacher = (
            _assistant_askers(version_dir, threads),
            _teacher_askers(teacher_dir, version_dir),
        )
        assistants = [make_assistant() for _ in range(max(CONCURRENCIES))]
        teachers = [make_teacher() for _ in range(max(CONCURRENCIES))]
        try:
            analyzer = find_perf_analyzer(cache_dir)
        except PerfAnalyzerError as error:
            analyzer = None
            notes.append(f"perf_analyzer unavailable, so Triton is measured with Python clients: {error}")
            progress(f"bench serve: {notes[-1]}")
        input_data = _perf_input(texts, scratch / "perf-input.json")
        server = TritonServer(
            repository, ports=free_ports(), model_control_mode="explicit", load_models=["*"],
            log_path=scratch / "tritonserver.log",
        )  # fmt: skip
        with server:
            rounds: list[list[SystemFigures]] = []
            for sweep in range(1, sweeps + 1):
                progress(f"bench serve: round {sweep} of {sweeps}: {len(texts)} test utterances; in process ({graph}, "
                         f"{threads} thread(s) per graph) ...")  # fmt: skip
                with single_threaded_blas():  # as in the server's stubs
                    measured = [_in_process_figures(IN_PROCESS_SYSTEM, assistants, texts)]
                progress(f"bench serve: round {sweep} of {sweeps}: the teacher in PyTorch eager ...")
                measured.append(_in_process_figures(TEACHER_SYSTEM, teachers, texts))
                for model in (TRITON_ASSISTANT_MODEL, TRITON_ENSEMBLE_MODEL):
                    progress(f"bench serve: round {sweep} of {sweeps}: {model} over gRPC ...")
                    measured.append(
                        _triton_figures(analyzer, server.grpc_url, model, input_data, texts, notes, progress)
                    )
                rounds.append(measured)
            systems = [median_figures(found) for found in zip(*rounds)]
            progress(f"bench serve: deploy and rollback under {ROLLOUT_CLIENTS} concurrent clients ...")
            rollout = _rollout_under_load(server.grpc_url, repository, bundles, texts, progress)
        notes = list(dict.fromkeys(notes))
    return ServeFigures(systems=systems, rollout=rollout, graph=graph, utterances=len(texts), notes=notes)


# --- the report ---------------------------------------------------------------------------------


def targets(figures: ServeFigures) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each figure the serving issue names."""
    served = figures.find(f"{TRITON_ASSISTANT_MODEL} (Triton, gRPC)")
    in_process = figures.find(IN_PROCESS_SYSTEM)
    teacher = figures.find(TEACHER_SYSTEM)
    ratio = served.p50_ms / in_process.p50_ms
    speedup = served.throughput_per_s[8] / teacher.throughput_per_s[8]
    failed = figures.rollout["failed"]
    return [
        ("`assistant` p50 <= 4 ms at concurrency 1", _with_spread(served, "p50_ms", "{:.2f} ms"), served.p50_ms <= 4),
        ("`assistant` p99 <= 10 ms at concurrency 1", _with_spread(served, "p99_ms", "{:.2f} ms"), served.p99_ms <= 10),
        (
            "`assistant` >= 1,000 requests/s at concurrency 8",
            _with_spread(served, "c=8", "{:,.0f}/s"),
            served.throughput_per_s[8] >= 1000,
        ),
        ("Triton p50 <= 1.5x in-process p50 (same work)", f"{ratio:.2f}x", ratio <= 1.5),
        ("throughput >= 10x the teacher in PyTorch at concurrency 8", f"{speedup:.1f}x", speedup >= 10),
        (
            f"0 failed requests across deploy and rollback ({figures.rollout['clients']} clients)",
            f"{failed} of {figures.rollout['requests']:,}",
            failed == 0,
        ),
    ]


def _with_spread(system: SystemFigures, figure: str, form: str) -> str:
    """The figure, and where it was measured more than once, its lowest and highest round."""
    value = {"p50_ms": system.p50_ms, "p99_ms": system.p99_ms}.get(figure)
    text = form.format(system.throughput_per_s[int(figure[2:])] if value is None else value)
    if figure not in system.spread or system.sweeps < 2:
        return text
    low, high = system.spread[figure]
    return f"{text} (rounds {form.format(low)} to {form.format(high)})"


def figures_markdown(figures: ServeFigures, command: str, machine: str) -> str:
    lines = [
        FIGURES_SECTION,
        "",
        f"Measured by `{command}` on {machine}, the client on the same machine. {figures.utterances} test "
        "utterances (commands, chit-chat, FAQ questions, rated sentences), one per request. The server runs "
        f"the student's `{figures.graph}`. Triton is measured by `perf_analyzer` (C++, gRPC); in process and "
        "the teacher by Python threads, each with its own tokenizer. In process, the assistant runs as in "
        "the server's stubs: ONNX Runtime with the threads each server instance gets, numpy's BLAS on one "
        f"thread. Throughput in requests per second. {_rounds_sentence(figures)}",
        "",
        "| system | measured by | p50 ms | p99 ms | " + " | ".join(f"c={c}" for c in CONCURRENCIES) + " |",
        "|---|---|---|---|" + "---|" * len(CONCURRENCIES),
    ]
    for system in figures.systems:
        rates = " | ".join(f"{system.throughput_per_s[c]:,.0f}" for c in CONCURRENCIES)
        lines.append(
            f"| {system.system} | {system.measured_by} | {system.p50_ms:.2f} | {system.p99_ms:.2f} | {rates} |"
        )
    for system in figures.systems:
        if system.server_ms:
            phases = ", ".join(f"{phase.replace('_', ' ')} {ms:.2f}" for phase, ms in system.server_ms.items())
            lines += [
                "",
                f"{system.system}, Triton's own statistics at concurrency 1, mean ms per request on the "
                f"server: {phases}. The client waited {system.p50_ms:.2f} ms at p50: the rest is gRPC and the "
                "client.",
            ]
    rollout = figures.rollout
    steps = ", then ".join(f"version {s['version']} ({s['seconds']} s)" for s in rollout["steps"])
    lines += [
        "",
        f"Deploy and rollback under load: {rollout['clients']} clients sent {rollout['requests']:,} requests while "
        f"{steps} was rolled out; {rollout['failed']} failed; versions that answered: "
        f"{', '.join(rollout['versions_answered'])}.",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[f"| {target} | {measured} | {'yes' if met else 'no'} |" for target, measured, met in targets(figures)],
    ]
    lines += [f"\n{note}" for note in figures.notes]
    return "\n".join(lines) + "\n"


def _rounds_sentence(figures: ServeFigures) -> str:
    sweeps = max(system.sweeps for system in figures.systems)
    if sweeps < 2:
        return "Each figure was measured once."
    return (
        f"The four systems were measured in {sweeps} rounds, one after the other within each round; each "
        "figure is the median of its rounds (the targets give the lowest and highest)."
    )


def figures_json(figures: ServeFigures) -> str:
    return json.dumps(asdict(figures), indent=1) + "\n"
