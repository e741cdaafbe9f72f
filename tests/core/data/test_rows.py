"""Each source as dataset rows."""

from mtassist.data.config import DatasetConfig
from mtassist.data.rows import chatterbot_rows


def test_greetings_and_how_are_you_are_chitchat_not_faq() -> None:
    produced = chatterbot_rows(DatasetConfig())
    greetings = [r for r in produced if r["group"].startswith("chatterbot:greetings:")]
    assert greetings and all(r["route"] == "chitchat" for r in greetings)
    how_are_you = [r for r in produced if "how are you" in r["text"].casefold()]
    assert how_are_you and all(r["route"] == "chitchat" for r in how_are_you)
    assert {r["route"] for r in produced} == {"chitchat", "faq"}
