"""BIO slot tags over tokens, and decoding the slot head into spans and complete frames."""

import itertools

import numpy as np
import pytest

from mtassist.command_decoding import decode_command
from mtassist.frames import FrameRules
from mtassist.slots import IGNORE_INDEX, SlotScores, decode_spans, slot_tags, spans_to_tag_ids, words
from mtassist.tokenization import encode

TAGS = slot_tags(["area", "brightness", "domain", "name"])


def _logits_for(tag_ids: np.ndarray) -> np.ndarray:
    """Slot logits that favour the given tag per token (IGNORE_INDEX -> O)."""
    logits = np.zeros((len(tag_ids), len(TAGS)), dtype=np.float32)
    logits[np.arange(len(tag_ids)), np.where(tag_ids == IGNORE_INDEX, 0, tag_ids)] = 5.0
    return logits


def test_slot_spans_survive_tagging_and_decoding(tokenizer):
    text = "set the living room brightness to 40"
    spans = [
        {"name": "area", "text": "living room", "start": 8, "end": 19},
        {"name": "brightness", "text": "40", "start": 34, "end": 36},
    ]
    offsets = encode(tokenizer, [text])["offsets"][0]
    tag_ids = spans_to_tag_ids(
        offsets, [*spans, {"name": "domain", "value": "light"}], {t: i for i, t in enumerate(TAGS)}
    )
    assert tag_ids[0] == IGNORE_INDEX and tag_ids[-1] == IGNORE_INDEX
    assert [TAGS[t] for t in tag_ids if t != IGNORE_INDEX].count("I-area") == 1
    assert decode_spans(text, offsets, _logits_for(tag_ids), TAGS) == spans


def test_words_join_sub_word_tokens_and_split_off_punctuation(tokenizer):
    text = "dim Emma's nightlight!"
    offsets = encode(tokenizer, [text])["offsets"][0]
    spelled = [text[offsets[w[0]][0] : offsets[w[-1]][1]] for w in words(text, offsets)]
    assert spelled == ["dim", "Emma", "'", "s", "nightlight", "!"]


def test_an_inside_tag_never_starts_a_span_and_spans_cover_whole_words(tokenizer):
    text = "kitchen nightlight"
    offsets = encode(tokenizer, [text])["offsets"][0]
    logits = np.zeros((len(offsets), len(TAGS)), dtype=np.float32)
    logits[1, TAGS.index("I-area")] = 5.0  # "kitchen" wants I-area, B-area second best
    logits[1, TAGS.index("B-area")] = 4.0
    logits[2, TAGS.index("B-name")] = 5.0  # the first piece of "nightlight" decides the word
    logits[3:, TAGS.index("O")] = 5.0
    assert decode_spans(text, offsets, logits, TAGS) == [
        {"name": "area", "start": 0, "end": 7, "text": "kitchen"},
        {"name": "name", "start": 8, "end": 18, "text": "nightlight"},
    ]


def test_slot_names_the_intent_cannot_fill_are_never_decoded(tokenizer):
    text = "turn on the kitchen"
    offsets = encode(tokenizer, [text])["offsets"][0]
    logits = np.zeros((len(offsets), len(TAGS)), dtype=np.float32)
    logits[4, TAGS.index("B-brightness")] = 5.0
    logits[4, TAGS.index("B-area")] = 3.0
    assert decode_spans(text, offsets, logits, TAGS, allowed={"area"})[0]["name"] == "area"
    assert decode_spans(text, offsets, logits, TAGS, allowed=None)[0]["name"] == "brightness"


def test_a_frame_has_normalised_values_and_the_slots_its_intent_implies(tokenizer):
    rules = FrameRules(
        values={"domain": {"lights": "light"}},
        numeric=frozenset({"brightness"}),
        intent_slots={"HassLightSet": ("area", "brightness", "domain")},
        implied={"HassLightSet": {"": {"domain": "light"}}},
    )
    text = "set the Living Room lights to fifty percent"
    offsets = encode(tokenizer, [text])["offsets"][0]
    spans = [
        {"name": "area", "start": 8, "end": 19},
        {"name": "domain", "start": 20, "end": 26},
        {"name": "brightness", "start": 30, "end": 35},
    ]
    tag_ids = spans_to_tag_ids(offsets, spans, {t: i for i, t in enumerate(TAGS)})
    sure = np.array([9.0], dtype=np.float32)  # intent logits with one intent
    _, frame = decode_command(sure, SlotScores.of(text, offsets, _logits_for(tag_ids), TAGS), ["HassLightSet"], rules)
    assert [(s["name"], s["value"], s["text"]) for s in frame] == [
        ("area", "Living Room", "Living Room"),
        ("domain", "light", "lights"),
        ("brightness", 50, "fifty"),
    ]
    no_words = SlotScores.of(
        "dim the Den",
        encode(tokenizer, ["dim the Den"])["offsets"][0],
        np.zeros((6, len(TAGS)), dtype=np.float32),
        TAGS,
    )
    _, no_domain_word = decode_command(sure, no_words, ["HassLightSet"], rules)
    assert no_domain_word == [{"name": "domain", "value": "light"}]


def test_required_names_get_their_likeliest_span_and_the_search_stays_exact():
    text = "put milk on weekend"
    scores = SlotScores(text, np.array([[0, 3], [4, 8], [9, 11], [12, 19]]), [[0], [1], [2], [3]],
                        np.log(np.array([[0.97, 0.01, 0.01, 0.01], [0.1, 0.8, 0.05, 0.05],
                                         [0.9, 0.04, 0.03, 0.03], [0.6, 0.05, 0.05, 0.3]])),
                        ("O", "B-item", "I-item", "B-name"))  # fmt: skip
    free, free_score = scores.best()
    assert [span["text"] for span in free] == ["milk"]
    forced, forced_score = scores.best(required={"name"})
    assert [(span["name"], span["text"]) for span in forced] == [("item", "milk"), ("name", "weekend")]
    assert forced_score == pytest.approx(free_score + np.log(0.3) - np.log(0.6))
    both, _ = scores.best(required={"name", "item"})
    assert both == forced
    # a name the intent cannot fill: the best spans without it
    assert scores.best(allowed={"item"}, required={"name"}) == (free, free_score)


def _brute_force_best(scores: np.ndarray, tags: list[str], allowed: set[str] | None, required: set[str]) -> float:
    """The best log-probability over every BIO-valid path that tags only allowed names and begins each required one."""
    best = -np.inf
    for path in itertools.product(range(len(tags)), repeat=len(scores)):
        names = [tags[tag].partition("-")[2] for tag in path]
        if allowed is not None and any(name and name not in allowed for name in names):
            continue
        if any(tags[tag].startswith("I-") and (i == 0 or names[i - 1] != names[i]) for i, tag in enumerate(path)):
            continue
        if not required <= {name for tag, name in zip(path, names) if tags[tag].startswith("B-")}:
            continue
        best = max(best, float(sum(scores[i, tag] for i, tag in enumerate(path))))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_searches_find_the_best_valid_path(seed: int):
    rng = np.random.default_rng(seed)
    tags = slot_tags(["area", "item", "name"])
    words_count = int(rng.integers(1, 5))
    scores = np.log(rng.dirichlet(np.ones(len(tags)) * 0.5, size=words_count))
    text = " ".join(["w"] * words_count)
    offsets = np.array([[2 * i, 2 * i + 1] for i in range(words_count)])
    row = SlotScores(text, offsets, [[i] for i in range(words_count)], scores, tuple(tags))
    for allowed in (None, {"area"}, {"item", "name"}):
        for required in (set(), {"name"}):
            expected = _brute_force_best(scores, tags, allowed, required & (allowed or {"area", "item", "name"}))
            if expected == -np.inf:  # the words cannot hold the required names: the best without them
                expected = _brute_force_best(scores, tags, allowed, set())
            assert row.best(allowed, required)[1] == pytest.approx(expected), (allowed, required)
