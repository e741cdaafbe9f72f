"""Copies of training commands that call a home's entities by made-up names.

The value pools hold a few hundred entity names, and a model trained on them alone learns which
names exist rather than where a name goes: it misses a to-do list called "Weekend" that it never
saw. `renamed_rows` copies a share of the training commands that name an entity with a made-up
name instead, so that the words around a name, not the name, tell the model it is one.

A made-up name is one or two words of everyday conversation (chitchat-dataset) that no template,
no value pool and no domain cue uses, in the casing of the name it replaces; half of the names of
two or more words keep their last word ("Emma's Desk Lamp" -> "Harbor Lamp"). Entity names whose
domain decides between intents stay as they are: "start Pickle" could be a vacuum or a lawn mower
(`KEPT_NAME_DOMAINS`). Areas and floors stay too: a made-up floor and a made-up area look alike,
and a model trained on both read "clean the Sublevel" as a room (floor F1 fell on unseen
templates). Held-out values are never used, so the unseen-values split stays unseen.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from hassil import Expression, TextChunk, TextSlotList

from mtassist.data.intents import DOMAIN_CUES
from mtassist.data.slot_values import AREAS, FLOORS, NAMES_BY_DOMAIN, WILDCARD_VALUES
from mtassist.data.sources import load_chitchat_conversations
from mtassist.data.templates import iter_templates, load_intents

RENAMED_ID_SUFFIX = "~renamed"
"""Ends the id of a training command whose names were made up."""
KEPT_NAME_DOMAINS = frozenset({"vacuum", "lawn_mower"})
"""Entity domains whose names keep their pool values: a made-up name would not say which of two
intents ("start ...": HassVacuumStart or HassLawnMowerStartMowing) the command is."""
MIN_WORD_COUNT = 5
"""A conversation word is a name candidate once it occurs this often (no one-off misspellings)."""
COMMONEST_LEFT_OUT = 300
"""The commonest conversation words ("really", "would", ...) make poor names and are left out."""

LEFT_OUT_WORDS = frozenset({"grocery", "groceries"})
"""Words that name the shopping list, which decides HassShoppingListAddItem over HassListAddItem."""

_NAME_WORD = re.compile(r"(?!.*(.)\1\1)[a-z]{4,10}")
"""Four to ten letters, none three times in a row ("yaaas")."""
_CONVERSATION_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
"""A word with its contraction ("didn't"), so that "didn" never becomes a name."""


def _words(texts: Iterable[str]) -> set[str]:
    return {word for text in texts for word in re.findall(r"[a-z]+", text.casefold())}


def _chunks(expression: Expression) -> Iterator[str]:
    """The text of every chunk of a template expression ("(closing|shutting)": closing, shutting)."""
    if isinstance(expression, TextChunk):
        yield expression.text
    for item in getattr(expression, "items", ()):
        yield from _chunks(item)


def _template_words() -> set[str]:
    """Every word of the templates, their expansion rules and their slot lists ("red", "closing")."""
    intents = load_intents()
    templates = list(iter_templates(intents))
    texts = [template.sentence.text for template in templates]
    texts += {rule.text for template in templates for rule in template.rules.values()}
    slot_lists = [*intents.slot_lists.values(), *(lst for t in templates for lst in t.local_lists.values())]
    for slot_list in slot_lists:
        if isinstance(slot_list, TextSlotList):
            texts += [chunk for value in slot_list.values for chunk in _chunks(value.text_in)]
    return _words(texts)


def _pool_words() -> set[str]:
    pools = [AREAS, FLOORS, *NAMES_BY_DOMAIN.values(), *WILDCARD_VALUES.values(), *DOMAIN_CUES.values()]
    return _words(value for pool in pools for value in pool)


@lru_cache(maxsize=1)
def name_words() -> tuple[str, ...]:
    """The words that made-up names are built from, sorted."""
    counts: Counter[str] = Counter()
    for conversation in load_chitchat_conversations():
        for turn in conversation.turns:
            counts.update(word for word in _CONVERSATION_WORD.findall(turn.casefold()) if _NAME_WORD.fullmatch(word))
    common = {word for word, _ in counts.most_common(COMMONEST_LEFT_OUT)}
    taken = _template_words() | _pool_words() | common | LEFT_OUT_WORDS
    return tuple(sorted(word for word, count in counts.items() if count >= MIN_WORD_COUNT and word not in taken))


def made_up_name(original: str, words: Sequence[str], rng: random.Random) -> str:
    """A made-up name in place of `original`: its casing, and half the time its last word kept
    ("Emma's Desk Lamp" -> "Harbor Lamp")."""
    parts = original.split()
    if len(parts) > 1 and rng.random() < 0.5:
        made_up = [rng.choice(words), parts[-1]]
    else:
        made_up = rng.sample(words, rng.choice((1, 2)))
    if original.islower():
        return " ".join(word.lower() for word in made_up)
    return " ".join(word[:1].upper() + word[1:] for word in made_up)


@lru_cache(maxsize=1)
def _renamable_names() -> frozenset[str]:
    """The entity names that a made-up name may replace."""
    kept = {name for domain in KEPT_NAME_DOMAINS for name in NAMES_BY_DOMAIN[domain]}
    return frozenset(name for names in NAMES_BY_DOMAIN.values() for name in names) - kept


def _renamable(slot: dict[str, Any]) -> bool:
    """A spoken entity name from the pools, as the pool writes it."""
    return (
        slot["name"] == "name"
        and "start" in slot
        and slot["value"] == slot["text"]
        and slot["text"] in _renamable_names()
    )


def rename(row: dict[str, Any], words: Sequence[str], rng: random.Random) -> dict[str, Any] | None:
    """A copy of the row with each renamable entity name made up (spans moved); None if it has none."""
    spans = sorted((slot for slot in row["slots"] if "start" in slot), key=lambda slot: slot["start"])
    if not any(_renamable(slot) for slot in spans):
        return None
    text, shift, renamed = row["text"], 0, []
    for slot in spans:
        start, end = slot["start"] + shift, slot["end"] + shift
        if _renamable(slot):
            name = made_up_name(slot["text"], words, rng)
            text = text[:start] + name + text[end:]
            shift += len(name) - (end - start)
            renamed.append({**slot, "value": name, "text": name, "start": start, "end": start + len(name)})
        else:
            renamed.append({**slot, "start": start, "end": end})
    implied = [slot for slot in row["slots"] if "start" not in slot]
    return {**row, "id": f"{row['id']}{RENAMED_ID_SUFFIX}", "text": text, "slots": renamed + implied}


def renamed_rows(rows: Sequence[dict[str, Any]], seed: int, share: float) -> list[dict[str, Any]]:
    """Copies with made-up names of a `share` of the rows that name an entity (deterministic for the seed)."""
    words = name_words()
    copies = []
    for row in rows:
        rng = random.Random(f"{seed}:rename:{row['id']}")
        renamed = rename(row, words, rng) if row["slots"] and rng.random() < share else None
        if renamed is not None:
            copies.append(renamed)
    return copies
