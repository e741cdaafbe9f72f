"""The gRPC client an application (and `smoke_test`, and `deploy`) uses to talk to Triton.

client = AssistantClient("localhost:8001")
client.wait_until_ready(timeout_s=60)
client.ask(["turn on the kitchen lights"])            # every head relevant to the route
client.ask(["how are you?"], tasks=["sentiment"])     # only the heads asked for

A call that finds the server UNAVAILABLE (restarting, or shedding a flood: "Exceeds maximum queue
size") is retried `retries` times with exponential backoff before the error reaches the caller.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from mtassist.contracts import (
    TRITON_ASSISTANT_MODEL,
    TRITON_ENSEMBLE_MODEL,
    TRITON_INPUT_CONTEXT,
    TRITON_INPUT_ROUTE,
    TRITON_INPUT_TASKS,
    TRITON_INPUT_TEXT,
    TRITON_OUTPUT_JSON,
    Answer,
)
from mtassist.errors import MtassistError
from mtassist.serving.model_configs import MODEL_NAMES, ServingOptions
from mtassist.settings import DEFAULT_TRITON_URL

UNAVAILABLE = "StatusCode.UNAVAILABLE"
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 0.05


class TritonUnavailableError(MtassistError, ConnectionError):
    """No Triton server answers at the URL."""


class TritonRequestError(MtassistError, RuntimeError):
    """Triton answered with an error; the message is Triton's.

    Attributes:
        status: the gRPC status, e.g. "StatusCode.INVALID_ARGUMENT".
    """

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class AssistantClient:
    """Asks the `assistant` model (or the ensemble) over gRPC; also loads and unloads models.

    Args:
        url: Triton's gRPC address, host:port.
        model: `assistant` (routed, TASKS honoured) or `assistant_ensemble` (every head).
        timeout_s: per-call deadline.
        retries: how many times an UNAVAILABLE answer is retried (0: never).
        backoff_s: the wait before the first retry; it doubles with each one.
        batch_size: texts per request; more are sent in several (the served max_batch_size).
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
        self._client = grpcclient.InferenceServerClient(url=url)

    def __enter__(self) -> AssistantClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- asking ---------------------------------------------------------------------------------

    def ask(
        self,
        texts: Sequence[str],
        tasks: Sequence[str] | None = None,
        context: str | None = None,
        route: str | None = None,
        model: str | None = None,
    ) -> list[Answer]:
        """One answer per text (its shape: contracts.Answer, README.md).

        Args:
            texts: the utterances.
            tasks: the heads wanted, default all.
            context: the home's names as one JSON object (the CONTEXT input), sent with every text.
            route: the skill to answer for (the ROUTE input), instead of the model's choice.
            model: ask this model instead of the client's.
        """
        model = model or self.model
        check_ask(texts, tasks, context, route, model)
        answers: list[Answer] = []
        for start in range(0, len(texts), self.batch_size):
            inputs = ask_inputs(list(texts[start : start + self.batch_size]), tasks, context, route)
            result = self._call(
                self._client.infer, model, inputs, outputs=ask_outputs(), client_timeout=self.timeout_s, retry=True
            )
            answers += read_answers(result)
        return answers

    # --- health and metadata --------------------------------------------------------------------

    def is_ready(self, models: Sequence[str] | None = None) -> bool:
        """Whether the server and these models (default: this client's model) are ready."""
        try:
            return self._client.is_server_ready(client_timeout=self.timeout_s) and all(
                self._client.is_model_ready(name, client_timeout=self.timeout_s) for name in (models or [self.model])
            )
        except InferenceServerException:
            return False

    def wait_until_ready(self, timeout_s: float = 60.0, models: Sequence[str] | None = None) -> None:
        """Block until the server and the models (default: this client's model) are ready.

        Raises:
            TritonUnavailableError: nothing answered at the URL in time.
            TimeoutError: the server answered, but the models were not ready in time.
        """
        deadline = time.monotonic() + timeout_s
        while not self.is_ready(models):
            if time.monotonic() > deadline:
                if not self._answers():
                    raise self._unavailable()
                raise TimeoutError(
                    f"Triton at {self.url} answers, but {', '.join(models or [self.model])} not ready after "
                    f"{timeout_s:.0f}s: check the server log, or load them (`AssistantClient.load_models`)"
                )
            time.sleep(0.5)

    def server_metadata(self) -> dict:
        return self._call(self._client.get_server_metadata, as_json=True, client_timeout=self.timeout_s)

    def model_metadata(self, model: str | None = None) -> dict:
        return self._call(
            self._client.get_model_metadata, model or self.model, as_json=True, client_timeout=self.timeout_s
        )

    def model_config(self, model: str | None = None) -> dict:
        """The model's config as Triton holds it (the `config` of the JSON answer)."""
        answer = self._call(
            self._client.get_model_config, model or self.model, as_json=True, client_timeout=self.timeout_s
        )
        return answer.get("config", answer)

    def inference_statistics(self, model: str | None = None) -> dict[str, tuple[int, int]]:
        """Triton's cumulative statistics of a model, summed over its versions: for each of
        `success`, `fail`, `queue`, `compute_input`, `compute_infer` and `compute_output`, (count,
        nanoseconds)."""
        answer = self._call(
            self._client.get_inference_statistics, model or self.model, as_json=True, client_timeout=self.timeout_s
        )
        totals: dict[str, tuple[int, int]] = {}
        for version in answer.get("model_stats", []):
            for phase, figures in version.get("inference_stats", {}).items():
                count, ns = totals.get(phase, (0, 0))
                totals[phase] = (count + int(figures.get("count", 0)), ns + int(figures.get("ns", 0)))
        return totals

    def repository_index(self) -> list[dict]:
        """Every model of the repository with its state (READY, UNAVAILABLE, ...)."""
        answer = self._call(self._client.get_model_repository_index, as_json=True, client_timeout=self.timeout_s)
        return list(answer.get("models", []))

    # --- model control (the server runs with --model-control-mode=explicit) -------------------

    def load_models(self, models: Sequence[str] = MODEL_NAMES) -> None:
        """Load (or reload, picking up rewritten files) models, in order; the default is all."""
        for name in models:
            self._call(self._client.load_model, name, client_timeout=max(self.timeout_s, 300.0))

    def unload_models(self, models: Sequence[str] = tuple(reversed(MODEL_NAMES))) -> None:
        for name in models:
            self._call(self._client.unload_model, name, client_timeout=self.timeout_s)

    # --- errors ---------------------------------------------------------------------------------

    def _call(self, method, *args, retry: bool = False, **kwargs):
        attempt = 0
        while True:
            try:
                return method(*args, **kwargs)
            except InferenceServerException as error:
                delay = retry_delay(error, attempt, self.retries if retry else 0, self.backoff_s)
                if delay is None:
                    if error.status() == UNAVAILABLE and not self._answers():
                        raise self._unavailable() from None
                    raise TritonRequestError(error.message() or str(error), error.status()) from None
                time.sleep(delay)
                attempt += 1

    def _answers(self) -> bool:
        try:
            return bool(self._client.is_server_live(client_timeout=min(self.timeout_s, 5.0)))
        except InferenceServerException:
            return False

    def _unavailable(self) -> TritonUnavailableError:
        return unavailable_error(self.url)


# --- what the sync and asyncio clients share --------------------------------------------------


def check_ask(
    texts: Sequence[str], tasks: Sequence[str] | None, context: str | None, route: str | None, model: str
) -> None:
    """Refuse, before anything is sent, what no server could answer."""
    if isinstance(texts, str):
        raise TypeError("ask takes a list of texts; wrap the one text in a list")
    if not texts:
        raise ValueError("ask needs at least one text")
    if (tasks is not None or context is not None or route is not None) and model == TRITON_ENSEMBLE_MODEL:
        raise ValueError(
            f"{TRITON_ENSEMBLE_MODEL} answers every head without a home or a route; ask "
            f"{TRITON_ASSISTANT_MODEL} to pick tasks, name a route or send a context"
        )


def ask_inputs(
    texts: Sequence[str], tasks: Sequence[str] | None, context: str | None, route: str | None
) -> list[grpcclient.InferInput]:
    """The request's tensors: TEXT, and TASKS, CONTEXT and ROUTE where given (one row per text)."""
    inputs = [_string_input(TRITON_INPUT_TEXT, texts)]
    if tasks is not None:
        inputs.append(_string_input(TRITON_INPUT_TASKS, [",".join(tasks)] * len(texts)))
    if context is not None:
        inputs.append(_string_input(TRITON_INPUT_CONTEXT, [context] * len(texts)))
    if route is not None:
        inputs.append(_string_input(TRITON_INPUT_ROUTE, [route] * len(texts)))
    return inputs


def ask_outputs() -> list[grpcclient.InferRequestedOutput]:
    return [grpcclient.InferRequestedOutput(TRITON_OUTPUT_JSON)]


def read_answers(result: grpcclient.InferResult) -> list[Answer]:
    return [json.loads(value) for value in result.as_numpy(TRITON_OUTPUT_JSON).reshape(-1)]


def unavailable_error(url: str) -> TritonUnavailableError:
    return TritonUnavailableError(f"no Triton server answers at {url}: start one with `mtassist serve`")


def retry_delay(error: InferenceServerException, attempt: int, retries: int, backoff_s: float) -> float | None:
    """How long to wait before retrying after `error` (the `attempt`-th retry, from 0); None: give up."""
    if error.status() != UNAVAILABLE or attempt >= retries:
        return None
    return backoff_s * 2**attempt


def _string_input(name: str, values: Sequence[str]) -> grpcclient.InferInput:
    array = np.array([value.encode("utf-8") for value in values], dtype=np.object_).reshape(-1, 1)
    tensor = grpcclient.InferInput(name, list(array.shape), "BYTES")
    tensor.set_data_from_numpy(array)
    return tensor
