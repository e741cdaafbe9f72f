"""The multi-task dataset artifact: `examples.jsonl`, `labels.json` and `manifest.json`.

Each source becomes rows with the columns of `contracts.EXAMPLE_COLUMNS`:

| source              | route                 | intent    | slots  | sentiment | response |
|---------------------|-----------------------|-----------|--------|-----------|----------|
| intents (HA)        | command               | HA intent | spans  | null      | null     |
| chitchat            | chitchat              | none      | []     | null      | next msg |
| chatterbot          | chitchat or faq (1)   | none      | []     | null      | answer   |
| vader-<corpus>      | null                  | null      | null   | label     | null     |

(1) Chatterbot's small-talk categories (`CHATTERBOT_CHITCHAT`: greetings, conversations,
emotion, ...) are chitchat, as they are to a user: "how are you doing today?" is small talk,
not a question for the FAQ skill. The knowledge categories (trivia, science, tech support,
...) are `faq`.

Splits are by `group` (template, conversation, review) and stratified: within each stratum
(an intent, a chatterbot category, a VADER corpus, chitchat as a whole) the groups are ordered
by a seeded hash and cut by cumulative row share; a stratum of two or more groups always gets
a test group, of four or more a validation group too, so that intents with few templates are
evaluated, while no group spans two splits. A text that lands in two splits is kept only in
the earliest one, and a text that two routes claim is kept only by the first of
`ROUTE_PRIORITY`, so that neither leaks nor contradicts. Same config and seed give
byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from mtassist.contracts import (
    DATASET_EXAMPLES,
    DATASET_LABELS,
    DATASET_MANIFEST,
    EXAMPLE_COLUMNS,
    INTENT_NONE,
    ROUTE_LABELS,
    SENTIMENT_LABELS,
    SLOT_OUTSIDE,
    SPLITS,
    TASKS,
)
from mtassist.core import intents as intent_templates
from mtassist.core.sources import (
    Conversation,
    load_chatterbot_conversations,
    load_chitchat_conversations,
    load_vader_ratings,
    sentiment_label,
    source_versions,
)

logger = logging.getLogger(__name__)

CHATTERBOT_CHITCHAT: frozenset[str] = frozenset(
    {"greetings", "conversations", "emotion", "humor", "gossip", "botprofile", "psychology",
     "food", "health"}
)  # fmt: skip
"""Chatterbot categories that are small talk (route `chitchat`); the rest are `faq`."""

ROUTE_PRIORITY: tuple[str, ...] = ("command", "chitchat", "faq")
"""When two routes claim one text (e.g. "hello", "what's the weather like"), the first here
keeps it: the templates are exact, the conversation corpora are not."""

MAX_SAME_TEXT = 3
"""At most this many conversational rows share one text (chitchat has hundreds of "hi")."""


@dataclass(frozen=True)
class DatasetConfig:
    """What `ingest` builds; `small()` is a few hundred rows for tests."""

    seed: int = 13
    intent_cap: int = 220
    draws_per_template: int = 40
    chitchat_cap: int = 2500
    chitchat_pairs_per_conversation: int = 2
    chatterbot_cap: int | None = None
    sentiment_cap_per_corpus: int = 900
    train_fraction: float = 0.8
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    max_chars: int = 256

    def __post_init__(self) -> None:
        fractions = (self.train_fraction, self.validation_fraction, self.test_fraction)
        if min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"split fractions must be positive and sum to 1, got {fractions}")
        if self.max_chars < 8:
            raise ValueError(f"max_chars must be at least 8, got {self.max_chars}")

    @classmethod
    def small(cls, seed: int = 13) -> "DatasetConfig":
        """A slice of a few hundred rows that still covers every task in every split."""
        return cls(
            seed=seed, intent_cap=6, draws_per_template=6, chitchat_cap=90,
            chatterbot_cap=120, sentiment_cap_per_corpus=30,
        )  # fmt: skip

    @property
    def fractions(self) -> dict[str, float]:
        return dict(zip(SPLITS, (self.train_fraction, self.validation_fraction, self.test_fraction)))


@dataclass(frozen=True)
class DatasetManifest:
    """What `manifest.json` holds."""

    version: str
    counts: dict[str, dict[str, int]]
    sources: dict[str, str]
    config: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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


def command_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Command utterances from the Home Assistant templates."""
    samples = intent_templates.expand_intents(
        config.seed, config.intent_cap, config.draws_per_template
    )
    return [
        _row("intents", s.group, s.text, route="command", intent=s.intent, slots=list(s.slots))
        for s in samples
        if _fits(s.text, config.max_chars)
    ]


def _pairs(conversation: Conversation, max_chars: int) -> list[tuple[str, str]]:
    turns = conversation.turns
    return [
        (turns[i], turns[i + 1])
        for i in range(len(turns) - 1)
        if _fits(turns[i], max_chars) and _fits(turns[i + 1], max_chars)
    ]


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
                _row("chitchat", f"chitchat:{conversation.conversation_id}", text,
                     route="chitchat", intent=INTENT_NONE, slots=[], response=reply)
            )  # fmt: skip
    return rows


def chatterbot_rows(config: DatasetConfig) -> list[dict[str, Any]]:
    """Statement -> response pairs from chatterbot-corpus, chitchat or faq by category."""
    rows = []
    for conversation in load_chatterbot_conversations():
        route = "chitchat" if conversation.category in CHATTERBOT_CHITCHAT else "faq"
        for text, reply in _pairs(conversation, config.max_chars):
            rows.append(
                _row("chatterbot", f"chatterbot:{conversation.conversation_id}", text,
                     route=route, intent=INTENT_NONE, slots=[], response=reply)
            )  # fmt: skip
    if config.chatterbot_cap is not None and len(rows) > config.chatterbot_cap:
        rng = random.Random(f"{config.seed}:chatterbot")
        rows = rng.sample(rows, config.chatterbot_cap)
    return rows


def sentiment_rows(config: DatasetConfig, cache_dir: Path) -> list[dict[str, Any]]:
    """Rated sentences, balanced over the three labels within each VADER corpus."""
    by_stratum: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for sentence in load_vader_ratings(cache_dir):
        if _fits(sentence.text, config.max_chars):
            label = sentiment_label(sentence.rating)
            by_stratum[(sentence.corpus, label)].append(
                _row(f"vader-{sentence.corpus}", sentence.group, sentence.text, sentiment=label)
            )
    per_stratum = config.sentiment_cap_per_corpus // len(SENTIMENT_LABELS)
    rows = []
    for key in sorted(by_stratum):
        candidates = by_stratum[key]
        rng = random.Random(f"{config.seed}:sentiment:{key[0]}:{key[1]}")
        rows.extend(rng.sample(candidates, min(per_stratum, len(candidates))))
    return rows


def text_key(text: str) -> str:
    """Case, punctuation and whitespace folded: the identity used for duplicates and leaks."""
    folded = text.casefold()
    return " ".join(re.sub(r"[^\w\s']", " ", folded).split()) or " ".join(folded.split())


def _stratum(row: dict[str, Any]) -> str:
    if row["source"] == "intents":
        return f"intents:{row['intent']}"
    if row["source"] == "chatterbot":
        return row["group"].rsplit(":", 1)[0]
    return row["source"]


def _hash(seed: int, value: str) -> str:
    return hashlib.sha256(f"{seed}:{value}".encode()).hexdigest()


def _cut(sizes: list[int], fractions: dict[str, float]) -> list[str]:
    """Splits for groups in order: the split whose share holds the group's middle row."""
    bounds, total = [], 0.0
    for split in SPLITS:
        total += fractions[split]
        bounds.append((total, split))
    n_rows, seen, splits = sum(sizes), 0, []
    for size in sizes:
        middle = (seen + size / 2) / n_rows
        seen += size
        splits.append(next((s for bound, s in bounds if middle < bound), SPLITS[-1]))
    return splits


def _ensure_held_out(splits: list[str]) -> list[str]:
    """A stratum of two or more groups gets a test group; of four or more, a validation one.

    Without this, intents with a handful of templates would never be evaluated. Each
    held-out group is taken from the end of train, and train always keeps at least one.
    """
    train, validation, test = SPLITS
    if len(splits) < 4:
        splits = [train if s == validation else s for s in splits]
    needed = [test, validation] if len(splits) >= 4 else [test] if len(splits) >= 2 else []
    for split in needed:
        if split not in splits and splits.count(train) > 1:
            last_train = max(i for i, s in enumerate(splits) if s == train)
            splits[last_train] = split
    return splits


def assign_splits(rows: list[dict[str, Any]], config: DatasetConfig) -> None:
    """Set `split` on every row: by group, stratified, cut by cumulative row share."""
    sizes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        sizes[_stratum(row)][row["group"]] += 1
    split_of: dict[str, str] = {}
    for groups in sizes.values():
        ordered = sorted(groups, key=lambda g: _hash(config.seed, g))
        splits = _ensure_held_out(_cut([groups[g] for g in ordered], config.fractions))
        split_of.update(zip(ordered, splits))
    for row in rows:
        row["split"] = split_of[row["group"]]


def resolve_route_conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    routes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["route"] is not None:
            routes[text_key(row["text"])].add(row["route"])
    keep_route = {
        key: next(r for r in ROUTE_PRIORITY if r in claimed)
        for key, claimed in routes.items()
        if len(claimed) > 1
    }
    if keep_route:
        logger.info("%d texts claimed by two routes: %s", len(keep_route), sorted(keep_route)[:10])
    return [
        row for row in rows
        if row["route"] is None or keep_route.get(text_key(row["text"]), row["route"]) == row["route"]
    ]  # fmt: skip


def drop_contradictions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["sentiment"] is not None:
            labels[text_key(row["text"])].add(row["sentiment"])
    return [
        row for row in rows
        if row["sentiment"] is None or len(labels[text_key(row["text"])]) == 1
    ]  # fmt: skip


def limit_repeats(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: Counter[tuple[str, str]] = Counter()
    ids: set[str] = set()
    kept = []
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["id"] in ids:
            continue
        ids.add(row["id"])
        key = (row["source"], text_key(row["text"]))
        limit = MAX_SAME_TEXT if row["response"] is not None else 1
        if seen[key] < limit:
            seen[key] += 1
            kept.append(row)
    return kept


def remove_cross_split_texts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first: dict[str, int] = {}
    for row in rows:
        key = text_key(row["text"])
        first[key] = min(first.get(key, len(SPLITS)), SPLITS.index(row["split"]))
    return [row for row in rows if SPLITS.index(row["split"]) == first[text_key(row["text"])]]


def build_labels(rows: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """The label spaces: fixed ones from contracts, intents and slot tags from the templates."""
    intents = set(intent_templates.intent_names())
    slot_names = set(intent_templates.slot_names())
    for row in rows:
        if row["intent"] not in (None, INTENT_NONE):
            intents.add(row["intent"])
        slot_names.update(span["name"] for span in row["slots"] or ())
    tags = [SLOT_OUTSIDE] + [f"{p}-{name}" for name in sorted(slot_names) for p in ("B", "I")]
    return {
        "route": list(ROUTE_LABELS),
        "intent": [INTENT_NONE] + sorted(intents),
        "slot_tags": tags,
        "sentiment": list(SENTIMENT_LABELS),
    }


def _has_task(row: dict[str, Any], task: str) -> bool:
    return row[task] is not None


def count_rows(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Rows per split per task (a row counts for every task whose label it carries)."""
    counts = {split: {task: 0 for task in TASKS} for split in SPLITS}
    for row in rows:
        for task in TASKS:
            counts[row["split"]][task] += int(_has_task(row, task))
    return counts


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    lines = (json.dumps({c: row[c] for c in EXAMPLE_COLUMNS}, ensure_ascii=False) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def collect_rows(config: DatasetConfig, cache_dir: Path) -> list[dict[str, Any]]:
    """Every source's rows, split, de-duplicated and ordered (split, then id)."""
    rows: list[dict[str, Any]] = []
    for name, produce in (
        ("commands", lambda: command_rows(config)),
        ("chitchat", lambda: chitchat_rows(config)),
        ("chatterbot", lambda: chatterbot_rows(config)),
        ("sentiment", lambda: sentiment_rows(config, cache_dir)),
    ):
        produced = produce()
        logger.info("%s: %d rows", name, len(produced))
        rows.extend(produced)
    rows = limit_repeats(drop_contradictions(resolve_route_conflicts(rows)))
    assign_splits(rows, config)
    rows = remove_cross_split_texts(rows)
    rows.sort(key=lambda r: (SPLITS.index(r["split"]), r["id"]))
    return rows


def build_dataset(output_dir: Path, config: DatasetConfig, cache_dir: Path) -> DatasetManifest:
    """Write examples, labels and manifest to `output_dir`; return the manifest."""
    output_dir = Path(output_dir)
    rows = collect_rows(config, Path(cache_dir))
    labels = build_labels(rows)
    examples_bytes, labels_bytes = _jsonl(rows), _json(labels)
    digest = hashlib.sha256()
    digest.update(examples_bytes)
    digest.update(labels_bytes)
    manifest = DatasetManifest(
        version=digest.hexdigest(),
        counts=count_rows(rows),
        sources=source_versions(),
        config=asdict(config),
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / DATASET_EXAMPLES).write_bytes(examples_bytes)
    (output_dir / DATASET_LABELS).write_bytes(labels_bytes)
    (output_dir / DATASET_MANIFEST).write_bytes(_json(manifest.to_json()))
    logger.info("dataset %s: %d rows in %s", manifest.version[:12], len(rows), output_dir)
    return manifest


def load_examples(dataset_dir: Path) -> list[dict[str, Any]]:
    """The rows of `examples.jsonl`."""
    with (Path(dataset_dir) / DATASET_EXAMPLES).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_labels(dataset_dir: Path) -> dict[str, list[str]]:
    """The label spaces of `labels.json`."""
    return json.loads((Path(dataset_dir) / DATASET_LABELS).read_text(encoding="utf-8"))


def load_manifest(dataset_dir: Path) -> dict[str, Any]:
    """`manifest.json` as a dict."""
    return json.loads((Path(dataset_dir) / DATASET_MANIFEST).read_text(encoding="utf-8"))
