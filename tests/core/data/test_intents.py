"""Command utterances expanded from Home Assistant's templates, with exact slot spans."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hassil import recognize_best

from mtassist.data.intents import (
    AREAS,
    NAMES_BY_DOMAIN,
    CommandSample,
    TemplateSampler,
    expand_intents,
    intent_names,
    iter_templates,
    load_intents,
    sample_template,
    slot_lists_for_recognition,
    slot_names,
)

CAP = 12


@pytest.fixture(scope="module")
def samples() -> list[CommandSample]:
    return expand_intents(seed=7, cap_per_intent=CAP, draws_per_template=8)


def test_every_english_intent_is_expanded(samples: list[CommandSample]) -> None:
    names = intent_names()
    assert len(names) == 42
    assert {s.intent for s in samples} == set(names)


def test_the_cap_bounds_every_intent_and_is_reached_by_large_ones(samples: list[CommandSample]) -> None:
    per_intent = Counter(s.intent for s in samples)
    assert max(per_intent.values()) <= CAP
    assert per_intent["HassTurnOn"] == CAP and per_intent["HassGetState"] == CAP


def test_every_slot_span_points_at_its_value(samples: list[CommandSample]) -> None:
    spans = [(s.text, slot) for s in samples for slot in s.slots]
    assert len(spans) > 200
    for text, slot in spans:
        assert text[slot["start"] : slot["end"]] == slot["value"], (text, slot)
        assert slot["value"] == slot["value"].strip() and slot["value"]


def test_texts_are_unique_and_belong_to_one_intent(samples: list[CommandSample]) -> None:
    keys = [s.text.casefold().rstrip(".!?") for s in samples]
    assert len(keys) == len(set(keys))


def test_groups_name_the_template_of_each_sample(samples: list[CommandSample]) -> None:
    assert all(s.group.startswith(f"intents:{s.intent}:") for s in samples)
    assert len({s.group for s in samples}) > 200


def test_expansion_is_deterministic_for_a_seed_and_changes_with_it() -> None:
    first = expand_intents(seed=3, cap_per_intent=5, draws_per_template=5, intent_names=["HassTurnOn", "HassLightSet"])
    again = expand_intents(seed=3, cap_per_intent=5, draws_per_template=5, intent_names=["HassTurnOn", "HassLightSet"])
    other = expand_intents(seed=4, cap_per_intent=5, draws_per_template=5, intent_names=["HassTurnOn", "HassLightSet"])
    assert first == again
    assert [s.text for s in first] != [s.text for s in other]


def test_turn_on_the_kitchen_lights_is_hass_turn_on_with_area_kitchen() -> None:
    intents = load_intents()
    result = recognize_best(
        "turn on the kitchen lights", intents, slot_lists=slot_lists_for_recognition(), language="en"
    )
    assert result is not None and result.intent.name == "HassTurnOn"
    assert result.entities["area"].value == "kitchen"
    assert result.entities["area"].text_span == (12, 19)
    sampled_templates = {sentence.text for intent, _, sentence, *_ in iter_templates(intents) if intent == "HassTurnOn"}
    assert result.intent_sentence.text in sampled_templates
    assert "kitchen" in AREAS


def test_area_commands_for_lights_are_sampled_with_the_area_slot() -> None:
    found = expand_intents(seed=1, cap_per_intent=200, draws_per_template=40, intent_names=["HassTurnOn"])
    lights_in_area = [
        s for s in found
        if {slot["name"] for slot in s.slots} == {"area"} and " light" in s.text.casefold()
    ]  # fmt: skip
    assert lights_in_area, "no 'turn on the <area> lights' style command was sampled"


def test_samples_agree_with_hassil_recognition_on_intent_and_slot_text() -> None:
    intents = load_intents()
    sampler = TemplateSampler(intents)
    templates = list(iter_templates(intents))
    rng = random.Random(11)
    drawn = []
    for intent, group, sentence, rules, local_lists, names in rng.sample(templates, 120):
        drawn.extend(sample_template(sampler, intent, group, sentence, rules, local_lists, names, 1, 5, decorate=False))
    lists = slot_lists_for_recognition()
    same_intent = same_slots = 0
    for sample in drawn:
        result = recognize_best(
            sample.text, intents, slot_lists=lists, intent_context={"area": "kitchen"}, language="en"
        )
        if result is None or result.intent.name != sample.intent:
            continue
        same_intent += 1
        recognized = {name: entity.text.strip() for name, entity in result.entities.items()}
        same_slots += all(recognized.get(slot["name"]) == slot["value"] for slot in sample.slots)
    assert same_intent >= 0.85 * len(drawn), (same_intent, len(drawn))
    assert same_slots >= 0.95 * same_intent, (same_slots, same_intent)


def test_entity_names_come_from_the_domains_the_template_allows() -> None:
    found = expand_intents(
        seed=2, cap_per_intent=50, draws_per_template=10, intent_names=["HassVacuumStart", "HassLawnMowerDock"]
    )
    allowed = {
        "HassVacuumStart": set(NAMES_BY_DOMAIN["vacuum"]),
        "HassLawnMowerDock": set(NAMES_BY_DOMAIN["lawn_mower"]),
    }
    named = [(s.intent, slot["value"].casefold()) for s in found for slot in s.slots if slot["name"] == "name"]
    assert named
    assert all(value in allowed[intent] for intent, value in named)


def test_slot_names_are_the_spoken_slots_only() -> None:
    names = slot_names()
    assert {"area", "name", "floor", "brightness", "temperature", "position", "color", "device_class"} <= set(names)
    assert "domain" not in names
    assert names == sorted(names)
