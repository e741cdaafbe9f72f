"""The classical baselines: VADER's lexicon, BM25 and the untuned encoder, on rows like the dataset's."""

import numpy as np
import pytest

from mtassist.baselines import BM25, bm25_retrieval, encoder_retrieval, vader_labels, vader_sentiment

REPLIES = [
    ("what is the capital of france", "paris is the capital of france"),
    ("how do you bake bread", "knead the dough and bake the bread for an hour"),
    ("which planet is the largest", "jupiter is the largest planet"),
]


def _talk(text, reply):
    return {"text": text, "response": reply, "sentiment": None, "source": "chatterbot"}


def test_bm25_scores_the_document_that_shares_rare_words_highest():
    index = BM25([reply for _, reply in REPLIES])
    scores = index.scores("bake bread")
    assert int(np.argmax(scores)) == 1 and scores[0] == 0.0 and scores[2] == 0.0


def test_bm25_retrieval_ranks_the_true_reply_first_when_words_overlap():
    metrics = bm25_retrieval([_talk(text, reply) for text, reply in REPLIES])
    assert metrics == {"response_recall_at_1": 1.0, "response_recall_at_10": 1.0, "response_mrr": 1.0,
                       "response_recall_at_1_of_100": 1.0}  # fmt: skip


def test_vader_labels_follow_the_lexicon():
    assert vader_labels(["I love this, it is wonderful", "this is a terrible, awful waste", "the table is brown"]) == [
        "positive",
        "negative",
        "neutral",
    ]


def test_vader_sentiment_scores_each_source_and_all():
    rows = [
        {"text": "I love it", "sentiment": "positive", "source": "vader-tweets"},
        {"text": "awful and sad", "sentiment": "negative", "source": "vader-tweets"},
        {"text": "great film", "sentiment": "negative", "source": "vader-movies"},
        {"text": "turn on the lights", "sentiment": None, "source": "intents"},
    ]
    scores = vader_sentiment(rows)
    assert set(scores) == {"vader-movies", "vader-tweets", "all"}
    assert scores["vader-tweets"] == 1.0 and scores["vader-movies"] == 0.0
    assert scores["all"] == pytest.approx((2 / 3 + 2 / 3) / 2)  # positive: P 1/2 R 1; negative: P 1 R 1/2


def test_the_untuned_encoder_retrieves_paraphrases(minilm_dir):
    metrics = encoder_retrieval(minilm_dir, [_talk(text, reply) for text, reply in REPLIES], max_length=32)
    assert metrics["response_recall_at_1"] == 1.0


def test_hassil_recognizes_commands_from_the_templates_and_nothing_else():
    from mtassist.baselines import hassil_commands
    from mtassist.data.slot_values import SEEN

    area = SEEN.areas[0]
    text = f"turn on the lights in the {area}"
    start = text.index(area)
    rows = [
        {"text": text, "route": "command", "intent": "HassTurnOn",
         "slots": [{"name": "area", "value": area, "text": area, "start": start, "end": start + len(area)},
                   {"name": "domain", "value": "light"}]},
        {"text": "trun onn teh lihgts", "route": "command", "intent": "HassTurnOn",
         "slots": [{"name": "domain", "value": "light"}]},
        {"text": "how are you today", "route": "chitchat", "intent": "none", "slots": []},
        {"text": "i love it", "route": None, "intent": None, "slots": None},
    ]  # fmt: skip
    assert hassil_commands(rows, SEEN) == {
        "route_accuracy": 2 / 3, "intent_accuracy": 0.5, "slot_f1": 1.0, "frame_accuracy": 0.5,
    }  # fmt: skip
