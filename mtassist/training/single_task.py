"""Single-task baselines: the same encoder fine-tuned for one head alone, on that head's rows.

Sharing one encoder across five heads can help a head (more data through the shared layers) or
hurt it (negative transfer). The only way to know is to train each head alone from the same
pretrained encoder, with the same hyper-parameters, seed and epochs over its own rows, and to
score it on the same test split: `train_single_task` does that for one head.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from mtassist.contracts import SCORE_METRICS, TASKS
from mtassist.evaluation import RETRIEVAL_METRICS, evaluate
from mtassist.labels import LabelSpace
from mtassist.model.multitask import MultiTaskModel, build_model
from mtassist.seeding import seed_everything
from mtassist.training.anchor import EmbeddingAnchor, frozen_copy
from mtassist.training.batches import Batch, task_pools
from mtassist.training.config import TrainingConfig
from mtassist.training.loop import LossFn, hard_label_loss, train

HEAD_METRICS: dict[str, tuple[str, ...]] = {
    "route": ("route_accuracy",),
    "intent": ("intent_accuracy", "intent_macro_f1"),
    "slots": ("slot_f1",),
    "sentiment": ("sentiment_macro_f1", "sentiment_accuracy"),
    "response": RETRIEVAL_METRICS,
}
"""The metrics of each head that a single-task model is scored on."""
SELECTED_BY: dict[str, str] = {
    head: next(m for m in SCORE_METRICS if m in metrics) for head, metrics in HEAD_METRICS.items()
}
"""The validation metric that picks a single-task model's best step: its head's part of `score`."""


def head_only(loss_fn: LossFn, head: str) -> LossFn:
    """`loss_fn` restricted to one head's terms (the reply anchor belongs to `response`)."""
    kept = {head, "embedding_anchor"} if head == "response" else {head}

    def loss(model: MultiTaskModel, batch: Batch) -> dict:
        return {name: value for name, value in loss_fn(model, batch).items() if name in kept}

    return loss


def head_rows(rows: Sequence[dict], head: str) -> list[dict]:
    """The rows that carry a label for `head`, with every other head's label taken away."""
    others = {column: None for column in TASKS if column != head}
    return [{**rows[i], **others} for i in task_pools(rows)[head]]


def train_single_task(
    head: str,
    encoder_source: str,
    tokenizer: PreTrainedTokenizerBase,
    labels: LabelSpace,
    rows_by_split: dict[str, list[dict]],
    config: TrainingConfig,
) -> dict[str, float]:
    """Fine-tune the pretrained encoder for `head` alone; its metrics on the test split."""
    if head not in TASKS:
        raise ValueError(f"unknown head {head!r}: choose from {', '.join(TASKS)}")
    seed_everything(config.seed)
    model = build_model(encoder_source, labels)
    anchor = EmbeddingAnchor(frozen_copy(model), config.embedding_anchor) if config.embedding_anchor else None
    train(
        model, tokenizer, head_rows(rows_by_split["train"], head), head_rows(rows_by_split["validation"], head),
        config, loss_fn=head_only(hard_label_loss(config.response_scale, anchor), head),
        description=f"single-task {head}", selection_metric=SELECTED_BY[head], slots_by_intent=False,
    )  # fmt: skip
    test = rows_by_split["test"]  # scored with every label in place, as the multi-task model is
    rows = [test[i] for i in task_pools(test)[head]]
    # A model trained for one head has no trained partner to decode with: the slot-only model no
    # intent head to pick the slot names from, the intent-only model no slot head to weigh its
    # intents by (its untrained one would only add noise): its intent is its intent head's choice.
    metrics = evaluate(model, tokenizer, rows, config.max_length, slots_by_intent=False).metrics
    return {name: metrics[name] for name in HEAD_METRICS[head]}
