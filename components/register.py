from kfp.dsl import Artifact, Input, Model

from mtassist.components.base import component


@component
def register(
    bundle: Input[Model], evaluation: Input[Artifact], tracking_uri: str, git_commit: str, pipeline_run_id: str
) -> str:
    """Register the bundle in MLflow with its lineage and alias `challenger`; returns the version."""
    import json
    from pathlib import Path

    from mtassist.steps.release import register as run_step
    from mtassist.steps.tracking import open_tracking

    open_tracking(tracking_uri)
    student_metrics = json.loads(Path(evaluation.path).read_text())["models"]["student"]["metrics"]
    return run_step(Path(bundle.path), student_metrics, git_commit, pipeline_run_id)["version"]
