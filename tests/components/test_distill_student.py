"""distill_student: a student with fewer layers, tracked as a run of its own that names its teacher."""

from pathlib import Path

from mlflow.tracking import MlflowClient

from mtassist.model.storage import load_trained


def test_the_student_keeps_the_asked_layers_and_every_head(student, teacher):
    model, _tokenizer, run = load_trained(Path(student[0].path))
    teacher_model, _, _ = load_trained(Path(teacher[0].path))
    assert model.num_layers == 1 and teacher_model.num_layers == 2
    assert model.labels == teacher_model.labels
    assert run["teacher_run_id"] == teacher[1] and run["run_id"] == student[1]


def test_the_student_run_is_tagged_with_its_teacher_and_distillation_settings(student, teacher, store):
    run = MlflowClient(store.tracking_uri).get_run(student[1])
    assert run.data.tags["teacher_run_id"] == teacher[1]
    assert run.data.tags["mtassist.step"] == "distill_student"
    assert run.data.params["distill_student_layers"] == "1"
    assert "distill_temperature" in run.data.params
