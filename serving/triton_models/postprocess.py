"""Triton model `postprocess`: the ensemble's last step; every head's answer for every row."""

from __future__ import annotations

import json
from pathlib import Path

from mtassist.answers import AnswerDecoder, BadRequest
from mtassist.contracts import (
    DEFAULT_TOP_K_REPLIES,
    ONNX_OUTPUTS,
    TRITON_INPUT_TEXT,
    TRITON_OUTPUT_JSON,
    TRITON_POSTPROCESS_MODEL,
    TRITON_TOKEN_OFFSETS,
)
from mtassist.serving.layout import PARAM_TOP_K_REPLIES
from mtassist.serving.requests import read_texts
from mtassist.serving.triton_models.common import error_response, input_array, json_response, parameter

HERE = Path(__file__).resolve().parent


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        config = json.loads(args["model_config"])
        top_k = int(parameter(config, PARAM_TOP_K_REPLIES, str(DEFAULT_TOP_K_REPLIES)))
        self.decoder = AnswerDecoder.from_dir(HERE, top_k=top_k)

    def execute(self, requests: list) -> list:
        responses = []
        for request in requests:
            try:
                texts = read_texts(input_array(request, TRITON_INPUT_TEXT))
                offsets = input_array(request, TRITON_TOKEN_OFFSETS)
                outputs = {name: input_array(request, name) for name in ONNX_OUTPUTS}
                missing = [name for name, value in outputs.items() if value is None]
                if offsets is None or missing:
                    raise BadRequest(
                        f"{TRITON_POSTPROCESS_MODEL} needs {TRITON_TOKEN_OFFSETS} and every encoder output"
                    )
                answers = self.decoder.decode(texts, offsets, outputs, by_route=False)
                responses.append(json_response(TRITON_OUTPUT_JSON, answers))
            except Exception as error:
                responses.append(error_response(error, TRITON_POSTPROCESS_MODEL))
        return responses
