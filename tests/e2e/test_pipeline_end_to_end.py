"""The whole system on this machine: the pipeline through kfp's local runner on a small slice,
releasing models trained again on every split, then the real Triton server on the promoted
champion, asked over gRPC through the CLI."""

import json

import pytest

from mtassist.contracts import CHALLENGER_ALIAS, CHAMPION_ALIAS
from tests.conftest import TEST_CACHE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from mtassist import registry
    from mtassist.pipelines.runner import RunOptions, run_locally
    from mtassist.settings import Settings

    home = tmp_path_factory.mktemp("home")
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    (home / "cache").symlink_to(TEST_CACHE, target_is_directory=True)
    settings = Settings(home=home)
    options = RunOptions(
        data_size="small",
        max_steps=60,
        batch_size=16,
        student_layers="2",
        release_on_every_split=True,
        check_answers=False,
    )
    run_locally(settings, options)
    registry.use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    return settings


def test_pipeline_registers_and_promotes_the_student_with_lineage(finished_run):
    from mlflow.tracking import MlflowClient

    from mtassist import registry

    champion = registry.version_by_alias(CHAMPION_ALIAS)
    assert champion is not None and champion.version == registry.version_by_alias(CHALLENGER_ALIAS).version
    tags = MlflowClient().get_model_version(champion.name, champion.version).tags
    assert {"dataset_version", "git_commit", "teacher_run_id", "student_run_id", "onnx_sha256"} <= set(tags)
    metrics = registry.version_metrics(champion)
    assert {"score", "route_accuracy", "slot_f1", "response_mrr", "latency_p95_ms"} <= set(metrics)


def test_the_released_weights_trained_on_every_split_and_carry_the_evaluated_runs_metrics(finished_run):
    from mlflow.tracking import MlflowClient

    from mtassist import registry

    champion = registry.version_by_alias(CHAMPION_ALIAS)
    tags = MlflowClient().get_model_version(champion.name, champion.version).tags
    assert tags["trained_on"] == "every split"
    sources = json.loads(tags["metric_sources"])
    assert sources["released_weights_trained_on"] == "every split"
    assert sources["evaluated_student_run_id"] == tags["evaluated_student_run_id"]
    assert tags["student_run_id"] != tags["evaluated_student_run_id"]
    assert tags["teacher_run_id"] != tags["evaluated_teacher_run_id"]
    evaluated = MlflowClient().get_run(tags["evaluated_student_run_id"])
    released = MlflowClient().get_run(tags["student_run_id"])
    assert evaluated.data.params["training_splits"] == "train"
    assert released.data.params["training_splits"] == "train,validation,test,test_values"
    assert released.data.metrics["steps"] == evaluated.data.metrics["best_step"]


def test_served_champion_answers_over_grpc_through_the_cli(finished_run, capsys):
    from mtassist.cli import main
    from mtassist.serving.launcher import TritonServer, free_ports

    with TritonServer(finished_run.model_repository, ports=free_ports()) as server:
        capsys.readouterr()
        assert main(["ask", "--url", server.grpc_url, "turn on the kitchen lights", "how are you doing today?"]) == 0
        printed = capsys.readouterr().out
        assert main(["ask", "--url", server.grpc_url, "--tasks", "route,bogus", "hello"]) == 1
        assert "bogus" in capsys.readouterr().err
        assert main(["ask", "--url", server.grpc_url, "--tasks", "sentiment", "i love it"]) == 0
    decoder = json.JSONDecoder()
    answers, position = [], 0
    while position < len(printed.strip()):
        answer, end = decoder.raw_decode(printed, position)
        answers.append(answer)
        position = end + 1
    assert len(answers) == 2
    for answer in answers:
        assert answer["route"]["label"] in ("command", "chitchat", "faq")
        assert 1 / 3 <= answer["route"]["score"] <= 1.0  # the most probable of three routes
        assert answer["model_version"] == "1"
        if answer["route"]["label"] == "command":
            assert "replies" not in answer and isinstance(answer["slots"], list)
        else:
            assert "slots" not in answer and answer["replies"]


def test_serve_runs_the_champion_in_the_foreground_until_interrupted(finished_run):
    import signal
    import subprocess
    import sys

    from mtassist.serving.client import AssistantClient
    from mtassist.serving.launcher import free_ports

    ports = free_ports()
    command = [
        sys.executable,
        "-m",
        "mtassist.cli",
        "serve",
        "--home",
        str(finished_run.home),
        "--grpc-port",
        str(ports.grpc),
        "--http-port",
        str(ports.http),
        "--metrics-port",
        str(ports.metrics),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with AssistantClient(f"localhost:{ports.grpc}") as client:
            client.wait_until_ready(timeout_s=120)
            (answer,) = client.ask(["switch off the bedroom lights"])
        assert answer["model_version"] == "1" and answer["route"]["label"] in ("command", "chitchat", "faq")
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert server.returncode in (0, 130), output
    assert f"gRPC localhost:{ports.grpc}" in output
