"""The home's own names (the `CONTEXT` input): parsing it, and resolving a frame's names against it.

Home Assistant knows its exposed entities, areas and floors; an application sends them with a
request as one JSON object, `{"areas": [...], "floors": [...], "names": [{"name", "domain"}],
"area": "<the speaker's area>"}` (every key optional). The model finds the spans; the context turns
"kitchn ceiling light" into the entity "Kitchen Ceiling Light":

- before the frame is completed, a `name`, `area` or `floor` span whose text is no name of its
  kind is fitted to the home (`fit_to_home`): retyped, grown by a word or two, or joined with its
  neighbour where that makes it a name the home knows exactly ("vacuum the den with Roomba": the
  entity Roomba, not an area; "weather at Office Weather": the whole entity name, not "Office");
- a `name`, `area` or `floor` slot resolves to the closest known name of its kind (exact after
  folding case and punctuation, else the most similar above `MIN_SIMILARITY`), and says so:
  `"resolved": {"from": <the spoken text>, "similarity": 0.93}`; a name also carries its domain;
- a `name` that matches no entity but is a known area followed by a domain word ("kitchen
  lights", with no entity of that name) becomes that area and that domain, as Home Assistant
  would read it;
- a command that can take an area but names none, no entity and no floor, gets the speaker's
  area: `{"name": "area", "value": ..., "resolved": {"from": "context"}}`, as Home Assistant does.

Parsed contexts are cached by their bytes, so a home that sends the same context with every
request pays for parsing and indexing once.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from mtassist.contracts import CONTEXT_MAX_BYTES, TRITON_INPUT_CONTEXT
from mtassist.data.text import fold_text
from mtassist.errors import BadRequest
from mtassist.spelling import Lexicon, words_of

MAX_GROWTH = 2
"""`fit_to_home` grows a span by at most this many words on each side."""
MIN_SIMILARITY = 0.75
"""Below this difflib ratio a spoken name stays as spoken."""
SIMILAR_MEMO_SIZE = 4096
"""Spoken texts whose closest name each KnownNames remembers (`KnownNames.closest`)."""
RESOLVED_SLOTS: Mapping[str, str] = {"name": "names", "area": "areas", "floor": "floors"}
"""Slot name -> the context key of the names it resolves against."""
_CONTEXT_KEYS = frozenset({"areas", "floors", "names", "area"})
_SWALLOWED_SLOTS = frozenset({*RESOLVED_SLOTS, "domain", "device_class"})
"""Spans that a fitted span may grow over: a home's name often ends in a domain word ("Robot Vacuum")."""
_WORD = re.compile(r"\w[\w'’-]*")


@dataclass(frozen=True)
class KnownNames:
    """One kind of name (entity names, areas or floors), indexed by folded text."""

    by_key: Mapping[str, str] = field(default_factory=dict)
    _similar: dict[str, tuple[str, float] | None] = field(default_factory=dict, compare=False, repr=False)
    """Spoken text -> its closest name, as found by similarity: a command's candidates and its
    frame ask for the same text, and a home sends the same context with every request."""

    @classmethod
    def of(cls, names: Sequence[str]) -> KnownNames:
        return cls({fold_text(name): name for name in names if fold_text(name)})

    def closest(self, spoken: str) -> tuple[str, float] | None:
        """The known name closest to `spoken` and its similarity, or None below MIN_SIMILARITY."""
        key = fold_text(spoken)
        if key in self.by_key:
            return self.by_key[key], 1.0
        if key not in self._similar:
            if len(self._similar) >= SIMILAR_MEMO_SIZE:
                self._similar.clear()
            self._similar[key] = self._most_similar(key)
        return self._similar[key]

    def _most_similar(self, key: str) -> tuple[str, float] | None:
        found = difflib.get_close_matches(key, self.by_key, n=1, cutoff=MIN_SIMILARITY)
        if not found:
            return None
        return self.by_key[found[0]], round(difflib.SequenceMatcher(None, key, found[0]).ratio(), 3)


@dataclass(frozen=True)
class HomeContext:
    """What one home knows: its names of each kind, each entity's domain, and the speaker's area."""

    known: Mapping[str, KnownNames]
    domains: Mapping[str, str]
    area: str | None = None
    entity_domains: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Each entity name -> the domains of every entity of that name (two may share one)."""

    def domains_of(self, spoken: str) -> frozenset[str]:
        """The domains of the entity that `spoken` resolves to; empty where none, or none is known."""
        match = self.known["names"].closest(spoken)
        return self.entity_domains.get(match[0], frozenset()) if match else frozenset()

    @cached_property
    def words(self) -> Lexicon:
        """The words of the home's names, for correcting typos (`mtassist.spelling`)."""
        return Lexicon.of(words_of(name for names in self.known.values() for name in names.by_key.values()))


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{TRITON_INPUT_CONTEXT} {where} must be a list of strings")
    return value


def _entities(value: Any) -> list[tuple[str, str | None]]:
    if not isinstance(value, list):
        raise BadRequest(f'{TRITON_INPUT_CONTEXT} "names" must be a list of {{"name", "domain"}} objects')
    entities = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise BadRequest(f'{TRITON_INPUT_CONTEXT} "names"[{index}] must be an object with a string "name"')
        domain = entry.get("domain")
        if domain is not None and not isinstance(domain, str):
            raise BadRequest(f'{TRITON_INPUT_CONTEXT} "names"[{index}] "domain" must be a string')
        entities.append((entry["name"], domain))
    return entities


@lru_cache(maxsize=64)
def parse_context(raw: bytes) -> HomeContext:
    """A CONTEXT row as a HomeContext.

    Raises:
        BadRequest: too large, not UTF-8 JSON, not an object, an unknown key or a value of the wrong type.
    """
    if len(raw) > CONTEXT_MAX_BYTES:
        raise BadRequest(f"{TRITON_INPUT_CONTEXT} is {len(raw):,} bytes: send at most {CONTEXT_MAX_BYTES:,}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest(f"{TRITON_INPUT_CONTEXT} is not a JSON object ({error})") from error
    if not isinstance(data, dict):
        raise BadRequest(f"{TRITON_INPUT_CONTEXT} must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _CONTEXT_KEYS)
    if unknown:
        raise BadRequest(f"{TRITON_INPUT_CONTEXT} has unknown key(s) {unknown}: use {sorted(_CONTEXT_KEYS)}")
    area = data.get("area")
    if area is not None and not isinstance(area, str):
        raise BadRequest(f'{TRITON_INPUT_CONTEXT} "area" must be a string')
    entities = _entities(data.get("names", []))
    entity_domains: dict[str, set[str]] = {}
    for name, domain in entities:
        if domain:
            entity_domains.setdefault(name, set()).add(domain)
    return HomeContext(
        known={
            "names": KnownNames.of([name for name, _ in entities]),
            "areas": KnownNames.of(_strings(data.get("areas", []), '"areas"')),
            "floors": KnownNames.of(_strings(data.get("floors", []), '"floors"')),
        },
        domains={name: domain for name, domain in entities if domain},
        area=area or None,
        entity_domains={name: frozenset(domains) for name, domains in entity_domains.items()},
    )


def fit_to_home(
    spans: Sequence[dict[str, Any]], text: str, context: HomeContext | None, allowed: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Spans `{"name", "text", "start", "end"}` with those of the home's kinds fitted to its names.

    A `name`, `area` or `floor` span whose text is exactly (after folding) a name of its kind stays.
    Any other tries, in this order, and takes the first that is exactly a name the home knows: its
    own kind grown by up to MAX_GROWTH words on either side (the fewest words first), then each
    other kind in `allowed` as spoken, then grown. Growing swallows neighbouring spans of the
    home's kinds and domain words. No exact match: the span stays, for `resolve_frame` to resolve
    by similarity.
    """
    if context is None:
        return [dict(span) for span in spans]
    fitted = sorted((dict(span) for span in spans), key=lambda span: span["start"])
    words = [(match.start(), match.end()) for match in _WORD.finditer(text)]
    index = 0
    while index < len(fitted):
        span = fitted[index]
        better = _home_fit(span, fitted, words, text, context, allowed)
        if better is not None:
            kept = [other for other in fitted if other is not span and not _inside(other, better)]
            fitted = sorted([*kept, better], key=lambda other: other["start"])
            index = next(i for i, other in enumerate(fitted) if other is better)
        index += 1
    return fitted


def _inside(span: Mapping[str, Any], outer: Mapping[str, Any]) -> bool:
    return outer["start"] <= span["start"] and span["end"] <= outer["end"]


def _home_fit(
    span: dict[str, Any],
    spans: Sequence[dict[str, Any]],
    words: Sequence[tuple[int, int]],
    text: str,
    context: HomeContext,
    allowed: Collection[str] | None,
) -> dict[str, Any] | None:
    kind = RESOLVED_SLOTS.get(span["name"])
    if kind is None or fold_text(span["text"]) in context.known[kind].by_key:
        return None
    others = [name for name in RESOLVED_SLOTS if name != span["name"] and (allowed is None or name in allowed)]
    extents = _extents(span, spans, words)
    tries = [(span["name"], extent) for extent in extents[1:]]
    tries += [(name, extents[0]) for name in others] + [(name, extent) for name in others for extent in extents[1:]]
    for name, (start, end) in tries:
        if fold_text(text[start:end]) in context.known[RESOLVED_SLOTS[name]].by_key:
            return {"name": name, "text": text[start:end], "start": start, "end": end}
    return None


def _extents(
    span: Mapping[str, Any], spans: Sequence[Mapping[str, Any]], words: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """(start, end) of the span as spoken, then grown by whole words, fewest words first.

    A span grows over free words and over spans in _SWALLOWED_SLOTS, never over other slots.
    """
    taken = [other for other in spans if other is not span and other["name"] not in _SWALLOWED_SLOTS]
    inside = [i for i, (start, end) in enumerate(words) if span["start"] <= start and end <= span["end"]]
    if not inside:
        return [(span["start"], span["end"])]
    first, last = inside[0], inside[-1]

    def free(i: int) -> bool:
        start, end = words[i]
        return not any(other["start"] < end and start < other["end"] for other in taken)

    left = [first - k for k in range(1, MAX_GROWTH + 1) if first - k >= 0]
    left = left[: next((n for n, i in enumerate(left) if not free(i)), len(left))]
    right = [last + k for k in range(1, MAX_GROWTH + 1) if last + k < len(words)]
    right = right[: next((n for n, i in enumerate(right) if not free(i)), len(right))]
    grown = sorted((a + b, a, b) for a in range(len(left) + 1) for b in range(len(right) + 1))
    return [
        (words[left[a - 1]][0] if a else span["start"], words[right[b - 1]][1] if b else span["end"])
        for _, a, b in grown
    ]


def _area_and_domain(
    slot: dict[str, Any], context: HomeContext, domain_words: Mapping[str, str]
) -> list[dict[str, Any]] | None:
    """An unknown entity name read as a known area and a domain word, or None."""
    text = slot["text"]
    for cut in (m.start() for m in re.finditer(r"\s+\S+$", text)):
        area_text, word = text[:cut], text[cut:].strip()
        area = context.known["areas"].closest(area_text)
        if area is None or fold_text(word) not in domain_words:
            continue
        start, end = slot["start"], slot["end"]
        return [
            {"name": "area", "value": area[0], "text": area_text, "start": start, "end": start + len(area_text),
             "resolved": {"from": area_text, "similarity": area[1]}},
            {"name": "domain", "value": domain_words[fold_text(word)], "text": word, "start": end - len(word),
             "end": end},
        ]  # fmt: skip
    return None


def resolve_frame(
    slots: Sequence[dict[str, Any]],
    context: HomeContext | None,
    allowed: Collection[str] | None = None,
    domain_words: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The frame with its names resolved against the home (see the module docstring).

    Args:
        slots: the decoded frame.
        context: the home, or None (the frame comes back unchanged).
        allowed: the slot names the intent can fill (None: unknown, no speaker's area is added).
        domain_words: spoken domain word -> domain ("lights" -> "light"), from the frame rules.
    """
    if context is None:
        return list(slots)
    resolved = []
    for slot in slots:
        kind = RESOLVED_SLOTS.get(slot["name"])
        match = context.known[kind].closest(slot["text"]) if kind and "text" in slot else None
        if match is None:
            split = (
                _area_and_domain(slot, context, domain_words or {})
                if slot["name"] == "name" and "text" in slot
                else None
            )
            resolved.extend(split or [slot])
            continue
        name, similarity = match
        extra = {"domain": context.domains[name]} if slot["name"] == "name" and name in context.domains else {}
        resolved.append({**slot, "value": name, **extra, "resolved": {"from": slot["text"], "similarity": similarity}})
    spoken = {slot["name"] for slot in resolved}
    takes_area = allowed is not None and "area" in allowed
    if context.area and takes_area and not spoken & {"area", "name", "floor"}:
        resolved.append({"name": "area", "value": context.area, "resolved": {"from": "context"}})
    return resolved
