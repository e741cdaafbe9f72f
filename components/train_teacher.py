from kfp.dsl import Dataset, Input, Model, Output

from mtassist.components.base import component


@component
def train_teacher(
    dataset: Input[Dataset],
    model_source: str,
    cache_dir: str,
    tracking_uri: str,
    epochs: float,
    loss_weighting: str,
    adversarial_epsilon: float,
    max_steps: int,
    batch_size: int,
    seed: int,
    teacher: Output[Model],
) -> str:
    """Fine-tune the pretrained encoder on every task; returns the MLflow run id."""
    from pathlib import Path

    from mtassist.steps.tracking import open_tracking
    from mtassist.steps.train import train_teacher as run_step
    from mtassist.training.config import TrainingConfig

    settings = open_tracking(tracking_uri)
    config = TrainingConfig(
        epochs=epochs,
        loss_weighting=loss_weighting,
        adversarial_epsilon=adversarial_epsilon,
        max_steps=max_steps or None,
        batch_size=batch_size,
        seed=seed,
    )
    record = run_step(
        Path(dataset.path),
        Path(teacher.path),
        model_source or settings.model_source,
        Path(cache_dir or settings.cache_dir),
        config,
    )
    teacher.metadata.update(record)
    return record["run_id"]
