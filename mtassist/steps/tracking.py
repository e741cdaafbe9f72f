"""Pointing a step's process at the MLflow tracking store the run uses."""

from __future__ import annotations

from mtassist.settings import Settings


def open_tracking(tracking_uri: str = "") -> Settings:
    """Settings with the given tracking URI (or the environment's), and MLflow pointed at it."""
    from mtassist.registry import use_tracking

    settings = Settings.from_env(tracking_uri=tracking_uri or None)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    return settings
