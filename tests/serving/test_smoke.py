"""The smoke test's checks: what is wrong with an answer is named, and right answers pass."""

from mtassist.serving.smoke import SMOKE_EXAMPLES, check_smoke_answers

RIGHT = {
    "turn on the kitchen lights": {
        "route": {"label": "command", "score": 0.99},
        "intent": {"label": "HassTurnOn", "score": 0.9},
        "slots": [{"name": "area", "value": "kitchen", "start": 12, "end": 19}],
    },
    "how are you doing today?": {
        "route": {"label": "chitchat", "score": 0.9},
        "replies": [{"text": "fine", "score": 0.5}],
    },
}


def test_right_answers_have_no_problems():
    assert set(RIGHT) == set(SMOKE_EXAMPLES)
    assert check_smoke_answers(RIGHT) == []


def test_a_wrong_intent_a_missing_slot_and_no_replies_are_each_named():
    wrong = {
        "turn on the kitchen lights": {
            **RIGHT["turn on the kitchen lights"],
            "intent": {"label": "HassTurnOff"},
            "slots": [],
        },
        "how are you doing today?": {"route": {"label": "chitchat"}, "replies": []},
    }
    problems = check_smoke_answers(wrong)
    assert len(problems) == 3
    assert "intent" in problems[0] and "HassTurnOn" in problems[0]
    assert "lack area=kitchen" in problems[1]
    assert "no replies" in problems[2]


def test_a_command_routed_to_chitchat_is_named():
    wrong = {**RIGHT, "turn on the kitchen lights": {"route": {"label": "chitchat"}, "replies": [{"text": "hi"}]}}
    assert any("route" in p and "instead of command" in p for p in check_smoke_answers(wrong))
