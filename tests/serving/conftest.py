"""Serving fixtures: the wheel's Triton tree, copied once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def triton_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's Triton tree, copied once per test session."""
    from mtassist.serving.launcher import prepare_server_dir

    return prepare_server_dir(tmp_path_factory.mktemp("server") / "tritonserver")
