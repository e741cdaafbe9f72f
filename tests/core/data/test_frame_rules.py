"""The frame rules derived from Home Assistant's templates."""

from __future__ import annotations

import pytest

from mtassist.data.frame_rules import derive_frame_rules
from mtassist.data.templates import intent_names
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
