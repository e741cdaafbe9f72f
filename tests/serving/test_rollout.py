"""Promote and deploy, roll back and deploy, while 8 clients ask without pause: no request fails.

Against the real Triton server in explicit model-control mode and a real MLflow registry; each
answer names the version that produced it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtassist.aliases import make_champion, rollback
from mtassist.contracts import CHAMPION_ALIAS, TRITON_ASSISTANT_MODEL, TRITON_ENSEMBLE_MODEL
from mtassist.registry import register_bundle
from mtassist.serving.client import AssistantClient
from mtassist.serving.deploy import deploy
from mtassist.serving.launcher import TritonServer, free_ports
from mtassist.serving.load import ConcurrentLoad
from mtassist.serving.repository import read_manifest
from mtassist.serving.rollout import RolloutError, roll_out

pytestmark = pytest.mark.slow

TEXTS = ["turn on the kitchen lights", "how are you doing today?", "I love this, it is great"]


def _versions_on_disk(repository: Path, model: str) -> list[str]:
    return sorted(child.name for child in (repository / model).iterdir() if child.name.isdigit())


def test_deploy_and_rollback_under_load_fail_no_request(
    tiny_bundle, tmp_path, tracking, triton_server_dir, monkeypatch
):
    monkeypatch.setenv("MTASSIST_USER", "tester")
    first = register_bundle(tiny_bundle, {"score": 0.5, "latency_p95_ms": 1.0}, {"git_commit": "c1"}).version
    second = register_bundle(tiny_bundle, {"score": 0.6, "latency_p95_ms": 1.0}, {"git_commit": "c2"}).version
    make_champion(first, "tester")
    repository = tmp_path / "model-repository"
    assert deploy(repository, reference=CHAMPION_ALIAS) == first

    server = TritonServer(
        repository, ports=free_ports(), server_dir=triton_server_dir, model_control_mode="explicit", load_models=["*"]
    )
    with server, ConcurrentLoad(server.grpc_url, TEXTS, clients=8) as load:
        load.wait_for(50)
        make_champion(second, "tester")
        assert deploy(repository, server.grpc_url) == second
        promoted_at = load.replies[-1].answered if load.replies else 0.0
        assert _versions_on_disk(repository, TRITON_ASSISTANT_MODEL) == sorted([first, second])
        load.wait_for(50)

        rollback("tester")
        assert deploy(repository, server.grpc_url) == first
        rolled_back_at = max(reply.answered for reply in load.replies)
        load.wait_for(50)
        with AssistantClient(server.grpc_url) as client:
            ensemble_versions = {a["model_version"] for a in client.ask(TEXTS, model=TRITON_ENSEMBLE_MODEL)}

    assert load.failures == [], load.failures[:3]
    assert {reply.version for reply in load.replies} == {first, second}
    assert second in {r.version for r in load.replies if promoted_at < r.sent < rolled_back_at}
    assert load.versions_sent_after(rolled_back_at) == {first}
    assert ensemble_versions == {first}
    manifest = read_manifest(repository)
    assert (manifest["version"], manifest["previous_version"]) == (int(first), int(second))


def test_a_version_that_does_not_load_leaves_the_old_one_serving(
    tiny_bundle, tmp_path, tracking, triton_server_dir, monkeypatch
):
    monkeypatch.setenv("MTASSIST_USER", "tester")
    version = register_bundle(tiny_bundle, {"score": 0.5, "latency_p95_ms": 1.0}, {"git_commit": "c1"}).version
    repository = tmp_path / "model-repository"
    deploy(repository, reference=version)
    server = TritonServer(
        repository, ports=free_ports(), server_dir=triton_server_dir, model_control_mode="explicit", load_models=["*"]
    )
    with server, AssistantClient(server.grpc_url) as client:
        card = repository / TRITON_ASSISTANT_MODEL / version / "model_card.json"
        card.write_text(json.dumps({"max_length": "not a number"}))
        with pytest.raises(RolloutError, match=f"did not load version {version}"):
            roll_out(client, repository)
        assert client.ask(TEXTS)[0]["model_version"] == version


def test_mtassist_deploy_names_a_server_that_does_not_answer(tiny_bundle, tmp_path, tracking, capsys):
    from mtassist.cli import main

    version = register_bundle(tiny_bundle, {"score": 0.5, "latency_p95_ms": 1.0}, {"git_commit": "c1"}).version
    url = f"localhost:{free_ports().grpc}"
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    repository = tmp_path / "model-repository"
    code = main(["deploy", "--version", version, "--url", url, "--tracking-uri", tracking_uri,
                 "--repository", str(repository)])  # fmt: skip
    assert code == 1
    assert f"no Triton server answers at {url}" in capsys.readouterr().err
    assert read_manifest(repository)["model_version"] == version  # written all the same
