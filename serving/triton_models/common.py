"""What every python-backend model does with Triton's request and response objects.

Imported only inside Triton's python-backend stub, where `triton_python_backend_utils` exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import triton_python_backend_utils as pb_utils

from mtassist.answers import BadRequest


def input_array(request: pb_utils.InferenceRequest, name: str) -> np.ndarray | None:
    """The request's input `name` as numpy, or None when the caller left it out."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def string_tensor(name: str, values: Sequence[str]) -> pb_utils.Tensor:
    """A TYPE_STRING tensor of shape [len(values), 1]."""
    array = np.array([value.encode("utf-8") for value in values], dtype=np.object_).reshape(-1, 1)
    return pb_utils.Tensor(name, array)


def json_response(name: str, answers: Sequence[dict]) -> pb_utils.InferenceResponse:
    return pb_utils.InferenceResponse(
        output_tensors=[string_tensor(name, [json.dumps(answer, ensure_ascii=False) for answer in answers])]
    )


def error_response(error: Exception, model: str) -> pb_utils.InferenceResponse:
    """An error the caller sees as Triton's message: INVALID_ARG for a bad request, else INTERNAL."""
    if isinstance(error, BadRequest):
        return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error), pb_utils.TritonError.INVALID_ARG))
    pb_utils.Logger.log_error(f"{model}: {type(error).__name__}: {error}")
    message = f"{model} failed: {type(error).__name__}: {error}"
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, pb_utils.TritonError.INTERNAL))


def parameter(model_config: dict, key: str, default: str) -> str:
    """A string parameter of the model's config.pbtxt."""
    value = model_config.get("parameters", {}).get(key, {}).get("string_value")
    return default if value in (None, "") else value
