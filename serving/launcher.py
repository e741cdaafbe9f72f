"""Running the real `tritonserver` locally, from the nvidia-pytriton wheel.

The server tree and its environment come from `server_tree`; this module starts the server on
free or given ports, waits for readiness, copies its log, and stops it (and its process group).

    with TritonServer(repository, ports=Ports(grpc=free_port(), ...)) as server:
        AssistantClient(server.grpc_url).ask(["turn on the lights"])
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from mtassist.contracts import Ports
from mtassist.serving.layout import RATE_LIMIT_FLAG
from mtassist.serving.ports import PortInUseError, check_ports_free, free_port, free_ports
from mtassist.serving.server_tree import (
    STUB_NAME,
    TritonServerError,
    prepare_server_dir,
    server_environment,
    wheel_libs_dir,
)

__all__ = [
    "STUB_NAME",
    "PortInUseError",
    "TritonServer",
    "TritonServerError",
    "check_ports_free",
    "free_port",
    "free_ports",
    "prepare_server_dir",
    "repository_models",
    "server_environment",
    "wheel_libs_dir",
]

MODEL_CONTROL_MODES: tuple[str, ...] = ("none", "explicit")
_LOG_TAIL_LINES = 200
_EXCERPT_LINES = 8
_EXCERPT_LINE_CHARS = 400
_TRITON_ERROR = re.compile(r"^(E\d{4} |error: )")
_CPU_ONLY_NOISE = ("CudaDriverHelper", "CUDA driver version is insufficient")
_POLL_S = 0.25


# --- the repository -----------------------------------------------------------------------------


def repository_models(repository: Path) -> list[str]:
    """The models in a repository (folders with a config.pbtxt), sorted."""
    if not Path(repository).is_dir():
        return []
    return sorted(p.parent.name for p in Path(repository).glob("*/config.pbtxt"))


# --- the server ---------------------------------------------------------------------------------


class TritonServer:
    """The real tritonserver on a model repository, as a context manager.

    Args:
        repository: the model repository.
        ports: gRPC, HTTP and metrics ports; each is checked to be free before launching.
        server_dir: the local server tree (default Settings.server_dir), prepared if needed.
        model_control_mode: "none" loads every model at start; "explicit" loads only
            `load_models` at start, the rest through the model-control API (deploy), and may
            start on an empty repository folder.
        load_models: explicit mode: models to load at start ("*" for all).
        wait_for: models that must be ready before `start` returns; default every model of the
            repository in mode "none", `load_models` in mode "explicit".
        log_path: where the server's output goes (default: `tritonserver.log` beside the
            repository).
        echo: also copy the server's output to this stream (e.g. sys.stderr).
        startup_timeout_s: how long `start` waits for readiness.
        stop_timeout_s: how long `stop` waits for a graceful exit before killing.
        extra_args: more tritonserver flags.
    """

    def __init__(
        self,
        repository: Path,
        *,
        ports: Ports = Ports(),
        server_dir: Path | None = None,
        model_control_mode: str = "none",
        load_models: Sequence[str] = (),
        wait_for: Sequence[str] | None = None,
        log_path: Path | None = None,
        echo: TextIO | None = None,
        startup_timeout_s: float = 120.0,
        stop_timeout_s: float = 30.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        if model_control_mode not in MODEL_CONTROL_MODES:
            raise ValueError(
                f"model_control_mode is {model_control_mode!r}: choose from {', '.join(MODEL_CONTROL_MODES)}"
            )
        self.repository = Path(repository).resolve()
        self.ports = ports
        self.server_dir = server_dir
        self.model_control_mode = model_control_mode
        self.load_models = tuple(load_models)
        self.wait_for = None if wait_for is None else tuple(wait_for)
        self.log_path = Path(log_path) if log_path else self.repository.parent / "tritonserver.log"
        self.echo = echo
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.extra_args = tuple(extra_args)
        self.startup_s: float | None = None
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=_LOG_TAIL_LINES)

    @property
    def grpc_url(self) -> str:
        return f"localhost:{self.ports.grpc}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.ports.http}"

    @property
    def metrics_url(self) -> str:
        return f"http://localhost:{self.ports.metrics}/metrics"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def command(self, server_dir: Path) -> list[str]:
        """The tritonserver command line."""
        args = [
            str(server_dir / "bin" / "tritonserver"),
            f"--model-repository={self.repository}",
            f"--backend-directory={server_dir / 'backends'}",
            f"--cache-directory={server_dir / 'caches'}",
            f"--grpc-port={self.ports.grpc}",
            f"--http-port={self.ports.http}",
            f"--metrics-port={self.ports.metrics}",
            f"--model-control-mode={self.model_control_mode}",
            "--strict-readiness=true",
            "--exit-on-error=true",
            "--disable-auto-complete-config",
            f"--exit-timeout-secs={max(1, int(self.stop_timeout_s) - 5)}",
            f"--backend-config=python,shm-region-prefix-name=mtassist{os.getpid()}-{secrets.token_hex(3)}-",
            RATE_LIMIT_FLAG,
        ]
        if self.model_control_mode == "explicit":
            args += [f"--load-model={name}" for name in self.load_models]
        return args + list(self.extra_args)

    def start(self) -> TritonServer:
        """Launch the server and wait until it and the awaited models are ready."""
        if self.running:
            return self
        models = repository_models(self.repository)
        if not self.repository.is_dir() or (not models and self.model_control_mode == "none"):
            raise TritonServerError(f"no model repository at {self.repository}: run `mtassist run` first")
        check_ports_free(self.ports)
        server_dir = prepare_server_dir(self.server_dir)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self._process = subprocess.Popen(
            self.command(server_dir),
            env=server_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent_hook(),
        )
        self._reader = threading.Thread(target=self._copy_output, name="tritonserver-log", daemon=True)
        self._reader.start()
        try:
            self._wait_until_ready(self._awaited_models(models), started + self.startup_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def stop(self) -> None:
        """Stop the server gracefully (SIGINT), then kill its process group if it lingers."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait(timeout=10)
        _kill_group(process.pid)
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._process = None

    def log_tail(self, lines: int = 15) -> str:
        """The server's last output lines."""
        return "\n".join(list(self._tail)[-lines:])

    def _awaited_models(self, models: list[str]) -> tuple[str, ...]:
        if self.wait_for is not None:
            return self.wait_for
        if self.model_control_mode == "none" or "*" in self.load_models:
            return tuple(models)
        return self.load_models

    def _wait_until_ready(self, models: Sequence[str], deadline: float) -> None:
        pending = ["", *models]
        while pending:
            if self._process is not None and self._process.poll() is not None:
                raise TritonServerError(
                    f"tritonserver exited with code {self._process.returncode} while starting; "
                    f"its last lines:\n{self._log_excerpt()}\n(full log: {self.log_path})"
                )
            if time.monotonic() > deadline:
                waiting = ", ".join(m for m in pending if m) or "the server"
                raise TritonServerError(
                    f"tritonserver was not ready after {self.startup_timeout_s:.0f}s (waiting for {waiting}); "
                    f"its last lines:\n{self._log_excerpt()}\n(full log: {self.log_path})"
                )
            while pending and self._is_ready(pending[0]):
                pending.pop(0)
            if pending:
                time.sleep(_POLL_S)

    def _is_ready(self, model: str) -> bool:
        path = f"/v2/models/{model}/ready" if model else "/v2/health/ready"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports.http}{path}", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _log_excerpt(self) -> str:
        """Triton's error lines (without the CUDA noise of a CPU-only machine), else the tail."""
        if self._reader is not None:
            self._reader.join(timeout=1)
        lines = list(self._tail)
        errors = [
            line[:_EXCERPT_LINE_CHARS]
            for line in lines
            if _TRITON_ERROR.match(line) and not any(noise in line for noise in _CPU_ONLY_NOISE)
        ]
        excerpt = [*errors[-_EXCERPT_LINES:], *lines[-1:]] if errors else lines[-_EXCERPT_LINES:]
        return "\n".join(dict.fromkeys(excerpt)) or "(no output)"

    def _copy_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        with self.log_path.open("w", encoding="utf-8") as log:
            for raw in self._process.stdout:
                line = raw.decode("utf-8", errors="replace")
                log.write(line)
                log.flush()
                self._tail.append(line.rstrip("\n"))
                if self.echo is not None:
                    self.echo.write(line)
                    self.echo.flush()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _die_with_parent_hook():
    """Linux: a hook that makes the server get SIGTERM if the process that launched it dies."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook
