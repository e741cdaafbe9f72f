"""Reading the tensors of a Triton request: the utterances, the heads asked for and the home's names.

Plain numpy, so that it is unit-tested without Triton. Every problem is a `BadRequest`, whose
message goes back to the caller as an INVALID_ARG error.
"""

from __future__ import annotations

import numpy as np

from mtassist.answers import ALL_HEADS, BadRequest, parse_tasks
from mtassist.contracts import (
    ROUTE_LABELS,
    TRITON_INPUT_CONTEXT,
    TRITON_INPUT_ROUTE,
    TRITON_INPUT_TASKS,
    TRITON_INPUT_TEXT,
)
from mtassist.home import HomeContext, parse_context


def read_texts(array: np.ndarray | None) -> list[str]:
    """The utterances of a TEXT tensor of shape [batch, 1] (or [batch]).

    Raises:
        BadRequest: a missing tensor, a wrong shape, an empty row, or bytes that are not UTF-8.
    """
    rows = _rows(array, TRITON_INPUT_TEXT)
    texts = []
    for index, value in enumerate(rows):
        text = _to_str(value, TRITON_INPUT_TEXT, index)
        if not text.strip():
            raise BadRequest(f"{TRITON_INPUT_TEXT} row {index} is empty: send one non-empty utterance per row")
        texts.append(text)
    return texts


def read_tasks(array: np.ndarray | None, batch_size: int) -> list[frozenset[str]]:
    """The heads wanted for each row: the TASKS tensor, one row or one per TEXT row; all if absent."""
    if array is None:
        return [ALL_HEADS] * batch_size
    rows = _per_text(array, TRITON_INPUT_TASKS, batch_size)
    return [parse_tasks(_to_str(value, TRITON_INPUT_TASKS, index)) for index, value in enumerate(rows)]


def read_contexts(array: np.ndarray | None, batch_size: int) -> list[HomeContext | None]:
    """The home of each row: the CONTEXT tensor, one row or one per TEXT row; an empty row or none: no home."""
    if array is None:
        return [None] * batch_size
    contexts = []
    for index, value in enumerate(_per_text(array, TRITON_INPUT_CONTEXT, batch_size)):
        raw = _to_str(value, TRITON_INPUT_CONTEXT, index).encode("utf-8")
        try:
            contexts.append(parse_context(raw) if raw.strip() else None)
        except BadRequest as error:
            raise BadRequest(f"row {index}: {error}") from error
    return contexts


def read_routes(array: np.ndarray | None, batch_size: int) -> list[str | None]:
    """The route the caller names for each row: the ROUTE tensor, one row or one per TEXT row; empty: the model's."""
    if array is None:
        return [None] * batch_size
    routes = []
    for index, value in enumerate(_per_text(array, TRITON_INPUT_ROUTE, batch_size)):
        route = _to_str(value, TRITON_INPUT_ROUTE, index).strip()
        if route and route not in ROUTE_LABELS:
            raise BadRequest(
                f"unknown route {route!r} in {TRITON_INPUT_ROUTE} row {index}: choose from {', '.join(ROUTE_LABELS)}"
            )
        routes.append(route or None)
    return routes


def _per_text(array: np.ndarray, name: str, batch_size: int) -> list[object]:
    """The rows of an optional input: one for every text, or one per text."""
    rows = _rows(array, name)
    if len(rows) not in (1, batch_size):
        raise BadRequest(
            f"{name} has {len(rows)} rows for {batch_size} {TRITON_INPUT_TEXT} rows: send one row, or one per text"
        )
    return rows * batch_size if len(rows) == 1 else rows


def _rows(array: np.ndarray | None, name: str) -> list[object]:
    if array is None:
        raise BadRequest(f"the request has no {name} input: send one string per row")
    if array.ndim == 2 and array.shape[1] == 1:
        return list(array[:, 0])
    if array.ndim == 1:
        return list(array)
    raise BadRequest(f"{name} must have shape [batch, 1], got {list(array.shape)}")


def _to_str(value: object, name: str, index: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadRequest(f"{name} row {index} is not valid UTF-8 ({error.reason})") from error
    raise BadRequest(f"{name} row {index} is a {type(value).__name__}, not a string")
