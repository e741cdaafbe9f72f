"""The gRPC client's own checks and its error when no server answers."""

from __future__ import annotations

import pytest

from mtassist.contracts import TRITON_ENSEMBLE_MODEL
from mtassist.serving.client import AssistantClient, TritonUnavailableError
from mtassist.serving.launcher import free_port


def test_no_server_gives_one_clear_error():
    url = f"localhost:{free_port()}"
    with AssistantClient(url, timeout_s=5) as client:
        with pytest.raises(
            TritonUnavailableError, match=f"^no Triton server answers at {url}: start one with `mtassist serve`$"
        ):
            client.ask(["hello"])
        with pytest.raises(TritonUnavailableError, match="no Triton server answers"):
            client.wait_until_ready(timeout_s=0.5)
        assert not client.is_ready()


def test_ask_checks_its_arguments_before_calling():
    with AssistantClient(f"localhost:{free_port()}") as client:
        with pytest.raises(TypeError, match="list of texts"):
            client.ask("hello")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="at least one text"):
            client.ask([])
    with (
        AssistantClient(f"localhost:{free_port()}", model=TRITON_ENSEMBLE_MODEL) as ensemble,
        pytest.raises(ValueError, match="answers every head"),
    ):
        ensemble.ask(["hello"], tasks=["intent"])
