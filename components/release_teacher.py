from kfp.dsl import Dataset, Input, Model, Output

from mtassist.components.base import component


@component
def release_teacher(
    dataset: Input[Dataset],
    teacher: Input[Model],
    every_split: bool,
    model_source: str,
    cache_dir: str,
    tracking_uri: str,
    loss_weighting: str,
    adversarial_epsilon: float,
    batch_size: int,
    seed: int,
    released_teacher: Output[Model],
) -> str:
    """The teacher the release serves: with `every_split`, the evaluated teacher trained again on
    every split for the steps it kept; otherwise the evaluated teacher itself. Returns its MLflow run id."""
    from pathlib import Path

    from mtassist.steps.tracking import open_tracking
    from mtassist.steps.train import pass_on
    from mtassist.steps.train import release_teacher as run_step
    from mtassist.training.config import TrainingConfig

    if every_split:
        settings = open_tracking(tracking_uri)
        config = TrainingConfig(
            loss_weighting=loss_weighting, adversarial_epsilon=adversarial_epsilon, batch_size=batch_size, seed=seed
        )
        record = run_step(
            Path(dataset.path),
            Path(teacher.path),
            Path(released_teacher.path),
            model_source or settings.model_source,
            Path(cache_dir or settings.cache_dir),
            config,
        )
    else:
        record = pass_on(Path(teacher.path), Path(released_teacher.path))
    released_teacher.metadata.update(record)
    return record["run_id"]
