"""Rolling a repository's served version out to a running Triton server, with no request failing.

The server runs in explicit model-control mode. `build_model_repository` has written the new
version's folders and configs (the step models keep the previous version too); `roll_out` then
asks the server to load every model again, steps first, so that:
- `assistant` switches in one reload: Triton keeps the old version answering until the new one
  is ready (a reload that fails leaves the old one serving);
- the ensemble's steps have both versions loaded before the ensemble is pinned to the new one;
- the same version loaded again (a redeploy) is a reload of rewritten files.
Then it asks the served models and checks that the answers come from the new version.
"""

from __future__ import annotations

from pathlib import Path

from mtassist.contracts import TRITON_ASSISTANT_MODEL, TRITON_ENSEMBLE_MODEL
from mtassist.errors import MtassistError
from mtassist.serving.client import AssistantClient
from mtassist.serving.model_configs import MODEL_NAMES
from mtassist.serving.repository import read_manifest
from mtassist.serving.smoke import SMOKE_EXAMPLES


class RolloutError(MtassistError, RuntimeError):
    """The server did not load the new version, or answered from another one."""


def roll_out(client: AssistantClient, repository: Path) -> str:
    """Load the repository's served version into the server behind `client`; return that version.

    Raises:
        RolloutError: a model failed to load (the server keeps what it served), or an answer
            came from another version.
    """
    manifest = read_manifest(repository)
    expected = str(manifest["model_version"])
    models = [name for name in MODEL_NAMES if name in manifest["models"]]
    try:
        client.load_models(models)
    except MtassistError as error:
        raise RolloutError(f"the server at {client.url} did not load version {expected}: {error}") from error
    for model in (TRITON_ASSISTANT_MODEL, TRITON_ENSEMBLE_MODEL):
        if model not in models:
            continue
        answers = client.ask(list(SMOKE_EXAMPLES), model=model)
        served = sorted({str(answer.get("model_version")) for answer in answers})
        if served != [expected]:
            raise RolloutError(f"{model} at {client.url} answered from version {', '.join(served)}, not {expected}")
    return expected
