"""Smart-home command utterances with slot spans, expanded from Home Assistant's intent templates.

`home-assistant-intents` ships the English sentence templates; `hassil` parses them into
expression trees. Rather than enumerating every expansion (hassil's `sample_intents` yields
text only and explodes combinatorially), each template is sampled at random by walking its
tree: one branch per alternative, a random order per permutation, one value per slot list.
Every slot value's character span is recorded as the text is assembled, so the spans are
exact by construction (`test_intents` cross-checks them against hassil's `recognize_best`).

The slot lists that Home Assistant fills from a user's home (areas, floors, entity names)
and the wildcard lists (timer names, shopping items, ...) are in `slot_values`.
"""

from __future__ import annotations

import logging
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hassil import (
    Alternative,
    Expression,
    Intents,
    ListReference,
    Permutation,
    RangeSlotList,
    RuleReference,
    Sentence,
    SlotList,
    TextChunk,
    TextSlotList,
    WildcardSlotList,
)
from hassil import Sequence as SequenceExpr
from hassil.numbers import get_rbnf_engine
from home_assistant_intents import get_intents

from mtassist.data.slot_values import AREAS, FLOORS, NAMES_BY_DOMAIN, WILDCARD_VALUES
from mtassist.data.sources import SourceError
from mtassist.data.text import fold_text

logger = logging.getLogger(__name__)

LANGUAGE = "en"

_LIGHT_WORDS = r"(?:lights?|lamps?|lighting|spotlights)"
_REJECT = re.compile(rf"\b(\w+) \1\b|\b{_LIGHT_WORDS}\s+{_LIGHT_WORDS}\b")
_PREFIXES: tuple[str, ...] = ("please ", "hey, ", "ok, ")
_QUESTION_START = re.compile(r"^(what|whats|what's|how|hows|how's|is|are|where|which|do|does|can)\b")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class CommandSample:
    """One command utterance; `slots` are spans with `text[start:end] == value`."""

    intent: str
    text: str
    slots: tuple[dict[str, Any], ...]
    group: str


@dataclass
class _Builder:
    """Assembles text from template pieces and records each slot's character span."""

    parts: list[str] = field(default_factory=list)
    spans: list[tuple[str, int, int]] = field(default_factory=list)
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

    def slot(self, name: str, value: str) -> None:
        value = _WS.sub(" ", value).strip()
        if not value:
            return
        start = self.length
        self.parts.append(value)
        self.length += len(value)
        self.spans.append((name, start, self.length))

    def result(self) -> tuple[str, list[tuple[str, int, int]]]:
        return "".join(self.parts).rstrip(" "), list(self.spans)


@lru_cache(maxsize=1)
def load_intents() -> Intents:
    """Home Assistant's English intents, parsed by hassil."""
    data = get_intents(LANGUAGE)
    if not data:
        raise SourceError(
            "home-assistant-intents has no English templates: reinstall the pinned "
            "home-assistant-intents package (pip install -e . in the project)"
        )
    return Intents.from_dict(data)


def _names_for(domains: Iterable[str]) -> list[str]:
    wanted = sorted(set(domains) & NAMES_BY_DOMAIN.keys())
    if not wanted:
        wanted = sorted(NAMES_BY_DOMAIN)
    return sorted({name for domain in wanted for name in NAMES_BY_DOMAIN[domain]})


class TemplateSampler:
    """Draws random expansions of hassil sentence templates, with slot spans."""

    def __init__(self, intents: Intents, number_words: float = 0.2) -> None:
        self.intents = intents
        self.number_words = number_words
        self._numbers: dict[int, list[int | float]] = {}
        self._engine = get_rbnf_engine(LANGUAGE)
        self._fixed_lists: dict[str, list[str]] = {
            "area": list(AREAS),
            "floor": list(FLOORS),
            **{name: list(values) for name, values in WILDCARD_VALUES.items()},
        }

    def sample(
        self,
        sentence: Sentence,
        rules: Mapping[str, Sentence],
        local_lists: Mapping[str, SlotList],
        names: Sequence[str],
        rng: random.Random,
    ) -> tuple[str, list[tuple[str, int, int]]]:
        """One expansion of `sentence`: its text and (slot, start, end) spans."""
        builder = _Builder()
        self._walk(sentence.expression, builder, rules, local_lists, names, rng, slot=None)
        return builder.result()

    def _walk(
        self,
        expr: Expression,
        out: _Builder,
        rules: Mapping[str, Sentence],
        local_lists: Mapping[str, SlotList],
        names: Sequence[str],
        rng: random.Random,
        slot: str | None,
    ) -> None:
        def walk(item: Expression) -> None:
            self._walk(item, out, rules, local_lists, names, rng, slot)

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
            walk(rules[expr.rule_name].expression)
        elif isinstance(expr, ListReference):
            if slot is not None:
                raise ValueError(f"nested slot list {expr.list_name} inside {slot}")
            value = self._list_value(expr, rules, local_lists, names, rng)
            out.slot(expr.slot_name, value)
        else:
            raise ValueError(f"unexpected template expression: {expr!r}")

    def _list_value(
        self,
        ref: ListReference,
        rules: Mapping[str, Sentence],
        local_lists: Mapping[str, SlotList],
        names: Sequence[str],
        rng: random.Random,
    ) -> str:
        name = ref.list_name
        if name == "name":
            return rng.choice(names)
        if name in self._fixed_lists:
            return rng.choice(self._fixed_lists[name])
        if ref.is_inline_range:
            start, stop, step = ref.get_inline_range()  # type: ignore[misc]
            return self._number(RangeSlotList(name=None, start=start, stop=stop, step=step), rng)
        slot_list = local_lists.get(name) or self.intents.slot_lists.get(name)
        if isinstance(slot_list, RangeSlotList):
            return self._number(slot_list, rng)
        if isinstance(slot_list, TextSlotList) and slot_list.values:
            sub = _Builder()
            value = rng.choice(slot_list.values)
            self._walk(value.text_in, sub, rules, local_lists, names, rng, slot=ref.slot_name)
            return sub.result()[0]
        if isinstance(slot_list, WildcardSlotList):
            raise ValueError(f"no values written for wildcard list {{{name}}}")
        raise ValueError(f"no slot list {{{name}}}")

    def _number(self, slot_list: RangeSlotList, rng: random.Random) -> str:
        key = id(slot_list)
        if key not in self._numbers:
            self._numbers[key] = list(slot_list.get_numbers())
        number = rng.choice(self._numbers[key])
        if slot_list.words and (not slot_list.digits or rng.random() < self.number_words):
            spelled = self._engine.format_number(number).text_by_ruleset
            return spelled.get("spellout-cardinal") or sorted(spelled.values())[0]
        return str(number)


def _decorate(text: str, rng: random.Random) -> tuple[str, int]:
    """Light surface variation (a polite prefix, capitalisation, end punctuation)."""
    shift = 0
    if rng.random() < 0.1:
        prefix = rng.choice(_PREFIXES)
        text, shift = prefix + text, len(prefix)
    if rng.random() < 0.15:
        text += "?" if _QUESTION_START.match(text) else rng.choice((".", "!"))
    if rng.random() < 0.3:
        text = text[:1].upper() + text[1:]
    return text, shift


def sample_template(
    sampler: TemplateSampler,
    intent: str,
    group: str,
    sentence: Sentence,
    rules: Mapping[str, Sentence],
    local_lists: Mapping[str, SlotList],
    names: Sequence[str],
    draws: int,
    seed: int,
    decorate: bool = True,
) -> list[CommandSample]:
    """Up to `draws` distinct expansions of one template, deterministic given `seed`.

    With `decorate`, some get a polite prefix, a capital or end punctuation (hassil's own
    recognizer does not accept the prefixes; turn it off to cross-check with hassil).
    """
    rng = random.Random(f"{seed}:{group}")
    seen: set[str] = set()
    samples: list[CommandSample] = []
    for _ in range(draws):
        raw, spans = sampler.sample(sentence, rules, local_lists, names, rng)
        if not raw or _REJECT.search(raw):
            continue
        text, shift = _decorate(raw, rng) if decorate else (raw, 0)
        key = raw.casefold()
        if key in seen:
            continue
        seen.add(key)
        slots = tuple(
            {"name": name, "value": text[start + shift : end + shift], "start": start + shift,
             "end": end + shift}
            for name, start, end in spans
        )  # fmt: skip
        samples.append(CommandSample(intent, text, slots, group))
    return samples


def iter_templates(intents: Intents) -> Iterator[tuple[str, str, Sentence, dict, dict, list[str]]]:
    """(intent, group, sentence, rules, local lists, entity names) for every English template."""
    for intent_name in sorted(intents.intents):
        for block_index, block in enumerate(intents.intents[intent_name].data):
            rules = {**intents.expansion_rules, **block.expansion_rules}
            names = _names_for(block.domains)
            for sentence_index, sentence in enumerate(block.sentences):
                group = f"intents:{intent_name}:{block_index}:{sentence_index}"
                yield intent_name, group, sentence, rules, dict(block.slot_lists), names


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
) -> list[CommandSample]:
    """Sampled command utterances for every intent, at most `cap_per_intent` each.

    Texts are unique across intents (a text that two intents produce is dropped from both),
    and the cap is shared round-robin across an intent's templates so that none dominates.
    """
    intents = load_intents()
    sampler = TemplateSampler(intents)
    wanted = set(intent_names) if intent_names is not None else None
    by_intent: dict[str, list[list[CommandSample]]] = defaultdict(list)
    for intent, group, sentence, rules, local_lists, names in iter_templates(intents):
        if wanted is not None and intent not in wanted:
            continue
        by_intent[intent].append(
            sample_template(sampler, intent, group, sentence, rules, local_lists, names,
                            draws_per_template, seed)
        )  # fmt: skip
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


def intent_names() -> list[str]:
    """Every intent in the English templates, sorted."""
    return sorted(load_intents().intents)


def slot_names() -> list[str]:
    """Every slot name that a template speaks (the names the slot head learns), sorted."""
    intents = load_intents()
    names: set[str] = set()
    for _, _, sentence, rules, _, _ in iter_templates(intents):
        names.update(ref.slot_name for ref in sentence.expression.list_references(rules))
    return sorted(names)


def slot_lists_for_recognition() -> dict[str, SlotList]:
    """The areas, floors and entity names as hassil slot lists, for `recognize_best`.

    Each name carries its domain as context, as Home Assistant's own entity lists do, so that
    templates restricted to a domain (`requires_context: {domain: [...]}`) match.
    """
    names = [(name, name, {"domain": domain}) for domain in sorted(NAMES_BY_DOMAIN) for name in NAMES_BY_DOMAIN[domain]]
    return {
        "area": TextSlotList.from_strings(AREAS, allow_template=False, name="area"),
        "floor": TextSlotList.from_strings(FLOORS, allow_template=False, name="floor"),
        "name": TextSlotList.from_tuples(names, allow_template=False, name="name"),
    }
