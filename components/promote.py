from typing import NamedTuple

from kfp.dsl import Dataset, Input

from mtassist.components.base import component


@component
def promote(
    version: str,
    dataset: Input[Dataset],
    tracking_uri: str,
    latency_budget_ms: float,
    gate_tolerance: float,
    pipeline_run_id: str,
) -> NamedTuple("Promotion", [("champion", str), ("previous_champion", str)]):
    """Make the challenger `champion` if it passes the gate on its own test split, where the champion
    is scored too; returns the champion before and after."""
    from collections import namedtuple
    from pathlib import Path

    from mtassist.steps.release import promote as run_step
    from mtassist.steps.tracking import open_tracking

    open_tracking(tracking_uri)
    decision = run_step(
        version, latency_budget_ms, Path(dataset.path), gate_tolerance, by=f"pipeline run {pipeline_run_id}"
    )
    print(
        f"promotion of version {version}: {'promoted' if decision['promoted'] else 'kept the champion'}; {decision['reason']}"
    )
    return namedtuple("Promotion", ["champion", "previous_champion"])(
        decision["champion"], decision["previous_champion"]
    )
