"""The in-process assistant: tokenizer, ONNX graph and decoder on a real (tiny) bundle."""

from mtassist.answers import parse_tasks
from mtassist.assistant import Assistant
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
