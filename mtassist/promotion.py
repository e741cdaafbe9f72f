"""The promotion gate: does the challenger replace the champion?

The challenger becomes champion only if it answers within the latency budget and no gate metric
(every head's metric and `score`) is worse than the champion's by more than `tolerance`. Both
sides must be measured on the same rows: the release step scores the champion's bundle on the
challenger's test split (`mtassist.steps.release`). Without a champion, a challenger inside the
budget is promoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtassist.contracts import CARD_LATENCY_P95_MS, SCORE_METRICS

GATE_METRICS: tuple[str, ...] = (*SCORE_METRICS, "score")
DEFAULT_TOLERANCE = 0.01
"""How much worse than the champion any gate metric may be: one point. Retraining on the same
data with the same seed repeats every metric exactly, so a rerun passes."""


@dataclass(frozen=True)
class GateConfig:
    tolerance: float = DEFAULT_TOLERANCE
    latency_metric: str = CARD_LATENCY_P95_MS
    latency_budget_ms: float = 50.0


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide(challenger: dict[str, float], champion: dict[str, float] | None, gate: GateConfig) -> Decision:
    latency = challenger.get(gate.latency_metric)
    if latency is None or latency > gate.latency_budget_ms:
        return Decision(
            False, f"{gate.latency_metric} {latency} ms is outside the budget of {gate.latency_budget_ms} ms"
        )
    missing = [metric for metric in GATE_METRICS if metric not in challenger]
    if missing:
        return Decision(False, f"the challenger has no {', '.join(missing)} to compare")
    if champion is None:
        return Decision(True, f"no champion yet; challenger score {challenger['score']:.4f}")
    worse = [
        f"{metric} {challenger[metric]:.4f} is {champion[metric] - challenger[metric]:.4f} below the champion's "
        f"{champion[metric]:.4f}"
        for metric in GATE_METRICS
        if metric in champion and champion[metric] - challenger[metric] > gate.tolerance
    ]
    if worse:
        return Decision(False, "; ".join(worse) + f" (tolerance {gate.tolerance})")
    return Decision(
        True,
        f"no gate metric more than {gate.tolerance} below the champion's; score {challenger['score']:.4f} "
        f"against {champion.get('score', float('nan')):.4f}",
    )
