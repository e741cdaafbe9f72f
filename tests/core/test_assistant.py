"""The in-process assistant: tokenizer, ONNX graph and decoder on a real (tiny) bundle."""

import pytest

from mtassist.answers import parse_tasks
from mtassist.assistant import Assistant, length_groups
from mtassist.contracts import ANSWER_TRUNCATED, ROUTE_CHITCHAT, ROUTE_COMMAND

TEXTS = ["turn on the kitchen lights", "how are you?", "I love it, great", "switch the bedroom lights", "hello"]


def test_answers_follow_the_route_and_name_the_bundles_version(tiny_bundle):
    command, chitchat, *_ = Assistant.from_dir(tiny_bundle).answer(TEXTS)
    assert command["route"]["label"] == ROUTE_COMMAND
    assert command["intent"]["label"] == "HassTurnOn"
    assert {"name": "area", "value": "kitchen"} in [{"name": s["name"], "value": s["value"]} for s in command["slots"]]
    assert "replies" not in command
    assert chitchat["route"]["label"] == ROUTE_CHITCHAT and chitchat["replies"]
    assert command["model_version"] == chitchat["model_version"] == "3"
    assert ANSWER_TRUNCATED not in command


def test_many_texts_are_answered_in_chunks_exactly_as_in_one_batch(tiny_bundle):
    one_batch = Assistant.from_dir(tiny_bundle).answer(TEXTS)
    assert Assistant.from_dir(tiny_bundle, max_batch_size=2).answer(TEXTS) == one_batch


def test_rows_encoded_in_groups_of_similar_length_answer_as_in_one_call(tiny_bundle):
    texts = [*TEXTS, "please could you turn on every light in the kitchen and the living room now"]
    one_call = Assistant.from_dir(tiny_bundle, call_cost_tokens=float("inf")).answer(texts)
    assert Assistant.from_dir(tiny_bundle, call_cost_tokens=0).answer(texts) == one_call


@pytest.mark.parametrize(
    ("lengths", "call_cost", "groups"),
    [
        ([6, 40, 6, 40], 12, [[0, 2], [1, 3]]),  # one call: 12 + 4 * 40 = 172; two: 24 + 2 * 6 + 2 * 40 = 116
        ([6, 40, 6, 40], 100, [[0, 2, 1, 3]]),  # a dear call: one, the shortest rows first
        ([6, 40, 6, 40], float("inf"), [[0, 2, 1, 3]]),
        ([9, 7, 8], 0, [[1], [2], [0]]),  # free calls: no padding at all
        ([10, 10, 10], 0, [[0, 1, 2]]),  # equal lengths need no second call
        ([5], 12, [[0]]),
        ([], 12, []),
    ],
)
def test_length_groups_split_a_batch_where_padding_costs_more_than_a_call(lengths, call_cost, groups):
    assert length_groups(lengths, call_cost) == groups


def test_tasks_routes_and_overlong_text_reach_the_answer(tiny_bundle):
    assistant = Assistant.from_dir(tiny_bundle)
    sentiment_only, named, long = assistant.answer(
        ["I love it", "turn on the kitchen lights", "turn on the lights " * 5_000],
        tasks=[parse_tasks("sentiment"), parse_tasks(None), parse_tasks(None)],
        routes=[None, ROUTE_CHITCHAT, None],
    )
    assert set(sentiment_only) == {"sentiment", "model_version"}
    assert named["route"]["label"] == ROUTE_CHITCHAT and "intent" not in named
    assert long[ANSWER_TRUNCATED] is True
