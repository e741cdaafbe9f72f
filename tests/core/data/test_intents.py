"""Command utterances expanded from Home Assistant's templates, with exact spans and complete frames."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hassil import Intents, recognize_best

from mtassist.data.intents import CommandSample, TemplateSampler, expand_intents, sample_template
from mtassist.data.slot_values import HELD_OUT, NAMES_BY_DOMAIN, SEEN, WILDCARD_VALUES
from mtassist.data.templates import (
    Template,
    intent_names,
    iter_templates,
    load_intents,
    slot_lists_for_recognition,
    slot_names,
)
from mtassist.data.text import fold_text

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


def test_every_spoken_slot_points_at_its_text(samples: list[CommandSample]) -> None:
    spans = [(s.text, slot) for s in samples for slot in s.slots if "start" in slot]
    assert len(spans) > 200
    for text, slot in spans:
        assert text[slot["start"] : slot["end"]] == slot["text"], (text, slot)
        assert slot["text"] == slot["text"].strip() and slot["text"]


def test_values_are_normalised_as_hassil_gives_them(samples: list[CommandSample]) -> None:
    slots = [slot for s in samples for slot in s.slots]
    numbers = [slot for slot in slots if slot["name"] in ("brightness", "minutes", "position")]
    assert numbers and all(isinstance(slot["value"], int | float) for slot in numbers)
    assert any(slot["text"] != str(slot["value"]) for slot in numbers), "no number was spelled out"
    domains = [slot for slot in slots if slot["name"] == "domain"]
    assert {"light", "cover"} <= {slot["value"] for slot in domains}
    assert any("start" not in slot for slot in domains), "an implied domain without a cue word"
    assert any(slot.get("text", "").casefold() in ("lights", "light") for slot in domains)


def test_texts_are_unique_and_belong_to_one_intent(samples: list[CommandSample]) -> None:
    keys = [fold_text(s.text) for s in samples]
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


def test_held_out_values_never_fill_the_seen_pools() -> None:
    assert not set(SEEN.areas) & set(HELD_OUT.areas) and len(HELD_OUT.areas) >= 5
    for domain, names in SEEN.names_by_domain.items():
        assert not set(names) & set(HELD_OUT.names_by_domain[domain]), domain
    held = expand_intents(seed=5, cap_per_intent=30, draws_per_template=10, intent_names=["HassTurnOn"], pools=HELD_OUT)
    areas = {slot["text"] for s in held for slot in s.slots if slot["name"] == "area"}
    assert areas and areas <= set(HELD_OUT.areas)


def test_lists_that_decide_between_intents_share_no_value() -> None:
    todo = {fold_text(name) for name in NAMES_BY_DOMAIN["todo"]}
    assert not todo & {"shopping", "grocery", "groceries", "shopping list"}
    assert len(WILDCARD_VALUES["shopping_list_item"]) >= 20
    assert any(" " in name and name[0].isupper() for name in NAMES_BY_DOMAIN["light"])


def test_turn_on_the_kitchen_lights_is_hass_turn_on_with_area_and_domain() -> None:
    intents = load_intents()
    result = recognize_best(
        "turn on the Kitchen lights", intents, slot_lists=slot_lists_for_recognition(), language="en"
    )
    assert result is not None and result.intent.name == "HassTurnOn"
    assert result.entities["area"].value == "Kitchen" and result.entities["area"].text_span == (12, 19)
    assert result.entities["domain"].value == "light"


def _plain(value: object) -> str:
    """A value as compared: numbers as numbers (hassil gives 35.0 for 35), text folded."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return fold_text(str(value))


def test_samples_agree_with_hassil_recognition_on_intent_and_every_value() -> None:
    intents = load_intents()
    sampler = TemplateSampler(intents)
    templates = list(iter_templates(intents))
    rng = random.Random(11)
    drawn = []
    for template in rng.sample(templates, 150):
        drawn.extend(sample_template(sampler, template, 1, 5, decorate=False))
    lists = slot_lists_for_recognition()
    same_intent = same_frame = 0
    for sample in drawn:
        result = recognize_best(sample.text, intents, slot_lists=lists, language="en")
        if result is None or result.intent.name != sample.intent:
            continue
        same_intent += 1
        recognized = {name: _plain(entity.value) for name, entity in result.entities.items()}
        ours = {slot["name"]: _plain(slot["value"]) for slot in sample.slots}
        same_frame += recognized == ours
    assert same_intent >= 0.8 * len(drawn), (same_intent, len(drawn))
    assert same_frame >= 0.9 * same_intent, (same_frame, same_intent)


def test_entity_names_come_from_the_domains_the_template_allows() -> None:
    found = expand_intents(
        seed=2, cap_per_intent=50, draws_per_template=10, intent_names=["HassVacuumStart", "HassLawnMowerDock"]
    )
    allowed = {
        "HassVacuumStart": set(SEEN.names_by_domain["vacuum"]),
        "HassLawnMowerDock": set(SEEN.names_by_domain["lawn_mower"]),
    }
    named = [(s.intent, slot["value"]) for s in found for slot in s.slots if slot["name"] == "name"]
    assert named
    assert all(value in allowed[intent] for intent, value in named)


def test_a_template_that_expands_to_nothing_is_an_error_naming_it() -> None:
    intents = Intents.from_dict(
        {"language": "en", "intents": {"Broken": {"data": [{"sentences": ["[<empty>]"]}]}},
         "expansion_rules": {"empty": "[ ]"}}
    )  # fmt: skip
    template = next(iter_templates(intents))
    with pytest.raises(ValueError, match=r"template intents:Broken:0:0 .* expands to nothing"):
        sample_template(TemplateSampler(intents), template, draws=3, seed=1)


def test_a_wildcard_without_values_is_an_error_naming_the_list_and_template() -> None:
    intents = Intents.from_dict(
        {"language": "en", "intents": {"Note": {"data": [{"sentences": ["note {memo}"]}]}},
         "lists": {"memo": {"wildcard": True}}}
    )  # fmt: skip
    template: Template = next(iter_templates(intents))
    with pytest.raises(ValueError, match=r"no values written for wildcard list \{memo\} \(used by intents:Note:0:0\)"):
        sample_template(TemplateSampler(intents), template, draws=1, seed=1)


def test_slot_names_are_the_spoken_slots_and_the_domain_cue() -> None:
    names = slot_names()
    assert {"area", "name", "floor", "brightness", "temperature", "position", "color", "device_class", "domain"} <= set(
        names
    )
    assert names == sorted(names)
