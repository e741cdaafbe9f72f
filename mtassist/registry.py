"""The MLflow tracking store and model registry: runs, versions with lineage, aliases.

A registered version is a pyfunc model whose artifact `bundle` is the model bundle that serving
reads; its run holds the test metrics; its tags hold its lineage, among them the SHA-256 of the
bundle's manifest (LINEAGE_BUNDLE_SHA256), which every download checks. Nothing here changes
MLflow's global state on import: `use_tracking` is called by whoever needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mtassist.contracts import (
    BUNDLE_MANIFEST,
    CHALLENGER_ALIAS,
    LINEAGE_BUNDLE_SHA256,
    MLFLOW_BUNDLE_ARTIFACT,
    MLFLOW_EXPERIMENT,
    REGISTERED_MODEL_NAME,
)
from mtassist.errors import MtassistError
from mtassist.hashing import DigestMismatch, sha256_file, verify_manifest

log = logging.getLogger(__name__)

PYFUNC_PACKAGES = ("onnxruntime", "onnx", "tokenizers", "transformers", "numpy", "mlflow")
"""What the registered pyfunc needs, pinned at the versions installed here (pyproject.toml's pins)."""


def pyfunc_requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in PYFUNC_PACKAGES]


class RegistryError(MtassistError):
    """A registry lookup that found nothing, or a registry that cannot be reached."""


class ArtifactMismatch(RegistryError):
    """A version's downloaded bundle is not the one its LINEAGE_BUNDLE_SHA256 tag names."""


def use_tracking(tracking_uri: str, artifact_root: str | None = None) -> MlflowClient:
    """Point MLflow at a tracking store and make sure the mtassist experiment exists."""
    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    try:
        if mlflow.get_experiment_by_name(MLFLOW_EXPERIMENT) is None:
            mlflow.create_experiment(MLFLOW_EXPERIMENT, artifact_location=artifact_root)
    except MlflowException as error:
        raise _unreachable(error) from error
    mlflow.set_experiment(MLFLOW_EXPERIMENT)
    return MlflowClient(tracking_uri)


@contextmanager
def tracked_run(name: str, tags: dict[str, str] | None = None) -> Iterator[mlflow.ActiveRun]:
    with mlflow.start_run(run_name=name, tags=tags) as run:
        yield run


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: str
    run_id: str


def register_bundle(bundle_dir: Path, metrics: dict[str, float], lineage: dict[str, str]) -> RegisteredVersion:
    """Log the bundle as a pyfunc model, register it, tag its lineage and alias it `challenger`.

    The bundle's manifest is checked first and its SHA-256 becomes the LINEAGE_BUNDLE_SHA256 tag.

    Raises:
        ArtifactMismatch: when a file of the bundle is not the one its manifest names.
    """
    from mtassist.pyfunc import AssistantPyfunc

    digest = sha256_file(Path(bundle_dir) / BUNDLE_MANIFEST)
    _verify(Path(bundle_dir), digest, "the bundle to register")
    lineage = {**lineage, LINEAGE_BUNDLE_SHA256: digest}
    client = MlflowClient()
    with tracked_run("register", tags={"mtassist.step": "register", **lineage}) as run:
        mlflow.log_metrics(metrics)
        mlflow.log_params({f"lineage.{k}": v for k, v in lineage.items()})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=AssistantPyfunc(),
            artifacts={MLFLOW_BUNDLE_ARTIFACT: str(bundle_dir)},
            pip_requirements=pyfunc_requirements(),
            registered_model_name=REGISTERED_MODEL_NAME,
        )
    version = str(info.registered_model_version)
    for key, value in lineage.items():
        client.set_model_version_tag(REGISTERED_MODEL_NAME, version, key, value)
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, CHALLENGER_ALIAS, version)
    log.info("registered %s version %s as %s", REGISTERED_MODEL_NAME, version, CHALLENGER_ALIAS)
    return RegisteredVersion(REGISTERED_MODEL_NAME, version, run.info.run_id)


_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
"""MLflow's error codes for a version or an alias that does not exist."""


def version_by_alias(alias: str) -> RegisteredVersion | None:
    client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, alias)
    except MlflowException as error:
        if error.error_code not in _NOT_FOUND:
            raise _unreachable(error) from error
        return None
    return RegisteredVersion(REGISTERED_MODEL_NAME, str(version.version), version.run_id)


def find_version(reference: str) -> ModelVersion:
    """The version a number or an alias names.

    Raises:
        RegistryError: when there is none (a number never registered or deleted, an alias that is
            not set or whose version was deleted), or when the registry cannot be reached.
    """
    client, reference = MlflowClient(), str(reference)
    try:
        if reference.isdigit():
            return client.get_model_version(REGISTERED_MODEL_NAME, reference)
        return client.get_model_version_by_alias(REGISTERED_MODEL_NAME, reference)
    except MlflowException as error:
        if error.error_code not in _NOT_FOUND:
            raise _unreachable(error) from error
        what = (
            f"no version {reference} of {REGISTERED_MODEL_NAME}"
            if reference.isdigit()
            else f"no version of {REGISTERED_MODEL_NAME} has the alias '{reference}'"
        )
        raise RegistryError(
            f"{what} in the registry at {mlflow.get_tracking_uri()}: "
            "run `mtassist run` to train and register one, or see `mtassist models list`"
        ) from error


def _unreachable(error: MlflowException) -> RegistryError:
    return RegistryError(
        f"cannot use the MLflow tracking store and registry at {mlflow.get_tracking_uri()} "
        f"({error.message.splitlines()[0][:300]}): start it, or point --tracking-uri (MTASSIST_TRACKING_URI) at one "
        "that runs"
    )


def all_versions() -> list[ModelVersion]:
    """Every version of the registered model, newest first (none before the first registration)."""
    try:
        found = MlflowClient().search_model_versions(f"name = '{REGISTERED_MODEL_NAME}'")
    except MlflowException as error:
        raise _unreachable(error) from error
    return sorted(found, key=lambda version: int(version.version), reverse=True)


def aliases_by_version() -> dict[str, list[str]]:
    """{version: [alias, ...]} of the registered model (empty before the first registration)."""
    try:
        aliases = MlflowClient().get_registered_model(REGISTERED_MODEL_NAME).aliases
    except MlflowException as error:
        if error.error_code in _NOT_FOUND:
            return {}
        raise _unreachable(error) from error
    found: dict[str, list[str]] = {}
    for alias, version in sorted(aliases.items()):
        found.setdefault(str(version), []).append(alias)
    return found


def version_metrics(version: RegisteredVersion | ModelVersion) -> dict[str, float]:
    return dict(MlflowClient().get_run(version.run_id).data.metrics)


def set_version_tags(version: str, tags: dict[str, str]) -> None:
    client = MlflowClient()
    for key, value in tags.items():
        client.set_model_version_tag(REGISTERED_MODEL_NAME, version, key, value)


def set_alias(alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(REGISTERED_MODEL_NAME, alias, version)


def remove_alias(alias: str) -> None:
    MlflowClient().delete_registered_model_alias(REGISTERED_MODEL_NAME, alias)


def download_bundle(reference: str, destination: Path) -> tuple[Path, RegisteredVersion]:
    """Download and check the bundle of a version, given an alias (`champion`) or a version number.

    Raises:
        RegistryError: when no such version exists, with what to do about it.
        ArtifactMismatch: when the downloaded bundle is not the one the version's tag names.
    """
    found = find_version(reference)
    version = RegisteredVersion(REGISTERED_MODEL_NAME, str(found.version), found.run_id)
    destination.mkdir(parents=True, exist_ok=True)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{REGISTERED_MODEL_NAME}/{version.version}", dst_path=str(destination)
    )
    bundle = _bundle_in(Path(local))
    digest = found.tags.get(LINEAGE_BUNDLE_SHA256)
    if digest:
        _verify(bundle, digest, f"version {version.version}")
    else:
        log.warning("version %s has no %s tag: its files cannot be checked", version.version, LINEAGE_BUNDLE_SHA256)
    return bundle, version


def _bundle_in(model_dir: Path) -> Path:
    """The bundle's folder inside a downloaded pyfunc model (named as the folder that was logged)."""
    artifacts = mlflow.models.Model.load(str(model_dir)).flavors["python_function"].get("artifacts", {})
    if MLFLOW_BUNDLE_ARTIFACT not in artifacts:
        raise RegistryError(
            f"the model in {model_dir} has no '{MLFLOW_BUNDLE_ARTIFACT}' artifact: not an mtassist bundle"
        )
    return model_dir / artifacts[MLFLOW_BUNDLE_ARTIFACT]["path"]


def _verify(bundle: Path, digest: str, what: str) -> None:
    try:
        verify_manifest(bundle, BUNDLE_MANIFEST, digest)
    except DigestMismatch as error:
        raise ArtifactMismatch(f"{what} fails its SHA-256 check and is refused: {error}") from error
