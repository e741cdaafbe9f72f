"""The training steps: fine-tune the teacher, distil the student; both tracked in MLflow.

Both run the same loop (`mtassist.training.loop.train`) inside an MLflow run, log validation
metrics at every evaluation, and write a model folder (`mtassist.model.storage`) whose run
record names the MLflow run, the dataset version and the model source.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from mtassist.contracts import (
    CARD_DATASET_VERSION,
    CARD_LOSS_WEIGHTING,
    CARD_MAX_LENGTH,
    CARD_MODEL_SOURCE,
    CARD_TEACHER_RUN_ID,
)
from mtassist.data.dataset import load_labels, load_manifest, rows_by_split
from mtassist.inference import EmbeddedBy, ReplySource, TorchForward
from mtassist.labels import LabelSpace
from mtassist.model.layers import choose_layers
from mtassist.model.multitask import MultiTaskModel, build_model, student_from_teacher
from mtassist.model.source import resolve_model_source
from mtassist.model.storage import load_trained, save_trained
from mtassist.seeding import seed_everything
from mtassist.tokenization import load_tokenizer
from mtassist.training.anchor import EmbeddingAnchor, frozen_copy
from mtassist.training.config import DistillationConfig, TrainingConfig
from mtassist.training.hardware import prepare_hardware
from mtassist.training.loop import LossFn, hard_label_loss, train

STEP_TAG = "mtassist.step"
"""The MLflow run tag that names the pipeline step a run belongs to."""
_CHECKPOINT_DIR = "checkpoint"


def train_teacher(
    dataset_dir: Path, output_dir: Path, model_source: str, cache_dir: Path, config: TrainingConfig
) -> dict:
    """Fine-tune the pretrained encoder with every head; returns the run record (MLflow run id)."""
    source = resolve_model_source(model_source, cache_dir)
    seed_everything(config.seed)  # the heads' initial weights are the first random numbers drawn
    model = build_model(source, LabelSpace.from_dict(load_labels(dataset_dir)))
    version = load_manifest(dataset_dir)["version"]
    anchor = EmbeddingAnchor(frozen_copy(model), config.embedding_anchor) if config.embedding_anchor else None
    return _train_and_save(
        "train_teacher", model, load_tokenizer(source), dataset_dir, output_dir, config,
        tags={CARD_DATASET_VERSION: version},
        params={"model_source": model_source, "layers": model.num_layers},
        record={
            CARD_DATASET_VERSION: version, CARD_MODEL_SOURCE: model_source, CARD_LOSS_WEIGHTING: config.loss_weighting
        },
        loss_fn=hard_label_loss(config.response_scale, anchor),
    )  # fmt: skip


def distill_student(
    dataset_dir: Path, teacher_dir: Path, output_dir: Path, config: TrainingConfig, distill: DistillationConfig
) -> dict:
    """Distil the teacher into a student that starts from the teacher layers `distill.student_layers`
    chooses; with `distill.teacher_replies` it is validated against the teacher's reply embeddings,
    as it serves."""
    from mtassist.training.distillation import DistillationLoss, teacher_reply_bank

    teacher, tokenizer, teacher_run = load_trained(teacher_dir)
    lineage = {CARD_DATASET_VERSION: teacher_run[CARD_DATASET_VERSION], CARD_TEACHER_RUN_ID: teacher_run["run_id"]}
    seed_everything(config.seed)  # a projection between different widths draws its first weights
    layers = choose_layers(distill.student_layers, teacher.num_layers)
    student = student_from_teacher(teacher, distill.student_layers)
    bank = None
    if distill.bank_ranking_weight:
        bank = teacher_reply_bank(teacher, tokenizer, rows_by_split(dataset_dir)["train"], config.max_length)
    return _train_and_save(
        "distill_student", student, tokenizer, dataset_dir, output_dir, config, tags=lineage,
        params={**distill.to_params(), "distill_teacher_layers": ",".join(map(str, layers)), "layers": len(layers)},
        record={**lineage, CARD_MODEL_SOURCE: teacher_run[CARD_MODEL_SOURCE]},
        loss_fn=DistillationLoss(teacher, student, distill, config.response_scale, reply_bank=bank),
        replies=EmbeddedBy(TorchForward(teacher)) if distill.teacher_replies else None,
    )  # fmt: skip


def _train_and_save(
    step: str,
    model: MultiTaskModel,
    tokenizer: PreTrainedTokenizerBase,
    dataset_dir: Path,
    output_dir: Path,
    config: TrainingConfig,
    *,
    tags: dict[str, str],
    params: dict[str, object],
    record: dict[str, object],
    loss_fn: LossFn | None = None,
    replies: ReplySource | None = None,
) -> dict:
    """Train inside an MLflow run named `step`, then save the model with its run record; `replies`
    embeds validation's candidate replies (`training.loop.train`)."""
    import mlflow

    from mtassist.registry import tracked_run

    rows = rows_by_split(dataset_dir)
    checkpoint_dir = Path(output_dir) / _CHECKPOINT_DIR
    with tracked_run(step, tags={STEP_TAG: step, **tags}) as run:
        hardware = prepare_hardware(config.device, config.threads, config.mixed_precision)
        mlflow.log_params(
            {**config.to_params(), **params, **{f"hardware_{k}": v for k, v in hardware.describe().items()}}
        )
        result = train(
            model, tokenizer, rows["train"], rows["validation"], config, loss_fn=loss_fn,
            checkpoint_dir=checkpoint_dir, description=step.split("_")[-1], replies=replies,
            on_eval=lambda step_, metrics: mlflow.log_metrics(_prefixed(metrics, "validation_"), step=step_),
        )  # fmt: skip
        best = next((h for h in result.history if h["step"] == result.best_step), {})
        summary = {"best_validation_score": result.best_score, "best_step": result.best_step, "steps": result.steps}
        mlflow.log_metrics({**_prefixed(best, "best_validation_"), **summary})
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    run_record = {"run_id": run.info.run_id, **record, CARD_MAX_LENGTH: config.max_length, **summary}
    save_trained(model, tokenizer, output_dir, run_record)
    return run_record


def _prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: float(v) for k, v in metrics.items() if k != "step"}
