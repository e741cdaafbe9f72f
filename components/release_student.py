from kfp.dsl import Dataset, Input, Model, Output

from mtassist.components.base import component


@component
def release_student(
    dataset: Input[Dataset],
    released_teacher: Input[Model],
    student: Input[Model],
    every_split: bool,
    tracking_uri: str,
    student_layers: str,
    batch_size: int,
    seed: int,
    released_student: Output[Model],
) -> str:
    """The student the release serves: with `every_split`, the evaluated student distilled again on
    every split, from the released teacher, for the steps it kept; otherwise the evaluated student
    itself. Returns its MLflow run id."""
    from pathlib import Path

    from mtassist.steps.tracking import open_tracking
    from mtassist.steps.train import pass_on
    from mtassist.steps.train import release_student as run_step
    from mtassist.training.config import DistillationConfig, TrainingConfig

    if every_split:
        open_tracking(tracking_uri)
        record = run_step(
            Path(dataset.path),
            Path(released_teacher.path),
            Path(student.path),
            Path(released_student.path),
            TrainingConfig.for_student(batch_size=batch_size, seed=seed),
            DistillationConfig(student_layers=student_layers),
        )
    else:
        record = pass_on(Path(student.path), Path(released_student.path))
    released_student.metadata.update(record)
    return record["run_id"]
