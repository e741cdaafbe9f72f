"""Running the real `tritonserver` locally, from the nvidia-pytriton wheel.

The wheel ships Triton 2.51 with the python backend only. `prepare_server_dir` copies its
`tritonserver/` tree once (to Settings.server_dir) and puts this interpreter's python-backend
stub in `backends/python/`. The server runs with:
- LD_LIBRARY_PATH: the wheel's `nvidia_pytriton.libs` and this interpreter's libdir (the stub
  embeds libpython3.11);
- PATH: this interpreter's `bin` first. The stub's embedded Python looks for `python3` on PATH
  to find its prefix, so with a virtualenv's `bin` first it reads that venv's `pyvenv.cfg` and
  imports from the venv's site-packages (numpy, onnxruntime, transformers, the editable
  `mtassist`);
- PYTHONPATH: the folder `mtassist` is imported from, first, so the models import this very
  checkout even when it is not installed in that venv.

    with TritonServer(repository, ports=Ports(grpc=free_port(), ...)) as server:
        AssistantClient(server.grpc_url).ask(["turn on the lights"])
"""

from __future__ import annotations

import collections
import ctypes
import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence, TextIO

import mtassist
from mtassist.contracts import Ports
from mtassist.errors import MtassistError
from mtassist.settings import Settings

MODEL_CONTROL_MODES: tuple[str, ...] = ("none", "explicit")
STUB_NAME = "triton_python_backend_stub"
_READY_MARKER = ".mtassist-server.json"
_REQUIRED_FILES = (
    "bin/tritonserver",
    f"backends/python/{STUB_NAME}",
    "backends/python/libtriton_python.so",
    "backends/python/triton_python_backend_utils.py",
    "caches/local/libtritoncache_local.so",
)
_LOG_TAIL_LINES = 200
_EXCERPT_LINES = 8
_EXCERPT_LINE_CHARS = 400
_TRITON_ERROR = re.compile(r"^(E\d{4} |error: )")
_CPU_ONLY_NOISE = ("CudaDriverHelper", "CUDA driver version is insufficient")
_POLL_S = 0.25


class TritonServerError(MtassistError, RuntimeError):
    """The local Triton server cannot start or did not come up."""


class PortInUseError(TritonServerError):
    """A port Triton needs is taken."""


# --- the server tree and its environment --------------------------------------------------------


def _pytriton_dir() -> Path:
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise TritonServerError("nvidia-pytriton is not installed: `pip install nvidia-pytriton==0.7.0`")
    return Path(list(spec.submodule_search_locations)[0])


def wheel_libs_dir() -> Path:
    """The shared libraries that the wheel's tritonserver links against."""
    return _pytriton_dir().parent / "nvidia_pytriton.libs"


def prepare_server_dir(server_dir: Path | None = None) -> Path:
    """Copy the wheel's Triton tree with this Python's stub, once; reuse it when complete.

    Returns:
        The server folder, with `bin/tritonserver`, `backends/` and `caches/`.
    """
    server_dir = Path(server_dir or Settings.from_env().server_dir)
    stamp = {
        "nvidia-pytriton": importlib.metadata.version("nvidia-pytriton"),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    if _is_complete(server_dir, stamp):
        return server_dir
    source = _pytriton_dir() / "tritonserver"
    stub = source / "python_backend_stubs" / stamp["python"] / STUB_NAME
    if not stub.is_file():
        raise TritonServerError(
            f"nvidia-pytriton has no python-backend stub for Python {stamp['python']} ({stub}): "
            "run mtassist with Python 3.11"
        )
    server_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = server_dir.with_name(f"{server_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, ignore=shutil.ignore_patterns("python_backend_stubs", "__pycache__"))
    shutil.copy2(stub, partial / "backends" / "python" / STUB_NAME)
    (partial / _READY_MARKER).write_text(json.dumps(stamp) + "\n")
    shutil.rmtree(server_dir, ignore_errors=True)
    try:
        os.replace(partial, server_dir)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not _is_complete(server_dir, stamp):
            raise
    return server_dir


def _is_complete(server_dir: Path, stamp: dict[str, str]) -> bool:
    marker = server_dir / _READY_MARKER
    if not marker.is_file() or not all((server_dir / name).is_file() for name in _REQUIRED_FILES):
        return False
    try:
        return json.loads(marker.read_text()) == stamp
    except ValueError:
        return False


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment tritonserver and its python-backend stubs need (see the module doc)."""
    env = dict(os.environ if base is None else base)
    libdir = sysconfig.get_config_var("LIBDIR")
    env["LD_LIBRARY_PATH"] = _prepend([str(wheel_libs_dir()), *([libdir] if libdir else [])], env.get("LD_LIBRARY_PATH"))
    env["PATH"] = _prepend([str(Path(sys.executable).parent)], env.get("PATH"))
    env["PYTHONPATH"] = _prepend([str(Path(mtassist.__file__).resolve().parent.parent)], env.get("PYTHONPATH"))
    return env


def _prepend(first: list[str], rest: str | None) -> str:
    parts = [*first, *(rest.split(os.pathsep) if rest else [])]
    return os.pathsep.join(dict.fromkeys(part for part in parts if part))


# --- ports --------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(host: str = "127.0.0.1") -> Ports:
    """Three distinct ports nothing listens on right now, for one server (for tests)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(3)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        grpc, http, metrics = (int(sock.getsockname()[1]) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    return Ports(grpc=grpc, http=http, metrics=metrics)


def check_ports_free(ports: Ports) -> None:
    """Raise PortInUseError naming the first of Triton's ports that is taken."""
    for name in ("grpc", "http", "metrics"):
        port = getattr(ports, name)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                raise PortInUseError(
                    f"port {port} is in use: stop the other server or pass --{name}-port"
                ) from None


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

    def __enter__(self) -> "TritonServer":
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
        ]
        if self.model_control_mode == "explicit":
            args += [f"--load-model={name}" for name in self.load_models]
        return args + list(self.extra_args)

    def start(self) -> "TritonServer":
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
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _die_with_parent_hook():
    """Linux: a hook that makes the server get SIGTERM if the process that launched it dies."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook
