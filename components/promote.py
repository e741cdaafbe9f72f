from typing import NamedTuple

from mtassist.components.base import component


@component
def promote(version: str, tracking_uri: str, latency_budget_ms: float) -> NamedTuple(
    "Promotion", [("champion", str), ("previous_champion", str)]
):
    """Make the challenger `champion` if it passes the gate; returns the champion before and after."""
    from collections import namedtuple

    from mtassist.steps.release import promote as run_step
    from mtassist.steps.tracking import open_tracking

    open_tracking(tracking_uri)
    decision = run_step(version, latency_budget_ms)
    print(
        f"promotion of version {version}: {'promoted' if decision['promoted'] else 'kept the champion'}; {decision['reason']}"
    )
    return namedtuple("Promotion", ["champion", "previous_champion"])(
        decision["champion"], decision["previous_champion"]
    )
