from mtassist.components.base import component


@component
def promote(version: str, tracking_uri: str, latency_budget_ms: float) -> str:
    """Make the challenger `champion` if it passes the gate; returns the champion's version."""
    from mtassist.core.registry import use_tracking
    from mtassist.settings import Settings
    from mtassist.stages import promote as run_stage

    settings = Settings.from_env(tracking_uri=tracking_uri or None)
    use_tracking(settings.resolved_tracking_uri, settings.resolved_artifact_root)
    decision = run_stage(version, latency_budget_ms)
    print(f"promotion of version {version}: {'promoted' if decision['promoted'] else 'kept the champion'}; {decision['reason']}")
    return decision["champion"]
