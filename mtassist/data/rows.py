"""Each packaged source as dataset rows (the columns of `contracts.EXAMPLE_COLUMNS`).

| source              | route                 | intent    | slots  | sentiment | response |
|---------------------|-----------------------|-----------|--------|-----------|----------|
| intents (HA)        | command               | HA intent | spans  | null      | null     |
| chitchat            | chitchat              | none      | []     | null      | next msg |
| chitchat (2)        | null                  | null      | null   | null      | next msg |
| chatterbot          | chitchat or faq (1)   | none      | []     | null      | answer   |
| chatterbot (3)      | null                  | null      | null   | null      | answer   |
| world               | faq                   | none      | []     | null      | null     |
| vader-<corpus>      | null                  | null      | null   | label     | null     |

(1) Chatterbot's small-talk categories (`CHATTERBOT_CHITCHAT`: greetings, conversations,
emotion, ...) are chitchat, as they are to a user: "how are you doing today?" is small talk,
not a question for the FAQ skill. The knowledge categories (trivia, science, tech support,
...) are `faq`.

(2) Held-out test pairs (`held_out_reply_rows`) carry the reply alone, so that they steady the
reply figures without changing the mix of the route and intent test rows.

(3) In the knowledge categories only a conversation's opening turn is a user's question; the
turns after it are the bot's alternative answers ("Which is better Windows or macOS?" is
followed by "It depends on which machine you're using to talk to me!", "Linux, always Linux!"),
which no user asks the FAQ skill, so they pair with the next turn for replies only.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from mtassist.contracts import (
    EXAMPLE_COLUMNS,
    INTENT_NONE,
    ROUTE_CHITCHAT,
    ROUTE_COMMAND,
    ROUTE_FAQ,
    SENTIMENT_LABELS,
    SPLITS,
)
from mtassist.data import intents as intent_templates
from mtassist.data.config import DatasetConfig
from mtassist.data.slot_values import HELD_OUT
from mtassist.data.sources import (
    Conversation,
    load_chatterbot_conversations,
    load_chitchat_conversations,
    load_vader_ratings,
    sentiment_label,
)
from mtassist.data.text import fold_text
from mtassist.data.world_questions import world_questions

CHATTERBOT_CHITCHAT: frozenset[str] = frozenset(
    {"greetings", "conversations", "emotion", "humor", "gossip", "botprofile", "psychology",
     "food", "health"}
)  # fmt: skip
"""Chatterbot categories that are small talk (route `chitchat`); the rest are `faq`."""


def _row(source: str, group: str, text: str, **labels: Any) -> dict[str, Any]:
    row: dict[str, Any] = {column: None for column in EXAMPLE_COLUMNS}
    row.update(source=source, group=group, text=text, **labels)
    digest = hashlib.sha256(
        json.dumps([source, group, text, labels.get("response")], ensure_ascii=False).encode()
    ).hexdigest()
    row["id"] = f"{source}-{digest[:16]}"
    return row


def _fits(text: str, max_chars: int) -> bool:
    return 0 < len(text) <= max_chars


def _command_rows(samples: list[intent_templates.CommandSample], max_chars: int) -> list[dict[str, Any]]:
    return [
        _row("intents", s.group, s.text, route=ROUTE_COMMAND, intent=s.intent, slots=list(s.slots))
        for s in samples
        if _fits(s.text, max_chars)
    ]


def command_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Command utterances from the Home Assistant templates, filled with the seen values."""
    samples = intent_templates.expand_intents(config.seed, config.intent_cap, config.draws_per_template)
    return _command_rows(samples, config.max_chars)


def unseen_value_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Commands filled with the held-out values (`assign_unseen_values` keeps the training templates').

    Texts that the seen values also produce (templates without a home's list) are left out.
    """
    seen = {
        fold_text(s.text)
        for s in intent_templates.expand_intents(config.seed, config.intent_cap, config.draws_per_template)
    }
    samples = intent_templates.expand_intents(
        config.seed + 1, config.unseen_values_per_intent, config.draws_per_template, pools=HELD_OUT
    )
    return _command_rows([s for s in samples if fold_text(s.text) not in seen], config.max_chars)


def world_question_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Questions about the world that sound like the home, route `faq` (hard negatives)."""
    return [
        _row("world", group, text, route=ROUTE_FAQ, intent=INTENT_NONE, slots=[])
        for group, text in world_questions(config.world_questions_cap, config.seed)
    ]


MAX_REPLY_CHARS = 160
"""Longer turns are stories, not replies an assistant would give."""
_LINK = re.compile(r"https?://|\bwww\.", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")


def usable_reply(text: str) -> bool:
    """A reply worth serving: no link, at most MAX_REPLY_CHARS, and at least two letters."""
    return len(text) <= MAX_REPLY_CHARS and not _LINK.search(text) and len(_LETTER.findall(text)) >= 2


def _pairs(conversation: Conversation, max_chars: int) -> list[tuple[str, str]]:
    """(message, reply) pairs of consecutive turns whose reply is usable."""
    return [(message, reply) for _, message, reply in _numbered_pairs(conversation, max_chars)]


def _numbered_pairs(conversation: Conversation, max_chars: int) -> list[tuple[int, str, str]]:
    """(turn index, message, reply) of consecutive turns whose reply is usable."""
    turns = conversation.turns
    return [
        (i, turns[i], turns[i + 1])
        for i in range(len(turns) - 1)
        if _fits(turns[i], max_chars) and usable_reply(turns[i + 1])
    ]


def _chitchat_group(conversation: Conversation) -> str:
    return f"chitchat:{conversation.conversation_id}"


def chitchat_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Message -> next message pairs from random chitchat-dataset conversations."""
    conversations = load_chitchat_conversations()
    rng = random.Random(f"{config.seed}:chitchat")
    rng.shuffle(conversations)
    rows: list[dict[str, Any]] = []
    for conversation in conversations:
        if len(rows) >= config.chitchat_cap:
            break
        pairs = _pairs(conversation, config.max_chars)
        picked = rng.sample(pairs, min(len(pairs), config.chitchat_pairs_per_conversation))
        for text, reply in picked[: config.chitchat_cap - len(rows)]:
            rows.append(
                _row("chitchat", _chitchat_group(conversation), text,
                     route=ROUTE_CHITCHAT, intent=INTENT_NONE, slots=[], response=reply)
            )  # fmt: skip
    return rows


def held_out_reply_rows(config: DatasetConfig, split_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """More test message-reply pairs, from chitchat conversations that no other row comes from.

    `split_rows` are the dataset's rows with their splits set. The test split's pairs are
    topped up to `reply_test_rows`, at most `chitchat_pairs_per_conversation` from one
    conversation, each message in no other row. They carry the reply alone (no route, intent or
    slots), so the route and intent test rows keep their mix; the other splits are the same with
    or without them: they only make the test's reply figures steadier.
    """
    test = SPLITS[-1]
    wanted = config.reply_test_rows - sum(1 for r in split_rows if r["response"] is not None and r["split"] == test)
    used_groups = {r["group"] for r in split_rows}
    taken_texts = {fold_text(r["text"]) for r in split_rows}
    conversations = load_chitchat_conversations()
    rng = random.Random(f"{config.seed}:chitchat-test")
    rng.shuffle(conversations)
    held_out: list[dict[str, Any]] = []
    for conversation in conversations:
        if len(held_out) >= wanted:
            break
        group = _chitchat_group(conversation)
        if group in used_groups:
            continue
        pairs = [(t, r) for t, r in _pairs(conversation, config.max_chars) if fold_text(t) not in taken_texts]
        picked = rng.sample(pairs, min(len(pairs), config.chitchat_pairs_per_conversation))
        for text, reply in picked[: wanted - len(held_out)]:
            taken_texts.add(fold_text(text))
            held_out.append({**_row("chitchat", group, text, response=reply), "split": test})
    return held_out


def chatterbot_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Statement -> response pairs from chatterbot-corpus, chitchat or faq by category; in the
    faq categories, the turns after the opening question are replies only (note 3 above)."""
    rows = []
    for conversation in load_chatterbot_conversations():
        small_talk = conversation.category in CHATTERBOT_CHITCHAT
        group = f"chatterbot:{conversation.conversation_id}"
        for turn, text, reply in _numbered_pairs(conversation, config.max_chars):
            if small_talk or turn == 0:
                route = ROUTE_CHITCHAT if small_talk else ROUTE_FAQ
                rows.append(_row("chatterbot", group, text, route=route, intent=INTENT_NONE, slots=[], response=reply))
            else:
                rows.append(_row("chatterbot", group, text, response=reply))
    if config.chatterbot_cap is not None and len(rows) > config.chatterbot_cap:
        rng = random.Random(f"{config.seed}:chatterbot")
        rows = rng.sample(rows, config.chatterbot_cap)
    return rows


def _rated_rows_by_stratum(config: DatasetConfig, cache_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every rated sentence that fits, as a row, by (VADER corpus, label)."""
    by_stratum: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for sentence in load_vader_ratings(cache_dir):
        if _fits(sentence.text, config.max_chars):
            label = sentiment_label(sentence.rating)
            by_stratum[(sentence.corpus, label)].append(
                _row(f"vader-{sentence.corpus}", sentence.group, sentence.text, sentiment=label)
            )
    return by_stratum


def sentiment_rows(config: DatasetConfig, cache_dir: Path) -> list[dict[str, Any]]:
    """Rated sentences, balanced over the three labels within each VADER corpus; every distinct
    one that fits when `sentiment_cap_per_corpus` is None (`distinct_rated_rows`)."""
    by_stratum = sorted(_rated_rows_by_stratum(config, cache_dir).items())
    if config.sentiment_cap_per_corpus is None:
        return distinct_rated_rows([row for _, candidates in by_stratum for row in candidates])
    per_stratum = config.sentiment_cap_per_corpus // len(SENTIMENT_LABELS)
    rows = []
    for key, candidates in by_stratum:
        rng = random.Random(f"{config.seed}:sentiment:{key[0]}:{key[1]}")
        rows.extend(rng.sample(candidates, min(per_stratum, len(candidates))))
    return rows


def distinct_rated_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each text once ("wrong" and "hooray" are rated in two places), and none whose ratings disagree."""
    first: dict[str, dict[str, Any]] = {}
    labels: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        first.setdefault(fold_text(row["text"]), row)
        labels[fold_text(row["text"])].add(row["sentiment"])
    return [row for key, row in first.items() if len(labels[key]) == 1]


def held_out_sentiment_rows(
    config: DatasetConfig, cache_dir: Path, split_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """More rated test sentences, from reviews and texts that training and validation never see.

    `split_rows` are the dataset's rows with their splits set. Each (corpus, label) stratum of
    the test split is topped up to `sentiment_test_cap_per_corpus / 3` sentences, drawn from
    the rated sentences of groups that neither train nor validation holds, whose text is in
    no other row and has one label wherever it occurs. The other splits are the same with or
    without them: they only make the test's sentiment figures steadier.
    """
    test = SPLITS[-1]
    closed_groups = {r["group"] for r in split_rows if r["sentiment"] is not None and r["split"] != test}
    taken_texts = {fold_text(r["text"]) for r in split_rows}
    in_test = Counter(
        (r["source"], r["sentiment"]) for r in split_rows if r["sentiment"] is not None and r["split"] == test
    )
    by_stratum = _rated_rows_by_stratum(config, cache_dir)
    labels_of: dict[str, set[str]] = defaultdict(set)
    for candidates in by_stratum.values():
        for row in candidates:
            labels_of[fold_text(row["text"])].add(row["sentiment"])
    per_stratum = config.sentiment_test_cap_per_corpus // len(SENTIMENT_LABELS)
    held_out = []
    for (corpus, label), candidates in sorted(by_stratum.items()):
        wanted = per_stratum - in_test[(f"vader-{corpus}", label)]
        unseen: dict[str, dict[str, Any]] = {}
        for row in candidates:
            key = fold_text(row["text"])
            if row["group"] not in closed_groups and key not in taken_texts and len(labels_of[key]) == 1:
                unseen.setdefault(key, row)
        rng = random.Random(f"{config.seed}:sentiment-test:{corpus}:{label}")
        drawn = rng.sample(list(unseen.values()), max(0, min(wanted, len(unseen))))
        held_out.extend({**row, "split": test} for row in drawn)
    return held_out
