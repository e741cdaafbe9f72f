"""Metrics for every head, and the one score that early stopping and the promotion gate use.

| head      | metrics                                                         |
|-----------|-----------------------------------------------------------------|
| route     | route_accuracy                                                   |
| intent    | intent_accuracy, intent_macro_f1 (command rows)                  |
| slots     | slot_f1 (decoded spans), frame_accuracy (intent + every slot's value) |
| sentiment | sentiment_accuracy, sentiment_macro_f1, sentiment_truncated_share |
| response  | response_recall_at_1, response_recall_at_10, response_mrr, response_recall_at_1_of_100 |

`score` is the mean of route_accuracy, intent_macro_f1, slot_f1, sentiment_macro_f1 and
response_mrr: every head counts once.

Replies are ranked among every distinct reply of the split (about 300 on the test split), and,
for `response_recall_at_1_of_100`, among 100 candidates: the true reply and 99 others drawn with
a fixed seed, the same draws for every model and baseline.

Intents and slots are scored as users get them: a command's intent and frame are chosen together
(`command_decoding`), spans decoded at word level among the intent's slot names. slot_f1 is the micro F1 of spoken spans (name, start, end);
frame_accuracy counts a command right when its intent and its complete frame (every slot's name
and normalised value, implied slots included) are.

`evaluate_splits` adds the route and intent accuracy on hand-written probes (`probe_*`, see
`mtassist.data.probes`), the command metrics on the unseen-values split (`unseen_values_*`), on
that split with its home's names as CONTEXT (`unseen_values_context_*`: the held-out areas, floors
and entity names, as Home Assistant would send them), on the test split with training noise
applied (`noisy_*`), and on that noisy split with the home's names as CONTEXT (`noisy_context_*`:
every seen area, floor and entity name, about 760).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from transformers import PreTrainedTokenizerBase

from mtassist.command_decoding import decode_command
from mtassist.contracts import INTENT_NONE, ROUTE_COMMAND, SCORE_METRICS, SENTIMENT_LABELS, SPLIT_UNSEEN_VALUES
from mtassist.data.noise import noisy_rows
from mtassist.data.probes import probe_rows
from mtassist.data.slot_values import HELD_OUT, SEEN
from mtassist.frames import FrameRules, frame_key
from mtassist.home import HomeContext, parse_context, resolve_frame
from mtassist.inference import EmbeddedBy, Forward, as_forward
from mtassist.seeding import DEFAULT_SEED
from mtassist.slots import SlotScores
from mtassist.spelling import SpellCorrector
from mtassist.tokenization import encode

if TYPE_CHECKING:
    from mtassist.model.multitask import MultiTaskModel

EVAL_BATCH_SIZE = 64
COMMAND_METRICS: tuple[str, ...] = ("route_accuracy", "intent_accuracy", "slot_f1", "frame_accuracy")
"""What the unseen-values and noisy evaluations report."""
NOISE_SEED = DEFAULT_SEED
"""Every model is evaluated on the same noisy copy of the test split."""
RETRIEVAL_METRICS: tuple[str, ...] = (
    "response_recall_at_1",
    "response_recall_at_10",
    "response_mrr",
    "response_recall_at_1_of_100",
)


@dataclass
class Predictions:
    route: np.ndarray  # (N,)
    intent: np.ndarray  # (N,)
    sentiment: np.ndarray  # (N,)
    frames: list[list[dict] | None]  # each command row's decoded frame (None for other rows)
    embeddings: np.ndarray  # (N, H)
    reply_embeddings: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Evaluation:
    metrics: dict[str, float]
    confusion: dict[str, list[list[int]]]
    """Confusion matrices (rows: truth, columns: prediction) of the route, intent and sentiment heads."""
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    """For each intent of the command rows: {"rows", "accuracy"}."""
    sentiment_by_source: dict[str, float] = field(default_factory=dict)
    """Sentiment macro-F1 per source of rated sentences ("vader-movies", ...) and "all"."""
    probe_misses: list[dict] = field(default_factory=list)
    """The hand-written probes (`mtassist.data.probes`) answered with a wrong route or intent."""


def predict(
    model: MultiTaskModel | Forward,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[dict],
    max_length: int,
    context: HomeContext | None = None,
    slots_by_intent: bool = True,
) -> Predictions:
    """Every head's predictions; frames for the rows with slots and a command route (or none).

    `model` is the PyTorch model or any `inference.Forward` (an ONNX graph). `slots_by_intent`
    False decodes spans without the predicted intent's slot names and implied slots: for a model
    whose intent head was not trained (the slot-only baseline).
    """
    forward = as_forward(model)
    labels = forward.labels
    rules = labels.frames if slots_by_intent else FrameRules(values=labels.frames.values, numeric=labels.frames.numeric)
    corrector = SpellCorrector.of(labels.lexicon, tokenizer)
    home_words = context.words if context is not None else None
    route, intent, sentiment, embeddings, frames = [], [], [], [], []
    for start in range(0, len(rows), EVAL_BATCH_SIZE):
        chunk = rows[start : start + EVAL_BATCH_SIZE]
        corrections = [corrector.correct(row["text"], home_words) for row in chunk]
        encoded = encode(tokenizer, [correction.text for correction in corrections], max_length)
        output = forward(encoded)
        route.append(output["route_logits"].argmax(-1))
        intent.append(output["intent_logits"].argmax(-1))
        sentiment.append(output["sentiment_logits"].argmax(-1))
        embeddings.append(output["sentence_embedding"])
        for i, row in enumerate(chunk):
            if row["slots"] is None or row["route"] not in (ROUTE_COMMAND, None):
                frames.append(None)
                continue
            text = corrections[i].text
            slots = SlotScores.of(text, encoded["offsets"][i], output["slot_logits"][i], labels.slot_tags)
            if slots_by_intent:
                intent[-1][i], frame = decode_command(output["intent_logits"][i], slots, labels.intent, rules, context)
            else:
                frame = rules.complete(INTENT_NONE, slots.best(None)[0])
                allowed = rules.allowed_slots(labels.intent[intent[-1][i]])
                frame = resolve_frame(frame, context, allowed, rules.values.get("domain"))
            frames.append(corrections[i].restore(frame))
    replies = sorted({row["response"] for row in rows if row["response"] is not None})
    # The forward's own embeddings, or where it says replies come from: the teacher's space, or
    # the response bank a bundle serves with.
    source = forward.replies or EmbeddedBy(forward)
    reply_embeddings = list(source.embed_replies(replies, tokenizer, max_length)) if replies else []
    return Predictions(
        np.concatenate(route),
        np.concatenate(intent),
        np.concatenate(sentiment),
        frames,
        np.concatenate(embeddings),
        dict(zip(replies, reply_embeddings)),
    )


def evaluate(
    model: MultiTaskModel | Forward,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[dict],
    max_length: int,
    context: HomeContext | None = None,
    slots_by_intent: bool = True,
) -> Evaluation:
    """Every head's metrics on these rows; with `context`, frames are resolved against that home."""
    rows = list(rows)
    model = as_forward(model)
    labels = model.labels
    predictions = predict(model, tokenizer, rows, max_length, context, slots_by_intent)
    metrics: dict[str, float] = {}
    confusion: dict[str, list[list[int]]] = {}

    route_rows = _having(rows, "route")
    gold_route = np.array([labels.route.index(rows[i]["route"]) for i in route_rows], dtype=int)
    metrics["route_accuracy"] = _accuracy(gold_route, predictions.route[route_rows])
    confusion["route"] = _confusion(gold_route, predictions.route[route_rows], len(labels.route))

    command_rows = [i for i in _having(rows, "intent") if rows[i]["intent"] != INTENT_NONE]
    gold_intent = np.array([labels.intent.index(rows[i]["intent"]) for i in command_rows], dtype=int)
    metrics["intent_accuracy"] = _accuracy(gold_intent, predictions.intent[command_rows])
    metrics["intent_macro_f1"] = macro_f1(gold_intent, predictions.intent[command_rows])
    confusion["intent"] = _confusion(gold_intent, predictions.intent[command_rows], len(labels.intent))
    per_intent = {
        labels.intent[label]: {
            "rows": int(np.sum(gold_intent == label)),
            "accuracy": _accuracy(
                gold_intent[gold_intent == label], predictions.intent[command_rows][gold_intent == label]
            ),
        }
        for label in np.unique(gold_intent)
    }

    framed = [i for i, frame in enumerate(predictions.frames) if frame is not None]
    metrics["slot_f1"] = span_f1([rows[i]["slots"] for i in framed], [predictions.frames[i] for i in framed])
    frames = [
        labels.intent[predictions.intent[i]] == rows[i]["intent"]
        and frame_key(predictions.frames[i]) == frame_key(rows[i]["slots"])
        for i in command_rows
        if predictions.frames[i] is not None
    ]
    metrics["frame_accuracy"] = float(np.mean(frames)) if frames else 0.0

    sentiment_rows = _having(rows, "sentiment")
    gold_sentiment = np.array([labels.sentiment.index(rows[i]["sentiment"]) for i in sentiment_rows], dtype=int)
    metrics["sentiment_accuracy"] = _accuracy(gold_sentiment, predictions.sentiment[sentiment_rows])
    metrics["sentiment_macro_f1"] = macro_f1(gold_sentiment, predictions.sentiment[sentiment_rows])
    confusion["sentiment"] = _confusion(gold_sentiment, predictions.sentiment[sentiment_rows], len(labels.sentiment))

    metrics.update(_retrieval_metrics(rows, predictions))
    metrics["truncated_share"] = _truncated_share(tokenizer, [row["text"] for row in rows], max_length)
    metrics["sentiment_truncated_share"] = _truncated_share(
        tokenizer, [rows[i]["text"] for i in sentiment_rows], max_length
    )
    metrics["score"] = float(np.mean([metrics[name] for name in SCORE_METRICS]))
    predicted_sentiment = [labels.sentiment[label] for label in predictions.sentiment]
    return Evaluation(metrics, confusion, per_intent, sentiment_by_source(rows, predicted_sentiment))


def span_f1(gold: Sequence[Sequence[dict]], predicted: Sequence[Sequence[dict]]) -> float:
    """Micro F1 of spoken slot spans (name, start, end) over rows; implied slots have no span."""

    def spans(slots: Sequence[dict]) -> set[tuple]:
        return {(s["name"], s["start"], s["end"]) for s in slots if "start" in s}

    true = found = hits = 0
    for gold_slots, predicted_slots in zip(gold, predicted):
        wanted, got = spans(gold_slots), spans(predicted_slots)
        true, found, hits = true + len(wanted), found + len(got), hits + len(wanted & got)
    if not hits:
        return 0.0
    precision, recall = hits / found, hits / true
    return 2 * precision * recall / (precision + recall)


METRIC_SOURCES: dict[str, str] = {
    "": "test split: templates, conversations and rated sentences no training row came from",
    "unseen_values_": "unseen-values split: commands of training templates filled with held-out values",
    "unseen_values_context_": "unseen-values split, with its home's names (held-out areas, floors, names) as CONTEXT",
    "noisy_": "test split commands with the training noise applied (typos, dropped words, casing)",
    "noisy_context_": "noisy test split commands, with every seen area, floor and name as CONTEXT",
    "probe_": "hand-written probes (mtassist.data.probes)",
}
"""The rows behind each metric of `evaluate_splits`, by the prefix of its name."""


def evaluate_splits(
    model: MultiTaskModel | Forward, tokenizer: PreTrainedTokenizerBase, splits: dict[str, list[dict]], max_length: int
) -> Evaluation:
    """`evaluate` on the test split, with COMMAND_METRICS on unseen values and on the noisy test split,
    each also with its home's names as CONTEXT."""
    model = as_forward(model)
    evaluation = evaluate(model, tokenizer, splits["test"], max_length)
    noisy = noisy_rows([row for row in splits["test"] if row["route"] is not None], NOISE_SEED)
    home, held_out_home = (parse_context(json.dumps(pools.home()).encode("utf-8")) for pools in (SEEN, HELD_OUT))
    extra = {
        "unseen_values": (splits.get(SPLIT_UNSEEN_VALUES, []), None),
        "unseen_values_context": (splits.get(SPLIT_UNSEEN_VALUES, []), held_out_home),
        "noisy": (noisy, None),
        "noisy_context": (noisy, home),
    }
    for prefix, (rows, context) in extra.items():
        if rows:
            metrics = evaluate(model, tokenizer, rows, max_length, context).metrics
            evaluation.metrics.update({f"{prefix}_{name}": metrics[name] for name in COMMAND_METRICS})
    evaluation.probe_misses = _probe(model, tokenizer, max_length, evaluation.metrics)
    return evaluation


def _probe(model: Forward, tokenizer: PreTrainedTokenizerBase, max_length: int, metrics: dict) -> list[dict]:
    """Route and intent accuracy on the probes into `metrics`; the probes answered wrong."""
    rows = probe_rows()
    predictions = predict(model, tokenizer, rows, max_length)
    routes = [model.labels.route[i] for i in predictions.route]
    intents = [model.labels.intent[i] for i in predictions.intent]
    metrics["probe_route_accuracy"] = float(np.mean([r["route"] == p for r, p in zip(rows, routes)]))
    commands = [i for i, row in enumerate(rows) if row["intent"] != INTENT_NONE]
    metrics["probe_intent_accuracy"] = float(np.mean([rows[i]["intent"] == intents[i] for i in commands]))
    return [
        {"text": row["text"], "route": row["route"], "predicted_route": route, "intent": row["intent"],
         "predicted_intent": intent}
        for row, route, intent in zip(rows, routes, intents)
        if route != row["route"] or (row["intent"] != INTENT_NONE and intent != row["intent"])
    ]  # fmt: skip


def sentiment_by_source(rows: Sequence[dict], predicted: Sequence[str]) -> dict[str, float]:
    """Macro-F1 of predicted sentiment labels per source of the rated rows, and over all of them."""
    rated = [(row, label) for row, label in zip(rows, predicted) if row["sentiment"] is not None]
    index = {label: i for i, label in enumerate(SENTIMENT_LABELS)}
    scores = {}
    for source in [*sorted({row.get("source", "") for row, _ in rated}), "all"]:
        chosen = [(row, label) for row, label in rated if source in ("all", row.get("source", ""))]
        gold = np.array([index[row["sentiment"]] for row, _ in chosen])
        scores[source] = macro_f1(gold, np.array([index[label] for _, label in chosen]))
    return scores


def evaluate_model(
    model: MultiTaskModel | Forward,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[dict],
    max_length: int,
    slots_by_intent: bool = True,
) -> dict[str, float]:
    return evaluate(model, tokenizer, rows, max_length, slots_by_intent=slots_by_intent).metrics


def _retrieval_metrics(rows: list[dict], predictions: Predictions) -> dict[str, float]:
    """Rank every distinct reply of the rows for each query that has one."""
    query_rows = _having(rows, "response")
    if not query_rows or not predictions.reply_embeddings:
        return {name: 0.0 for name in RETRIEVAL_METRICS}
    bank = list(predictions.reply_embeddings)
    bank_index = {text: i for i, text in enumerate(bank)}
    bank_matrix = np.stack([predictions.reply_embeddings[text] for text in bank])  # (M, H)
    scores = predictions.embeddings[query_rows] @ bank_matrix.T  # (Q, M)
    truth = np.array([bank_index[rows[i]["response"]] for i in query_rows])
    return retrieval_metrics(scores, truth)


def ranks_of_true_replies(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The rank (1 = best) of each query's true reply, given scores (Q, M) and truth indices (Q,)."""
    return (scores > scores[np.arange(len(truth)), truth][:, None]).sum(axis=1) + 1


CANDIDATES = 100
"""Replies each query is ranked among for `response_recall_at_1_of_100`."""
CANDIDATE_SEED = DEFAULT_SEED


def ranks_among_candidates(
    scores: np.ndarray, truth: np.ndarray, candidates: int = CANDIDATES, seed: int = CANDIDATE_SEED
) -> np.ndarray:
    """The rank of each query's true reply among itself and `candidates - 1` others drawn with `seed`.

    The draws depend only on the seed and the shape of `scores`, so models and baselines scored
    on the same rows meet the same distractors. With fewer replies than `candidates`, all count.
    """
    queries, replies = scores.shape
    if replies <= candidates:
        return ranks_of_true_replies(scores, truth)
    rng = np.random.default_rng(seed)
    ranks = np.empty(queries, dtype=np.int64)
    for query in range(queries):
        others = rng.choice(replies - 1, size=candidates - 1, replace=False)
        others += others >= truth[query]  # skip the true reply
        ranks[query] = (scores[query, others] > scores[query, truth[query]]).sum() + 1
    return ranks


def retrieval_metrics(scores: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """recall@1, recall@10 and MRR among every reply, and recall@1 among CANDIDATES, from scores
    (Q, M) and each query's true reply index (Q,)."""
    if not len(truth):
        return {name: 0.0 for name in RETRIEVAL_METRICS}
    ranks = ranks_of_true_replies(scores, truth)
    return {
        "response_recall_at_1": float(np.mean(ranks <= 1)),
        "response_recall_at_10": float(np.mean(ranks <= 10)),
        "response_mrr": float(np.mean(1.0 / ranks)),
        "response_recall_at_1_of_100": float(np.mean(ranks_among_candidates(scores, truth) <= 1)),
    }


def _truncated_share(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int) -> float:
    """The share of texts with more tokens (special tokens included) than the model reads."""
    if not texts:
        return 0.0
    lengths = [len(ids) for ids in tokenizer(list(texts), add_special_tokens=True)["input_ids"]]
    return float(np.mean([length > max_length for length in lengths]))


def _having(rows: list[dict], column: str) -> list[int]:
    return [i for i, row in enumerate(rows) if row[column] is not None]


def _accuracy(gold: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(gold == predicted)) if len(gold) else 0.0


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the classes present in the gold labels."""
    if not len(gold):
        return 0.0
    scores = []
    for label in np.unique(gold):
        tp = np.sum((predicted == label) & (gold == label))
        precision = tp / max(np.sum(predicted == label), 1)
        recall = tp / np.sum(gold == label)
        scores.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return float(np.mean(scores))


def _confusion(gold: np.ndarray, predicted: np.ndarray, n: int) -> list[list[int]]:
    matrix = np.zeros((n, n), dtype=int)
    np.add.at(matrix, (gold, predicted), 1)
    return matrix.tolist()
