"""Multi-task training: the loop shared by the teacher and the distilled student.

AdamW with linear warm-up and decay, temperature sampling over tasks, static task weights,
optional FGM adversarial training on the word embeddings (`training.adversarial`), early
stopping on a validation sample that covers every head and intent (patience counts the
validations since the top score last rose; the weights kept are the latest validated within
`selection_tolerance` of it, so a sample's noise does not throw away passes that still taught
the model), fixed seeds and CPU threads, a resumable checkpoint, CUDA with mixed precision where
there is a GPU, and a progress bar with the running loss of each term. The loss is a function of
(model, batch), so distillation reuses the loop; a loss that is a module has its own weights
trained and checkpointed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase, get_linear_schedule_with_warmup

from mtassist.evaluation import evaluate_model
from mtassist.inference import ReplySource, TorchForward
from mtassist.model.multitask import MultiTaskModel, MultiTaskOutput
from mtassist.seeding import restore_rng_state, rng_state, seed_everything
from mtassist.slots import IGNORE_INDEX
from mtassist.training.adversarial import EmbeddingAdversary
from mtassist.training.anchor import EmbeddingAnchor
from mtassist.training.batches import Batch, Collator, TaskSampler, task_pools
from mtassist.training.config import EVALUATIONS_PER_RUN, TrainingConfig
from mtassist.training.gradient_surgery import backward_with_surgery
from mtassist.training.hardware import prepare_hardware
from mtassist.training.validation import validation_sample
from mtassist.training.weighting import LossWeighting

log = logging.getLogger(__name__)

LossFn = Callable[[MultiTaskModel, Batch], dict[str, torch.Tensor]]
CHECKPOINT_FILE = "checkpoint.pt"


def multitask_loss(
    output: MultiTaskOutput,
    batch: Batch,
    model: MultiTaskModel,
    response_scale: float,
    replies: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Cross-entropy on every head whose labels the batch carries; in-batch contrastive for replies
    (`replies`: the batch's reply embeddings when the caller has them already)."""
    losses: dict[str, torch.Tensor] = {}
    for task, logits, labels in (
        ("route", output.route_logits, batch.route),
        ("intent", output.intent_logits, batch.intent),
        ("sentiment", output.sentiment_logits, batch.sentiment),
    ):
        if (labels != IGNORE_INDEX).any():
            losses[task] = F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX)
    if (batch.slots != IGNORE_INDEX).any():
        losses["slots"] = F.cross_entropy(
            output.slot_logits.flatten(0, 1), batch.slots.flatten(), ignore_index=IGNORE_INDEX
        )
    if batch.response_inputs is not None:
        queries = output.sentence_embedding[batch.response_rows]  # (R, H)
        if replies is None:
            replies = model(**batch.response_inputs).sentence_embedding  # (R, H)
        scores = response_scale * queries @ replies.T  # (R, R)
        losses["response"] = F.cross_entropy(scores, torch.arange(len(queries), device=scores.device))
    return losses


def hard_label_loss(response_scale: float, anchor: EmbeddingAnchor | None = None) -> LossFn:
    """The multi-task loss; with `anchor`, also "embedding_anchor" on batches drawn for replies."""

    def loss(model: MultiTaskModel, batch: Batch) -> dict[str, torch.Tensor]:
        output = model(**batch.inputs)
        losses = multitask_loss(output, batch, model, response_scale)
        if anchor is not None and batch.response_inputs is not None:
            losses["embedding_anchor"] = anchor(output.sentence_embedding, batch)
        return losses

    return loss


@dataclass
class TrainingResult:
    best_score: float
    best_step: int
    """The kept weights' step: the latest validation within `selection_tolerance` of the top score."""
    steps: int
    stopped_early: bool
    history: list[dict[str, float]]


def train(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    train_rows: Sequence[dict],
    validation_rows: Sequence[dict],
    config: TrainingConfig,
    loss_fn: LossFn | None = None,
    checkpoint_dir: Path | None = None,
    description: str = "train",
    on_eval: Callable[[int, dict[str, float]], None] | None = None,
    selection_metric: str = "score",
    slots_by_intent: bool = True,
    replies: ReplySource | None = None,
) -> TrainingResult:
    """Train in place and leave the model, on the CPU, at its best validation `selection_metric`
    (the mean `score` of every head by default); without `validation_rows`, it trains for every
    step and keeps the last weights (a model trained again on every split after its evaluation).
    `slots_by_intent` False validates slots without the predicted intent's slot names (a model
    that does not learn intents). `replies`: where validation's candidate replies are embedded
    (the teacher, for a student served with the teacher's bank); None: by the model itself.

    With `checkpoint_dir`, the state (weights, optimizer, schedule, random generators) is saved
    after every validation, and a run that finds a checkpoint there resumes from it and ends as
    the uninterrupted run would have.
    """
    hardware = prepare_hardware(config.device, config.threads, config.mixed_precision)
    seed_everything(config.seed)
    model.to(hardware.device)
    loss_fn = loss_fn or hard_label_loss(config.response_scale)
    loss_module = loss_fn if isinstance(loss_fn, torch.nn.Module) else torch.nn.Module()
    loss_module.to(hardware.device)
    pool_sizes = {task: len(pool) for task, pool in task_pools(train_rows).items()}
    steps = config.max_steps or max(1, math.ceil(config.epochs * len(train_rows) / config.batch_size))
    eval_every = config.eval_every or max(1, steps // EVALUATIONS_PER_RUN)
    collate = Collator(tokenizer, model.labels, config.max_length)
    sampler = iter(
        TaskSampler(
            train_rows, config.batch_size, config.sampling_temperature, config.seed, task_weights=config.task_sampling
        )
    )
    weighting = LossWeighting(config.loss_weighting, config.task_weights).to(hardware.device)
    optimizer = _optimizer(model, config, weighting, loss_module)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * steps), steps)
    scaler = torch.amp.GradScaler(hardware.device.type, enabled=hardware.needs_loss_scaling)
    eval_rows = validation_sample(validation_rows, config.eval_max_rows, config.seed)

    state = {"step": 0, "top_score": -math.inf, "best_score": -math.inf, "best_step": 0, "bad_evals": 0, "history": []}
    best_weights = None
    checkpoint = checkpoint_dir / CHECKPOINT_FILE if checkpoint_dir else None
    if checkpoint and checkpoint.is_file():
        saved = torch.load(checkpoint, weights_only=False, map_location=hardware.device)
        model.load_state_dict(saved["model"])
        weighting.load_state_dict(saved["weighting"])
        loss_module.load_state_dict(saved["loss"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        scaler.load_state_dict(saved["scaler"])
        state, best_weights = saved["state"], saved["best_weights"]
        for _ in range(state["step"]):
            next(sampler)
        restore_rng_state(saved["rng"])
        log.info("%s: resuming from step %d", description, state["step"])
    validation = f"validation on {len(eval_rows)} rows every {eval_every} steps" if eval_rows else "no validation"
    log.info(
        "%s: %d steps of %d on %s; %s; task pool sizes %s",
        description, steps, config.batch_size, hardware.describe(), validation, pool_sizes,
    )  # fmt: skip

    progress = tqdm(total=steps, initial=state["step"], desc=description, unit="step", dynamic_ncols=True)
    running = RunningLosses()
    adversary = EmbeddingAdversary(model, config.adversarial_epsilon) if config.adversarial_epsilon else None
    model.train()
    stopped_early = False
    while state["step"] < steps:
        task, rows = next(sampler)
        batch = collate(rows, task).to(hardware.device)
        with hardware.autocast(), adversary.recording() if adversary else nullcontext():
            losses = loss_fn(model, batch)
            if not losses:
                raise ValueError(f"the loss function gave no term for a batch drawn for {task!r}")
            terms = weighting.terms(losses)
        optimizer.zero_grad(set_to_none=True)
        if weighting.method == "pcgrad":
            if adversary:
                adversary.keep_gradients(sum(terms.values()))
            backward_with_surgery(model, terms, scaler.scale)
        else:
            scaler.scale(sum(terms.values())).backward()
        if adversary:
            with hardware.autocast(), adversary.perturbed():
                adversarial = sum(weighting.terms(loss_fn(model, batch)).values())
            scaler.scale(adversarial).backward()
            losses = {**losses, "adversarial": adversarial}
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        state["step"] += 1
        progress.update(1)
        progress.set_postfix(running.update(losses), refresh=False)
        if state["step"] % eval_every == 0 or state["step"] == steps:
            if eval_rows:
                metrics = _validate(model, tokenizer, eval_rows, config, replies, slots_by_intent, weighting)
                metrics["step"] = state["step"]
                state["history"].append(metrics)
                score = metrics[selection_metric]
                if score > state.setdefault("top_score", state["best_score"]):  # a checkpoint from before it
                    state.update(top_score=score, bad_evals=0)
                else:
                    state["bad_evals"] += 1
                if score >= state["top_score"] - config.selection_tolerance:  # kept: the latest near the top
                    state.update(best_score=score, best_step=state["step"])
                    best_weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                progress.write(f"{description} step {state['step']}: validation {selection_metric} {score:.4f}")
            if checkpoint:
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save(
                    {
                        "model": model.state_dict(),
                        "weighting": weighting.state_dict(),
                        "loss": loss_module.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "scaler": scaler.state_dict(),
                        "state": state,
                        "best_weights": best_weights,
                        "rng": rng_state(),
                    },
                    checkpoint,
                )
            if on_eval and eval_rows:
                on_eval(state["step"], metrics)
            if state["bad_evals"] >= config.patience:
                stopped_early = True
                progress.write(f"{description}: no better validation score in {config.patience} evaluations; stopping")
                break
    progress.close()
    if adversary:
        adversary.close()
    model.to("cpu")
    if best_weights is not None:
        model.load_state_dict(best_weights)
    model.eval()
    if not eval_rows:
        return TrainingResult(math.nan, state["step"], state["step"], False, [])
    return TrainingResult(state["best_score"], state["best_step"], state["step"], stopped_early, state["history"])


def _validate(
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[dict],
    config: TrainingConfig,
    replies: ReplySource | None,
    slots_by_intent: bool,
    weighting: LossWeighting,
) -> dict[str, float]:
    """Every head's validation metrics and the learned loss weights; the model goes back to training."""
    validated = TorchForward(model, replies) if replies is not None else model
    metrics = evaluate_model(validated, tokenizer, rows, config.max_length, slots_by_intent)
    model.train()
    metrics.update({f"loss_weight_{task}": weight for task, weight in weighting.learned_weights().items()})
    return metrics


class RunningLosses:
    """An exponential moving average of each loss term, for the progress bar."""

    def __init__(self, decay: float = 0.9) -> None:
        self.decay = decay
        self.values: dict[str, float] = {}

    def update(self, losses: dict[str, torch.Tensor]) -> dict[str, str]:
        for name, value in losses.items():
            current = float(value.detach())
            previous = self.values.get(name)
            self.values[name] = current if previous is None else self.decay * previous + (1 - self.decay) * current
        return {name: f"{value:.3f}" for name, value in sorted(self.values.items())}


def _optimizer(
    model: MultiTaskModel, config: TrainingConfig, weighting: LossWeighting, loss_module: torch.nn.Module
) -> torch.optim.Optimizer:
    """AdamW: the encoder at `learning_rate`, heads and the loss's own weights (a distillation
    projection) at `head_learning_rate`, loss scales at theirs."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    groups: dict[tuple[float, float], list[torch.nn.Parameter]] = {}
    if weighting.log_variances:
        groups[(config.loss_weighting_learning_rate, 0.0)] = list(weighting.parameters())
    if any(True for _ in loss_module.parameters()):
        groups[(config.head_learning_rate, config.weight_decay)] = list(loss_module.parameters())
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        lr = config.head_learning_rate if name.startswith("heads.") else config.learning_rate
        decay = 0.0 if name.endswith(no_decay) else config.weight_decay
        groups.setdefault((lr, decay), []).append(parameter)
    return torch.optim.AdamW([{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()])
