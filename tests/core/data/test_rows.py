"""Each source as dataset rows."""

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from mtassist.data.config import DatasetConfig
from mtassist.data.rows import chatterbot_rows, sentiment_rows, usable_reply
from mtassist.data.text import fold_text


def test_greetings_and_how_are_you_are_chitchat_not_faq() -> None:
    produced = chatterbot_rows(DatasetConfig())
    greetings = [r for r in produced if r["group"].startswith("chatterbot:greetings:")]
    assert greetings and all(r["route"] == "chitchat" for r in greetings)
    how_are_you = [r for r in produced if "how are you" in r["text"].casefold()]
    assert how_are_you and all(r["route"] == "chitchat" for r in how_are_you)
    assert {r["route"] for r in produced} == {"chitchat", "faq", None}


def test_only_the_opening_question_of_a_knowledge_conversation_is_routed_to_faq() -> None:
    produced = chatterbot_rows(DatasetConfig())
    question = [r for r in produced if r["text"] == "Which is better Windows or macOS?"]
    answers = [r for r in produced if r["group"] == question[0]["group"] and r is not question[0]]
    assert question[0]["route"] == "faq" and question[0]["intent"] == "none"
    assert "Linux, always Linux!" in {r["text"] for r in answers}
    assert all(r["route"] is None and r["intent"] is None and r["response"] for r in answers)
    small_talk = Counter(r["group"] for r in produced if r["route"] == "chitchat")
    assert max(small_talk.values()) > 1  # a conversation of small talk is small talk at every turn


@pytest.mark.parametrize(
    ("reply", "usable"),
    [
        ("I am doing well, thanks!", True),
        ("ok", True),
        ("o", False),
        (".", False),
        ("Awwww. But did you get close?", True),
        ("Lucy is a movie. http://www.imdb.com/title/tt2872732/", False),
        ("most people go to www.twitch.tv", False),
        ("so " * 60, False),
    ],
)
def test_a_reply_is_usable_without_links_within_the_length_and_with_words(reply, usable):
    assert usable_reply(reply) is usable


def test_conversation_rows_carry_only_usable_replies():
    assert all(usable_reply(row["response"]) for row in chatterbot_rows(DatasetConfig()))


def test_without_a_cap_every_distinct_rated_sentence_is_a_row(source_cache: Path):
    capped = sentiment_rows(DatasetConfig(), source_cache)
    every = sentiment_rows(replace(DatasetConfig(), sentiment_cap_per_corpus=None), source_cache)
    assert len(every) > 6 * len(capped)  # 3,600 capped; VADER rates 23,700 sentences
    texts = Counter(fold_text(row["text"]) for row in every)
    assert max(texts.values()) == 1
    label_of = {fold_text(row["text"]): row["sentiment"] for row in every}
    kept = [row for row in capped if fold_text(row["text"]) in label_of]
    assert len(kept) > 0.99 * len(capped)
    assert all(label_of[fold_text(row["text"])] == row["sentiment"] for row in kept)
    per_label = Counter((row["source"], row["sentiment"]) for row in every)
    assert per_label[("vader-movies", "positive")] > 5 * per_label[("vader-movies", "neutral")]  # as uneven as VADER
