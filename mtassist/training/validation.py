"""The validation rows that model selection reads: every head and every intent, within a budget.

The validation split is ordered by id (source first), so its first rows are all from one source.
`validation_sample` instead groups the rows into strata (an intent for commands, the route for
conversations, source and label for rated sentences) and takes them round-robin, each stratum in
a seeded shuffle: a small budget still scores every head and every intent, and early stopping
sees the same mix the test split has.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from mtassist.contracts import INTENT_NONE


def stratum(row: dict) -> str:
    """The group a validation row is drawn from."""
    if row["sentiment"] is not None:
        return f"sentiment:{row.get('source', '')}:{row['sentiment']}"
    if row["intent"] not in (None, INTENT_NONE):
        return f"intent:{row['intent']}"
    return f"route:{row['route']}"


def validation_sample(rows: Sequence[dict], max_rows: int, seed: int) -> list[dict]:
    """Up to `max_rows` rows, round-robin over the strata, deterministic for a seed."""
    if len(rows) <= max_rows:
        return list(rows)
    rng = random.Random(f"{seed}:validation")
    strata: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        strata[stratum(row)].append(row)
    queues = []
    for key in sorted(strata):
        members = list(strata[key])
        rng.shuffle(members)
        queues.append(members)
    sample: list[dict] = []
    while len(sample) < max_rows:
        for queue in queues:
            if queue and len(sample) < max_rows:
                sample.append(queue.pop())
    return sample
