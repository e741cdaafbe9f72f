"""Triton model `assistant`: the BLS router behind the application contract.

TEXT (and optionally TASKS, ROUTE and CONTEXT) -> `tokenizer` -> `encoder` -> one JSON answer per row,
with the heads asked for that are relevant to each row's route (the caller's, when ROUTE names one),
names resolved against the home. Requests the dynamic batcher gathers
share one tokenizer and one encoder call; a bad request gets its own error and the rest answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import triton_python_backend_utils as pb_utils

from mtassist.answers import AnswerDecoder, BadRequest, needed_outputs
from mtassist.contracts import (
    DEFAULT_TOP_K_REPLIES,
    ONNX_INPUTS,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENCODER_MODEL,
    TRITON_INPUT_CONTEXT,
    TRITON_INPUT_ROUTE,
    TRITON_INPUT_TASKS,
    TRITON_INPUT_TEXT,
    TRITON_OUTPUT_JSON,
    TRITON_TOKEN_OFFSETS,
    TRITON_TOKENIZER_MODEL,
)
from mtassist.home import HomeContext
from mtassist.serving.layout import PARAM_TOP_K_REPLIES
from mtassist.serving.requests import read_contexts, read_routes, read_tasks, read_texts
from mtassist.serving.triton_models.common import (
    error_response,
    input_array,
    json_response,
    parameter,
    string_tensor,
)

HERE = Path(__file__).resolve().parent


class _Job(NamedTuple):
    """One request's rows and what it asked for them."""

    index: int
    texts: list[str]
    tasks: list[frozenset[str]]
    contexts: list[HomeContext | None]
    routes: list[str | None]


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        top_k = int(parameter(config, PARAM_TOP_K_REPLIES, str(DEFAULT_TOP_K_REPLIES)))
        self.decoder = AnswerDecoder.from_dir(HERE, top_k=top_k)
        self.max_batch_size = max(1, int(config.get("max_batch_size", 1)))

    def execute(self, requests: list) -> list:
        responses: list = [None] * len(requests)
        jobs: list[_Job] = []
        for index, request in enumerate(requests):
            try:
                texts = read_texts(input_array(request, TRITON_INPUT_TEXT))
                jobs.append(
                    _Job(
                        index, texts,
                        read_tasks(input_array(request, TRITON_INPUT_TASKS), len(texts)),
                        read_contexts(input_array(request, TRITON_INPUT_CONTEXT), len(texts)),
                        read_routes(input_array(request, TRITON_INPUT_ROUTE), len(texts)),
                    )
                )  # fmt: skip
            except BadRequest as error:
                responses[index] = error_response(error, TRITON_ASSISTANT_MODEL)
        if jobs:
            try:
                answers = self._answer(
                    [text for job in jobs for text in job.texts],
                    [task for job in jobs for task in job.tasks],
                    [context for job in jobs for context in job.contexts],
                    [route for job in jobs for route in job.routes],
                )
                start = 0
                for index, texts, *_ in jobs:
                    responses[index] = json_response(TRITON_OUTPUT_JSON, answers[start : start + len(texts)])
                    start += len(texts)
            except Exception as error:
                for index, *_ in jobs:
                    responses[index] = error_response(error, TRITON_ASSISTANT_MODEL)
        return responses

    def _answer(
        self,
        texts: Sequence[str],
        tasks: Sequence[frozenset[str]],
        contexts: Sequence[HomeContext | None],
        routes: Sequence[str | None],
    ) -> list[dict]:
        answers: list[dict] = []
        for start in range(0, len(texts), self.max_batch_size):
            chunk_texts = texts[start : start + self.max_batch_size]
            chunk_tasks = tasks[start : start + self.max_batch_size]
            chunk_contexts = contexts[start : start + self.max_batch_size]
            chunk_routes = routes[start : start + self.max_batch_size]
            tokens = _infer(
                TRITON_TOKENIZER_MODEL,
                [string_tensor(TRITON_INPUT_TEXT, chunk_texts)],
                [*ONNX_INPUTS, TRITON_TOKEN_OFFSETS],
            )
            heads = _infer(
                TRITON_ENCODER_MODEL,
                [pb_utils.Tensor(name, tokens[name]) for name in ONNX_INPUTS],
                list(needed_outputs(chunk_tasks)),
            )
            answers += self.decoder.decode(
                chunk_texts, tokens[TRITON_TOKEN_OFFSETS], heads, chunk_tasks, contexts=chunk_contexts,
                named_routes=chunk_routes,
            )  # fmt: skip
        return answers


def _infer(model: str, inputs: list, outputs: list[str]) -> dict[str, np.ndarray]:
    request = pb_utils.InferenceRequest(model_name=model, requested_output_names=outputs, inputs=inputs)
    response = request.exec()
    if response.has_error():
        raise RuntimeError(f"model {model} answered: {response.error().message()}")
    return {name: pb_utils.get_output_tensor_by_name(response, name).as_numpy() for name in outputs}
