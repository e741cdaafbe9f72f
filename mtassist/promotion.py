"""The promotion gate: does the challenger replace the champion?

The challenger becomes champion only if it beats the champion on the gate metric by at least
`min_improvement`, loses no more than `max_head_regression` on any head's metric, and answers
within the latency budget. Without a champion, a challenger inside the budget is promoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtassist.contracts import CARD_LATENCY_P95_MS, SCORE_METRICS


@dataclass(frozen=True)
class GateConfig:
    metric: str = "score"
    min_improvement: float = 0.0
    max_head_regression: float = 0.05
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
    if gate.metric not in challenger:
        return Decision(False, f"the challenger has no '{gate.metric}' metric to compare")
    if champion is None:
        return Decision(True, f"no champion yet; challenger {gate.metric} {challenger[gate.metric]:.4f}")
    for head_metric in SCORE_METRICS:
        drop = champion.get(head_metric, 0.0) - challenger.get(head_metric, 0.0)
        if drop > gate.max_head_regression:
            return Decision(False, f"{head_metric} falls by {drop:.4f} (more than {gate.max_head_regression})")
    gain = challenger[gate.metric] - champion.get(gate.metric, float("-inf"))
    if gain <= gate.min_improvement:
        return Decision(
            False,
            f"challenger {gate.metric} {challenger[gate.metric]:.4f} does not beat champion "
            f"{champion.get(gate.metric, float('nan')):.4f} by more than {gate.min_improvement}",
        )
    return Decision(True, f"{gate.metric} {challenger[gate.metric]:.4f} beats champion {champion[gate.metric]:.4f}")
