from mtassist.promotion import GateConfig, decide

GOOD = {
    "score": 0.80,
    "route_accuracy": 0.95,
    "intent_macro_f1": 0.8,
    "slot_f1": 0.8,
    "sentiment_macro_f1": 0.6,
    "response_mrr": 0.5,
    "latency_p95_ms": 5.0,
}


def test_promote_when_there_is_no_champion():
    assert decide(GOOD, None, GateConfig()).promote


def test_promote_when_challenger_beats_champion():
    champion = {**GOOD, "score": 0.75}
    decision = decide(GOOD, champion, GateConfig())
    assert decision.promote and "0.8000 against 0.7500" in decision.reason


def test_promote_when_challenger_is_as_good_within_the_tolerance():
    assert decide({**GOOD, "score": 0.795, "slot_f1": 0.792}, GOOD, GateConfig(tolerance=0.01)).promote


def test_promote_when_challenger_is_worse_keeps_champion():
    decision = decide({**GOOD, "score": 0.70}, GOOD, GateConfig())
    assert not decision.promote and "score 0.7000 is 0.1000 below the champion's 0.8000" in decision.reason


def test_promote_when_challenger_is_too_slow_keeps_champion():
    decision = decide({**GOOD, "score": 0.9, "latency_p95_ms": 80.0}, GOOD, GateConfig(latency_budget_ms=50))
    assert not decision.promote and "budget" in decision.reason


def test_promote_when_one_head_regresses_keeps_champion_and_names_the_head():
    challenger = {**GOOD, "score": 0.85, "slot_f1": 0.6}
    decision = decide(challenger, GOOD, GateConfig(tolerance=0.05))
    assert not decision.promote and decision.reason.startswith("slot_f1 0.6000")


def test_a_challenger_without_a_head_metric_is_not_promoted():
    partial = {key: value for key, value in GOOD.items() if key != "response_mrr"}
    decision = decide(partial, None, GateConfig())
    assert not decision.promote and "response_mrr" in decision.reason
