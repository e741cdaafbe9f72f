from mtassist.components.base import component


@component
def deploy(
    tracking_uri: str, model_repository: str, triton_url: str, serving_target: str, previous_champion: str
) -> str:
    """Build the Triton model repository from the champion and load it; returns the deployed version.

    With `triton_url` (or MTASSIST_TRITON_URL), the server there is told to load the new
    repository through its model-control API; without it, the repository is left for
    `mtassist serve` and the smoke test. `serving_target` is one of contracts.SERVING_TARGETS:
    "local" (python backend, the wheel's tritonserver), "onnxruntime" or "tensorrt" (the NGC
    image in a cluster). If the
    deployment fails, `champion` goes back to `previous_champion`.
    """
    import os
    from pathlib import Path

    from mtassist.serving.deploy import deploy as run_step
    from mtassist.steps.release import champion_restored_on_failure
    from mtassist.steps.tracking import open_tracking

    settings = open_tracking(tracking_uri)
    with champion_restored_on_failure(previous_champion):
        return run_step(
            Path(model_repository or settings.model_repository),
            triton_url or os.environ.get("MTASSIST_TRITON_URL", ""),
            target=serving_target,
        )
