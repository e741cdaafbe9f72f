"""mtassist.serving.requests: reading TEXT, TASKS and CONTEXT tensors; bad input is a BadRequest naming the problem."""

import numpy as np
import pytest

from mtassist.answers import ALL_HEADS, BadRequest
from mtassist.serving.requests import read_contexts, read_routes, read_tasks, read_texts


def test_read_texts_decodes_utf8_rows():
    array = np.array([["héllo".encode()], [b"turn on"]], dtype=object)
    assert read_texts(array) == ["héllo", "turn on"]


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([[b"hi"], [b"  "]], dtype=object), "TEXT row 1 is empty"),
        (np.array([[b"a", b"b"]], dtype=object), r"TEXT must have shape \[batch, 1\], got \[1, 2\]"),
        (np.array([[b"\xff"]], dtype=object), "TEXT row 0 is not valid UTF-8"),
        (None, "the request has no TEXT input"),
    ],
)
def test_read_texts_rejects_bad_input_naming_the_problem(array, message):
    with pytest.raises(BadRequest, match=message):
        read_texts(array)


def test_read_tasks_broadcasts_one_row_and_defaults_to_all():
    assert read_tasks(None, 2) == [ALL_HEADS, ALL_HEADS]
    assert read_tasks(np.array([[b"sentiment"]], dtype=object), 3) == [frozenset({"sentiment"})] * 3


def test_read_tasks_rejects_a_row_count_that_matches_neither_one_nor_the_texts():
    with pytest.raises(BadRequest, match="TASKS has 2 rows for 3 TEXT rows"):
        read_tasks(np.array([[b"intent"], [b"slots"]], dtype=object), 3)


def test_read_contexts_parses_each_row_and_an_empty_row_means_no_home():
    home = b'{"areas": ["Kitchen"], "area": "Kitchen"}'
    first, second = read_contexts(np.array([[home], [b""]], dtype=object), 2)
    assert first.area == "Kitchen" and second is None
    assert read_contexts(None, 2) == [None, None]
    assert read_contexts(np.array([[home]], dtype=object), 3)[2].area == "Kitchen"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (b"{not json", "row 0: CONTEXT is not a JSON object"),
        (b"[1, 2]", "row 0: CONTEXT must be a JSON object, got list"),
        (b'{"rooms": []}', r"row 0: CONTEXT has unknown key\(s\) \['rooms'\]"),
        (b'{"names": [{"domain": "light"}]}', r'row 0: CONTEXT "names"\[0\] must be an object with a string "name"'),
        (b'{"area": 3}', 'row 0: CONTEXT "area" must be a string'),
        (b'{"areas": "' + b"x" * 300_000 + b'"}', "row 0: CONTEXT is 300,013 bytes: send at most 262,144"),
    ],
)
def test_read_contexts_rejects_a_malformed_home_naming_the_entry(row, message):
    with pytest.raises(BadRequest, match=message):
        read_contexts(np.array([[row]], dtype=object), 1)


def test_read_routes_takes_a_known_route_or_leaves_the_choice_to_the_model():
    assert read_routes(None, 2) == [None, None]
    assert read_routes(np.array([[b"faq"], [b""]], dtype=object), 2) == ["faq", None]
    assert read_routes(np.array([[b"command"]], dtype=object), 3) == ["command"] * 3
    with pytest.raises(BadRequest, match="unknown route 'weather' in ROUTE row 0: choose from command, chitchat, faq"):
        read_routes(np.array([[b"weather"]], dtype=object), 1)
