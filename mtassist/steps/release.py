"""The release steps: register a version with its lineage, promote it through the gate, and put
the earlier champion back when its rollout fails. MLflow and ONNX Runtime: the gate scores the
registered bundles themselves."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from mtassist.contracts import (
    BUNDLE_CARD,
    CARD_EVALUATED_STUDENT_RUN_ID,
    CARD_EVALUATED_TEACHER_RUN_ID,
    CARD_LATENCY_P50_MS,
    CARD_LATENCY_P95_MS,
    CARD_STUDENT_RUN_ID,
    CARD_TEACHER_RUN_ID,
    CARD_TRAINED_ON,
    CHALLENGER_ALIAS,
    CHAMPION_ALIAS,
    LINEAGE_GIT_COMMIT,
    LINEAGE_KEYS,
    LINEAGE_PACKAGES,
    LINEAGE_PIPELINE_RUN,
    TAG_GATE,
    TAG_METRIC_SOURCES,
    TRAINED_ON_TRAIN_SPLIT,
)
from mtassist.errors import MtassistError

log = logging.getLogger(__name__)

LINEAGE_PACKAGE_NAMES = ("torch", "transformers", "tokenizers", "onnx", "onnxruntime", "mlflow", "kfp", "hassil")
"""The packages whose versions shape a model, recorded on every registered version."""


class RolloutFailed(MtassistError):
    """Deploying or smoke-testing the champion failed; the earlier champion was put back."""


def installed_packages(names: tuple[str, ...] = LINEAGE_PACKAGE_NAMES) -> str:
    """ "torch==2.13.0 transformers==..." for the packages of `names` installed here."""
    found = []
    for name in names:
        try:
            found.append(f"{name}=={package_version(name)}")
        except PackageNotFoundError:
            continue
    return " ".join(found)


def register(bundle_dir: Path, student_metrics: dict[str, float], git_commit: str, pipeline_run_id: str = "") -> dict:
    """Register the bundle as a new version aliased `challenger`, with its lineage."""
    from mtassist.registry import register_bundle

    card = json.loads((Path(bundle_dir) / BUNDLE_CARD).read_text())
    lineage = {key: str(card[key]) for key in LINEAGE_KEYS if key in card}
    lineage[LINEAGE_GIT_COMMIT] = git_commit
    lineage[LINEAGE_PIPELINE_RUN] = pipeline_run_id
    lineage[LINEAGE_PACKAGES] = installed_packages()
    lineage[TAG_METRIC_SOURCES] = json.dumps(metric_sources(card))
    latency = {key: card[key] for key in (CARD_LATENCY_P50_MS, CARD_LATENCY_P95_MS)}
    version = register_bundle(Path(bundle_dir), {**student_metrics, **latency}, lineage)
    return asdict(version)


def metric_sources(card: dict) -> dict:
    """Where a version's metrics come from: the evaluated student (and its teacher), the rows its
    weights trained on, and the rows behind each metric prefix; the latency is the bundle's own."""
    from mtassist.evaluation import METRIC_SOURCES

    return {
        "evaluated_student_run_id": card.get(CARD_EVALUATED_STUDENT_RUN_ID, card.get(CARD_STUDENT_RUN_ID)),
        "evaluated_teacher_run_id": card.get(CARD_EVALUATED_TEACHER_RUN_ID, card.get(CARD_TEACHER_RUN_ID)),
        "evaluated_models_trained_on": TRAINED_ON_TRAIN_SPLIT,
        "released_weights_trained_on": card.get(CARD_TRAINED_ON, TRAINED_ON_TRAIN_SPLIT),
        "metric_prefixes": {prefix or "(none)": rows for prefix, rows in METRIC_SOURCES.items()},
        "latency": "the released bundle, measured at export",
    }


def bundle_metrics(reference: str, rows: list[dict]) -> dict[str, float]:
    """The gate metrics of a registered version's FP32 graph on `rows`.

    Raises:
        ValueError: when the version's label space lacks a label of the rows (another task set).
    """
    from mtassist.evaluation import evaluate
    from mtassist.inference import bundle_forward
    from mtassist.registry import download_bundle

    with tempfile.TemporaryDirectory(prefix="mtassist-gate-") as scratch:
        bundle, _ = download_bundle(reference, Path(scratch))
        forward, tokenizer, max_length = bundle_forward(bundle)
        return evaluate(forward, tokenizer, rows, max_length).metrics


def promote(
    version: str, latency_budget_ms: float, dataset_dir: Path, tolerance: float, by: str = "the pipeline"
) -> dict:
    """Move `champion` to the challenger if the gate says so; the earlier champion stays otherwise.

    Both versions are scored on the challenger's test split (from `dataset_dir`) by their own
    bundles, so the gate compares like for like. A version whose weights trained on every split
    (CARD_TRAINED_ON) has seen test rows: it is compared on its registered metrics, those of the
    evaluated runs it was trained again after, as is a champion whose label space cannot read
    that split (other intents); the verdict says which.
    """
    from mtassist.aliases import make_champion
    from mtassist.data.dataset import load_manifest, rows_by_split
    from mtassist.promotion import GATE_METRICS, GateConfig, decide
    from mtassist.registry import set_version_tags, version_by_alias, version_metrics

    challenger = version_by_alias(CHALLENGER_ALIAS)
    if challenger is None or challenger.version != version:
        raise RuntimeError(f"version {version} is not the {CHALLENGER_ALIAS}; register it before promoting")
    champion = version_by_alias(CHAMPION_ALIAS)
    previous = champion.version if champion else ""
    challenger_metrics = version_metrics(challenger)
    champion_metrics = None
    compared_on = "no champion"
    if champion and champion.version != version:
        rows = rows_by_split(dataset_dir)["test"]
        split = f"test split of dataset {load_manifest(dataset_dir)['version'][:12]}"
        scored = {}
        challenger_metrics, scored["challenger"] = _gate_metrics(version, challenger_metrics, rows, split)
        champion_metrics, scored["champion"] = _gate_metrics(champion.version, version_metrics(champion), rows, split)
        compared_on = split if set(scored.values()) == {split} else "; ".join(f"{k}: {v}" for k, v in scored.items())
    decision = decide(challenger_metrics, champion_metrics, GateConfig(tolerance, latency_budget_ms=latency_budget_ms))
    verdict = {
        "promoted": decision.promote,
        "reason": decision.reason,
        "champion_version": previous,
        "compared_on": compared_on,
        "challenger": {metric: round(challenger_metrics.get(metric, float("nan")), 4) for metric in GATE_METRICS},
        "champion": {metric: round(champion_metrics[metric], 4) for metric in GATE_METRICS} if champion_metrics else {},
    }
    set_version_tags(version, {TAG_GATE: json.dumps(verdict)})
    if decision.promote and previous != version:
        make_champion(version, by)
    current = version_by_alias(CHAMPION_ALIAS)
    log.info("version %s %s: %s", version, "promoted" if decision.promote else "not promoted", decision.reason)
    return {**verdict, "champion": current.version if current else "", "previous_champion": previous}


def _gate_metrics(
    version: str, registered: dict[str, float], rows: list[dict], split: str
) -> tuple[dict[str, float], str]:
    """A version's gate metrics and where they come from: its bundle scored on `rows` (`split`), or
    its `registered` metrics when its weights trained on every split or cannot read the rows."""
    from mtassist.registry import find_version

    if find_version(version).tags.get(CARD_TRAINED_ON, TRAINED_ON_TRAIN_SPLIT) != TRAINED_ON_TRAIN_SPLIT:
        return registered, "registered held-out metrics (its weights trained on every split)"
    try:
        return {**registered, **bundle_metrics(version, rows)}, split
    except ValueError as error:
        return registered, f"registered metrics: version {version} cannot read this test split ({error})"


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
