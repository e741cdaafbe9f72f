from mtassist.components.base import component


@component
def smoke_test(model_repository: str, triton_url: str, deployed_version: str, check_answers: bool) -> str:
    """Ask the deployed model a few utterances over gRPC and check the answers.

    Without `triton_url` (or MTASSIST_TRITON_URL), a local Triton server is started on free loopback ports for the test
    and stopped after it.
    """
    import json
    import os
    from pathlib import Path

    from mtassist.settings import Settings
    from mtassist.stages import smoke_test as run_stage

    answers = run_stage(
        Path(model_repository or Settings.from_env().model_repository),
        triton_url or os.environ.get("MTASSIST_TRITON_URL", ""), deployed_version, check_answers,
    )
    return json.dumps(answers)
