"""Smart-home command utterances with complete frames, expanded from Home Assistant's templates.

Rather than enumerating every expansion (hassil's `sample_intents` yields text only and explodes
combinatorially), each template is sampled at random by walking its tree: one branch per
alternative, a random order per permutation, one value per slot list. Every slot is recorded as
the text is assembled, so its span is exact by construction and it carries the value hassil's
recognizer returns for it (`lights` -> nothing spoken, `fifty` -> 50, `blinds` -> `blind`);
`test_intents` cross-checks them against hassil's `recognize_best`.

A frame is the list of the command's slots:
- spoken: `{"name", "value", "text", "start", "end"}` with `text[start:end] == slot["text"]`;
- implied by the template, not spoken: `{"name", "value"}` (`domain` of "turn on the lights").
  Where the domain has a cue word in the sentence ("lights"), that word becomes a spoken `domain`
  slot, so that the model learns to find it.

The lists a home defines (areas, floors, entity names) and the wildcards are filled from
`slot_values` pools: the seen part for the template splits, the held-out part for the
unseen-values test split.
"""

from __future__ import annotations

import logging
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hassil import (
    Alternative,
    Expression,
    Intents,
    ListReference,
    Permutation,
    RangeSlotList,
    RuleReference,
    TextChunk,
    TextSlotList,
    WildcardSlotList,
)
from hassil import Sequence as SequenceExpr
from hassil.numbers import get_rbnf_engine

from mtassist.data.slot_values import SEEN, ValuePools
from mtassist.data.templates import LANGUAGE, Template, iter_templates, load_intents, names_for
from mtassist.data.text import fold_text

logger = logging.getLogger(__name__)

DOMAIN_CUES: Mapping[str, tuple[str, ...]] = {
    "light": ("lights", "light", "lamps", "lamp", "lighting", "spotlights", "bulbs"),
    "fan": ("fans", "fan"),
    "switch": ("switches", "switch", "plugs", "outlets"),
    "lock": ("locks", "lock"),
}
"""Words that speak the domain a template implies; the slot head tags them as `domain`."""

_LIGHT_WORDS = r"(?:lights?|lamps?|lighting|spotlights)"
_REJECT = re.compile(rf"\b(\w+) \1\b|\b{_LIGHT_WORDS}\s+{_LIGHT_WORDS}\b", re.IGNORECASE)
_PREFIXES: tuple[str, ...] = ("please ", "hey, ", "ok, ", "could you ", "can you ")
_QUESTION_START = re.compile(r"^(what|whats|what's|how|hows|how's|is|are|where|which|do|does|can|could)\b")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class CommandSample:
    """One command utterance and its frame (see the module docstring)."""

    intent: str
    text: str
    slots: tuple[dict[str, Any], ...]
    group: str


@dataclass(frozen=True)
class _Spoken:
    name: str
    value: Any
    start: int
    end: int


@dataclass
class _Builder:
    """Assembles text from template pieces and records each spoken slot."""

    parts: list[str] = field(default_factory=list)
    spans: list[_Spoken] = field(default_factory=list)
    length: int = 0

    def _ends_with_space(self) -> bool:
        return not self.parts or self.parts[-1].endswith(" ")

    def text(self, piece: str) -> None:
        piece = _WS.sub(" ", piece)
        if self._ends_with_space():
            piece = piece.lstrip(" ")
        if piece:
            self.parts.append(piece)
            self.length += len(piece)

    def slot(self, name: str, text: str, value: Any) -> None:
        text = _WS.sub(" ", text).strip()
        if not text:
            return
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.spans.append(_Spoken(name, text if value is None else value, start, self.length))

    def result(self) -> tuple[str, list[_Spoken]]:
        return "".join(self.parts).rstrip(" "), list(self.spans)


def range_value(slot_list: RangeSlotList, number: float) -> int | float:
    """The value hassil's recognizer gives a spoken number of this list (its multiplier applied)."""
    value = number * (slot_list.multiplier or 1)
    return int(value) if float(value).is_integer() else value


class TemplateSampler:
    """Draws random expansions of hassil sentence templates, with their spoken slots."""

    def __init__(self, intents: Intents, pools: ValuePools = SEEN, number_words: float = 0.2) -> None:
        self.intents = intents
        self.pools = pools
        self.number_words = number_words
        self._numbers: dict[int, list[int | float]] = {}
        self._engine = get_rbnf_engine(LANGUAGE)
        self._fixed_lists: dict[str, tuple[str, ...]] = {"area": pools.areas, "floor": pools.floors, **pools.wildcards}

    def sample(self, template: Template, rng: random.Random) -> tuple[str, list[_Spoken]]:
        """One expansion of the template: its text and spoken slots."""
        builder = _Builder()
        names = names_for(template.domains, self.pools)
        self._walk(template.sentence.expression, builder, template, names, rng, slot=None)
        return builder.result()

    def _walk(
        self, expr: Expression, out: _Builder, template: Template, names: Sequence[str], rng: random.Random,
        slot: str | None,
    ) -> None:  # fmt: skip
        def walk(item: Expression) -> None:
            self._walk(item, out, template, names, rng, slot)

        if isinstance(expr, TextChunk):
            out.text(expr.original_text)
        elif isinstance(expr, Alternative):
            if expr.items:
                walk(rng.choice(expr.items))
        elif isinstance(expr, Permutation):
            items = list(expr.items)
            rng.shuffle(items)
            for item in items:
                out.text(" ")
                walk(item)
                out.text(" ")
        elif isinstance(expr, SequenceExpr):
            for item in expr.items:
                walk(item)
        elif isinstance(expr, RuleReference):
            walk(template.rules[expr.rule_name].expression)
        elif isinstance(expr, ListReference):
            if slot is not None:
                raise ValueError(f"nested slot list {{{expr.list_name}}} inside {slot} in {template.group}")
            text, value = self._list_value(expr, template, names, rng)
            out.slot(expr.slot_name, text, value)
        else:
            raise ValueError(f"unexpected template expression {expr!r} in {template.group}")

    def _list_value(
        self, ref: ListReference, template: Template, names: Sequence[str], rng: random.Random
    ) -> tuple[str, Any]:
        """The spoken text of one slot and its value (None: the text is the value)."""
        name = ref.list_name
        if name == "name":
            return rng.choice(names), None
        if name in self._fixed_lists:
            return rng.choice(self._fixed_lists[name]), None
        if ref.is_inline_range:
            start, stop, step = ref.get_inline_range()  # type: ignore[misc]
            return self._number(RangeSlotList(name=None, start=start, stop=stop, step=step), rng)
        slot_list = template.local_lists.get(name) or self.intents.slot_lists.get(name)
        if isinstance(slot_list, RangeSlotList):
            return self._number(slot_list, rng)
        if isinstance(slot_list, TextSlotList) and slot_list.values:
            sub = _Builder()
            value = rng.choice(slot_list.values)
            self._walk(value.text_in, sub, template, names, rng, slot=ref.slot_name)
            return sub.result()[0], value.value_out
        if isinstance(slot_list, WildcardSlotList):
            raise ValueError(f"no values written for wildcard list {{{name}}} (used by {template.group})")
        raise ValueError(f"no slot list {{{name}}} for {template.group}")

    def _number(self, slot_list: RangeSlotList, rng: random.Random) -> tuple[str, int | float]:
        key = id(slot_list)
        if key not in self._numbers:
            self._numbers[key] = list(slot_list.get_numbers())
        number = rng.choice(self._numbers[key])
        if slot_list.words and (not slot_list.digits or rng.random() < self.number_words):
            spelled = self._engine.format_number(number).text_by_ruleset
            text = spelled.get("spellout-cardinal") or sorted(spelled.values())[0]
        else:
            text = str(number)
        return text, range_value(slot_list, number)


def _decorate(text: str, rng: random.Random) -> tuple[str, int]:
    """Light surface variation (a polite prefix, capitalisation, end punctuation)."""
    shift = 0
    if rng.random() < 0.12:
        prefix = rng.choice(_PREFIXES)
        text, shift = prefix + text, len(prefix)
    if rng.random() < 0.3:
        text += "?" if _QUESTION_START.match(text) else rng.choice((".", "!"))
    if rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    return text, shift


def _cue_span(text: str, domain: str, taken: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """The last cue word of `domain` in text that no spoken slot covers."""
    words = DOMAIN_CUES.get(domain, ())
    if not words:
        return None
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    free = [m for m in pattern.finditer(text) if not any(s < m.end() and m.start() < e for s, e in taken)]
    return (free[-1].start(), free[-1].end()) if free else None


def frame(text: str, spoken: Sequence[_Spoken], implied: Mapping[str, Any], shift: int = 0) -> tuple[dict, ...]:
    """The frame of one expansion: spoken slots (moved by `shift`), then the implied ones."""
    slots = [
        {"name": s.name, "value": s.value, "text": text[s.start + shift : s.end + shift],
         "start": s.start + shift, "end": s.end + shift}
        for s in spoken
    ]  # fmt: skip
    for name, value in implied.items():
        cue = _cue_span(text, str(value), [(s["start"], s["end"]) for s in slots]) if name == "domain" else None
        if cue is not None:
            slots.append({"name": name, "value": value, "text": text[cue[0] : cue[1]], "start": cue[0], "end": cue[1]})
        elif all(s["name"] != name for s in slots):
            slots.append({"name": name, "value": value})
    spans = sorted((s for s in slots if "start" in s), key=lambda s: s["start"])
    return (*spans, *(s for s in slots if "start" not in s))


def sample_template(
    sampler: TemplateSampler, template: Template, draws: int, seed: int, decorate: bool = True
) -> list[CommandSample]:
    """Up to `draws` distinct expansions of one template, deterministic given `seed`.

    With `decorate`, some get a polite prefix, a capital or end punctuation (hassil's own
    recognizer does not accept the prefixes; turn it off to cross-check with hassil). A template
    that expands to nothing is an error that names it.
    """
    rng = random.Random(f"{seed}:{template.group}")
    seen: set[str] = set()
    samples: list[CommandSample] = []
    empty = 0
    for _ in range(draws):
        raw, spoken = sampler.sample(template, rng)
        empty += not raw
        if not raw or _REJECT.search(raw):
            continue
        text, shift = _decorate(raw, rng) if decorate else (raw, 0)
        key = fold_text(raw)
        if key in seen:
            continue
        seen.add(key)
        samples.append(
            CommandSample(template.intent, text, frame(text, spoken, template.implied, shift), template.group)
        )
    if draws and empty == draws:
        raise ValueError(f"template {template.group} ({template.sentence.text!r}) expands to nothing")
    return samples


def _take_round_robin(per_group: list[list[CommandSample]], cap: int, rng: random.Random) -> list[CommandSample]:
    queues = [list(samples) for samples in per_group if samples]
    for queue in queues:
        rng.shuffle(queue)
    taken: list[CommandSample] = []
    while queues and len(taken) < cap:
        for queue in queues:
            if len(taken) >= cap:
                break
            taken.append(queue.pop())
        queues = [queue for queue in queues if queue]
    return taken


def expand_intents(
    seed: int,
    cap_per_intent: int,
    draws_per_template: int = 40,
    intent_names: Iterable[str] | None = None,
    pools: ValuePools = SEEN,
) -> list[CommandSample]:
    """Sampled command utterances for every intent, at most `cap_per_intent` each.

    Texts are unique across intents (a text that two intents produce is dropped from both),
    and the cap is shared round-robin across an intent's templates so that none dominates.
    """
    intents = load_intents()
    sampler = TemplateSampler(intents, pools)
    wanted = set(intent_names) if intent_names is not None else None
    by_intent: dict[str, list[list[CommandSample]]] = defaultdict(list)
    for template in iter_templates(intents):
        if wanted is not None and template.intent not in wanted:
            continue
        by_intent[template.intent].append(sample_template(sampler, template, draws_per_template, seed))
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, groups in by_intent.items():
        for samples in groups:
            for sample in samples:
                owners[fold_text(sample.text)].add(intent)
    result: list[CommandSample] = []
    for intent in sorted(by_intent):
        unique = [[s for s in samples if len(owners[fold_text(s.text)]) == 1] for samples in by_intent[intent]]
        taken = _take_round_robin(unique, cap_per_intent, random.Random(f"{seed}:cap:{intent}"))
        result.extend(_dedupe(taken))
    logger.info("expanded %d command utterances over %d intents", len(result), len(by_intent))
    return result


def _dedupe(samples: list[CommandSample]) -> list[CommandSample]:
    seen: set[str] = set()
    kept = []
    for sample in sorted(samples, key=lambda s: (s.group, s.text)):
        if fold_text(sample.text) not in seen:
            seen.add(fold_text(sample.text))
            kept.append(sample)
    return kept
