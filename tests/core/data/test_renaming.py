"""Made-up entity names in copies of training commands: spans and values follow, template and pool words never used."""

from __future__ import annotations

import random

from mtassist.data.renaming import made_up_name, name_words, rename, renamed_rows
from mtassist.data.slot_values import HELD_OUT

TEXT = "Please put eggs on the Chores list in the Wine Cellar upstairs"
SLOTS = [
    {"name": "item", "value": "eggs", "text": "eggs", "start": 11, "end": 15},
    {"name": "name", "value": "Chores", "text": "Chores", "start": 23, "end": 29},
    {"name": "area", "value": "Wine Cellar", "text": "Wine Cellar", "start": 42, "end": 53},
    {"name": "floor", "value": "upstairs", "text": "upstairs", "start": 54, "end": 62},
    {"name": "domain", "value": "todo"},
]
ROW = {"id": "intents-0123", "text": TEXT, "slots": SLOTS, "route": "command", "intent": "HassListAddItem"}


def test_name_words_are_everyday_words_that_no_template_or_pool_uses() -> None:
    words = set(name_words())
    assert len(words) > 1000
    assert not words & {"turn", "lights", "list", "shopping", "grocery", "kitchen", "weekend", "timer", "really"}
    held_out = {word.casefold() for area in HELD_OUT.areas for word in area.split()}
    assert held_out and not words & held_out


def test_a_renamed_row_moves_every_span_and_gives_the_made_up_name_as_value() -> None:
    for seed in range(50):
        renamed = rename(ROW, name_words(), random.Random(seed))
        assert renamed is not None and renamed["id"] == "intents-0123~renamed"
        text = renamed["text"]
        spoken = [slot for slot in renamed["slots"] if "start" in slot]
        for slot in spoken:
            assert text[slot["start"] : slot["end"]] == slot["text"]
        item, name, area, floor = spoken
        assert item == SLOTS[0] and renamed["slots"][-1] == SLOTS[-1]
        assert name["value"] == name["text"] != "Chores" and name["text"].istitle()
        assert (area["value"], area["text"], floor["text"]) == ("Wine Cellar", "Wine Cellar", "upstairs")
        assert text.startswith("Please put eggs on the ") and text.endswith(" list in the Wine Cellar upstairs")


def test_names_that_decide_the_intent_and_values_not_from_the_pools_are_kept() -> None:
    vacuum = {**ROW, "text": "start the Roomba", "slots": [
        {"name": "name", "value": "Roomba", "text": "Roomba", "start": 10, "end": 16}]}  # fmt: skip
    timer = {**ROW, "text": "start a pizza timer", "slots": [
        {"name": "name", "value": "pizza", "text": "pizza", "start": 8, "end": 13}]}  # fmt: skip
    assert rename(vacuum, name_words(), random.Random(0)) is None
    assert rename(timer, name_words(), random.Random(0)) is None


def test_made_up_names_keep_the_casing_and_sometimes_the_last_word() -> None:
    rng = random.Random(4)
    names = [made_up_name("Desk Lamp", name_words(), rng) for _ in range(200)]
    kept = [name for name in names if name.endswith(" Lamp")]
    assert 60 < len(kept) < 140 and all(name.istitle() for name in names)
    assert all(made_up_name("tv", name_words(), rng).islower() for _ in range(20))


def test_renamed_rows_copy_a_share_deterministically() -> None:
    rows = [{**ROW, "id": f"r{i}"} for i in range(200)]
    first = renamed_rows(rows, seed=3, share=0.25)
    assert first == renamed_rows(rows, seed=3, share=0.25)
    assert 25 <= len(first) <= 75 and all(row["id"].endswith("~renamed") for row in first)
    assert renamed_rows(rows, seed=3, share=0.0) == []
