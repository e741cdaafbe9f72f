"""Classical baselines on the same test split as the model, so the model's figures mean something.

- sentiment: the VADER lexicon and rules (`vaderSentiment`, the same package whose rated
  sentences are the data), compound score >= 0.05 positive, <= -0.05 negative, else neutral;
- replies: BM25 over the reply texts, and the pretrained encoder before any fine-tuning (mean
  pooled, cosine), each ranking the same candidates as the model's `response_*` metrics;
- commands: Home Assistant's own recognizer (hassil's `recognize_best`) with every English
  template and the same areas, floors and entity names the sentences were filled from; a
  sentence it recognizes is a command, one it does not is not.

Each function takes dataset rows and returns metrics named as `mtassist.evaluation` names them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from mtassist.contracts import INTENT_NONE, ROUTE_COMMAND
from mtassist.data.slot_values import ValuePools
from mtassist.evaluation import retrieval_metrics, sentiment_by_source, span_f1
from mtassist.frames import frame_key

VADER_POSITIVE = 0.05
"""VADER's own thresholds on the compound score."""
_TOKEN = re.compile(r"\w+")


def vader_labels(texts: Sequence[str]) -> list[str]:
    """negative, neutral or positive for each text, by the VADER lexicon."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        labels.append(
            "positive" if compound >= VADER_POSITIVE else "negative" if compound <= -VADER_POSITIVE else "neutral"
        )
    return labels


def vader_sentiment(rows: Sequence[dict]) -> dict[str, float]:
    """The VADER lexicon's sentiment macro-F1, per source and overall."""
    rated = [row for row in rows if row["sentiment"] is not None]
    return sentiment_by_source(rated, vader_labels([row["text"] for row in rated]))


class BM25:
    """Okapi BM25 over a fixed set of documents."""

    def __init__(self, documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.documents = [Counter(_tokens(text)) for text in documents]
        self.lengths = np.array([sum(doc.values()) for doc in self.documents], dtype=float)
        self.average_length = float(self.lengths.mean()) if len(self.lengths) else 0.0
        frequency = Counter(term for doc in self.documents for term in doc)
        n = len(self.documents)
        self.idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in frequency.items()}

    def scores(self, query: str) -> np.ndarray:
        """BM25 of the query against every document, (N,)."""
        result = np.zeros(len(self.documents))
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.average_length, 1e-9))
        for term in set(_tokens(query)):
            if term not in self.idf:
                continue
            tf = np.array([doc.get(term, 0) for doc in self.documents], dtype=float)
            result += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
        return result


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def bm25_retrieval(rows: Sequence[dict]) -> dict[str, float]:
    """BM25 ranking the distinct replies of the rows for each query that has one."""
    queries = [row for row in rows if row["response"] is not None]
    replies = sorted({row["response"] for row in queries})
    index = BM25(replies)
    scores = np.stack([index.scores(row["text"]) for row in queries]) if queries else np.zeros((0, len(replies)))
    truth = np.array([replies.index(row["response"]) for row in queries])
    return retrieval_metrics(scores, truth)


def encoder_retrieval(model_dir: str, rows: Sequence[dict], max_length: int) -> dict[str, float]:
    """The pretrained encoder, untuned: mean-pooled embeddings ranked by cosine similarity."""
    import torch
    from transformers import AutoModel

    from mtassist.model.multitask import mean_pool
    from mtassist.tokenization import encode, load_tokenizer

    tokenizer, encoder = load_tokenizer(model_dir), AutoModel.from_pretrained(model_dir).eval()

    @torch.no_grad()
    def embed(texts: Sequence[str]) -> np.ndarray:
        chunks = []
        for start in range(0, len(texts), 64):
            batch = encode(tokenizer, texts[start : start + 64], max_length)
            inputs = {name: torch.from_numpy(batch[name]) for name in tokenizer.model_input_names}
            pooled = mean_pool(encoder(**inputs).last_hidden_state, inputs["attention_mask"])
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(chunks)

    queries = [row for row in rows if row["response"] is not None]
    replies = sorted({row["response"] for row in queries})
    scores = embed([row["text"] for row in queries]) @ embed(replies).T
    truth = np.array([replies.index(row["response"]) for row in queries])
    return retrieval_metrics(scores, truth)


def hassil_commands(rows: Sequence[dict], pools: ValuePools) -> dict[str, float]:
    """Home Assistant's recognizer on the rows with a route: route_accuracy, intent_accuracy,
    slot_f1 and frame_accuracy, computed as for the model."""
    from hassil import recognize_best

    from mtassist.data.templates import load_intents, slot_lists_for_recognition

    intents, lists = load_intents(), slot_lists_for_recognition(pools)
    routed = [row for row in rows if row["route"] is not None]
    route_hits, commands, intent_hits, frame_hits, gold, found = 0, 0, 0, 0, [], []
    for row in routed:
        result = recognize_best(row["text"], intents, slot_lists=lists, language="en")
        is_command = row["route"] == ROUTE_COMMAND
        route_hits += (result is not None) == is_command
        if not is_command or row["intent"] in (None, INTENT_NONE):
            continue
        commands += 1
        slots = [] if result is None else [_slot(name, entity) for name, entity in result.entities.items()]
        gold.append(row["slots"] or [])
        found.append(slots)
        right_intent = result is not None and result.intent.name == row["intent"]
        intent_hits += right_intent
        frame_hits += right_intent and frame_key(slots) == frame_key(row["slots"] or [])
    return {
        "route_accuracy": route_hits / len(routed) if routed else 0.0,
        "intent_accuracy": intent_hits / commands if commands else 0.0,
        "slot_f1": span_f1(gold, found),
        "frame_accuracy": frame_hits / commands if commands else 0.0,
    }


def _slot(name: str, entity) -> dict:
    """A recognized entity as a frame slot; spoken ones with their span."""
    value = entity.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    span = getattr(entity, "text_span", None)
    if entity.text and span is not None:
        return {"name": name, "value": value, "text": entity.text, "start": span[0], "end": span[1]}
    return {"name": name, "value": value}
