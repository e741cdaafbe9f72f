from kfp.dsl import Dataset, Input, Model, Output

from mtassist.components.base import component


@component
def distill_student(
    dataset: Input[Dataset],
    teacher: Input[Model],
    tracking_uri: str,
    student_layers: str,
    epochs: float,
    max_steps: int,
    batch_size: int,
    seed: int,
    student: Output[Model],
) -> str:
    """Distil the teacher into a student with fewer layers; returns the MLflow run id."""
    from pathlib import Path

    from mtassist.steps.tracking import open_tracking
    from mtassist.steps.train import distill_student as run_step
    from mtassist.training.config import DistillationConfig, TrainingConfig

    open_tracking(tracking_uri)
    config = TrainingConfig.for_student(epochs=epochs, max_steps=max_steps or None, batch_size=batch_size, seed=seed)
    record = run_step(
        Path(dataset.path),
        Path(teacher.path),
        Path(student.path),
        config,
        DistillationConfig(student_layers=student_layers),
    )
    student.metadata.update(record)
    return record["run_id"]
