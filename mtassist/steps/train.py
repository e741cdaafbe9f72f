"""The training steps: fine-tune the teacher, distil the student; both tracked in MLflow.

Both run the same loop (`mtassist.training.loop.train`) inside an MLflow run, log validation
metrics at every evaluation, and write a model folder (`mtassist.model.storage`) whose run
record names the MLflow run, the dataset version and the model source.

Once both are evaluated, a release may train them again on every split (`release_teacher`,
`release_student`): from the same starting point, with the same settings, for the step count the
evaluated run kept, and without validation, since no row is held out any more. Their records
say so (CARD_TRAINED_ON) and name the evaluated runs whose held-out metrics they carry.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from mtassist.contracts import (
    ALL_SPLITS,
    CARD_ADVERSARIAL_EPSILON,
    CARD_DATASET_VERSION,
    CARD_EVALUATED_STUDENT_RUN_ID,
    CARD_EVALUATED_TEACHER_RUN_ID,
    CARD_LOSS_WEIGHTING,
    CARD_MAX_LENGTH,
    CARD_MODEL_SOURCE,
    CARD_TEACHER_RUN_ID,
    CARD_TRAINED_ON,
    TRAINED_ON_EVERY_SPLIT,
)
from mtassist.data.dataset import load_labels, load_manifest, rows_by_split
from mtassist.inference import EmbeddedBy, ReplySource, TorchForward
from mtassist.labels import LabelSpace
from mtassist.model.layers import choose_layers
from mtassist.model.multitask import MultiTaskModel, build_model, student_from_teacher
from mtassist.model.source import resolve_model_source
from mtassist.model.storage import load_run_record, load_trained, save_trained
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
    dataset_dir: Path,
    output_dir: Path,
    model_source: str,
    cache_dir: Path,
    config: TrainingConfig,
    evaluated: dict | None = None,
) -> dict:
    """Fine-tune the pretrained encoder with every head; returns the run record (MLflow run id).

    With `evaluated` (an evaluated teacher's run record), train it again on every split.
    """
    source = resolve_model_source(model_source, cache_dir)
    seed_everything(config.seed)  # the heads' initial weights are the first random numbers drawn
    model = build_model(source, LabelSpace.from_dict(load_labels(dataset_dir)))
    version = load_manifest(dataset_dir)["version"]
    record = {
        CARD_DATASET_VERSION: version,
        CARD_MODEL_SOURCE: model_source,
        CARD_LOSS_WEIGHTING: config.loss_weighting,
        CARD_ADVERSARIAL_EPSILON: config.adversarial_epsilon,
    }
    if evaluated is not None:
        config = _release_config(config, evaluated)
        record.update({CARD_TRAINED_ON: TRAINED_ON_EVERY_SPLIT, CARD_EVALUATED_TEACHER_RUN_ID: evaluated["run_id"]})
    anchor = EmbeddingAnchor(frozen_copy(model), config.embedding_anchor) if config.embedding_anchor else None
    return _train_and_save(
        "release_teacher" if evaluated else "train_teacher", model, load_tokenizer(source), dataset_dir, output_dir,
        config, tags={CARD_DATASET_VERSION: version, **_release_tags(record)},
        params={"model_source": model_source, "layers": model.num_layers},
        record=record, loss_fn=hard_label_loss(config.response_scale, anchor), every_split=evaluated is not None,
    )  # fmt: skip


def distill_student(
    dataset_dir: Path,
    teacher_dir: Path,
    output_dir: Path,
    config: TrainingConfig,
    distill: DistillationConfig,
    evaluated: dict | None = None,
) -> dict:
    """Distil the teacher into a student that starts from the teacher layers `distill.student_layers`
    chooses; with `distill.teacher_replies` it is validated against the teacher's reply embeddings,
    as it serves.

    With `evaluated` (an evaluated student's run record), distil it again on every split, from
    the teacher trained again there.
    """
    from mtassist.training.distillation import DistillationLoss, teacher_reply_bank

    teacher, tokenizer, teacher_run = load_trained(teacher_dir)
    lineage = {CARD_DATASET_VERSION: teacher_run[CARD_DATASET_VERSION], CARD_TEACHER_RUN_ID: teacher_run["run_id"]}
    release = {}
    if evaluated is not None:
        config = _release_config(config, evaluated)
        release = {
            CARD_TRAINED_ON: TRAINED_ON_EVERY_SPLIT,
            CARD_EVALUATED_STUDENT_RUN_ID: evaluated["run_id"],
            CARD_EVALUATED_TEACHER_RUN_ID: evaluated[CARD_TEACHER_RUN_ID],
        }
    seed_everything(config.seed)  # a projection between different widths draws its first weights
    layers = choose_layers(distill.student_layers, teacher.num_layers)
    student = student_from_teacher(teacher, distill.student_layers)
    bank = None
    if distill.bank_ranking_weight:
        bank = teacher_reply_bank(
            teacher, tokenizer, _training_rows(dataset_dir, evaluated is not None)[0], config.max_length
        )
    return _train_and_save(
        "release_student" if evaluated else "distill_student", student, tokenizer, dataset_dir, output_dir, config,
        tags={**lineage, **_release_tags(release)},
        params={**distill.to_params(), "distill_teacher_layers": ",".join(map(str, layers)), "layers": len(layers)},
        record={**lineage, CARD_MODEL_SOURCE: teacher_run[CARD_MODEL_SOURCE], **release},
        loss_fn=DistillationLoss(teacher, student, distill, config.response_scale, reply_bank=bank),
        replies=EmbeddedBy(TorchForward(teacher)) if distill.teacher_replies else None,
        every_split=evaluated is not None,
    )  # fmt: skip


def release_teacher(
    dataset_dir: Path, evaluated_dir: Path, output_dir: Path, model_source: str, cache_dir: Path, config: TrainingConfig
) -> dict:
    """The evaluated teacher in `evaluated_dir` trained again on every split; returns its run record."""
    return train_teacher(dataset_dir, output_dir, model_source, cache_dir, config, load_run_record(evaluated_dir))


def release_student(
    dataset_dir: Path,
    teacher_dir: Path,
    evaluated_dir: Path,
    output_dir: Path,
    config: TrainingConfig,
    distill: DistillationConfig,
) -> dict:
    """The evaluated student in `evaluated_dir` distilled again on every split from the teacher in
    `teacher_dir` (the one trained again there); returns its run record."""
    return distill_student(dataset_dir, teacher_dir, output_dir, config, distill, load_run_record(evaluated_dir))


def pass_on(evaluated_dir: Path, output_dir: Path) -> dict:
    """The evaluated model itself as the release (files linked where the file system allows);
    returns its run record."""
    shutil.copytree(evaluated_dir, output_dir, dirs_exist_ok=True, copy_function=_link_or_copy)
    return load_run_record(output_dir)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, destination)


def _release_config(config: TrainingConfig, evaluated: dict) -> TrainingConfig:
    """`config` for the step count whose weights the evaluated run kept (its validation chose them)."""
    return dataclasses.replace(config, max_steps=int(evaluated["best_step"]))


def _release_tags(record: dict) -> dict[str, str]:
    return {
        key: str(record[key])
        for key in (CARD_TRAINED_ON, CARD_EVALUATED_TEACHER_RUN_ID, CARD_EVALUATED_STUDENT_RUN_ID)
        if key in record
    }


def _training_rows(dataset_dir: Path, every_split: bool) -> tuple[list[dict], list[dict]]:
    """(training rows, validation rows): the train and validation splits, or every split and none."""
    rows = rows_by_split(dataset_dir)
    if every_split:
        return [row for split in ALL_SPLITS for row in rows[split]], []
    return rows["train"], rows["validation"]


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
    every_split: bool = False,
) -> dict:
    """Train inside an MLflow run named `step`, then save the model with its run record; `replies`
    embeds validation's candidate replies (`training.loop.train`); `every_split` trains on every
    split without validation."""
    import mlflow

    from mtassist.registry import tracked_run

    training_rows, validation_rows = _training_rows(dataset_dir, every_split)
    checkpoint_dir = Path(output_dir) / _CHECKPOINT_DIR
    with tracked_run(step, tags={STEP_TAG: step, **tags}) as run:
        hardware = prepare_hardware(config.device, config.threads, config.mixed_precision)
        mlflow.log_params(
            {
                **config.to_params(),
                **params,
                **{f"hardware_{k}": v for k, v in hardware.describe().items()},
                "training_splits": ",".join(ALL_SPLITS) if every_split else "train",
                "training_rows": len(training_rows),
            }
        )
        result = train(
            model, tokenizer, training_rows, validation_rows, config, loss_fn=loss_fn,
            checkpoint_dir=checkpoint_dir, description=step.split("_")[-1], replies=replies,
            on_eval=lambda step_, metrics: mlflow.log_metrics(_prefixed(metrics, "validation_"), step=step_),
        )  # fmt: skip
        best = next((h for h in result.history if h["step"] == result.best_step), {})
        summary = {"best_step": result.best_step, "steps": result.steps}
        if validation_rows:
            summary["best_validation_score"] = result.best_score
        mlflow.log_metrics({**_prefixed(best, "best_validation_"), **summary})
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    run_record = {"run_id": run.info.run_id, **record, CARD_MAX_LENGTH: config.max_length, **summary}
    save_trained(model, tokenizer, output_dir, run_record)
    return run_record


def _prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {prefix + k: float(v) for k, v in metrics.items() if k != "step"}
