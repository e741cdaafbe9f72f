"""Decoding the encoder's heads into the `assistant` answer.

Plain numpy, so that it is unit-tested without Triton; the Triton `assistant` (BLS router) and
`postprocess` (ensemble step) models and the registered MLflow pyfunc all decode through
`AnswerDecoder`. An answer is

    {"route": {"label", "score"}, "intent": {"label", "score"},
     "slots": [{"name", "value", "text", "start", "end"}, {"name", "value"}, ...],
     "sentiment": {"label", "score"},
     "replies": [{"text", "score"}], "model_version": "...", "truncated": true}

with the heads not asked for, or not relevant to the route, left out. Slots are the complete frame:
spoken slots with a normalised value and their span, then the slots the intent implies. Where
slots are asked for, the intent and its frame are chosen together (`command_decoding`); an
answer with the intent alone takes the intent head's best. `truncated` is there only when the
utterance was longer than the model reads (contracts.ANSWER_TRUNCATED).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mtassist.command_decoding import decode_command
from mtassist.contracts import (
    ANSWER_HEADS,
    ANSWER_TRUNCATED,
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    CARD_MODEL_VERSION,
    COMMAND_ONLY_HEADS,
    CONVERSATION_ONLY_HEADS,
    DEFAULT_TOP_K_REPLIES,
    ONNX_OUTPUTS,
    ROUTE_COMMAND,
    TRITON_INPUT_TASKS,
)
from mtassist.errors import BadRequest
from mtassist.home import HomeContext
from mtassist.labels import LabelSpace
from mtassist.reply_shortlist import MAX_TOP_K, SHORTLIST, ReplyShortlist
from mtassist.slots import SlotScores
from mtassist.truncation import truncated_rows

ROUTE_LOGITS, INTENT_LOGITS, SLOT_LOGITS, SENTIMENT_LOGITS, SENTENCE_EMBEDDING = ONNX_OUTPUTS

ALL_HEADS: frozenset[str] = frozenset(ANSWER_HEADS)

HEAD_OUTPUTS: dict[str, tuple[str, ...]] = {
    "route": (ROUTE_LOGITS,),
    "intent": (INTENT_LOGITS,),
    "slots": (SLOT_LOGITS, INTENT_LOGITS),
    "sentiment": (SENTIMENT_LOGITS,),
    "replies": (SENTENCE_EMBEDDING,),
}
"""The encoder outputs each answer head is decoded from (slots are decoded for the predicted intent)."""

_SCORE_DIGITS = 6
UNREGISTERED = "unregistered"
"""The `model_version` of answers from a bundle that no registry version was deployed from."""


# --- the heads asked for --------------------------------------------------------------------------------


def parse_tasks(value: str | None) -> frozenset[str]:
    """Heads out of a comma-separated list such as "intent, slots"; empty or None means all."""
    if value is None or not value.strip():
        return ALL_HEADS
    heads = frozenset(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(heads - ALL_HEADS)
    if unknown:
        raise BadRequest(
            f"unknown head {', '.join(map(repr, unknown))} in {TRITON_INPUT_TASKS}: "
            f"choose from {', '.join(ANSWER_HEADS)}"
        )
    return heads


def needed_outputs(tasks: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """The encoder outputs needed to answer these rows, in ONNX_OUTPUTS order; route always."""
    wanted = {ROUTE_LOGITS}
    for heads in tasks:
        for head in heads:
            wanted.update(HEAD_OUTPUTS[head])
    return tuple(name for name in ONNX_OUTPUTS if name in wanted)


def answer_heads(route: str, wanted: frozenset[str], by_route: bool = True) -> list[str]:
    """The heads an answer carries, in ANSWER_HEADS order: those wanted and, by route, relevant."""
    heads = [head for head in ANSWER_HEADS if head in wanted]
    if not by_route:
        return heads
    dropped = CONVERSATION_ONLY_HEADS if route == ROUTE_COMMAND else COMMAND_ONLY_HEADS
    return [head for head in heads if head not in dropped]


# --- what the bundle brings ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseBank:
    """Reply texts and their L2-normalised embeddings, (N, D); more than SHORTLIST replies are
    searched through a `ReplyShortlist` and its candidates ranked by their exact scores."""

    texts: tuple[str, ...]
    embeddings: np.ndarray
    shortlist: ReplyShortlist | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.embeddings.ndim != 2 or len(self.texts) != self.embeddings.shape[0]:
            raise ValueError(
                f"the response bank has {len(self.texts)} texts but embeddings of shape "
                f"{list(self.embeddings.shape)}: re-export the model bundle"
            )
        if len(self.texts) > SHORTLIST:
            object.__setattr__(self, "shortlist", ReplyShortlist(self.embeddings))

    @classmethod
    def load(cls, texts_path: Path, embeddings_path: Path) -> ResponseBank:
        texts = tuple(json.loads(Path(texts_path).read_text()))
        embeddings = _l2_normalise(np.load(embeddings_path).astype(np.float32))
        return cls(texts=texts, embeddings=embeddings)

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])

    def top_k(self, queries: np.ndarray, k: int) -> list[list[dict]]:
        """The k replies nearest each query (B, D) by cosine similarity, best first."""
        k = min(k, len(self.texts))
        if k <= 0:
            return [[] for _ in range(len(queries))]
        queries = _l2_normalise(queries.astype(np.float32))
        if self.shortlist is not None and k <= MAX_TOP_K:
            candidates = self.shortlist(queries)  # (B, SHORTLIST)
            scores = np.einsum("bd,bsd->bs", queries, self.embeddings[candidates])
        else:
            candidates = None
            scores = queries @ self.embeddings.T  # (B, N)
        nearest = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        replies = []
        for row, (row_scores, best) in enumerate(zip(scores, nearest)):
            best = best[np.argsort(-row_scores[best], kind="stable")]
            rows = best if candidates is None else candidates[row][best]
            replies.append(
                [{"text": self.texts[i], "score": _score(score)} for i, score in zip(rows, row_scores[best])]
            )
        return replies


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _score(value: float) -> float:
    return round(float(value), _SCORE_DIGITS)


def _labelled(probabilities: np.ndarray, labels: Sequence[str]) -> list[dict]:
    best = probabilities.argmax(axis=-1)
    return [{"label": labels[i], "score": _score(p[i])} for i, p in zip(best, probabilities)]


# --- decoding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerDecoder:
    """Turns the encoder's outputs for a batch of texts into one answer per text."""

    labels: LabelSpace
    bank: ResponseBank
    model_version: str
    top_k: int = DEFAULT_TOP_K_REPLIES

    @classmethod
    def from_dir(cls, data_dir: Path, top_k: int = DEFAULT_TOP_K_REPLIES) -> AnswerDecoder:
        """Read labels, response bank and model card (bundle file names) from one folder.

        The model version is the card's, which deploy writes; an exported bundle that was never
        deployed answers as UNREGISTERED.
        """
        data_dir = Path(data_dir)
        card = json.loads((data_dir / BUNDLE_CARD).read_text())
        return cls(
            labels=LabelSpace.load(data_dir / BUNDLE_LABELS),
            bank=ResponseBank.load(data_dir / BUNDLE_RESPONSE_TEXTS, data_dir / BUNDLE_RESPONSE_EMBEDDINGS),
            model_version=str(card.get(CARD_MODEL_VERSION, UNREGISTERED)),
            top_k=top_k,
        )

    def decode(
        self,
        texts: Sequence[str],
        offsets: np.ndarray,
        outputs: Mapping[str, np.ndarray],
        tasks: Sequence[frozenset[str]] | None = None,
        by_route: bool = True,
        contexts: Sequence[HomeContext | None] | None = None,
        named_routes: Sequence[str | None] | None = None,
    ) -> list[dict]:
        """One answer per text.

        Args:
            texts: the B utterances.
            offsets: (B, T, 2) character offsets of each token, as the tokenizer gave them.
            outputs: encoder outputs by ONNX name; those `needed_outputs(tasks)` names at least.
            tasks: the heads wanted per row; all heads when None.
            by_route: leave out the heads not relevant to each row's route (the `assistant`
                contract); False answers every wanted head (the ensemble).
            contexts: each row's home (the CONTEXT input), or None; slots resolve against it.
            named_routes: each row's route as the caller names it (the ROUTE input), or None for
                the model's own; its `score` stays the model's probability of that route.
        """
        batch = len(texts)
        tasks = list(tasks) if tasks is not None else [ALL_HEADS] * batch
        contexts = list(contexts) if contexts is not None else [None] * batch
        self._check(batch, offsets, outputs, tasks, contexts, named_routes)
        route_probabilities = softmax(outputs[ROUTE_LOGITS])
        routes = _labelled(route_probabilities, self.labels.route)
        for row, named in enumerate(named_routes or ()):
            if named is not None:
                routes[row] = {
                    "label": named,
                    "score": _score(route_probabilities[row][self.labels.route.index(named)]),
                }
        heads = [answer_heads(route["label"], wanted, by_route) for route, wanted in zip(routes, tasks)]
        needed = set().union(*heads) if heads else set()

        decoded: dict[str, list | dict] = {"route": routes}
        if "intent" in needed or "slots" in needed:
            intent_probabilities = softmax(outputs[INTENT_LOGITS])
            decoded["intent"] = _labelled(intent_probabilities, self.labels.intent)
        if "sentiment" in needed:
            decoded["sentiment"] = _labelled(softmax(outputs[SENTIMENT_LOGITS]), self.labels.sentiment)
        if "replies" in needed:
            asking = [row for row, row_heads in enumerate(heads) if "replies" in row_heads]
            decoded["replies"] = dict(zip(asking, self.bank.top_k(outputs[SENTENCE_EMBEDDING][asking], self.top_k)))
        if "slots" in needed:
            decoded["slots"] = [None] * batch
            for row, text in enumerate(texts):
                if "slots" in heads[row]:
                    decoded["intent"][row], decoded["slots"][row] = self._command(
                        text, offsets[row], outputs[INTENT_LOGITS][row], intent_probabilities[row],
                        outputs[SLOT_LOGITS][row], contexts[row],
                    )  # fmt: skip
        answers = [
            {**{head: decoded[head][row] for head in row_heads}, "model_version": self.model_version}
            for row, row_heads in enumerate(heads)
        ]
        for answer, cut in zip(answers, truncated_rows(texts, offsets)):
            if cut:
                answer[ANSWER_TRUNCATED] = True
        return answers

    def _command(
        self,
        text: str,
        offsets: np.ndarray,
        intent_logits: np.ndarray,
        intent_probabilities: np.ndarray,
        slot_logits: np.ndarray,
        context: HomeContext | None,
    ) -> tuple[dict, list[dict]]:
        """The intent, with the intent head's probability of it, and its frame resolved against the home."""
        rules, intents = self.labels.frames, self.labels.intent
        slots = SlotScores.of(text, offsets, slot_logits, self.labels.slot_tags)
        chosen, frame = decode_command(intent_logits, slots, intents, rules, context)
        return {"label": intents[chosen], "score": _score(intent_probabilities[chosen])}, frame

    def _check(
        self,
        batch: int,
        offsets: np.ndarray,
        outputs: Mapping[str, np.ndarray],
        tasks: Sequence[frozenset[str]],
        contexts: Sequence[HomeContext | None],
        named_routes: Sequence[str | None] | None,
    ) -> None:
        if len(tasks) != batch:
            raise ValueError(f"{len(tasks)} task sets for {batch} texts")
        if len(contexts) != batch:
            raise ValueError(f"{len(contexts)} contexts for {batch} texts")
        if named_routes is not None and len(named_routes) != batch:
            raise ValueError(f"{len(named_routes)} routes for {batch} texts")
        missing = [name for name in needed_outputs(tasks) if name not in outputs]
        if missing:
            raise ValueError(f"the encoder outputs lack {', '.join(missing)}")
        widths = {
            ROUTE_LOGITS: len(self.labels.route),
            INTENT_LOGITS: len(self.labels.intent),
            SLOT_LOGITS: len(self.labels.slot_tags),
            SENTIMENT_LOGITS: len(self.labels.sentiment),
            SENTENCE_EMBEDDING: self.bank.dim,
        }
        for name, array in outputs.items():
            if name in widths and (array.shape[0] != batch or array.shape[-1] != widths[name]):
                raise ValueError(
                    f"{name} has shape {list(array.shape)}, expected [{batch}, ..., {widths[name]}]: "
                    "the encoder and the label space or response bank come from different bundles"
                )
        if SLOT_LOGITS in outputs and offsets.shape[:2] != outputs[SLOT_LOGITS].shape[:2]:
            raise ValueError(
                f"token offsets {list(offsets.shape)} do not match {SLOT_LOGITS} {list(outputs[SLOT_LOGITS].shape)}"
            )
