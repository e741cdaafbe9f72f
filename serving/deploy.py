"""Deploying a registered version: its Triton model repository, loaded by a running server."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from mtassist.contracts import BUNDLE_CARD, CARD_MODEL_VERSION, CHAMPION_ALIAS, SERVING_LOCAL

log = logging.getLogger(__name__)


def deploy(
    model_repository: Path, triton_url: str = "", reference: str = CHAMPION_ALIAS, target: str = SERVING_LOCAL
) -> str:
    """Build the Triton model repository from a registered version (the champion by default).

    The repository is written beside the old one and swapped in model by model, so a failed
    build leaves the serving repository as it was. With `triton_url`, the server there reloads
    the models through its model-control API. Returns the deployed version.
    """
    from mtassist.registry import download_bundle
    from mtassist.serving.repository import build_model_repository

    model_repository.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=model_repository.parent) as scratch:
        bundle_dir, version = download_bundle(reference, Path(scratch))
        card_path = bundle_dir / BUNDLE_CARD
        card_path.write_text(json.dumps({**json.loads(card_path.read_text()), CARD_MODEL_VERSION: version.version}))
        build_model_repository(bundle_dir, model_repository, target=target)
    log.info("model repository %s now holds version %s", model_repository, version.version)
    if triton_url:
        from mtassist.serving.client import AssistantClient
        from mtassist.serving.repository import read_manifest

        with AssistantClient(triton_url) as client:
            client.load_models(read_manifest(model_repository)["models"])
    return version.version
