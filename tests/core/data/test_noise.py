"""Noise on utterances: typos, a dropped filler, casing, no punctuation; spans follow, values stay."""

from __future__ import annotations

import random

from mtassist.data.noise import add_noise, noisy_rows, typo

TEXT = "Please turn on the Kitchen Lights to fifty percent!"
SLOTS = [
    {"name": "area", "value": "Kitchen", "text": "Kitchen", "start": 19, "end": 26},
    {"name": "domain", "value": "light", "text": "Lights", "start": 27, "end": 33},
    {"name": "brightness", "value": 50, "text": "fifty", "start": 37, "end": 42},
    {"name": "floor", "value": "upstairs"},
]


def test_a_typo_changes_one_keystroke() -> None:
    rng = random.Random(1)
    for _ in range(50):
        changed = typo("kitchen", rng)
        assert changed != "kitchen"
        assert abs(len(changed) - len("kitchen")) <= 1
        assert changed[0] == "k"


def test_noise_keeps_every_span_on_its_text_and_every_value() -> None:
    changed = 0
    for seed in range(200):
        text, slots = add_noise(TEXT, SLOTS, random.Random(seed))
        changed += text != TEXT
        assert [s["value"] for s in slots] == [s["value"] for s in SLOTS]
        assert slots[3] == SLOTS[3]
        for slot in slots[:3]:
            assert text[slot["start"] : slot["end"]] == slot["text"]
            assert (
                slot["text"].casefold()[:2]
                == next(s for s in SLOTS if s["name"] == slot["name"])["text"].casefold()[:2]
            )
    assert changed >= 190


def test_noisy_rows_copy_a_share_deterministically_with_their_own_ids() -> None:
    rows = [{"id": f"r{i}", "text": f"turn off the garage light number {i}", "slots": []} for i in range(200)]
    first, again = noisy_rows(rows, seed=3, share=0.3), noisy_rows(rows, seed=3, share=0.3)
    assert first == again
    assert 30 <= len(first) <= 90
    assert all(row["id"].endswith("~noisy") and row["slots"] == [] for row in first)
    assert noisy_rows(rows, seed=3, share=0.0) == []
