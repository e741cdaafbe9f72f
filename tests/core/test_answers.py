"""mtassist.answers: decoding every head into the answer, without Triton."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mtassist import contracts
from mtassist.answers import (
    ALL_HEADS,
    INTENT_LOGITS,
    ROUTE_LOGITS,
    SENTENCE_EMBEDDING,
    SENTIMENT_LOGITS,
    SLOT_LOGITS,
    AnswerDecoder,
    BadRequest,
    LabelSpace,
    ResponseBank,
    answer_heads,
    needed_outputs,
    parse_tasks,
    softmax,
)
from mtassist.slots import slot_tags

TEXTS = ["turn on the kitchen lights", "how are you"]
TAGS = slot_tags(["area"])  # O, B-area, I-area
# tokens of TEXTS[0]: [CLS] turn on the kitchen lights [SEP]; TEXTS[1] padded to the same length
OFFSETS = np.array(
    [
        [[0, 0], [0, 4], [5, 7], [8, 11], [12, 19], [20, 26], [0, 0]],
        [[0, 0], [0, 3], [4, 7], [8, 11], [0, 0], [0, 0], [0, 0]],
    ]
)


def _one_hot(index: int, width: int, scale: float = 5.0) -> np.ndarray:
    row = np.zeros(width, dtype=np.float32)
    row[index] = scale
    return row


@pytest.fixture
def decoder() -> AnswerDecoder:
    labels = LabelSpace(
        route=contracts.ROUTE_LABELS,
        intent=("none", "HassTurnOn"),
        slot_tags=tuple(TAGS),
        sentiment=contracts.SENTIMENT_LABELS,
    )
    bank = ResponseBank(texts=("a", "b", "c", "d"), embeddings=np.eye(4, dtype=np.float32))
    return AnswerDecoder(labels=labels, bank=bank, model_version="7", top_k=2)


@pytest.fixture
def outputs() -> dict[str, np.ndarray]:
    """Row 0 is a command with `kitchen` as area; row 1 is chitchat nearest to reply "c"."""
    slots = np.tile(_one_hot(TAGS.index("O"), len(TAGS)), (2, 7, 1))
    slots[0, 4] = _one_hot(TAGS.index("B-area"), len(TAGS))
    return {
        ROUTE_LOGITS: np.stack([_one_hot(0, 3), _one_hot(1, 3)]),
        INTENT_LOGITS: np.stack([_one_hot(1, 2), _one_hot(0, 2)]),
        SLOT_LOGITS: slots,
        SENTIMENT_LOGITS: np.stack([_one_hot(1, 3), _one_hot(2, 3)]),
        SENTENCE_EMBEDDING: np.array([[1, 0, 0, 0], [0.1, 0.2, 3.0, 0.0]], dtype=np.float32),
    }


def test_parse_tasks_reads_a_comma_separated_list_and_defaults_to_all():
    assert parse_tasks(" intent, slots ,") == {"intent", "slots"}
    assert parse_tasks("") == ALL_HEADS
    assert parse_tasks(None) == ALL_HEADS


def test_parse_tasks_rejects_an_unknown_head_and_names_the_choices():
    with pytest.raises(BadRequest, match=r"unknown head 'bogus' in TASKS: choose from route, intent, slots"):
        parse_tasks("intent,bogus")


def test_answer_heads_follow_the_route():
    assert answer_heads("command", ALL_HEADS) == ["route", "intent", "slots", "sentiment"]
    assert answer_heads("chitchat", ALL_HEADS) == ["route", "sentiment", "replies"]
    assert answer_heads("faq", frozenset({"intent", "replies"})) == ["replies"]
    assert answer_heads("command", ALL_HEADS, by_route=False) == list(contracts.ANSWER_HEADS)


def test_needed_outputs_always_include_the_route():
    assert needed_outputs([frozenset({"sentiment"})]) == (ROUTE_LOGITS, SENTIMENT_LOGITS)
    assert needed_outputs([frozenset({"replies"}), frozenset({"slots"})]) == (
        ROUTE_LOGITS,
        INTENT_LOGITS,
        SLOT_LOGITS,
        SENTENCE_EMBEDDING,
    )


def test_decode_answers_each_row_with_the_heads_of_its_route(decoder, outputs):
    command, chitchat = decoder.decode(TEXTS, OFFSETS, outputs)

    assert list(command) == ["route", "intent", "slots", "sentiment", "model_version"]
    assert command["route"]["label"] == "command"
    assert command["intent"]["label"] == "HassTurnOn"
    assert command["slots"] == [{"name": "area", "value": "kitchen", "text": "kitchen", "start": 12, "end": 19}]
    assert command["model_version"] == "7"

    assert list(chitchat) == ["route", "sentiment", "replies", "model_version"]
    assert chitchat["sentiment"]["label"] == "positive"
    assert [reply["text"] for reply in chitchat["replies"]] == ["c", "b"]
    json.dumps([command, chitchat])


def test_decode_scores_are_softmax_probabilities_and_cosine_similarities(decoder, outputs):
    command, chitchat = decoder.decode(TEXTS, OFFSETS, outputs)
    assert command["route"]["score"] == pytest.approx(softmax(outputs[ROUTE_LOGITS][0]).max(), abs=1e-6)
    query = outputs[SENTENCE_EMBEDDING][1] / np.linalg.norm(outputs[SENTENCE_EMBEDDING][1])
    assert chitchat["replies"][0]["score"] == pytest.approx(query[2], abs=1e-6)
    assert chitchat["replies"][0]["score"] >= chitchat["replies"][1]["score"]


def test_decode_with_tasks_leaves_out_the_heads_not_asked_for(decoder, outputs):
    answers = decoder.decode(TEXTS, OFFSETS, outputs, tasks=[frozenset({"slots"}), frozenset({"slots"})])
    assert answers[0] == {
        "slots": [{"name": "area", "value": "kitchen", "text": "kitchen", "start": 12, "end": 19}],
        "model_version": "7",
    }
    assert answers[1] == {"model_version": "7"}


def test_decode_needs_only_the_outputs_of_the_heads_asked_for(decoder, outputs):
    tasks = [frozenset({"route"})] * 2
    answers = decoder.decode(TEXTS, OFFSETS, {ROUTE_LOGITS: outputs[ROUTE_LOGITS]}, tasks=tasks)
    assert [answer["route"]["label"] for answer in answers] == ["command", "chitchat"]


def test_decode_without_routing_answers_every_head(decoder, outputs):
    for answer in decoder.decode(TEXTS, OFFSETS, outputs, by_route=False):
        assert list(answer) == [*contracts.ANSWER_HEADS, "model_version"]


def test_decode_rejects_outputs_that_disagree_with_the_label_space(decoder, outputs):
    outputs[INTENT_LOGITS] = np.zeros((2, 5), dtype=np.float32)
    with pytest.raises(ValueError, match="intent_logits has shape"):
        decoder.decode(TEXTS, OFFSETS, outputs)


def test_response_bank_returns_at_most_its_size():
    bank = ResponseBank(texts=("a", "b"), embeddings=np.eye(2, dtype=np.float32))
    replies = bank.top_k(np.array([[0.0, 2.0]], dtype=np.float32), k=5)
    assert [reply["text"] for reply in replies[0]] == ["b", "a"]
    assert replies[0][0]["score"] == pytest.approx(1.0)


def test_response_bank_rejects_texts_and_embeddings_of_different_lengths():
    with pytest.raises(ValueError, match="3 texts but embeddings of shape \\[2, 2\\]"):
        ResponseBank(texts=("a", "b", "c"), embeddings=np.eye(2, dtype=np.float32))


def test_decoder_reads_the_bundle_files_from_one_folder(tmp_path):
    labels = {
        "route": list(contracts.ROUTE_LABELS),
        "intent": ["none"],
        "slot_tags": ["O"],
        "sentiment": list(contracts.SENTIMENT_LABELS),
    }
    (tmp_path / contracts.BUNDLE_LABELS).write_text(json.dumps(labels))
    (tmp_path / contracts.BUNDLE_RESPONSE_TEXTS).write_text(json.dumps(["hi"]))
    np.save(tmp_path / contracts.BUNDLE_RESPONSE_EMBEDDINGS, np.array([[3.0, 4.0]], dtype=np.float32))
    (tmp_path / contracts.BUNDLE_CARD).write_text(json.dumps({"model_version": 12, "max_length": 48}))

    decoder = AnswerDecoder.from_dir(tmp_path, top_k=1)

    assert decoder.model_version == "12"
    assert decoder.labels.intent == ("none",)
    np.testing.assert_allclose(np.linalg.norm(decoder.bank.embeddings, axis=1), 1.0)


def test_a_named_route_picks_the_heads_and_keeps_the_models_probability(decoder, outputs):
    as_chitchat, as_command = decoder.decode(TEXTS, OFFSETS, outputs, named_routes=["chitchat", "command"])
    assert as_chitchat["route"] == {
        "label": "chitchat", "score": pytest.approx(softmax(outputs[ROUTE_LOGITS][0])[1], abs=1e-6)
    }  # fmt: skip
    assert list(as_chitchat) == ["route", "sentiment", "replies", "model_version"]
    assert list(as_command) == ["route", "intent", "slots", "sentiment", "model_version"]
    unchanged = decoder.decode(TEXTS, OFFSETS, outputs, named_routes=[None, None])
    assert unchanged == decoder.decode(TEXTS, OFFSETS, outputs)
