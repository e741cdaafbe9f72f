"""The gRPC client's own checks and its error when no server answers."""

from __future__ import annotations

import pytest
from tritonclient.utils import InferenceServerException

from mtassist.contracts import TRITON_ENSEMBLE_MODEL
from mtassist.serving.client import AssistantClient, TritonUnavailableError, retry_delay
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


def test_no_server_gives_the_same_error_to_the_asyncio_client():
    import asyncio

    from mtassist.serving.async_client import AsyncAssistantClient

    url = f"localhost:{free_port()}"

    async def ask() -> None:
        async with AsyncAssistantClient(url, timeout_s=5, backoff_s=0.01) as client:
            assert not await client.is_ready()
            await client.ask(["hello"])

    with pytest.raises(TritonUnavailableError, match=f"^no Triton server answers at {url}"):
        asyncio.run(ask())


class _Refusal(InferenceServerException):
    def __init__(self, status: str) -> None:
        super().__init__(msg="refused", status=status)


def test_only_unavailable_is_retried_with_a_doubling_backoff_up_to_the_limit():
    unavailable = _Refusal("StatusCode.UNAVAILABLE")
    assert [retry_delay(unavailable, attempt, retries=3, backoff_s=0.05) for attempt in range(4)] == [
        0.05,
        0.1,
        0.2,
        None,
    ]
    assert retry_delay(_Refusal("StatusCode.INVALID_ARGUMENT"), 0, retries=3, backoff_s=0.05) is None
    assert retry_delay(unavailable, 0, retries=0, backoff_s=0.05) is None
