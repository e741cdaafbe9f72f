"""Utterances longer than the model reads: cut before tokenizing, and the answer says so."""

import numpy as np

from mtassist.tokenization import encode
from mtassist.truncation import MAX_CHARS_PER_TOKEN, clip_text, truncated_rows


def test_a_long_text_is_cut_to_what_max_length_tokens_reach():
    assert clip_text("short", 48) == "short"
    assert len(clip_text("word " * 100_000, 48)) == 48 * MAX_CHARS_PER_TOKEN


def test_rows_whose_tokens_end_before_the_text_are_truncated(tokenizer):
    texts = ["turn on the kitchen lights", "please " * 200 + "turn on the lights", "lights   "]
    encoded = encode(tokenizer, texts, max_length=16)
    assert truncated_rows(texts, encoded["offsets"]) == [False, True, False]


def test_a_megabyte_of_text_tokenizes_like_its_beginning(tokenizer):
    text = "turn on the lights " * 60_000
    encoded = encode(tokenizer, [text], max_length=48)
    assert encoded["input_ids"].shape == (1, 48)
    assert truncated_rows([text], encoded["offsets"]) == [True]
    assert truncated_rows([], np.zeros((0, 0, 2), dtype=np.int64)) == []
