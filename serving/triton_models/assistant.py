"""Triton model `assistant`: the router behind the application contract.

TEXT (and optionally TASKS, ROUTE and CONTEXT) -> one JSON answer per row, with the heads asked
for that are relevant to each row's route (the caller's, when ROUTE names one), names resolved
against the home. Tokenizing, the encoder and decoding run in this stub through
`mtassist.assistant.Assistant`: on the local target the ONNX graph of this version folder runs in
onnxruntime here, with no hop to another model, one call per group of similar lengths; on the GPU
targets the encoder is one call per batch to Triton's `encoder` model at this same version. numpy's
BLAS (`cores.single_threaded_blas`) and the tokenizer keep to this thread. A bad request gets its
own error and the rest of the batch answers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import triton_python_backend_utils as pb_utils

from mtassist.answers import BadRequest
from mtassist.assistant import CALL_COST_TOKENS, Assistant, OnnxEncoder
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
)
from mtassist.cores import available_cores, single_threaded_blas
from mtassist.home import HomeContext
from mtassist.serving.layout import ONNX_MODEL_FILE, PARAM_INTRA_OP_THREADS, PARAM_TOP_K_REPLIES
from mtassist.serving.requests import read_contexts, read_routes, read_tasks, read_texts
from mtassist.serving.triton_models.common import error_response, input_array, json_response, parameter

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
        single_threaded_blas()
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # a batch of a few rows: no thread pool
        graph = HERE / ONNX_MODEL_FILE
        if graph.is_file():
            encoder, call_cost_tokens = OnnxEncoder(graph, _threads(config), spin=False), CALL_COST_TOKENS
        else:  # a call is a round trip to another model: one per batch
            encoder, call_cost_tokens = _TritonEncoder(int(args["model_version"])), float("inf")
        self.assistant = Assistant.from_dir(
            HERE,
            encoder=encoder,
            top_k=top_k,
            max_batch_size=max(1, int(config.get("max_batch_size", 1))),
            call_cost_tokens=call_cost_tokens,
        )

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
                answers = self.assistant.answer(
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


def _threads(config: dict) -> int:
    """The configured intra-op threads; 0: the cores the server is given, shared among the instances."""
    threads = int(parameter(config, PARAM_INTRA_OP_THREADS, "0"))
    if threads > 0:
        return threads
    instances = sum(int(group.get("count", 1)) for group in config.get("instance_group", [])) or 1
    return max(1, available_cores() // instances)


class _TritonEncoder:
    """The encoder as a call to Triton's `encoder` model, at the version this assistant serves."""

    def __init__(self, version: int) -> None:
        self.version = version

    def __call__(self, encoded: Mapping[str, np.ndarray], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        request = pb_utils.InferenceRequest(
            model_name=TRITON_ENCODER_MODEL,
            model_version=self.version,
            requested_output_names=list(outputs),
            inputs=[pb_utils.Tensor(name, encoded[name]) for name in ONNX_INPUTS],
        )
        response = request.exec()
        if response.has_error():
            raise RuntimeError(f"model {TRITON_ENCODER_MODEL} answered: {response.error().message()}")
        return {name: pb_utils.get_output_tensor_by_name(response, name).as_numpy() for name in outputs}
