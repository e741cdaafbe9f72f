"""Choosing a command's intent and frame together from the intent head and the slot head."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mtassist.command_decoding import decode_command, domain_floor_log_p
from mtassist.frames import FrameRules, SlotSignature
from mtassist.home import parse_context
from mtassist.slots import SlotScores, slot_tags

TAGS = slot_tags(["area", "floor", "item", "name"])
INTENTS = ["HassVacuumCleanArea", "HassVacuumStart", "HassListAddItem", "HassShoppingListAddItem", "HassTurnOn", "none"]


def _signature(*names: str) -> SlotSignature:
    return SlotSignature(frozenset(names), frozenset(names))


RULES = FrameRules(
    intent_slots={
        "HassVacuumCleanArea": ("area", "name"),
        "HassVacuumStart": ("floor",),
        "HassListAddItem": ("item", "name"),
        "HassShoppingListAddItem": ("item",),
        "HassTurnOn": ("area", "name"),
    },
    signatures={
        "HassVacuumCleanArea": (_signature("area"),),
        "HassVacuumStart": (_signature("floor"),),
        "HassListAddItem": (_signature("item", "name"),),
        "HassShoppingListAddItem": (_signature("item"),),
    },
    name_domains={"HassVacuumCleanArea": frozenset({"vacuum"}), "HassTurnOn": frozenset({"light", "switch"})},
)


def _slots(text: str, word_tags: list[dict[str, float]]) -> SlotScores:
    """Slot scores of a whitespace-split text: each word's tag -> logit (O at 0 unless given)."""
    offsets, position = [(0, 0)], 0
    for word in text.split():
        start = text.index(word, position)
        offsets.append((start, start + len(word)))
        position = start + len(word)
    offsets.append((0, 0))
    logits = np.zeros((len(offsets), len(TAGS)), dtype=np.float32)
    for row, wanted in enumerate(word_tags, start=1):
        for tag, logit in wanted.items():
            logits[row, TAGS.index(tag)] = logit
    return SlotScores.of(text, np.array(offsets), logits, TAGS)


def _intent_logits(**probabilities: float) -> np.ndarray:
    p = np.full(len(INTENTS), 1e-4)
    for name, value in probabilities.items():
        p[INTENTS.index(name)] = value
    return np.log(p / p.sum()).astype(np.float32)


def test_a_floor_the_slot_head_is_sure_of_makes_the_intent_that_cleans_floors() -> None:
    slots = _slots("clean the Upper Level", [{}, {}, {"B-floor": 8.0, "B-area": 2.0}, {"I-floor": 8.0, "I-area": 2.0}])
    chosen, frame = decode_command(_intent_logits(HassVacuumCleanArea=0.7, HassVacuumStart=0.25), slots, INTENTS, RULES)
    assert INTENTS[chosen] == "HassVacuumStart"
    assert frame == [{"name": "floor", "value": "Upper Level", "text": "Upper Level", "start": 10, "end": 21}]


def test_a_list_that_is_never_named_is_the_shopping_list() -> None:
    outside = {"O": 6.0}  # the slot head is sure that no other word is a slot
    slots = _slots("add milk to the list", [outside, {"B-item": 8.0}, outside, outside, outside])
    chosen, frame = decode_command(
        _intent_logits(HassListAddItem=0.55, HassShoppingListAddItem=0.4), slots, INTENTS, RULES
    )
    assert INTENTS[chosen] == "HassShoppingListAddItem"
    assert [slot["name"] for slot in frame] == ["item"]


def test_a_slot_every_template_of_the_intent_speaks_is_taken_where_the_slot_head_doubts_it() -> None:
    """An unheard-of list name ("Weekend") that the slot head would leave out, below `O`."""
    outside = {"O": 4.0}
    slots = _slots(
        "put water the plants on Weekend",
        [outside, {"B-item": 8.0}, {"I-item": 8.0}, {"I-item": 8.0}, outside, {"O": 3.0, "B-name": 2.5}],
    )
    assert [span["name"] for span in slots.best(RULES.intent_slots["HassListAddItem"])[0]] == ["item"]
    chosen, frame = decode_command(
        _intent_logits(HassListAddItem=0.9, HassShoppingListAddItem=0.09), slots, INTENTS, RULES
    )
    assert INTENTS[chosen] == "HassListAddItem"
    assert [(slot["name"], slot["text"]) for slot in frame] == [("item", "water the plants"), ("name", "Weekend")]


def test_a_confident_intent_whose_frame_fits_is_kept() -> None:
    slots = _slots("clean the kitchen", [{}, {}, {"B-area": 8.0}])
    chosen, frame = decode_command(_intent_logits(HassVacuumCleanArea=0.9, HassVacuumStart=0.09), slots, INTENTS, RULES)
    assert INTENTS[chosen] == "HassVacuumCleanArea" and frame[0]["value"] == "kitchen"


def test_a_much_likelier_intent_outweighs_a_doubtful_slot() -> None:
    slots = _slots("clean the Upper Level", [{}, {}, {"B-floor": 1.0, "B-area": 0.5}, {"I-floor": 1.0, "I-area": 0.5}])
    chosen, frame = decode_command(
        _intent_logits(HassVacuumCleanArea=0.97, HassVacuumStart=0.02), slots, INTENTS, RULES
    )
    assert INTENTS[chosen] == "HassVacuumCleanArea" and frame[0]["name"] == "area"


def test_rules_without_signatures_weigh_only_the_slot_evidence() -> None:
    slots = _slots("add milk to the list", [{}, {"B-item": 8.0}, {}, {}, {}])
    rules = FrameRules(intent_slots=RULES.intent_slots)
    chosen, _ = decode_command(_intent_logits(HassListAddItem=0.55, HassShoppingListAddItem=0.4), slots, INTENTS, rules)
    assert INTENTS[chosen] == "HassListAddItem"


def test_an_entity_the_home_knows_is_named_only_by_an_intent_of_its_domain() -> None:
    text = "start Roomba in the kitchen"
    slots = _slots(text, [{}, {"B-name": 8.0}, {}, {}, {"B-area": 8.0}])
    likely = _intent_logits(HassTurnOn=0.8, HassVacuumCleanArea=0.15)
    home = parse_context(b'{"areas": ["Kitchen"], "names": [{"name": "Roomba", "domain": "vacuum"}]}')
    chosen, frame = decode_command(likely, slots, INTENTS, RULES, home)
    assert INTENTS[chosen] == "HassVacuumCleanArea"
    assert [(slot["name"], slot["value"]) for slot in frame] == [("name", "Roomba"), ("area", "Kitchen")]
    assert INTENTS[decode_command(likely, slots, INTENTS, RULES)[0]] == "HassTurnOn", "without the home"
    lamp = parse_context(b'{"names": [{"name": "Roomba", "domain": "light"}]}')
    assert INTENTS[decode_command(likely, slots, INTENTS, RULES, lamp)[0]] == "HassTurnOn"


def test_an_intent_borrows_its_domains_probability_where_the_likeliest_intent_cannot_take_the_slots() -> None:
    """The default run's teacher on "clean the Upper Level": sure of the vacuum, not of which intent."""
    slots = _slots("clean the Upper Level", [{}, {}, {"B-floor": 8.0, "B-area": 2.0}, {"I-floor": 8.0, "I-area": 2.0}])
    likely = _intent_logits(HassVacuumCleanArea=0.81, HassTurnOn=0.027, HassVacuumStart=0.013)
    turn_on_floors = replace(RULES, intent_slots={**RULES.intent_slots, "HassTurnOn": ("area", "floor", "name")})
    assert INTENTS[decode_command(likely, slots, INTENTS, turn_on_floors)[0]] == "HassTurnOn", "without domains"
    domains = {"HassVacuumCleanArea": "vacuum", "HassVacuumStart": "vacuum", "HassTurnOn": "homeassistant"}
    chosen, frame = decode_command(likely, slots, INTENTS, replace(turn_on_floors, intent_domains=domains))
    assert INTENTS[chosen] == "HassVacuumStart"
    assert [(slot["name"], slot["value"]) for slot in frame] == [("floor", "Upper Level")]


def test_the_domain_floor_takes_no_probability_from_any_intent() -> None:
    intents = ["HassGetCurrentTime", "HassTurnOn", "HassTurnOff", "HassVacuumStart", "HassVacuumCleanArea", "none"]
    p = np.array([0.6, 0.02, 0.02, 0.01, 0.15, 0.2])
    domains = {name: "homeassistant" for name in intents[:3]} | {name: "vacuum" for name in intents[3:5]}
    floored = np.exp(domain_floor_log_p(np.log(p), intents, domains))
    assert np.all(floored >= p - 1e-12)
    assert floored[0] == pytest.approx(0.6) and floored[5] == pytest.approx(0.2), "the likeliest keep theirs"
    assert floored[1] == floored[2] == pytest.approx(0.64 / 3) and floored[3] == pytest.approx(0.08)
    assert np.array_equal(domain_floor_log_p(np.log(p), intents, {}), np.log(p)), "no domains: unchanged"
