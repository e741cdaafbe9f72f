"""The release steps: register a version with its lineage, promote it through the gate, and put
the earlier champion back when its rollout fails. MLflow only: nothing here imports torch."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from mtassist.contracts import (
    BUNDLE_CARD,
    CARD_LATENCY_P50_MS,
    CARD_LATENCY_P95_MS,
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    LINEAGE_GIT_COMMIT,
    LINEAGE_KEYS,
)
from mtassist.errors import MtassistError

log = logging.getLogger(__name__)


class RolloutFailed(MtassistError):
    """Deploying or smoke-testing the champion failed; the earlier champion was put back."""


def register(bundle_dir: Path, student_metrics: dict[str, float], git_commit: str) -> dict:
    """Register the bundle as a new version aliased `challenger`, with its lineage."""
    from mtassist.registry import register_bundle

    card = json.loads((Path(bundle_dir) / BUNDLE_CARD).read_text())
    lineage = {key: str(card[key]) for key in LINEAGE_KEYS}
    lineage[LINEAGE_GIT_COMMIT] = git_commit
    latency = {key: card[key] for key in (CARD_LATENCY_P50_MS, CARD_LATENCY_P95_MS)}
    version = register_bundle(Path(bundle_dir), {**student_metrics, **latency}, lineage)
    return asdict(version)


def promote(version: str, latency_budget_ms: float) -> dict:
    """Move `champion` to the challenger if the gate says so; the earlier champion stays otherwise."""
    from mtassist.promotion import GateConfig, decide
    from mtassist.registry import set_alias, version_by_alias, version_metrics

    challenger = version_by_alias(CHALLENGER_ALIAS)
    if challenger is None or challenger.version != version:
        raise RuntimeError(f"version {version} is not the {CHALLENGER_ALIAS}; register it before promoting")
    champion = version_by_alias(CHAMPION_ALIAS)
    previous = champion.version if champion else ""
    champion_metrics = version_metrics(champion) if champion and champion.version != version else None
    decision = decide(version_metrics(challenger), champion_metrics, GateConfig(latency_budget_ms=latency_budget_ms))
    if decision.promote:
        set_alias(CHAMPION_ALIAS, version)
    current = version_by_alias(CHAMPION_ALIAS)
    verdict = f"promoted to {CHAMPION_ALIAS}" if decision.promote else "not promoted"
    log.info("version %s %s: %s", version, verdict, decision.reason)
    return {
        "promoted": decision.promote,
        "reason": decision.reason,
        "champion": current.version if current else "",
        "previous_champion": previous,
    }


@contextmanager
def champion_restored_on_failure(
    previous_champion: str, redeploy: Callable[[], object] | None = None
) -> Iterator[None]:
    """On any failure inside, point `champion` back at `previous_champion` (or remove it when
    there was none) and, with `redeploy`, serve that version again; then raise RolloutFailed."""
    from mtassist.registry import remove_alias, set_alias, version_by_alias

    try:
        yield
    except Exception as error:
        current = version_by_alias(CHAMPION_ALIAS)
        if current is None or current.version == previous_champion:
            raise
        if previous_champion:
            set_alias(CHAMPION_ALIAS, previous_champion)
            if redeploy is not None:
                redeploy()
            restored = f"{CHAMPION_ALIAS} is version {previous_champion} again"
        else:
            remove_alias(CHAMPION_ALIAS)
            restored = f"the {CHAMPION_ALIAS} alias was removed, as before this run"
        raise RolloutFailed(f"{error} -- version {current.version} was not released: {restored}") from error
