"""release_teacher and release_student: the evaluated models passed on as they are, or trained
again on every split for the steps they kept, with records that name the evaluated runs."""

from pathlib import Path

import pytest
from kfp.dsl import Model
from mlflow.tracking import MlflowClient

from mtassist.components.export import export
from mtassist.components.release_student import release_student
from mtassist.components.release_teacher import release_teacher
from mtassist.contracts import MODEL_HEADS_FILE
from mtassist.data.dataset import rows_by_split
from mtassist.serving.bundle import read_bundle


def _release(every_split, ingested, teacher, student, tiny_encoder_dir, source_cache, store, folder):
    released_teacher = Model(uri=str(folder / "teacher"))
    released_student = Model(uri=str(folder / "student"))
    release_teacher.python_func(
        dataset=ingested[0], teacher=teacher[0], every_split=every_split, model_source=str(tiny_encoder_dir),
        cache_dir=str(source_cache), tracking_uri=store.tracking_uri, loss_weighting="pcgrad", adversarial_epsilon=0.05,
        batch_size=8, seed=13, released_teacher=released_teacher,
    )  # fmt: skip
    release_student.python_func(
        dataset=ingested[0], released_teacher=released_teacher, student=student[0], every_split=every_split,
        tracking_uri=store.tracking_uri, student_layers="1", batch_size=8, seed=13, released_student=released_student,
    )  # fmt: skip
    return released_teacher, released_student


@pytest.fixture(scope="module")
def retrained(ingested, teacher, student, tiny_encoder_dir, source_cache, store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("release-every-split")
    return _release(True, ingested, teacher, student, tiny_encoder_dir, source_cache, store, folder)


def test_without_every_split_the_evaluated_models_are_released_as_they_are(
    ingested, teacher, student, tiny_encoder_dir, source_cache, store, tmp_path
):
    released_teacher, released_student = _release(
        False, ingested, teacher, student, tiny_encoder_dir, source_cache, store, tmp_path
    )
    assert released_teacher.metadata == teacher[0].metadata and released_student.metadata == student[0].metadata
    for released, evaluated in ((released_teacher, teacher[0]), (released_student, student[0])):
        assert (Path(released.path) / MODEL_HEADS_FILE).read_bytes() == (
            Path(evaluated.path) / MODEL_HEADS_FILE
        ).read_bytes()


def test_every_split_trains_both_again_for_the_steps_they_kept(retrained, teacher, student, ingested, store):
    released_teacher, released_student = retrained
    all_rows = sum(len(rows) for rows in rows_by_split(Path(ingested[0].path)).values())
    client = MlflowClient(store.tracking_uri)
    for released, evaluated, step in (
        (released_teacher, teacher, "release_teacher"),
        (released_student, student, "release_student"),
    ):
        assert released.metadata["run_id"] != evaluated[1]
        assert released.metadata["trained_on"] == "every split"
        assert released.metadata["steps"] == released.metadata["best_step"] == evaluated[0].metadata["best_step"]
        assert "best_validation_score" not in released.metadata, "nothing is held out to validate on"
        run = client.get_run(released.metadata["run_id"])
        assert run.data.tags["mtassist.step"] == step and run.data.tags["trained_on"] == "every split"
        assert run.data.params["training_rows"] == str(all_rows)
        assert run.data.params["training_splits"] == "train,validation,test,test_values"
    assert released_student.metadata["teacher_run_id"] == released_teacher.metadata["run_id"]
    assert released_student.metadata["evaluated_student_run_id"] == student[1]
    assert released_student.metadata["evaluated_teacher_run_id"] == teacher[1]


def test_the_released_bundle_card_names_the_evaluated_runs(retrained, ingested, teacher, student, tmp_path):
    released_teacher, released_student = retrained
    bundle = Model(uri=str(tmp_path / "bundle"))
    export.python_func(dataset=ingested[0], teacher=released_teacher, student=released_student, bundle=bundle)
    card = read_bundle(Path(bundle.path)).card
    assert card["trained_on"] == "every split"
    assert card["student_run_id"] == released_student.metadata["run_id"]
    assert (card["evaluated_student_run_id"], card["evaluated_teacher_run_id"]) == (student[1], teacher[1])
