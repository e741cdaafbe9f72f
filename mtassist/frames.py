"""Complete command frames from predicted slot spans: normalised values, implied slots, allowed names.

The slot head finds spans; an application needs values it can act on. `FrameRules` travels with
every model inside its label space (`labels.json`, key `frames`), derived once from the templates
at ingest (`mtassist.data.frame_rules`), so nothing is re-derived at serving time:

- `values`: spoken text -> value per slot name, from the templates' slot lists
  ("blinds" -> "blind", "warm white" -> 2700) and the domain cue words ("lights" -> "light");
- `numeric`: slot names whose values are numbers ("fifty" -> 50, "94.5" -> 94.5);
- `intent_slots`: the slot names each intent's templates can fill; the decoder tags no other;
- `implied`: slots an intent's templates set without speaking them, by trigger: "" for every
  template of the intent, or a spoken slot name ("device_class" -> domain `cover`);
- `signatures`: per intent, the slot-name sets its templates speak, each as the names every
  expansion speaks and the names some expansion may speak ("clean {floor}" is HassVacuumStart,
  "clean {area}" HassVacuumCleanArea): a frame fits an intent when it matches one of them;
- `name_domains`: per intent, the entity domains its templates name ("start the {name}" is
  HassVacuumStart for a vacuum, HassTurnOn names lights, switches, scenes, ... but no vacuum);
  an intent not listed names entities of any domain. Given the home, the decoder reads a
  name's domain from it, as Home Assistant's recognizer does (`requires_context`);
- `intent_domains`: the Home Assistant domain each intent belongs to (HassVacuumStart and
  HassVacuumCleanArea are `vacuum`'s, HassTurnOn and HassGetState `homeassistant`'s), from the
  package's list of intents: the decoder lets an intent borrow its domain's probability.

Before a frame is completed, `FrameRules.mend` settles what the text itself decides: a known
value cut in two is joined ("garage" + "door" is the device class "garage door"), so are two
neighbouring spans of one slot name (a template speaks each slot once: "Wine" + "Cellar" is the
area "Wine Cellar", even where the model has never seen it), and a duration's
slot name follows the unit spoken after it (`named_by_unit`: "for 96 minutes" is `minutes` or
`start_minutes`, whichever unit the slot head chose), and, given the intent, a slot that each of
its templates speaks from a closed list of words is taken from the text where the slot head
missed it and exactly one word of the list stands there ("increase the volume in the hallway":
`volume_step` up).

Torch- and hassil-free: the Triton python-backend models use it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mtassist.data.text import fold_text

_UNITS = {
    word: n
    for n, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    word: 10 * n
    for n, word in enumerate(["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
    if n > 1
}
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
_DURATION_NAME = re.compile(r"^(?P<stem>.*)(?:hours|minutes|seconds)$")
_UNIT_AFTER = re.compile(r"^[\s-]*(?P<unit>hours?|hrs?|minutes?|mins?|seconds?|secs?)\b", re.IGNORECASE)
_UNIT_NAME = {"h": "hours", "m": "minutes", "s": "seconds"}
_WORD_GAP = re.compile(r"^[\s-]*$")


def _words_to_integer(words: list[str]) -> int | None:
    total = current = 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return total + current


def parse_number(text: str) -> int | float | None:
    """A number spoken as digits ("50", "94.5 °", "70%") or English words ("one hundred", "thirty one point five")."""
    match = _NUMBER.search(text)
    if match:
        number = float(match.group().replace(",", "."))
        return int(number) if number.is_integer() else number
    words = [w for w in re.split(r"[\s-]+", fold_text(text)) if w and w != "and"]
    whole, _, decimals = " ".join(words).partition("point")
    integer = _words_to_integer(whole.split()) if whole.strip() else (0 if decimals else None)
    if integer is None or not (whole.strip() or decimals.strip()):
        return None
    if not decimals.strip():
        return integer
    digits = [_UNITS.get(word) for word in decimals.split()]
    if any(digit is None or digit > 9 for digit in digits):
        return None
    return float(f"{integer}.{''.join(map(str, digits))}")


def _is_count(text: str) -> bool:
    """Digits or number words alone: "96", "forty-two"; not "half" or "1/2", which the templates
    count in the next smaller unit ("an hour and a half")."""
    if any(c.isdigit() for c in text):
        return bool(_NUMBER.fullmatch(text.strip()))
    return parse_number(text) is not None


def named_by_unit(
    spans: Iterable[Mapping[str, Any]], text: str, allowed: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The spans, each duration (`hours`, `start_minutes`, ...) renamed after the unit that follows
    it in `text` ("96 minutes", "8-minute", "3 hrs"), where the intent allows that name."""
    named = []
    for span in spans:
        duration = _DURATION_NAME.match(span["name"]) if _is_count(span["text"]) else None
        unit = _UNIT_AFTER.match(text[span["end"] :]) if duration else None
        if unit:
            name = duration["stem"] + _UNIT_NAME[unit["unit"][0].lower()]
            if allowed is None or name in allowed:
                span = {**span, "name": name}
        named.append(dict(span))
    return named


@dataclass(frozen=True)
class SlotSignature:
    """The slot names one template speaks: `required` in every expansion, `spoken` in some."""

    required: frozenset[str]
    spoken: frozenset[str]


@dataclass(frozen=True)
class FrameRules:
    """How spans become a complete frame (see the module docstring)."""

    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    numeric: frozenset[str] = frozenset()
    intent_slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    implied: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    signatures: Mapping[str, tuple[SlotSignature, ...]] = field(default_factory=dict)
    name_domains: Mapping[str, frozenset[str]] = field(default_factory=dict)
    intent_domains: Mapping[str, str] = field(default_factory=dict)
    """intent -> the Home Assistant domain its intent belongs to (HassVacuumStart -> vacuum)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FrameRules:
        data = data or {}
        return cls(
            values={name: dict(table) for name, table in data.get("values", {}).items()},
            numeric=frozenset(data.get("numeric", ())),
            intent_slots={intent: tuple(names) for intent, names in data.get("intent_slots", {}).items()},
            implied={
                intent: {trigger: dict(slots) for trigger, slots in by_trigger.items()}
                for intent, by_trigger in data.get("implied", {}).items()
            },
            signatures={
                intent: tuple(SlotSignature(frozenset(s["required"]), frozenset(s["spoken"])) for s in listed)
                for intent, listed in data.get("signatures", {}).items()
            },
            name_domains={intent: frozenset(domains) for intent, domains in data.get("name_domains", {}).items()},
            intent_domains=dict(data.get("intent_domains", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": {name: dict(sorted(table.items())) for name, table in sorted(self.values.items())},
            "numeric": sorted(self.numeric),
            "intent_slots": {intent: list(names) for intent, names in sorted(self.intent_slots.items())},
            "implied": {
                intent: {trigger: dict(slots) for trigger, slots in sorted(by_trigger.items())}
                for intent, by_trigger in sorted(self.implied.items())
            },
            "signatures": {
                intent: [{"required": sorted(s.required), "spoken": sorted(s.spoken)} for s in listed]
                for intent, listed in sorted(self.signatures.items())
            },
            "name_domains": {intent: sorted(domains) for intent, domains in sorted(self.name_domains.items())},
            "intent_domains": dict(sorted(self.intent_domains.items())),
        }

    def allowed_slots(self, intent: str) -> frozenset[str] | None:
        """The slot names this intent can fill; None where the rules do not know the intent."""
        names = self.intent_slots.get(intent)
        return frozenset(names) if names is not None else None

    def fits(self, intent: str, spoken: Iterable[str]) -> bool:
        """Whether one of the intent's templates speaks these slot names (`domain`, a cue word, aside).

        True where the rules know no signature for the intent (a label space from before them).
        """
        signatures = self.signatures.get(intent)
        if not signatures:
            return True
        names = frozenset(spoken) - {"domain"}
        return any(s.required <= names <= s.spoken for s in signatures)

    def required_slots(self, intent: str) -> frozenset[str]:
        """The slot names every template of the intent speaks, `domain` aside (its cue word can be
        implied); none where the rules know no signature for the intent."""
        signatures = self.signatures.get(intent)
        if not signatures:
            return frozenset()
        return frozenset.intersection(*(signature.required for signature in signatures)) - {"domain"}

    def names_domain(self, intent: str, domain: str) -> bool:
        """Whether the intent's templates name an entity of this domain (True where they name any)."""
        domains = self.name_domains.get(intent)
        return domains is None or domain in domains

    def value(self, name: str, text: str) -> Any:
        """The value of a spoken slot: a known mapping, a number, else the text itself."""
        table = self.values.get(name, {})
        key = fold_text(text)
        if key in table:
            return table[key]
        if name in self.numeric:
            number = parse_number(text)
            if number is not None:
                return number
        return text

    def mend(
        self,
        spans: Iterable[Mapping[str, Any]],
        text: str,
        allowed: Collection[str] | None = None,
        intent: str | None = None,
    ) -> list[dict[str, Any]]:
        """The spans with what `text` settles (see the module docstring), keeping to `allowed` names;
        given the `intent`, also a slot every template of it speaks from a closed list of words."""
        mended = named_by_unit(self._joined(spans, text, allowed), text, allowed)
        return self._with_required_words(intent, mended, text) if intent is not None else mended

    def _with_required_words(self, intent: str, spans: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        """The spans plus each slot that every template of `intent` speaks, that takes its value from
        a closed list ("volume up": `volume_step`) and that the spans miss, where exactly one word
        of that list stands in `text` outside the spans ("increase the volume in the hallway")."""
        signatures = self.signatures.get(intent)
        if not signatures:
            return spans
        spoken = {span["name"] for span in spans}
        required = frozenset.intersection(*(signature.required for signature in signatures))
        for name in sorted(required - spoken):
            forms = self.values.get(name, {})
            found = [
                match for match in re.finditer(r"\w+", text)
                if fold_text(match.group()) in forms
                and not any(span["start"] < match.end() and match.start() < span["end"] for span in spans)
            ]  # fmt: skip
            if len(found) == 1:
                match = found[0]
                spans = sorted(
                    [*spans, {"name": name, "text": match.group(), "start": match.start(), "end": match.end()}],
                    key=lambda span: span["start"],
                )
        return spans

    def _joined(
        self, spans: Iterable[Mapping[str, Any]], text: str, allowed: Collection[str] | None
    ) -> list[dict[str, Any]]:
        """Neighbouring spans (only spaces or hyphens between them) joined where they share a slot
        name, or where together they are a known value of either one's slot name."""
        joined: list[dict[str, Any]] = []
        for span in spans:
            previous = joined[-1] if joined else None
            if previous is not None and _WORD_GAP.match(text[previous["end"] : span["start"]]):
                together = text[previous["start"] : span["end"]]
                name = span["name"] if span["name"] == previous["name"] else next(
                    (n for n in (span["name"], previous["name"])
                     if fold_text(together) in self.values.get(n, {}) and (allowed is None or n in allowed)),
                    None,
                )  # fmt: skip
                if name is not None:
                    joined[-1] = {**previous, "name": name, "text": together, "end": span["end"]}
                    continue
            joined.append(dict(span))
        return joined

    def complete(self, intent: str, spans: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The frame: each span `{"name", "text", "start", "end"}` with its value, then implied slots.

        An implied slot is added when no slot of that name was spoken and no entity was named.
        A named entity brings its own domain from the home: a domain word beside it ("the Desk
        lamp") is not a slot, as no template speaks both.
        """
        slots = [
            {"name": s["name"], "value": self.value(s["name"], s["text"]), "text": s["text"], "start": s["start"],
             "end": s["end"]}
            for s in spans
        ]  # fmt: skip
        spoken = {slot["name"] for slot in slots}
        if "name" in spoken:
            return [slot for slot in slots if slot["name"] != "domain"]
        by_trigger = self.implied.get(intent, {})
        for trigger in ("", *sorted(spoken)):
            for name, value in by_trigger.get(trigger, {}).items():
                if name not in spoken:
                    slots.append({"name": name, "value": value})
                    spoken.add(name)
        return slots


def frame_key(slots: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """What frame accuracy compares: each slot's name and folded value, order-free."""
    return tuple(sorted((str(s["name"]), fold_text(str(s["value"]))) for s in slots))
