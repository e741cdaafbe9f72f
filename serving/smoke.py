"""The smoke test: a few utterances asked over gRPC, whose answers must be right.

`SMOKE_EXAMPLES` are what the smoke test asks and expects; `check_smoke_answers` says what is
wrong with the answers; `smoke_test` asks a server (a local one when no URL is given).
"""

from __future__ import annotations

import json
from pathlib import Path

from mtassist.contracts import ROUTE_CHITCHAT, ROUTE_COMMAND

SMOKE_EXAMPLES: dict[str, dict[str, str]] = {
    "turn on the kitchen lights": {"route": ROUTE_COMMAND, "intent": "HassTurnOn", "area": "kitchen"},
    "how are you doing today?": {"route": ROUTE_CHITCHAT},
}


def check_smoke_answers(answers: dict[str, dict]) -> list[str]:
    """What is wrong with the answers to SMOKE_EXAMPLES (empty when all are right)."""
    problems = []
    for text, expected in SMOKE_EXAMPLES.items():
        answer = answers[text]
        if answer.get("route", {}).get("label") != expected["route"]:
            problems.append(f"'{text}': route {answer.get('route')} instead of {expected['route']}")
        if "intent" in expected and answer.get("intent", {}).get("label") != expected["intent"]:
            problems.append(f"'{text}': intent {answer.get('intent')} instead of {expected['intent']}")
        if "area" in expected and {"name": "area", "value": expected["area"]} not in [
            {"name": s["name"], "value": s["value"]} for s in answer.get("slots", [])
        ]:
            problems.append(f"'{text}': slots {answer.get('slots')} lack area={expected['area']}")
        if expected["route"] != ROUTE_COMMAND and not answer.get("replies"):
            problems.append(f"'{text}': no replies")
    return problems


def smoke_test(model_repository: Path, triton_url: str, expected_version: str, check_answers: bool) -> dict[str, dict]:
    """Ask the served model the smoke examples over gRPC; starts a local server when no URL is given.

    Raises:
        RuntimeError: when an answer breaks the contract, comes from another model version, or
            (with `check_answers`) is wrong.
    """
    from mtassist.serving.client import AssistantClient
    from mtassist.serving.launcher import TritonServer, free_ports

    texts = list(SMOKE_EXAMPLES)
    if triton_url:
        with AssistantClient(triton_url) as client:
            answers = client.ask(texts)
    else:
        with TritonServer(model_repository, ports=free_ports()) as server, AssistantClient(server.grpc_url) as client:
            answers = client.ask(texts)
    by_text = dict(zip(texts, answers, strict=True))
    for text, answer in by_text.items():
        print(f"  {text!r} -> {json.dumps(answer, ensure_ascii=False)}", flush=True)
    problems = [
        f"'{text}': served model version {answer.get('model_version')} instead of {expected_version}"
        for text, answer in by_text.items()
        if expected_version and answer.get("model_version") != expected_version
    ]
    if check_answers:
        problems += check_smoke_answers(by_text)
    if problems:
        raise RuntimeError("smoke test failed: " + "; ".join(problems))
    return by_text
