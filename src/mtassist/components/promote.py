from mtassist.components.base import component


@component
def promote(version: str, tracking_uri: str, latency_budget_ms: float) -> str:
    """Make the challenger `champion` if it passes the gate; returns the champion's version."""
    from mtassist.stages import promote as run_stage
    from mtassist.stages import open_tracking

    open_tracking(tracking_uri)
    decision = run_stage(version, latency_budget_ms)
    print(f"promotion of version {version}: {'promoted' if decision['promoted'] else 'kept the champion'}; {decision['reason']}")
    return decision["champion"]
