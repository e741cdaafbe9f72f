"""The MLflow tracking store and model registry: runs, versions with lineage, aliases.

A registered version is a pyfunc model whose artifact `bundle` is the model bundle that serving
reads; its run holds the test metrics that the promotion gate compares. Nothing here changes
MLflow's global state on import: `use_tracking` is called by whoever needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mtassist.contracts import CHALLENGER_ALIAS, MLFLOW_BUNDLE_ARTIFACT, MLFLOW_EXPERIMENT, REGISTERED_MODEL_NAME
from mtassist.errors import MtassistError

log = logging.getLogger(__name__)

PYFUNC_PACKAGES = ("onnxruntime", "tokenizers", "transformers", "numpy", "mlflow")
"""What the registered pyfunc needs, pinned at the versions installed here (pyproject.toml's pins)."""


def pyfunc_requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in PYFUNC_PACKAGES]


class RegistryError(MtassistError):
    """A registry lookup that found nothing, or a registry that cannot be reached."""


def use_tracking(tracking_uri: str, artifact_root: str | None = None) -> MlflowClient:
    """Point MLflow at a tracking store and make sure the mtassist experiment exists."""
    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    try:
        if mlflow.get_experiment_by_name(MLFLOW_EXPERIMENT) is None:
            mlflow.create_experiment(MLFLOW_EXPERIMENT, artifact_location=artifact_root)
    except MlflowException as error:
        raise RegistryError(f"cannot use the MLflow tracking store at {tracking_uri}: {error.message}") from error
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
    """Log the bundle as a pyfunc model, register it, tag its lineage and alias it `challenger`."""
    from mtassist.pyfunc import AssistantPyfunc

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


def version_by_alias(alias: str) -> RegisteredVersion | None:
    client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, alias)
    except MlflowException:
        return None
    return RegisteredVersion(REGISTERED_MODEL_NAME, str(version.version), version.run_id)


def version_metrics(version: RegisteredVersion) -> dict[str, float]:
    return dict(MlflowClient().get_run(version.run_id).data.metrics)


def set_alias(alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(REGISTERED_MODEL_NAME, alias, version)


def remove_alias(alias: str) -> None:
    MlflowClient().delete_registered_model_alias(REGISTERED_MODEL_NAME, alias)


def download_bundle(reference: str, destination: Path) -> tuple[Path, RegisteredVersion]:
    """Download the bundle of a version, given an alias (`champion`) or a version number.

    Raises:
        RegistryError: when no such version exists, with what to do about it.
    """
    client = MlflowClient()
    try:
        found = (
            client.get_model_version(REGISTERED_MODEL_NAME, reference)
            if reference.isdigit()
            else client.get_model_version_by_alias(REGISTERED_MODEL_NAME, reference)
        )
    except MlflowException as error:
        raise RegistryError(
            f"no version '{reference}' of {REGISTERED_MODEL_NAME} in the registry at {mlflow.get_tracking_uri()}: "
            "run `mtassist run` to train and register one, or pick an existing version or alias"
        ) from error
    version = RegisteredVersion(REGISTERED_MODEL_NAME, str(found.version), found.run_id)
    destination.mkdir(parents=True, exist_ok=True)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{REGISTERED_MODEL_NAME}/{version.version}", dst_path=str(destination)
    )
    return Path(local) / "artifacts" / MLFLOW_BUNDLE_ARTIFACT, version
