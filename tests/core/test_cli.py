"""The `mtassist` command: help, user errors as one line and exit 1, compile, and serve's checks."""

from __future__ import annotations

import socket

import pytest
import yaml

from mtassist.cli import build_parser, distillation_command, main, quality_command
from mtassist.options import DEFAULTS
from mtassist.serving.ports import free_port


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("run", "serve", "ask", "pipeline"))


def test_run_help_lists_the_training_knobs(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--data-size", "--teacher-epochs", "--student-epochs", "--max-steps", "--student-layers"):
        assert option in out
    assert "--teacher-loss-weighting {static,uncertainty,pcgrad}" in out


def test_an_unknown_loss_weighting_is_refused_naming_the_choices(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--teacher-loss-weighting", "gradnorm"])
    assert "choose from 'static', 'uncertainty', 'pcgrad'" in capsys.readouterr().err


@pytest.mark.parametrize("sweeps", ["0", "two"])
def test_bench_serve_refuses_rounds_that_are_not_a_whole_number_from_one(capsys, sweeps):
    with pytest.raises(SystemExit):
        main(["bench", "serve", "--sweeps", sweeps])
    assert "--sweeps" in capsys.readouterr().err


def test_ask_without_a_server_says_how_to_start_one_in_one_line(capsys):
    url = f"localhost:{free_port()}"
    assert main(["ask", "--url", url, "turn on the lights"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"mtassist ask: no Triton server answers at {url}: start one with `mtassist serve`"


def test_ask_with_text_that_is_not_utf8_says_so_in_one_line(capsys):
    text = b"turn on the k\xfftchen lights".decode("utf-8", "surrogateescape")  # as Python passes such argv bytes
    assert main(["ask", "--url", f"localhost:{free_port()}", "hello", text]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "mtassist ask: utterance 2 is not valid UTF-8 (byte 0xff at character 13): send UTF-8 text"


def test_ask_with_a_malformed_context_file_names_the_file_and_the_entry_before_sending(tmp_path, capsys):
    url = f"localhost:{free_port()}"
    home = tmp_path / "home.json"
    home.write_text('{"areas": ["Kitchen"], "names": [{"domain": "light"}]}')
    assert main(["ask", "--url", url, "--context", str(home), "turn on the lights"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f'mtassist ask: --context {home}: CONTEXT "names"[0] must be an object with a string "name"'
    assert main(["ask", "--url", url, "--context", str(tmp_path / "missing.json"), "hi"]) == 1
    assert "cannot read it (No such file or directory)" in capsys.readouterr().err


def test_serve_with_a_port_in_use_names_the_port_and_the_flag(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--home", str(tmp_path), "--grpc-port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err and "--grpc-port" in err


def test_serve_without_a_registered_model_says_to_run_the_pipeline(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow exports the URI other tests set
    ports = [str(free_port()) for _ in range(3)]
    code = main(["serve", "--home", str(tmp_path), "--grpc-port", ports[0], "--http-port", ports[1],
                 "--metrics-port", ports[2]])  # fmt: skip
    assert code == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("mtassist serve: no version of mtassist-assistant has the alias 'champion'")
    assert last.endswith("run `mtassist run` to train and register one, or see `mtassist models list`")


def test_pipeline_compile_writes_kubeflow_yaml(tmp_path, capsys):
    output = tmp_path / "pipeline.yaml"
    assert main(["pipeline", "compile", "--output", str(output)]) == 0
    assert str(output) in capsys.readouterr().out
    spec = next(yaml.safe_load_all(output.read_text()))
    assert spec["pipelineInfo"]["name"] == "mtassist-training"


def test_report_quality_without_a_finished_run_says_to_run_the_pipeline(tmp_path, capsys):
    assert main(["report", "quality", "--home", str(tmp_path), "--output", str(tmp_path / "QUALITY.md")]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("mtassist report: no finished local pipeline run under") and "mtassist run" in err
    assert not (tmp_path / "QUALITY.md").exists()


def test_the_quality_report_names_the_options_that_rewrite_it():
    def command(*argv):
        return quality_command(build_parser().parse_args(["report", "quality", *argv]))

    assert command() == "mtassist report quality"
    assert command("--single-task", "--output", "docs/QUALITY.md") == "mtassist report quality --single-task"
    assert (
        command("--home", ".mtassist-full", "--output", "docs/QUALITY-full.md")
        == "mtassist report quality --home .mtassist-full --output docs/QUALITY-full.md"
    )
    assert command("--run", "mtassist-training-1") == "mtassist report quality --run mtassist-training-1"


def test_the_distillation_report_names_its_layer_choices_and_epochs_other_than_the_pipelines():
    def command(*argv):
        return distillation_command(build_parser().parse_args(["report", "distillation", *argv]))

    assert command("--layers", "2", "--layers", "2,5") == "mtassist report distillation --layers 2 --layers 2,5"
    assert command("--layers", "2", "--epochs", "10") == "mtassist report distillation --layers 2 --epochs 10"
    assert (
        command("--layers", "3", "--epochs", str(DEFAULTS.student_epochs)) == "mtassist report distillation --layers 3"
    )
    assert command().startswith("mtassist report distillation --layers ")  # the default choices, named


def test_a_named_run_that_did_not_finish_is_refused_naming_the_finished_ones(tmp_path, capsys):
    finished = tmp_path / "pipeline-runs" / "mtassist-training-1"
    (finished / "evaluate" / "evaluation").mkdir(parents=True)
    (tmp_path / "pipeline-runs" / "mtassist-training-2" / "ingest").mkdir(parents=True)
    output = tmp_path / "BENCHMARKS.md"
    argv = ["bench", "model", "--home", str(tmp_path), "--run", "mtassist-training-2", "--output", str(output)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "mtassist-training-2 is not a finished local pipeline run" in err
    assert err.endswith(": mtassist-training-1") and not output.exists()


def test_report_quality_takes_the_single_task_flag():
    assert build_parser().parse_args(["report", "quality", "--single-task"]).single_task is True
    assert build_parser().parse_args(["report", "quality"]).single_task is False


def test_a_bad_student_layer_choice_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "--student-layers", "0;2"])
    assert done.value.code == 2
    assert "student layers '0;2': give a count (2) or comma-separated teacher layers (0,5)" in capsys.readouterr().err


def test_report_distillation_compares_the_default_choices_unless_told():
    from mtassist.layer_choice import LAYER_CHOICES
    from mtassist.options import DEFAULTS

    assert build_parser().parse_args(["report", "distillation"]).layers is None
    assert DEFAULTS.student_layers in LAYER_CHOICES and len(LAYER_CHOICES) >= 2
    told = build_parser().parse_args(["report", "distillation", "--layers", "0,5", "--layers", "3"])
    assert told.layers == ["0,5", "3"]


def test_report_distillation_without_a_finished_run_says_to_run_the_pipeline(tmp_path, capsys):
    assert main(["report", "distillation", "--home", str(tmp_path), "--output", str(tmp_path / "D.md")]) == 1
    assert "mtassist run" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "D.md").exists()


def test_report_weighting_compares_every_weighting_unless_told():
    assert build_parser().parse_args(["report", "weighting"]).weighting is None
    told = build_parser().parse_args(["report", "weighting", "--weighting", "pcgrad", "--weighting", "static"])
    assert told.weighting == ["pcgrad", "static"]


def test_report_weighting_without_a_finished_run_says_to_run_the_pipeline(tmp_path, capsys):
    assert main(["report", "weighting", "--home", str(tmp_path), "--output", str(tmp_path / "Q.md")]) == 1
    assert "mtassist run" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "Q.md").exists()
