"""The frame rules derived from Home Assistant's templates."""

from __future__ import annotations

import pytest
from hassil import parse_sentence

from mtassist.data.frame_rules import derive_frame_rules
from mtassist.data.templates import Template, intent_names, required_slot_names, spoken_slot_names
from mtassist.frames import FrameRules


@pytest.fixture(scope="module")
def rules() -> FrameRules:
    return derive_frame_rules()


def test_spoken_forms_map_to_the_values_the_lists_give(rules: FrameRules) -> None:
    assert rules.value("device_class", "blinds") == "blind"
    assert rules.value("device_class", "garage doors") == "garage"
    assert rules.value("state", "locked") == "locked"
    assert rules.value("domain", "lamps") == "light"
    assert rules.value("brightness", "seventy") == 70
    assert {"brightness", "position", "temperature", "minutes"} <= rules.numeric


def test_implied_slots_are_those_every_template_of_the_trigger_agrees_on(rules: FrameRules) -> None:
    assert rules.implied["HassLightSet"][""] == {"domain": "light"}
    assert rules.implied["HassTurnOn"]["device_class"] == {"domain": "cover"}
    assert "" not in rules.implied.get("HassTurnOn", {}), "HassTurnOn templates imply light, fan or cover"


def test_every_intent_knows_its_slot_names(rules: FrameRules) -> None:
    assert set(rules.intent_slots) == set(intent_names())
    assert {"area", "name", "domain", "device_class"} <= set(rules.intent_slots["HassTurnOn"])
    assert rules.intent_slots["HassNevermind"] == ()


def test_an_intent_fits_the_slot_names_one_of_its_templates_speaks(rules: FrameRules) -> None:
    assert rules.fits("HassVacuumStart", {"floor"}) and not rules.fits("HassVacuumCleanArea", {"floor"})
    assert rules.fits("HassVacuumCleanArea", {"area"}) and not rules.fits("HassVacuumStart", {"area"})
    assert not rules.fits("HassListAddItem", {"item"}), "a to-do list is always named"
    assert rules.fits("HassShoppingListAddItem", {"item"})
    assert rules.fits("HassTurnOn", {"area", "domain"}), "a cue word such as 'lights' fits any intent"
    assert set(rules.signatures) == set(intent_names())


def test_an_intent_names_the_entity_domains_its_templates_require(rules: FrameRules) -> None:
    assert rules.name_domains["HassVacuumStart"] == {"vacuum"}
    assert rules.names_domain("HassTurnOn", "light") and rules.names_domain("HassTurnOn", "script")
    assert not rules.names_domain("HassTurnOn", "vacuum") and not rules.names_domain("HassTurnOff", "lawn_mower")
    assert rules.names_domain("HassStartTimer", "anything"), "a timer's name is no entity: any domain"
    assert FrameRules.from_dict(rules.to_dict()).name_domains == rules.name_domains


def test_an_intent_knows_the_home_assistant_domain_it_belongs_to(rules: FrameRules) -> None:
    assert rules.intent_domains["HassVacuumStart"] == rules.intent_domains["HassVacuumCleanArea"] == "vacuum"
    assert rules.intent_domains["HassTurnOff"] == rules.intent_domains["HassGetState"] == "homeassistant"
    assert set(rules.intent_domains) == set(intent_names())
    assert FrameRules.from_dict(rules.to_dict()).intent_domains == rules.intent_domains


def test_required_slots_leave_out_optional_and_alternative_parts() -> None:
    sentence = parse_sentence("turn on [the] {area} [{name}] (in {floor} | everywhere)")
    template = Template("HassTurnOn", "intents:HassTurnOn:0:0", sentence, {}, {}, (), {})
    assert required_slot_names(template) == {"area"}
    assert spoken_slot_names(template) == {"area", "name", "floor"}
