"""Real backing servers for the registry tests: PostgreSQL and `mlflow server`, on free loopback ports.

Each is a context manager that starts its process in its own process group, waits until it
answers, and stops the whole group on exit, also when the test fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from mtassist.serving.ports import free_port

READY_TIMEOUT_S = 90


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def postgres_bin() -> Path | None:
    """The folder of Debian's PostgreSQL binaries (initdb, postgres), or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """A throwaway PostgreSQL cluster with a database `mlflow`, trusting loopback connections.

    PostgreSQL refuses to run as root: as root, it runs as the `postgres` system user, in a folder
    of its own under the system's temporary folder (pytest's folders are private to root).
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise FileNotFoundError("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
        self.root = Path(tempfile.mkdtemp(prefix="mtassist-postgres-"))
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/mlflow"

    def _as_owner(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def __enter__(self) -> PostgresServer:
        data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        made = subprocess.run(
            self._as_owner([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]),
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            shutil.rmtree(self.root, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {made.stderr.strip()[-1000:]}")
        self._process = subprocess.Popen(
            self._as_owner(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            made = subprocess.run(
                [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "mlflow"],
                capture_output=True,
                text=True,
            )
            if made.returncode == 0:
                return self
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"PostgreSQL on port {self.port} did not start: {made.stderr.strip()}")
            time.sleep(0.5)

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            _stop(self._process)
        shutil.rmtree(self.root, ignore_errors=True)


class MlflowServer:
    """`mlflow server` on a backend store URI, serving artifacts from a folder of its own."""

    def __init__(self, backend_store_uri: str, root: Path) -> None:
        self.backend_store_uri = backend_store_uri
        self.root = root
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MlflowServer:
        self.root.mkdir(parents=True, exist_ok=True)
        log = (self.root / "mlflow-server.log").open("w")
        mlflow = Path(sys.executable).parent / "mlflow"
        self._process = subprocess.Popen(
            [
                str(mlflow),
                "server",
                "--backend-store-uri",
                self.backend_store_uri,
                "--artifacts-destination",
                str(self.root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._healthy():
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.__exit__()
                tail = (self.root / "mlflow-server.log").read_text()[-2000:]
                raise RuntimeError(f"mlflow server on {self.uri} did not become healthy:\n{tail}")
            time.sleep(0.5)
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.__exit__()

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            _stop(self._process)
