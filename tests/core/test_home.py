"""The home's names: a frame's name, area and floor resolve to the closest known one."""

from __future__ import annotations

import json
import time

from mtassist.home import SIMILAR_MEMO_SIZE, KnownNames, fit_to_home, parse_context, resolve_frame

HOME = json.dumps(
    {"areas": ["Kitchen", "Living Room"], "floors": ["Upstairs"], "area": "Living Room",
     "names": [{"name": "Kitchen Ceiling Light", "domain": "light"}, {"name": "Front Door", "domain": "lock"}]}
).encode()  # fmt: skip


def _span(name: str, text: str) -> dict:
    return {"name": name, "value": text, "text": text, "start": 0, "end": len(text)}


def test_names_resolve_despite_typos_and_say_from_what() -> None:
    frame = resolve_frame([_span("name", "kitchn cieling light"), _span("area", "living room")], parse_context(HOME))
    assert frame[0]["value"] == "Kitchen Ceiling Light" and frame[0]["domain"] == "light"
    assert frame[0]["resolved"]["from"] == "kitchn cieling light" and 0.75 <= frame[0]["resolved"]["similarity"] < 1
    assert frame[1]["value"] == "Living Room" and frame[1]["resolved"] == {"from": "living room", "similarity": 1.0}


def test_a_name_far_from_every_known_one_stays_as_spoken() -> None:
    frame = resolve_frame([_span("name", "garden hose")], parse_context(HOME))
    assert frame == [_span("name", "garden hose")]


def test_the_speakers_area_fills_a_command_that_names_no_place() -> None:
    context = parse_context(HOME)
    implied = {"name": "domain", "value": "light"}
    assert resolve_frame([implied], context, allowed={"area", "domain"}) == [
        implied, {"name": "area", "value": "Living Room", "resolved": {"from": "context"}}
    ]  # fmt: skip
    assert resolve_frame([implied], context, allowed={"domain"}) == [implied]
    assert resolve_frame([_span("name", "front door")], context, allowed={"area", "name"})[-1]["name"] == "name"


def test_without_a_context_the_frame_is_unchanged() -> None:
    frame = [_span("area", "kichen")]
    assert resolve_frame(frame, None) == frame


def test_a_home_of_a_thousand_names_resolves_in_a_few_milliseconds() -> None:
    names = [{"name": f"{room} {device} {n}", "domain": "light"} for n in range(50)
             for room, device in (("Kitchen", "Lamp"), ("Hall", "Spot"), ("Den", "Strip"), ("Porch", "Light"))]  # fmt: skip
    names += [{"name": f"Sensor {n:03d}", "domain": "sensor"} for n in range(800)]
    raw = json.dumps({"names": names, "areas": [f"Room {n}" for n in range(100)]}).encode()
    assert 40_000 < len(raw) < 80_000
    context = parse_context(raw)
    start = time.perf_counter()
    for _ in range(20):
        frame = resolve_frame([_span("name", "kichen lamp 17"), _span("area", "rom 42")], context)
    per_request_ms = (time.perf_counter() - start) / 20 * 1000
    assert frame[0]["value"] == "Kitchen Lamp 17" and frame[1]["value"] == "Room 42"
    assert per_request_ms < 50, f"{per_request_ms:.1f} ms per request"


def test_names_found_by_similarity_are_remembered_within_a_bound() -> None:
    known = KnownNames.of(["Kitchen Lamp", "Hall Spot"])
    first = known.closest("kichen lamp")
    assert first is not None and first[0] == "Kitchen Lamp" and known.closest("Kichen  Lamp!") == first
    for n in range(SIMILAR_MEMO_SIZE + 10):
        known.closest(f"hall spot {n}")
    assert len(known._similar) <= SIMILAR_MEMO_SIZE, "a long-lived home's memory stays bounded"
    assert known.closest("hal spot") == ("Hall Spot", 0.941)


def test_an_unknown_name_made_of_a_known_area_and_a_domain_word_becomes_both() -> None:
    frame = resolve_frame([_span("name", "living room lights")], parse_context(HOME), domain_words={"lights": "light"})
    assert frame == [
        {"name": "area", "value": "Living Room", "text": "living room", "start": 0, "end": 11,
         "resolved": {"from": "living room", "similarity": 1.0}},
        {"name": "domain", "value": "light", "text": "lights", "start": 12, "end": 18},
    ]  # fmt: skip
    known = resolve_frame(
        [_span("name", "kitchen ceiling light")], parse_context(HOME), domain_words={"light": "light"}
    )
    assert known[0]["value"] == "Kitchen Ceiling Light"


FITTING_HOME = parse_context(
    json.dumps(
        {"areas": ["Den", "Office", "Wine Cellar"], "floors": ["Mezzanine"],
         "names": [{"name": "Roomba", "domain": "vacuum"}, {"name": "Office Weather", "domain": "weather"},
                   {"name": "Robot Vacuum", "domain": "vacuum"}]}
    ).encode()
)  # fmt: skip


def _spoken(name: str, text: str, word: str) -> dict:
    start = text.index(word)
    return {"name": name, "text": word, "start": start, "end": start + len(word)}


def _fitted(text: str, spans: list[dict], allowed: set[str] | None = None) -> list[tuple[str, str]]:
    return [(s["name"], text[s["start"] : s["end"]]) for s in fit_to_home(spans, text, FITTING_HOME, allowed)]


def test_a_span_the_home_knows_as_another_kind_is_retyped() -> None:
    text = "vacuum the Den with Roomba"
    spans = [_spoken("area", text, "Den"), _spoken("area", text, "Roomba")]
    assert _fitted(text, spans, {"area", "name"}) == [("area", "Den"), ("name", "Roomba")]
    assert _fitted(text, spans, {"area"}) == [("area", "Den"), ("area", "Roomba")]  # the intent names no entity


def test_a_span_grows_into_the_whole_name_before_it_is_retyped() -> None:
    text = "what's the weather at Office Weather"
    spans = [_spoken("name", text, "Office")]
    assert _fitted(text, spans, {"name", "area"}) == [("name", "Office Weather")]
    text = "clean the Den with the Robot Vacuum"
    spans = [_spoken("area", text, "Den"), _spoken("name", text, "Robot"), _spoken("domain", text, "Vacuum")]
    assert _fitted(text, spans, {"area", "name", "domain"}) == [("area", "Den"), ("name", "Robot Vacuum")]


def test_neighbours_of_two_kinds_join_into_a_name_the_home_knows() -> None:
    text = "turn off the Wine Cellar lights"
    spans = [_spoken("name", text, "Wine"), _spoken("area", text, "Cellar")]
    assert _fitted(text, spans, {"name", "area", "domain"}) == [("area", "Wine Cellar")]


def test_known_spans_unknown_names_and_other_slots_stay() -> None:
    text = "add Office Weather to the Den list"
    spans = [_spoken("item", text, "Office Weather"), _spoken("area", text, "Den")]
    assert fit_to_home(spans, text, FITTING_HOME) == spans  # the area is known; an item is not the home's
    text = "put Office Weather on the list"
    spans = [_spoken("name", text, "Office"), _spoken("item", text, "Weather")]
    assert _fitted(text, spans, {"name", "area", "item"}) == [
        ("area", "Office"),
        ("item", "Weather"),
    ]  # not over an item
    assert fit_to_home(spans, text, None) == spans
