"""From dataset rows to tensors: per-task pools, temperature sampling, collation.

Each step draws a task with probability proportional to (task size)^(1/T), times the task's
sampling weight, and a batch of that task's rows; a batch then trains every classification head
whose labels its rows carry (a command row teaches route, intent and slots at once), so heads see
mixed batches while small tasks are not drowned.

A task whose rows fall into strata of very different sizes is drawn stratum by stratum, each
stratum with probability proportional to its size^(1/T) for the task's own T (`STRATA`):
- rated sentences by source and label (once every VADER sentence is in: the `full` data size),
  each stratum as often as the others (T infinite), so the head meets each source's classes as
  the test split holds them (balanced) and not as the corpora happen to;
- commands by intent (T = 2): an intent with few templates (HassGetCurrentDate has 9 training
  rows, HassTurnOn 200) is met more often than its share, but not as often as the others, so
  that its few sentences teach its words without being learnt by heart.
A pool whose strata are about even (within STRATUM_IMBALANCE) is drawn row by row.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from mtassist.contracts import TASKS
from mtassist.model.multitask import LabelSpace
from mtassist.slots import IGNORE_INDEX, spans_to_tag_ids
from mtassist.tokenization import encode

_TASK_COLUMN = {
    "route": "route",
    "intent": "intent",
    "slots": "slots",
    "sentiment": "sentiment",
    "response": "response",
}


K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Stratification:
    key: Callable[[dict], tuple]
    temperature: float
    """A stratum is drawn with probability proportional to size^(1/temperature)."""


STRATA: dict[str, Stratification] = {
    "sentiment": Stratification(lambda row: (row.get("source", ""), row["sentiment"]), math.inf),
    "intent": Stratification(lambda row: (row["intent"],), 2.0),
}
"""How each task's strata are drawn when their sizes differ (see STRATUM_IMBALANCE)."""
STRATUM_IMBALANCE = 2.0
"""A pool is drawn stratum by stratum once its largest stratum holds more than this many times
the rows of its smallest (the default data's rated sentences are within 1.1 of each other)."""


def strata(rows: Sequence[dict], pool: list[int], task: str) -> list[tuple[list[int], float]] | None:
    """The pool's row indices by stratum, each with its chance to be drawn, when the task's
    strata need balancing; else None."""
    if task not in STRATA:
        return None
    by_stratum: dict[tuple, list[int]] = {}
    for index in pool:
        by_stratum.setdefault(STRATA[task].key(rows[index]), []).append(index)
    sizes = {key: len(indices) for key, indices in by_stratum.items()}
    if len(sizes) < 2 or max(sizes.values()) <= STRATUM_IMBALANCE * min(sizes.values()):
        return None
    chances = sampling_probabilities(sizes, STRATA[task].temperature)
    return [(by_stratum[key], chances[key]) for key in sorted(by_stratum)]


def task_pools(rows: Sequence[dict]) -> dict[str, list[int]]:
    """Row indices that carry each task's label."""
    return {task: [i for i, row in enumerate(rows) if row[_TASK_COLUMN[task]] is not None] for task in TASKS}


def sampling_probabilities(
    sizes: Mapping[K, int], temperature: float, task_weights: Mapping[K, float] | None = None
) -> dict[K, float]:
    """p(task) proportional to size^(1/temperature) times the task's weight (1 when absent);
    temperature 1 is proportional, large is uniform. Also for a task's strata."""
    task_weights = task_weights or {}
    weights = {
        task: task_weights.get(task, 1.0) * size ** (1.0 / temperature) for task, size in sizes.items() if size > 0
    }
    total = sum(weights.values())
    return {task: weight / total for task, weight in weights.items()}


@dataclass
class Batch:
    """Model inputs and every head's labels; IGNORE_INDEX where a row has no label."""

    inputs: dict[str, torch.Tensor]  # input_ids, attention_mask, token_type_ids: (B, T)
    route: torch.Tensor  # (B,)
    intent: torch.Tensor  # (B,)
    slots: torch.Tensor  # (B, T)
    sentiment: torch.Tensor  # (B,)
    response_rows: torch.Tensor  # (R,) positions of the rows that have a reply
    response_inputs: dict[str, torch.Tensor] | None  # the replies, tokenized: (R, T')
    task: str = ""

    @property
    def size(self) -> int:
        return int(self.inputs["input_ids"].shape[0])

    def to(self, device: torch.device) -> Batch:
        """The same batch with every tensor on `device`."""
        if device.type == "cpu":
            return self

        def move(tensors: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor] | None:
            return None if tensors is None else {name: t.to(device, non_blocking=True) for name, t in tensors.items()}

        return Batch(
            inputs=move(self.inputs),
            route=self.route.to(device),
            intent=self.intent.to(device),
            slots=self.slots.to(device),
            sentiment=self.sentiment.to(device),
            response_rows=self.response_rows.to(device),
            response_inputs=move(self.response_inputs),
            task=self.task,
        )


class Collator:
    def __init__(self, tokenizer: PreTrainedTokenizerBase, labels: LabelSpace, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.index = {
            "route": {name: i for i, name in enumerate(labels.route)},
            "intent": {name: i for i, name in enumerate(labels.intent)},
            "sentiment": {name: i for i, name in enumerate(labels.sentiment)},
            "slot_tags": {name: i for i, name in enumerate(labels.slot_tags)},
        }

    def __call__(self, rows: Sequence[dict], task: str = "") -> Batch:
        """Tensors for a batch drawn for `task`; replies are encoded for contrast only in batches
        drawn for the response task (or for no task), which keeps the other batches to one pass."""
        encoded = encode(self.tokenizer, [row["text"] for row in rows], self.max_length)
        slot_ids = np.full(encoded["input_ids"].shape, IGNORE_INDEX, dtype=np.int64)
        for i, row in enumerate(rows):
            if row["slots"] is not None:
                slot_ids[i] = spans_to_tag_ids(encoded["offsets"][i], row["slots"], self.index["slot_tags"])
        response_rows = [i for i, row in enumerate(rows) if row["response"] is not None]
        response_inputs = None
        if task in ("response", "") and len(response_rows) > 1:
            replies = encode(self.tokenizer, [rows[i]["response"] for i in response_rows], self.max_length)
            response_inputs = {name: torch.from_numpy(replies[name]) for name in self.tokenizer.model_input_names}
        else:
            response_rows = []
        return Batch(
            inputs={name: torch.from_numpy(encoded[name]) for name in self.tokenizer.model_input_names},
            route=self._class_ids(rows, "route"),
            intent=self._class_ids(rows, "intent"),
            slots=torch.from_numpy(slot_ids),
            sentiment=self._class_ids(rows, "sentiment"),
            response_rows=torch.tensor(response_rows, dtype=torch.long),
            response_inputs=response_inputs,
            task=task,
        )

    def _class_ids(self, rows: Sequence[dict], column: str) -> torch.Tensor:
        index = self.index[column]
        return torch.tensor([index[row[column]] if row[column] is not None else IGNORE_INDEX for row in rows])


class TaskSampler:
    """An endless stream of (task, rows) batches, reproducible from its seed.

    Each task's rows are drawn in shuffled chunks of `bucket_batches` batches; a chunk is sorted
    by text length before it is cut into batches, so rows of similar length share a batch and
    little compute goes to padding. The batches of a chunk are served in random order.
    """

    def __init__(
        self,
        rows: Sequence[dict],
        batch_size: int,
        temperature: float,
        seed: int,
        bucket_batches: int = 8,
        task_weights: dict[str, float] | None = None,
    ) -> None:
        self.rows = rows
        self.batch_size = batch_size
        self.bucket_batches = bucket_batches
        self.pools = {task: pool for task, pool in task_pools(rows).items() if pool}
        sizes = {task: len(pool) for task, pool in self.pools.items()}
        self.probabilities = sampling_probabilities(sizes, temperature, task_weights)
        self.random = random.Random(seed)
        self._cursors = {task: self._cursor(task, pool) for task, pool in self.pools.items()}
        self._queued: dict[str, list[list[int]]] = {task: [] for task in self.pools}

    def _cursor(self, task: str, pool: list[int]) -> Iterator[int]:
        by_stratum = strata(self.rows, pool, task)
        if by_stratum is None:
            return self._shuffled(pool)
        cursors = [self._shuffled(indices) for indices, _ in by_stratum]
        return self._stratified(cursors, [chance for _, chance in by_stratum])

    def _stratified(self, cursors: list[Iterator[int]], chances: list[float]) -> Iterator[int]:
        while True:
            yield next(self.random.choices(cursors, chances)[0])

    def _shuffled(self, pool: list[int]) -> Iterator[int]:
        while True:
            order = list(pool)
            self.random.shuffle(order)
            yield from order

    def _next_batch(self, task: str) -> list[dict]:
        queued = self._queued[task]
        if not queued:
            chunk = [next(self._cursors[task]) for _ in range(self.batch_size * self.bucket_batches)]
            chunk.sort(key=lambda index: len(self.rows[index]["text"]))
            queued.extend(chunk[start : start + self.batch_size] for start in range(0, len(chunk), self.batch_size))
            self.random.shuffle(queued)
        return [self.rows[index] for index in queued.pop()]

    def __iter__(self) -> Iterator[tuple[str, list[dict]]]:
        tasks = list(self.probabilities)
        weights = [self.probabilities[t] for t in tasks]
        while True:
            task = self.random.choices(tasks, weights)[0]
            yield task, self._next_batch(task)


def sequential_batches(rows: Sequence[dict], batch_size: int) -> Iterator[list[dict]]:
    for start in range(0, len(rows), batch_size):
        yield list(rows[start : start + batch_size])
