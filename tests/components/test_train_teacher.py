"""train_teacher: a model folder with its run record, and an MLflow run with its parameters and metrics."""

from pathlib import Path

import pytest
from kfp.dsl import Model
from mlflow.tracking import MlflowClient

from mtassist.components.train_teacher import train_teacher
from mtassist.contracts import (
    CARD_ADVERSARIAL_EPSILON,
    MODEL_ENCODER_DIR,
    MODEL_HEADS_FILE,
    MODEL_LABELS_FILE,
    MODEL_RUN_FILE,
    MODEL_TOKENIZER_DIR,
)
from mtassist.data.dataset import rows_by_split
from mtassist.model.source import ModelSourceError
from tests.components.conftest import TINY_STEPS


def test_the_teacher_folder_holds_the_trained_model_layout(teacher):
    folder = Path(teacher[0].path)
    for name in (MODEL_ENCODER_DIR, MODEL_HEADS_FILE, MODEL_LABELS_FILE, MODEL_TOKENIZER_DIR, MODEL_RUN_FILE):
        assert (folder / name).exists(), name
    assert not (folder / "checkpoint").exists()


def test_the_run_record_names_the_run_the_dataset_and_the_source(teacher, ingested, tiny_encoder_dir):
    model, run_id = teacher
    assert model.metadata["run_id"] == run_id
    assert model.metadata["dataset_version"] == ingested[1]
    assert model.metadata["model_source"] == str(tiny_encoder_dir)
    assert model.metadata["loss_weighting"] == "pcgrad"
    assert 1 <= model.metadata["best_step"] <= model.metadata["steps"] <= TINY_STEPS


def test_the_mlflow_run_holds_parameters_validation_metrics_and_lineage(teacher, ingested, store):
    run = MlflowClient(store.tracking_uri).get_run(teacher[1])
    assert run.data.tags["mtassist.step"] == "train_teacher"
    assert run.data.tags["dataset_version"] == ingested[1]
    assert run.data.params["layers"] == "2" and run.data.params["max_steps"] == str(TINY_STEPS)
    assert run.data.params["loss_weighting"] == "pcgrad"
    assert "validation_score" in run.data.metrics and "best_validation_score" in run.data.metrics
    assert run.data.params["training_splits"] == "train"
    assert run.data.params["training_rows"] == str(len(rows_by_split(Path(ingested[0].path))["train"]))


def test_a_model_directory_without_config_is_refused_naming_it(ingested, source_cache, store, tmp_path):
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(ModelSourceError, match="not-a-model has no config.json"):
        train_teacher.python_func(
            dataset=ingested[0], model_source=str(tmp_path / "not-a-model"), cache_dir=str(source_cache),
            tracking_uri=store.tracking_uri, epochs=1.0, loss_weighting="static", adversarial_epsilon=0.0, max_steps=1, batch_size=8, seed=13,
            teacher=Model(uri=str(tmp_path / "teacher")),
        )  # fmt: skip


def test_the_same_seed_trains_the_same_teacher(teacher, ingested, tiny_encoder_dir, source_cache, store, tmp_path):
    """Same commit, data and seed on the CPU: the same validation scores and the same weights (with
    pcgrad, whose projection order is drawn at random, and FGM's adversarial pass)."""
    import torch

    again = Model(uri=str(tmp_path / "teacher"))
    train_teacher.python_func(
        dataset=ingested[0], model_source=str(tiny_encoder_dir), cache_dir=str(source_cache),
        tracking_uri=store.tracking_uri, epochs=1.0, loss_weighting="pcgrad", adversarial_epsilon=0.05,
        max_steps=TINY_STEPS, batch_size=8, seed=13, teacher=again,
    )  # fmt: skip
    assert again.metadata["best_validation_score"] == teacher[0].metadata["best_validation_score"]
    assert again.metadata[CARD_ADVERSARIAL_EPSILON] == 0.05, "the record names FGM's epsilon"
    first = torch.load(Path(teacher[0].path) / MODEL_HEADS_FILE, weights_only=True)
    second = torch.load(Path(again.path) / MODEL_HEADS_FILE, weights_only=True)
    assert all(torch.equal(first[name], second[name]) for name in first)
