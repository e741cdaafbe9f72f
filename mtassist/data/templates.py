"""Home Assistant's English intent templates, parsed by hassil, as one record per sentence template.

Each `Template` carries what sampling and the frame rules need: the sentence's expression tree,
the expansion rules and slot lists in scope, the entity domains its block allows, and the slots
its block implies without speaking them (`slots: {domain: light}` in the YAML).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hassil import Intents, Sentence, SlotList, TextSlotList
from hassil.expression import Alternative, Expression, Group, ListReference, RuleReference
from home_assistant_intents import get_intents

from mtassist.data.slot_values import NAMES_BY_DOMAIN, SEEN, ValuePools
from mtassist.data.sources import SourceError

LANGUAGE = "en"


@dataclass(frozen=True)
class Template:
    """One sentence template of one intent block."""

    intent: str
    group: str
    """`intents:<intent>:<block>:<sentence>`: a template's expansions never span two splits."""
    sentence: Sentence
    rules: Mapping[str, Sentence]
    local_lists: Mapping[str, SlotList]
    domains: tuple[str, ...]
    """The entity domains the block requires as context (empty: any)."""
    implied: Mapping[str, Any]
    """Slots the block sets without speaking them, e.g. {"domain": "light"}."""


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


def _domains(block_context: Mapping[str, Any] | None) -> tuple[str, ...]:
    wanted = (block_context or {}).get("domain")
    if wanted is None:
        return ()
    return tuple(sorted([wanted] if isinstance(wanted, str) else wanted))


def iter_templates(intents: Intents) -> Iterator[Template]:
    """Every English sentence template, in intent, block and sentence order."""
    for intent_name in sorted(intents.intents):
        for block_index, block in enumerate(intents.intents[intent_name].data):
            rules = {**intents.expansion_rules, **block.expansion_rules}
            for sentence_index, sentence in enumerate(block.sentences):
                yield Template(
                    intent=intent_name,
                    group=f"intents:{intent_name}:{block_index}:{sentence_index}",
                    sentence=sentence,
                    rules=rules,
                    local_lists=dict(block.slot_lists),
                    domains=_domains(block.requires_context),
                    implied=dict(block.slots or {}),
                )


def intent_names() -> list[str]:
    """Every intent in the English templates, sorted."""
    return sorted(load_intents().intents)


def spoken_slot_names(template: Template) -> set[str]:
    """The slot names a template speaks."""
    return {ref.slot_name for ref in template.sentence.expression.list_references(template.rules)}


def required_slot_names(template: Template) -> set[str]:
    """The slot names every expansion of a template speaks (an optional or alternative part may not)."""
    return _required(template.sentence.expression, template.rules)


def _required(expression: Expression, rules: Mapping[str, Sentence]) -> set[str]:
    if isinstance(expression, ListReference):
        return {expression.slot_name}
    if isinstance(expression, RuleReference):
        return _required(rules[expression.rule_name].expression, rules)
    if isinstance(expression, Alternative):
        if expression.is_optional or not expression.items:
            return set()
        return set.intersection(*(_required(item, rules) for item in expression.items))
    if isinstance(expression, Group):  # a sequence or a permutation: every item is spoken
        return set().union(*(_required(item, rules) for item in expression.items))
    return set()


def slot_names() -> list[str]:
    """Every slot name the slot head tags: those the templates speak, and `domain` (its cue words)."""
    names: set[str] = {"domain"}
    for template in iter_templates(load_intents()):
        names.update(spoken_slot_names(template))
    return sorted(names)


def slot_lists_for_recognition(pools: ValuePools = SEEN) -> dict[str, SlotList]:
    """The areas, floors and entity names as hassil slot lists, for `recognize_best`.

    Each name carries its domain as context, as Home Assistant's own entity lists do, so that
    templates restricted to a domain (`requires_context: {domain: [...]}`) match.
    """
    names = [
        (name, name, {"domain": domain})
        for domain in sorted(pools.names_by_domain)
        for name in pools.names_by_domain[domain]
    ]
    return {
        "area": TextSlotList.from_strings(pools.areas, allow_template=False, name="area"),
        "floor": TextSlotList.from_strings(pools.floors, allow_template=False, name="floor"),
        "name": TextSlotList.from_tuples(names, allow_template=False, name="name"),
    }


def names_for(domains: tuple[str, ...], pools: ValuePools) -> list[str]:
    """Entity names of these domains (all domains when none is named or known)."""
    wanted = sorted(set(domains) & NAMES_BY_DOMAIN.keys()) or sorted(pools.names_by_domain)
    return sorted({name for domain in wanted for name in pools.names_by_domain[domain]})
