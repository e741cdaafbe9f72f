"""Frame rules: normalised values, implied slots, the slot names an intent allows."""

from __future__ import annotations

import pytest

from mtassist.frames import FrameRules, frame_key, parse_number


@pytest.mark.parametrize(
    ("spoken", "number"),
    [("50", 50), ("94.5 °", 94.5), ("70%", 70), ("fifty", 50), ("twenty-five", 25), ("one hundred", 100),
     ("two thousand seven hundred", 2700), ("thirty-one point five", 31.5), ("point five", 0.5), ("loud", None),
     ("", None)],
)  # fmt: skip
def test_parse_number_reads_digits_and_english_words(spoken: str, number: float | None) -> None:
    assert parse_number(spoken) == number


RULES = FrameRules(
    values={"device_class": {"blinds": "blind"}, "domain": {"lights": "light"}},
    numeric=frozenset({"position"}),
    intent_slots={"HassSetPosition": ("area", "device_class", "position")},
    implied={"HassSetPosition": {"": {"domain": "cover"}}, "HassTurnOn": {"device_class": {"domain": "cover"}}},
)


def test_values_come_from_the_table_then_numbers_then_the_text() -> None:
    assert RULES.value("device_class", "Blinds") == "blind"
    assert RULES.value("position", "forty") == 40
    assert RULES.value("area", "Living Room") == "Living Room"
    assert RULES.value("position", "halfway") == "halfway"


def test_complete_adds_implied_slots_by_trigger_unless_an_entity_is_named() -> None:
    span = {"name": "device_class", "text": "blinds", "start": 9, "end": 15}
    assert RULES.complete("HassTurnOn", [span]) == [
        {"name": "device_class", "value": "blind", "text": "blinds", "start": 9, "end": 15},
        {"name": "domain", "value": "cover"},
    ]
    assert RULES.complete("HassTurnOn", []) == []
    named = {"name": "name", "text": "Patio Blinds", "start": 9, "end": 21}
    assert RULES.complete("HassSetPosition", [named]) == [{**named, "value": "Patio Blinds"}]


def test_the_rules_survive_json_and_know_which_slots_an_intent_allows() -> None:
    again = FrameRules.from_dict(RULES.to_dict())
    assert again == RULES
    assert again.allowed_slots("HassSetPosition") == {"area", "device_class", "position"}
    assert again.allowed_slots("HassUnknown") is None
    assert FrameRules.from_dict(None) == FrameRules()


def test_frame_key_compares_names_and_folded_values_in_any_order() -> None:
    assert frame_key([{"name": "area", "value": "Kitchen"}, {"name": "brightness", "value": 50}]) == frame_key(
        [{"name": "brightness", "value": 50, "text": "fifty"}, {"name": "area", "value": "kitchen"}]
    )
    assert frame_key([{"name": "area", "value": "Kitchen"}]) != frame_key([{"name": "area", "value": "Den"}])
