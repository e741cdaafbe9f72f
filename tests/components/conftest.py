"""The pipeline's components run once, in order, as plain functions on local artifacts.

Each component's test file asserts what its component wrote; the chain shares one small
dataset, one tiny trained teacher and student (a 2-layer BERT of hidden size 32 saved as a local
Hugging Face model directory, so the real loading code reads it), one MLflow store and one
model repository. Nothing here starts a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Markdown, Metrics, Model

TINY_STEPS = 6
"""Training steps of the tiny teacher and student: enough to run every part of the loop."""


@dataclass
class Store:
    tracking_uri: str
    folder: Path


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory):
    """The MLflow store the components write to (artifacts beside it, not in ./.mtassist)."""
    import mlflow

    folder = tmp_path_factory.mktemp("pipeline-store")
    saved = os.environ.get("MTASSIST_ARTIFACT_ROOT")
    os.environ["MTASSIST_ARTIFACT_ROOT"] = (folder / "artifacts").as_uri()
    yield Store(f"sqlite:///{folder / 'mlflow.db'}", folder)
    mlflow.set_tracking_uri(None)
    if saved is None:
        os.environ.pop("MTASSIST_ARTIFACT_ROOT", None)
    else:
        os.environ["MTASSIST_ARTIFACT_ROOT"] = saved


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> tuple[Dataset, str]:
    from mtassist.components.ingest import ingest

    dataset = Dataset(uri=str(tmp_path_factory.mktemp("ingest") / "dataset"))
    version = ingest.python_func(data_size="small", seed=13, cache_dir=str(source_cache), dataset=dataset)
    return dataset, version


@pytest.fixture(scope="session")
def teacher(ingested, tiny_encoder_dir, source_cache, store, tmp_path_factory) -> tuple[Model, str]:
    from mtassist.components.train_teacher import train_teacher

    model = Model(uri=str(tmp_path_factory.mktemp("teacher") / "model"))
    run_id = train_teacher.python_func(
        dataset=ingested[0], model_source=str(tiny_encoder_dir), cache_dir=str(source_cache),
        tracking_uri=store.tracking_uri, epochs=1.0, loss_weighting="pcgrad", adversarial_epsilon=0.05,
        max_steps=TINY_STEPS, batch_size=8, seed=13, teacher=model,
    )  # fmt: skip
    return model, run_id


@pytest.fixture(scope="session")
def student(ingested, teacher, store, tmp_path_factory) -> tuple[Model, str]:
    from mtassist.components.distill_student import distill_student

    model = Model(uri=str(tmp_path_factory.mktemp("student") / "model"))
    run_id = distill_student.python_func(
        dataset=ingested[0], teacher=teacher[0], tracking_uri=store.tracking_uri, student_layers="1",
        epochs=1.0, max_steps=TINY_STEPS, batch_size=8, seed=13, student=model,
    )  # fmt: skip
    return model, run_id


@dataclass
class Evaluated:
    score: float
    evaluation: Artifact
    student_metrics: Metrics
    teacher_metrics: Metrics
    route_confusion: ClassificationMetrics
    intent_confusion: ClassificationMetrics
    sentiment_confusion: ClassificationMetrics
    report: Markdown


@pytest.fixture(scope="session")
def evaluated(ingested, teacher, student, tmp_path_factory) -> Evaluated:
    from mtassist.components.evaluate import evaluate

    folder = tmp_path_factory.mktemp("evaluate")
    outputs = {
        "evaluation": Artifact(uri=str(folder / "evaluation.json")),
        "student_metrics": Metrics(uri=str(folder / "student_metrics")),
        "teacher_metrics": Metrics(uri=str(folder / "teacher_metrics")),
        "route_confusion": ClassificationMetrics(uri=str(folder / "route_confusion")),
        "intent_confusion": ClassificationMetrics(uri=str(folder / "intent_confusion")),
        "sentiment_confusion": ClassificationMetrics(uri=str(folder / "sentiment_confusion")),
        "report": Markdown(uri=str(folder / "report.md")),
    }
    score = evaluate.python_func(dataset=ingested[0], teacher=teacher[0], student=student[0], **outputs)
    return Evaluated(score=score, **outputs)


@pytest.fixture(scope="session")
def exported(ingested, teacher, student, tmp_path_factory) -> tuple[Model, str]:
    from mtassist.components.export import export

    bundle = Model(uri=str(tmp_path_factory.mktemp("export") / "bundle"))
    return bundle, export.python_func(dataset=ingested[0], teacher=teacher[0], student=student[0], bundle=bundle)


@pytest.fixture(scope="session")
def registered(exported, evaluated, store) -> str:
    from mtassist.components.register import register

    return register.python_func(
        bundle=exported[0],
        evaluation=evaluated.evaluation,
        tracking_uri=store.tracking_uri,
        git_commit="abc123",
        pipeline_run_id="run-123",
    )


@pytest.fixture(scope="session")
def promoted(registered, ingested, store):
    """The first version ever: the gate promotes it when it is inside the latency budget."""
    from mtassist.components.promote import promote

    return promote.python_func(
        version=registered,
        dataset=ingested[0],
        tracking_uri=store.tracking_uri,
        latency_budget_ms=1000.0,
        gate_tolerance=0.01,
        pipeline_run_id="run-123",
    )


@pytest.fixture(scope="session")
def deployed(promoted, store) -> tuple[Path, str]:
    from mtassist.components.deploy import deploy

    repository = store.folder / "model-repository"
    version = deploy.python_func(
        tracking_uri=store.tracking_uri, model_repository=str(repository), triton_url="", serving_target="local",
        previous_champion=promoted.previous_champion,
    )  # fmt: skip
    return repository, version
