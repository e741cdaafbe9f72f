"""Frame rules: normalised values, implied slots, the slot names an intent allows."""

from __future__ import annotations

import pytest

from mtassist.frames import FrameRules, SlotSignature, frame_key, named_by_unit, parse_number


@pytest.mark.parametrize(
    ("spoken", "number"),
    [("50", 50), ("94.5 °", 94.5), ("70%", 70), ("fifty", 50), ("twenty-five", 25), ("one hundred", 100),
     ("two thousand seven hundred", 2700), ("thirty-one point five", 31.5), ("point five", 0.5), ("loud", None),
     ("", None)],
)  # fmt: skip
def test_parse_number_reads_digits_and_english_words(spoken: str, number: float | None) -> None:
    assert parse_number(spoken) == number


RULES = FrameRules(
    values={"device_class": {"blinds": "blind", "garage door": "garage_door"}, "domain": {"lights": "light"}},
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


def test_a_domain_word_beside_a_named_entity_is_not_a_slot() -> None:
    text = "turn on the Desk lights"
    spans = [_span("name", text, "Desk"), _span("domain", text, "lights")]
    assert [slot["name"] for slot in RULES.complete("HassTurnOn", spans)] == ["name"]
    assert RULES.complete("HassTurnOn", spans[1:]) == [{**spans[1], "value": "light"}]


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


def _span(name: str, text: str, word: str) -> dict:
    start = text.index(word)
    return {"name": name, "text": word, "start": start, "end": start + len(word)}


@pytest.mark.parametrize(
    ("text", "spoken", "tagged", "named"),
    [
        ("resume the timer for 96 minutes", "96", "start_hours", "start_minutes"),
        ("continue the timer for 93-minutes", "93", "start_seconds", "start_minutes"),
        ("take 51 second off the timer", "51", "minutes", "seconds"),
        ("add 3 hrs to the timer", "3", "minutes", "hours"),
        ("add forty-two minutes", "forty-two", "seconds", "minutes"),
        ("a timer for 20 and a half", "20", "minutes", "minutes"),  # no unit follows: the slot head decides
        ("a timer for 85 and half hours", "half", "minutes", "minutes"),  # half an hour is counted in minutes
        ("add 6 and 1/2 minutes", "1/2", "seconds", "seconds"),
    ],
)
def test_a_duration_is_named_after_the_unit_spoken_after_it(text: str, spoken: str, tagged: str, named: str) -> None:
    (span,) = named_by_unit([_span(tagged, text, spoken)], text)
    assert span["name"] == named
    assert span["text"] == spoken


def test_a_unit_name_the_intent_does_not_allow_is_not_taken() -> None:
    text = "pause the timer for 25 seconds"
    spans = [_span("start_minutes", text, "25"), _span("area", text, "timer")]
    assert [s["name"] for s in named_by_unit(spans, text, {"start_minutes", "area"})] == ["start_minutes", "area"]
    assert [s["name"] for s in named_by_unit(spans, text, {"start_seconds", "area"})] == ["start_seconds", "area"]


def test_mend_joins_a_known_value_cut_in_two_and_neighbours_of_one_name() -> None:
    text = "set the garage door in the Den Hall to 40"
    cut = [_span("area", text, "garage"), _span("device_class", text, "door"), _span("area", text, "Den"),
           _span("area", text, "Hall"), _span("position", text, "40")]  # fmt: skip
    mended = RULES.mend(cut, text, RULES.allowed_slots("HassSetPosition"))
    assert [(s["name"], s["text"]) for s in mended] == [
        ("device_class", "garage door"),
        ("area", "Den Hall"),  # a template speaks each slot once: an unknown area of two words
        ("position", "40"),
    ]
    assert mended[0]["start"] == text.index("garage") and mended[0]["end"] == text.index(" in")
    assert RULES.mend(cut, text, {"area", "position"})[:2] == cut[:2]  # device_class not allowed: kept apart


def test_mend_takes_a_missed_closed_list_slot_every_template_of_the_intent_speaks() -> None:
    rules = FrameRules(
        values={"volume_step": {"up": "up", "increase": "up", "down": "down"}},
        numeric=frozenset({"volume"}),
        signatures={
            "HassSetVolumeRelative": (
                SlotSignature(frozenset({"volume_step", "area"}), frozenset({"volume_step", "area"})),
                SlotSignature(frozenset({"volume_step"}), frozenset({"volume_step"})),
            ),
            "HassSetVolume": (SlotSignature(frozenset({"volume"}), frozenset({"volume", "area"})),),
        },
    )
    text = "increase volume in the Hallway"
    spans = [_span("area", text, "Hallway")]
    mended = rules.mend(spans, text, None, "HassSetVolumeRelative")
    assert [(s["name"], s["text"], s["start"]) for s in mended] == [
        ("volume_step", "increase", 0),
        ("area", "Hallway", 23),
    ]
    assert rules.complete("HassSetVolumeRelative", mended)[0]["value"] == "up"
    assert rules.mend(spans, text, None) == spans, "without the intent"
    assert rules.mend(spans, text, None, "HassSetVolume") == spans, "a number is no word of a list"
    both = "turn it up, no, down in the Hallway"
    assert rules.mend([_span("area", both, "Hallway")], both, None, "HassSetVolumeRelative")[0]["name"] == "area"


def test_mend_keeps_apart_spans_of_one_name_with_words_between() -> None:
    text = "turn off the Den and the Hall"
    spans = [_span("area", text, "Den"), _span("area", text, "Hall")]
    assert [s["text"] for s in RULES.mend(spans, text, None)] == ["Den", "Hall"]


def test_the_required_slots_are_those_every_template_of_the_intent_speaks():
    rules = FrameRules(
        signatures={
            "HassListAddItem": (
                SlotSignature(frozenset({"item", "name"}), frozenset({"item", "name"})),
                SlotSignature(frozenset({"item", "name", "domain"}), frozenset({"item", "name", "domain", "area"})),
            ),
            "HassTurnOn": (
                SlotSignature(frozenset({"name"}), frozenset({"name", "area"})),
                SlotSignature(frozenset({"area", "domain"}), frozenset({"area", "domain"})),
            ),
        }
    )
    assert rules.required_slots("HassListAddItem") == {"item", "name"}
    assert rules.required_slots("HassTurnOn") == frozenset()
    assert rules.required_slots("HassUnknown") == frozenset()
