"""Triton's own load generator, `perf_analyzer`, found or fetched, run, and read.

The binary ships in the tritonclient 2.51.0 wheel (newer wheels leave it out). It links against
`libb64.so.0d` and `libcudart.so.12`, which the nvidia-pytriton wheel bundles under hashed names;
`find_perf_analyzer` links them under their plain names beside it. It looks, in order, at
MTASSIST_PERF_ANALYZER, at `perf_analyzer` on PATH, and at its cache in the state folder, and
else downloads the wheel from the package index into that cache (pip, no other network).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mtassist.data.fetch import last_line, pip_download
from mtassist.errors import MtassistError
from mtassist.serving.server_tree import wheel_libs_dir

PERF_ANALYZER_WHEEL = "tritonclient==2.51.0"
_WHEEL_BINARY = "tritonclient-2.51.0.data/data/bin/perf_analyzer"
_LIBRARIES = {"libb64.so.0d": "libb64-*.so.0d", "libcudart.so.12": "libcudart-*.so.12*"}


class PerfAnalyzerError(MtassistError, RuntimeError):
    """perf_analyzer could not be found, fetched or run to a stable measurement."""


@dataclass(frozen=True)
class PerfResult:
    concurrency: int
    throughput_per_s: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class PerfAnalyzer:
    binary: Path
    libraries: Path

    def measure(
        self,
        url: str,
        model: str,
        input_data: Path,
        concurrency: int,
        window_ms: int = 3000,
        stability_percent: int = 25,
        timeout_s: float = 240,
    ) -> PerfResult:
        """One stable measurement of `model` at `concurrency` over gRPC, one request of batch 1 each:
        three consecutive windows of `window_ms` whose throughput and mean latency agree within
        `stability_percent` (a real mix of utterance lengths varies more than perf_analyzer's 10%).

        Raises:
            PerfAnalyzerError: it exited with an error (its last lines are in the message).
        """
        with tempfile.TemporaryDirectory(prefix="perf-") as scratch:
            report = Path(scratch) / "report.csv"
            command = [
                str(self.binary), "-m", model, "-u", url, "-i", "grpc", "-b", "1",
                "--input-data", str(input_data), "--concurrency-range", str(concurrency),
                "--measurement-interval", str(window_ms), "--max-trials", "10",
                "--stability-percentage", str(stability_percent),
                "-f", str(report),
            ]  # fmt: skip
            env = {**os.environ, "LD_LIBRARY_PATH": f"{self.libraries}{os.pathsep}{wheel_libs_dir()}"}
            try:
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
            except subprocess.TimeoutExpired as error:
                raise PerfAnalyzerError(f"perf_analyzer on {model} at concurrency {concurrency} timed out") from error
            if done.returncode != 0 or not report.is_file():
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
                raise PerfAnalyzerError(
                    f"perf_analyzer on {model} at concurrency {concurrency} exited {done.returncode}:\n{tail}"
                )
            row = next(csv.DictReader(report.open()))
        return PerfResult(
            concurrency=int(row["Concurrency"]),
            throughput_per_s=float(row["Inferences/Second"]),
            p50_ms=float(row["p50 latency"]) / 1000,
            p99_ms=float(row["p99 latency"]) / 1000,
        )


def find_perf_analyzer(cache_dir: Path) -> PerfAnalyzer:
    """perf_analyzer ready to run (see the module doc for where it comes from).

    Raises:
        PerfAnalyzerError: it is nowhere here and the wheel could not be downloaded.
    """
    libraries = Path(cache_dir) / "perf_analyzer" / "lib"
    _link_libraries(libraries)
    configured = os.environ.get("MTASSIST_PERF_ANALYZER") or shutil.which("perf_analyzer")
    if configured:
        return PerfAnalyzer(Path(configured), libraries)
    binary = Path(cache_dir) / "perf_analyzer" / "bin" / "perf_analyzer"
    if not binary.is_file():
        _fetch(binary)
    return PerfAnalyzer(binary, libraries)


def _fetch(binary: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tritonclient-wheel-") as scratch:
        download = pip_download(PERF_ANALYZER_WHEEL, Path(scratch))
        wheels = list(Path(scratch).glob("tritonclient-*.whl"))
        if download.returncode != 0 or not wheels:
            raise PerfAnalyzerError(
                f"perf_analyzer is not here and `pip download {PERF_ANALYZER_WHEEL}` failed "
                f"({last_line(download) if download.returncode else 'no wheel'}): "
                "set MTASSIST_PERF_ANALYZER to its path"
            )
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(binary.name + ".partial")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(_WHEEL_BINARY) as source, partial.open("wb") as target:
            shutil.copyfileobj(source, target)
        partial.chmod(0o755)
        os.replace(partial, binary)


def _link_libraries(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for plain, pattern in _LIBRARIES.items():
        found = sorted(wheel_libs_dir().glob(pattern))
        link = folder / plain
        if found and not link.exists():
            link.unlink(missing_ok=True)
            link.symlink_to(found[0])
