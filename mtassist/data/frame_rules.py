"""Derive the `FrameRules` that travel with every model from Home Assistant's templates.

Values come from the templates' own slot lists (every expansion of a value's spoken form maps
to its `out` value), so the table is the recognizer's, not learned from any split. Where two
lists give one spoken form different values for the same slot name ("open" is `open` for a cover
and `on` for a binary sensor), the value more templates use wins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from hassil import Intents, ListReference, RangeSlotList, TextSlotList
from hassil.sample import sample_expression
from home_assistant_intents import get_intent_info

from mtassist.data.intents import DOMAIN_CUES
from mtassist.data.templates import Template, iter_templates, load_intents, required_slot_names, spoken_slot_names
from mtassist.data.text import fold_text
from mtassist.frames import FrameRules, SlotSignature

MAX_FORMS_PER_VALUE = 64
"""Expansions of one value's spoken form taken into the table (the lists have a handful)."""


def _references(template: Template) -> list[ListReference]:
    return list(template.sentence.expression.list_references(template.rules))


def _spoken_forms(intents: Intents, expression: Any) -> list[str]:
    forms = []
    for text in sample_expression(expression, intents.slot_lists, intents.expansion_rules):
        forms.append(text)
        if len(forms) >= MAX_FORMS_PER_VALUE:
            break
    return forms


def _values(intents: Intents, templates: list[Template]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Spoken form -> value per slot name, and the slot names whose values are numbers."""
    votes: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    value_of: dict[str, Any] = {}
    numeric: set[str] = set()
    forms: dict[int, list[tuple[str, Any]]] = {}
    for template in templates:
        for ref in _references(template):
            slot_list = None if ref.is_inline_range else (
                template.local_lists.get(ref.list_name) or intents.slot_lists.get(ref.list_name)
            )  # fmt: skip
            if ref.is_inline_range or isinstance(slot_list, RangeSlotList):
                numeric.add(ref.slot_name)
            elif isinstance(slot_list, TextSlotList):
                if id(slot_list) not in forms:
                    forms[id(slot_list)] = [
                        (form, form.strip() if value.value_out is None else value.value_out)
                        for value in slot_list.values
                        for form in _spoken_forms(intents, value.text_in)
                    ]
                for form, out in forms[id(slot_list)]:
                    value_of[repr(out)] = out
                    votes[ref.slot_name][fold_text(form)][repr(out)] += 1
    values = {
        name: {form: value_of[counter.most_common(1)[0][0]] for form, counter in table.items() if form}
        for name, table in votes.items()
    }
    values["domain"] = {word: domain for domain, words in DOMAIN_CUES.items() for word in words}
    return values, numeric


def _implied(templates: list[Template]) -> dict[str, dict[str, dict[str, Any]]]:
    """intent -> trigger -> implied slots that every template of the intent speaking the trigger sets.

    The trigger is "" (every template of the intent) or a spoken slot name ("device_class" ->
    domain `cover`). Templates that name an entity are left out: the entity brings its own domain.
    """
    seen: dict[tuple[str, str], list[Template]] = defaultdict(list)
    for template in templates:
        spoken = spoken_slot_names(template)
        if "name" not in spoken:
            for trigger in ("", *sorted(spoken)):
                seen[(template.intent, trigger)].append(template)
    implied: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for (intent, trigger), group in sorted(seen.items()):
        names = sorted({name for template in group for name in template.implied})
        agreed = {}
        for name in names:
            values = {repr(template.implied.get(name)) for template in group}
            if len(values) == 1:
                agreed[name] = group[0].implied[name]
        if agreed:
            implied[intent][trigger] = agreed
    return dict(implied)


def _signatures(templates: list[Template]) -> dict[str, tuple[SlotSignature, ...]]:
    """intent -> the distinct slot-name sets its templates speak, in template order."""
    signatures: dict[str, list[SlotSignature]] = defaultdict(list)
    for template in templates:
        signature = SlotSignature(frozenset(required_slot_names(template)), frozenset(spoken_slot_names(template)))
        if signature not in signatures[template.intent]:
            signatures[template.intent].append(signature)
    return {intent: tuple(listed) for intent, listed in signatures.items()}


def _name_domains(templates: list[Template]) -> dict[str, frozenset[str]]:
    """intent -> the entity domains its `{name}` templates require, for the intents that restrict
    every such template to some domains (one unrestricted template leaves the intent out)."""
    domains: dict[str, set[str]] = defaultdict(set)
    unrestricted: set[str] = set()
    for template in templates:
        if "name" not in spoken_slot_names(template):
            continue
        if template.domains:
            domains[template.intent].update(template.domains)
        else:
            unrestricted.add(template.intent)
    return {intent: frozenset(names) for intent, names in domains.items() if intent not in unrestricted}


def _intent_domains(intents: Iterable[str]) -> dict[str, str]:
    """intent -> the domain Home Assistant's list of intents files it under (HassVacuumStart -> vacuum)."""
    info = get_intent_info() or {}
    return {intent: info[intent]["domain"] for intent in intents if "domain" in info.get(intent, {})}


def derive_frame_rules(intents: Intents | None = None) -> FrameRules:
    """The frame rules of the English templates."""
    intents = intents or load_intents()
    templates = list(iter_templates(intents))
    values, numeric = _values(intents, templates)
    intent_slots: dict[str, set[str]] = defaultdict(set)
    for template in templates:
        intent_slots[template.intent].update(spoken_slot_names(template))
        if any(str(value) in DOMAIN_CUES for name, value in template.implied.items() if name == "domain"):
            intent_slots[template.intent].add("domain")
    return FrameRules(
        values=values,
        numeric=frozenset(numeric),
        intent_slots={intent: tuple(sorted(names)) for intent, names in intent_slots.items()},
        implied=_implied(templates),
        signatures=_signatures(templates),
        name_domains=_name_domains(templates),
        intent_domains=_intent_domains(intent_slots),
    )
