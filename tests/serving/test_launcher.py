"""The local Triton launcher: its checks, its environment and the server tree it prepares."""

from __future__ import annotations

import socket
import sys
import sysconfig
from pathlib import Path

import pytest

from mtassist.contracts import Ports
from mtassist.serving.launcher import (
    STUB_NAME,
    PortInUseError,
    TritonServer,
    TritonServerError,
    free_port,
    prepare_server_dir,
    server_environment,
    wheel_libs_dir,
)
from mtassist.serving.layout import RATE_LIMIT_FLAG


@pytest.fixture
def some_repository(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "some_model").mkdir(parents=True)
    (tmp_path / "repo" / "some_model" / "config.pbtxt").write_text('name: "some_model"\n')
    return tmp_path / "repo"


def test_a_port_in_use_gives_a_clear_error_before_launching(some_repository, tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        server = TritonServer(
            some_repository,
            ports=Ports(grpc=taken, http=free_port(), metrics=free_port()),
            server_dir=tmp_path / "none",
        )
        with pytest.raises(
            PortInUseError, match=f"^port {taken} is in use: stop the other server or pass --grpc-port$"
        ):
            server.start()
    assert not server.running
    assert not (tmp_path / "none").exists()


def test_a_missing_repository_says_how_to_make_one(tmp_path):
    with pytest.raises(TritonServerError, match=r"no model repository at .*nowhere: run `mtassist run` first"):
        TritonServer(tmp_path / "nowhere").start()


def test_an_unknown_model_control_mode_is_rejected(some_repository):
    with pytest.raises(ValueError, match="choose from none, explicit"):
        TritonServer(some_repository, model_control_mode="poll")


def test_explicit_mode_loads_only_the_models_named(some_repository, tmp_path):
    server = TritonServer(some_repository, model_control_mode="explicit", load_models=["tokenizer", "encoder"])
    command = server.command(tmp_path)
    assert "--model-control-mode=explicit" in command
    assert RATE_LIMIT_FLAG in command  # the `assistant` instances' priorities count
    assert [arg for arg in command if arg.startswith("--load-model")] == [
        "--load-model=tokenizer",
        "--load-model=encoder",
    ]


def test_the_environment_lets_the_stub_find_the_wheel_libs_and_this_python():
    env = server_environment({"PATH": "/usr/bin", "LD_LIBRARY_PATH": "/opt/lib"})
    assert env["LD_LIBRARY_PATH"].split(":") == [str(wheel_libs_dir()), sysconfig.get_config_var("LIBDIR"), "/opt/lib"]
    assert env["PATH"].split(":") == [str(Path(sys.executable).parent), "/usr/bin"]
    assert "PYTHONPATH" not in env


def test_the_server_tree_is_copied_once_with_the_stub_of_this_python(tmp_path):
    server_dir = prepare_server_dir(tmp_path / "tritonserver")
    assert (server_dir / "bin" / "tritonserver").is_file()
    assert (server_dir / "backends" / "python" / STUB_NAME).stat().st_mode & 0o111
    assert not (server_dir / "python_backend_stubs").exists()
    binary_mtime = (server_dir / "bin" / "tritonserver").stat().st_mtime_ns

    assert prepare_server_dir(server_dir) == server_dir
    assert (server_dir / "bin" / "tritonserver").stat().st_mtime_ns == binary_mtime


def test_an_incomplete_server_tree_is_copied_again(tmp_path):
    server_dir = prepare_server_dir(tmp_path / "tritonserver")
    (server_dir / "backends" / "python" / STUB_NAME).unlink()
    prepare_server_dir(server_dir)
    assert (server_dir / "backends" / "python" / STUB_NAME).is_file()
