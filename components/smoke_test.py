from mtassist.components.base import component


@component
def smoke_test(
    tracking_uri: str,
    model_repository: str,
    triton_url: str,
    serving_target: str,
    deployed_version: str,
    previous_champion: str,
    check_answers: bool,
) -> str:
    """Ask the deployed model a few utterances over gRPC and check the answers.

    Without `triton_url` (or MTASSIST_TRITON_URL), a local Triton server is started on free
    loopback ports for the test and stopped after it. If the test fails, `champion` goes back
    to `previous_champion`, which is deployed again.
    """
    import json
    import os
    from pathlib import Path

    from mtassist.serving.deploy import deploy
    from mtassist.serving.smoke import smoke_test as run_step
    from mtassist.steps.release import champion_restored_on_failure
    from mtassist.steps.tracking import open_tracking

    settings = open_tracking(tracking_uri)
    repository = Path(model_repository or settings.model_repository)
    url = triton_url or os.environ.get("MTASSIST_TRITON_URL", "")
    with champion_restored_on_failure(previous_champion, lambda: deploy(repository, url, target=serving_target)):
        answers = run_step(repository, url, deployed_version, check_answers)
    return json.dumps(answers)
