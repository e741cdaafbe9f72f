"""`mtassist models list | promote | rollback` against each kind of store users run: the default
local sqlite file, a real `mlflow server` on sqlite, and one on PostgreSQL (Debian's package,
started on loopback). Promote, refuse to promote, roll back, and a registry that stopped answering."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import mlflow
import pytest

from mtassist import registry
from mtassist.cli import main
from mtassist.contracts import BUNDLE_MANIFEST, CHAMPION_ALIAS
from mtassist.hashing import write_manifest
from tests.servers import MlflowServer, PostgresServer, postgres_bin

pytestmark = pytest.mark.slow

STORES = ("local", "sqlite-server", "postgresql-server")


@pytest.fixture(params=STORES)
def store(request, tmp_path, monkeypatch):
    """(tracking URI, folder where the server keeps artifacts, the server or None)."""
    monkeypatch.setenv("MTASSIST_USER", "tester")
    if request.param == "local":
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        yield uri, tmp_path / "artifacts", None
    elif request.param == "sqlite-server":
        with MlflowServer(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "server") as server:
            yield server.uri, tmp_path / "server" / "artifacts", server
    else:
        if postgres_bin() is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not installed: .ci/run installs Debian's postgresql package")
            pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
        with PostgresServer() as database, MlflowServer(database.uri, tmp_path / "server") as server:
            yield server.uri, tmp_path / "server" / "artifacts", server
    mlflow.set_tracking_uri(None)


def _register_three(uri: str, artifact_root: Path, tmp_path: Path) -> None:
    registry.use_tracking(uri, artifact_root.as_uri() if uri.startswith("sqlite") else None)
    for n in range(1, 4):
        bundle = tmp_path / f"bundle-{n}"
        bundle.mkdir()
        (bundle / "encoder.onnx").write_bytes(f"graph {n}".encode())
        write_manifest(bundle, BUNDLE_MANIFEST)
        registry.register_bundle(bundle, {"score": n / 10, "latency_p95_ms": 1.0}, {"git_commit": f"c{n}"})


def _models(capsys, uri: str, *args: str) -> tuple[int, str]:
    code = main(["models", *args, "--tracking-uri", uri])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _champion() -> str:
    found = registry.version_by_alias(CHAMPION_ALIAS)
    return found.version if found else ""


def test_promote_refuse_and_roll_back(store, tmp_path, capsys):
    uri, artifacts, _ = store
    _register_three(uri, artifacts, tmp_path)

    assert _models(capsys, uri, "promote", "1")[0] == 0
    code, out = _models(capsys, uri, "promote", "2")
    assert code == 0 and "champion is version 2 (was 1), by tester" in out

    code, out = _models(capsys, uri, "list")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1].isdigit()}
    assert set(rows) == {"1", "2", "3"} and "champion" in rows["2"].split()[1]
    assert "commit c2" in out and "by tester (replaced 1)" in out
    records = json.loads(_models(capsys, uri, "list", "--json")[1])
    assert [r["version"] for r in records] == ["3", "2", "1"] and records[1]["aliases"] == ["champion"]

    [stored] = [p for p in artifacts.rglob("encoder.onnx") if p.read_bytes() == b"graph 3"]
    stored.write_bytes(b"tampered")
    code, out = _models(capsys, uri, "promote", "3")
    assert code == 1 and "version 3 fails its SHA-256 check" in out and _champion() == "2"

    code, out = _models(capsys, uri, "promote", "9")
    assert code == 1 and "no version 9 of mtassist-assistant" in out and _champion() == "2"

    code, out = _models(capsys, uri, "rollback")
    assert code == 0 and "rolled back to version 1 (from 2), by tester" in out and _champion() == "1"
    assert registry.find_version("2").tags["rolled_back_by"] == "tester"
    code, out = _models(capsys, uri, "rollback")
    assert code == 1 and "replaced no earlier champion" in out and _champion() == "1"


def test_a_registry_that_stopped_is_reported_in_seconds(store, tmp_path, capsys):
    uri, artifacts, server = store
    if server is None:
        pytest.skip("the local store is a file: there is no server to stop")
    _register_three(uri, artifacts, tmp_path)
    server.stop()
    started = time.monotonic()
    code, out = _models(capsys, uri, "promote", "1")
    assert code == 1 and f"cannot use the MLflow tracking store and registry at {uri}" in out
    assert time.monotonic() - started < 60
