"""Triton model `tokenizer`: TEXT -> input_ids, attention_mask, token_type_ids, token_offsets.

The bundle's tokenizer and max_length travel in this model's version folder, and tokenization
goes through `mtassist.tokenization`, exactly as in training.
"""

from __future__ import annotations

import json
from pathlib import Path

import triton_python_backend_utils as pb_utils

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_TOKENIZER_DIR,
    CARD_MAX_LENGTH,
    ONNX_INPUTS,
    TRITON_INPUT_TEXT,
    TRITON_TOKEN_OFFSETS,
    TRITON_TOKENIZER_MODEL,
)
from mtassist.serving.requests import read_texts
from mtassist.serving.triton_models.common import error_response, input_array
from mtassist.tokenization import encode, load_tokenizer

HERE = Path(__file__).resolve().parent


class TritonPythonModel:
    def initialize(self, args: dict) -> None:
        card = json.loads((HERE / BUNDLE_CARD).read_text())
        self.max_length = int(card[CARD_MAX_LENGTH])
        self.tokenizer = load_tokenizer(HERE / BUNDLE_TOKENIZER_DIR)

    def execute(self, requests: list) -> list:
        responses = []
        for request in requests:
            try:
                texts = read_texts(input_array(request, TRITON_INPUT_TEXT))
                encoded = encode(self.tokenizer, texts, self.max_length)
                tensors = [pb_utils.Tensor(name, encoded[name]) for name in ONNX_INPUTS]
                tensors.append(pb_utils.Tensor(TRITON_TOKEN_OFFSETS, encoded["offsets"]))
                responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
            except Exception as error:
                responses.append(error_response(error, TRITON_TOKENIZER_MODEL))
        return responses
