"""The home's names: a frame's name, area and floor resolve to the closest known one."""

from __future__ import annotations

import json
import time

from mtassist.home import parse_context, resolve_frame

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
