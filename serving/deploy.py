"""Deploying a registered version: its folders in the Triton model repository, rolled out to a running server."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from mtassist.contracts import BUNDLE_CARD, CARD_MODEL_VERSION, CHAMPION_ALIAS, SERVING_LOCAL
from mtassist.serving.model_configs import ServingOptions

log = logging.getLogger(__name__)


def deploy(
    model_repository: Path,
    triton_url: str = "",
    reference: str = CHAMPION_ALIAS,
    target: str = SERVING_LOCAL,
    options: ServingOptions = ServingOptions(),
) -> str:
    """Install a registered version (an alias or a number; the champion by default) and serve it.

    The bundle is downloaded and its SHA-256 manifest checked; its version's folders are written
    beside the served ones, which stay for rollback (`repository.build_model_repository`). With
    `triton_url`, the server there (in explicit model-control mode) loads the new version with no
    request failing, and its answers are checked to come from it (`rollout.roll_out`). Returns the
    deployed version.
    """
    from mtassist.registry import download_bundle
    from mtassist.serving.repository import build_model_repository

    model_repository.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=model_repository.parent) as scratch:
        bundle_dir, version = download_bundle(reference, Path(scratch))
        card_path = bundle_dir / BUNDLE_CARD
        card_path.write_text(json.dumps({**json.loads(card_path.read_text()), CARD_MODEL_VERSION: version.version}))
        build_model_repository(bundle_dir, model_repository, target=target, options=options)
    log.info("model repository %s now serves version %s", model_repository, version.version)
    if triton_url:
        from mtassist.serving.client import AssistantClient
        from mtassist.serving.rollout import roll_out

        with AssistantClient(triton_url) as client:
            roll_out(client, model_repository)
        log.info("the server at %s serves version %s", triton_url, version.version)
    return version.version
