"""Triton model `encoder` (local target): the bundle's ONNX graph on onnxruntime.

Requests the dynamic batcher gathers run as one onnxruntime call: each is padded to the longest
sequence of the batch, and the sequence outputs are cut back to each request's length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils

from mtassist.answers import BadRequest
from mtassist.contracts import ONNX_INPUTS, TRITON_ENCODER_MODEL
from mtassist.inference import onnx_session
from mtassist.serving.layout import ONNX_MODEL_FILE, PARAM_INTRA_OP_THREADS
from mtassist.serving.triton_models.common import error_response, input_array, parameter

HERE = Path(__file__).resolve().parent


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        threads = int(parameter(config, PARAM_INTRA_OP_THREADS, "0"))
        self.session = onnx_session(HERE / ONNX_MODEL_FILE, threads, spin=False)  # idle cores go to the other stubs
        self.outputs = [output["name"] for output in config["output"]]
        self.sequence_outputs = {output["name"] for output in config["output"] if len(output["dims"]) > 1}

    def execute(self, requests: list) -> list:
        responses: list = [None] * len(requests)
        batch: list[tuple[int, dict[str, np.ndarray]]] = []
        for index, request in enumerate(requests):
            try:
                batch.append((index, self._inputs(request)))
            except BadRequest as error:
                responses[index] = error_response(error, TRITON_ENCODER_MODEL)
        if batch:
            try:
                for (index, _), outputs in zip(batch, self._run([inputs for _, inputs in batch])):
                    wanted = requests[index].requested_output_names() or self.outputs
                    tensors = [pb_utils.Tensor(name, outputs[name]) for name in wanted]
                    responses[index] = pb_utils.InferenceResponse(output_tensors=tensors)
            except Exception as error:
                for index, _ in batch:
                    responses[index] = error_response(error, TRITON_ENCODER_MODEL)
        return responses

    def _inputs(self, request) -> dict[str, np.ndarray]:
        arrays = {name: input_array(request, name) for name in ONNX_INPUTS}
        shapes = {array.shape for array in arrays.values() if array is not None}
        if any(array is None for array in arrays.values()) or len(shapes) != 1:
            raise BadRequest(f"{', '.join(ONNX_INPUTS)} must all be given, with one shape [batch, sequence]")
        return {name: array.astype(np.int64, copy=False) for name, array in arrays.items()}

    def _run(self, batch: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        """One onnxruntime call for every request; outputs split back per request."""
        lengths = [inputs[ONNX_INPUTS[0]].shape[1] for inputs in batch]
        longest = max(lengths)
        feed = {
            name: np.concatenate([_pad(inputs[name], longest) for inputs in batch]) for name in ONNX_INPUTS
        }  # (sum B, T)
        results = dict(zip(self.outputs, self.session.run(self.outputs, feed)))
        split, start = [], 0
        for inputs, length in zip(batch, lengths):
            end = start + inputs[ONNX_INPUTS[0]].shape[0]
            split.append(
                {
                    name: np.ascontiguousarray(
                        value[start:end, :length] if name in self.sequence_outputs else value[start:end]
                    )
                    for name, value in results.items()
                }
            )
            start = end
        return split


def _pad(array: np.ndarray, length: int) -> np.ndarray:
    return np.pad(array, ((0, 0), (0, length - array.shape[1])))
