"""The asyncio gRPC client: the same asking as `AssistantClient`, for applications on an event loop.

    async with AsyncAssistantClient("localhost:8001") as client:
        answers = await client.ask(["turn on the kitchen lights"])
        many = await asyncio.gather(*(client.ask([text]) for text in texts))

Timeouts, retries on UNAVAILABLE (with exponential backoff, without blocking the loop), errors
and typed answers (contracts.Answer) are those of the sync client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import tritonclient.grpc.aio as aiogrpc
from tritonclient.utils import InferenceServerException

from mtassist.contracts import TRITON_ASSISTANT_MODEL, Answer
from mtassist.serving.client import (
    DEFAULT_BACKOFF_S,
    DEFAULT_RETRIES,
    UNAVAILABLE,
    TritonRequestError,
    ask_inputs,
    ask_outputs,
    check_ask,
    read_answers,
    retry_delay,
    unavailable_error,
)
from mtassist.serving.model_configs import ServingOptions
from mtassist.settings import DEFAULT_TRITON_URL


class AsyncAssistantClient:
    """Asks the `assistant` model (or the ensemble) over gRPC from asyncio code.

    Args: as `AssistantClient`.
    """

    def __init__(
        self,
        url: str = DEFAULT_TRITON_URL,
        *,
        model: str = TRITON_ASSISTANT_MODEL,
        timeout_s: float = 30.0,
        retries: int = DEFAULT_RETRIES,
        backoff_s: float = DEFAULT_BACKOFF_S,
        batch_size: int = ServingOptions().max_batch_size,
    ) -> None:
        self.url = url
        self.model = model
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_s = backoff_s
        self.batch_size = max(1, batch_size)
        self._client = aiogrpc.InferenceServerClient(url=url)

    async def __aenter__(self) -> AsyncAssistantClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._client.close()

    async def ask(
        self,
        texts: Sequence[str],
        tasks: Sequence[str] | None = None,
        context: str | None = None,
        route: str | None = None,
        model: str | None = None,
    ) -> list[Answer]:
        """One answer per text; the arguments are `AssistantClient.ask`'s."""
        model = model or self.model
        check_ask(texts, tasks, context, route, model)
        answers: list[Answer] = []
        for start in range(0, len(texts), self.batch_size):
            inputs = ask_inputs(list(texts[start : start + self.batch_size]), tasks, context, route)
            answers += read_answers(await self._infer(model, inputs))
        return answers

    async def is_ready(self) -> bool:
        try:
            return bool(await self._client.is_server_ready()) and bool(await self._client.is_model_ready(self.model))
        except InferenceServerException:
            return False

    async def _infer(self, model: str, inputs: list):
        attempt = 0
        while True:
            try:
                return await self._client.infer(model, inputs, outputs=ask_outputs(), client_timeout=self.timeout_s)
            except InferenceServerException as error:
                delay = retry_delay(error, attempt, self.retries, self.backoff_s)
                if delay is None:
                    if error.status() == UNAVAILABLE and not await self._answers():
                        raise unavailable_error(self.url) from None
                    raise TritonRequestError(error.message() or str(error), error.status()) from None
                await asyncio.sleep(delay)
                attempt += 1

    async def _answers(self) -> bool:
        try:
            return bool(await self._client.is_server_live(client_timeout=min(self.timeout_s, 5.0)))
        except InferenceServerException:
            return False
