from mtassist.components.base import component


@component
def deploy(tracking_uri: str, model_repository: str, triton_url: str) -> str:
    """Build the Triton model repository from the champion and load it; returns the deployed version.

    With `triton_url`, the server there is told to load the new repository through its
    model-control API; without it, the repository is left for `mtassist serve` and the smoke test.
    """
    from pathlib import Path

    from mtassist.core.registry import use_tracking
    from mtassist.settings import Settings
    from mtassist.stages import deploy as run_stage

    settings = Settings.from_env(tracking_uri=tracking_uri or None)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    return run_stage(Path(model_repository or settings.model_repository), triton_url)
