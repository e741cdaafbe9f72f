"""BIO slot tags over tokens and back to character spans."""

import numpy as np

from mtassist.slots import IGNORE_INDEX, slot_tags, spans_to_tag_ids, tag_ids_to_spans
from mtassist.tokenization import encode


def test_slot_spans_survive_tagging_and_decoding(tokenizer):
    text = "set the living room brightness to 40"
    spans = [
        {"name": "area", "value": "living room", "start": 8, "end": 19},
        {"name": "brightness", "value": "40", "start": 34, "end": 36},
    ]
    tags = slot_tags(["area", "brightness"])
    offsets = encode(tokenizer, [text])["offsets"][0]
    tag_ids = spans_to_tag_ids(offsets, spans, {t: i for i, t in enumerate(tags)})
    assert tag_ids[0] == IGNORE_INDEX and tag_ids[-1] == IGNORE_INDEX
    assert [tags[t] for t in tag_ids if t != IGNORE_INDEX].count("I-area") == 1
    decoded = tag_ids_to_spans(text, offsets, np.where(tag_ids == IGNORE_INDEX, 0, tag_ids), tags)
    assert decoded == spans


def test_inside_tag_without_begin_starts_a_span(tokenizer):
    text = "kitchen lights"
    tags = slot_tags(["area"])
    offsets = encode(tokenizer, [text])["offsets"][0]
    decoded = tag_ids_to_spans(text, offsets, [0, tags.index("I-area"), 0, 0], tags)
    assert decoded == [{"name": "area", "value": "kitchen", "start": 0, "end": 7}]
