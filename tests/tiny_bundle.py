"""A tiny but real model bundle for the serving tests.

The tokenizer is the real MiniLM one (downloaded once into the test cache); the encoder is a
small embedding-and-heads graph exported with the exact ONNX contract. Its weights are set by
hand so that answers are predictable: "turn", "switch" and "lights" make an utterance a
`command` with intent `HassTurnOn`, "kitchen" and "bedroom" are `area` slots, "great" and
"love" make it `positive`; anything else is `chitchat`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mtassist import contracts
from mtassist.hashing import write_manifest

INTENTS = ("none", "HassTurnOn", "HassTurnOff", "HassLightSet")
SLOT_NAMES = ("area", "name", "brightness")
REPLIES = ("I'm doing well, thanks!", "Hello there!", "Nice to meet you.", "Sorry, I don't know.", "Goodbye!")
COMMAND_WORDS = ("turn", "switch", "lights")
AREA_WORDS = ("kitchen", "bedroom")
POSITIVE_WORDS = ("great", "love")
MODEL_VERSION = "3"
MAX_LENGTH = 48


def build_tiny_bundle(bundle_dir: Path, cache_dir: Path) -> Path:
    """Write a model bundle (contracts.BUNDLE_*) with a hand-set tiny encoder.

    The one place to switch over to `mtassist.export` once it has a tiny-config helper.
    """
    import torch
    from torch import nn

    from mtassist.model.source import resolve_model_source
    from mtassist.settings import DEFAULT_MODEL_SOURCE
    from mtassist.slots import slot_tags
    from mtassist.tokenization import load_tokenizer

    bundle_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(resolve_model_source(DEFAULT_MODEL_SOURCE, cache_dir))
    tokenizer.save_pretrained(str(bundle_dir / contracts.BUNDLE_TOKENIZER_DIR))
    tags = slot_tags(SLOT_NAMES)
    labels = {
        "route": list(contracts.ROUTE_LABELS),
        "intent": list(INTENTS),
        "slot_tags": tags,
        "sentiment": list(contracts.SENTIMENT_LABELS),
    }
    hidden, embedding_dim = 8, 8

    class TinyEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tokens = nn.Embedding(len(tokenizer), hidden)
            self.types = nn.Embedding(2, hidden)
            self.route = nn.Linear(hidden, len(contracts.ROUTE_LABELS))
            self.intent = nn.Linear(hidden, len(INTENTS))
            self.slots = nn.Linear(hidden, len(tags))
            self.sentiment = nn.Linear(hidden, len(contracts.SENTIMENT_LABELS))
            self.response = nn.Linear(hidden, embedding_dim)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.tokens(input_ids) + self.types(token_type_ids)  # (B, T, H)
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (B, H)
            embedding = nn.functional.normalize(self.response(pooled), dim=-1)
            return self.route(pooled), self.intent(pooled), self.slots(h), self.sentiment(pooled), embedding

    torch.manual_seed(0)
    model = TinyEncoder().eval()
    with torch.no_grad():
        for layer in (model.route, model.intent, model.slots, model.sentiment):
            layer.weight.zero_()
            layer.bias.zero_()
        model.types.weight.zero_()
        model.tokens.weight.mul_(0.01)[:, :3] = 0.0
        features = {0: COMMAND_WORDS, 1: AREA_WORDS, 2: POSITIVE_WORDS}
        for feature, words in features.items():
            model.tokens.weight[tokenizer.convert_tokens_to_ids(list(words)), feature] = 1.0
        model.route.weight[contracts.ROUTE_LABELS.index("command"), 0] = 20.0
        model.route.bias[contracts.ROUTE_LABELS.index("chitchat")] = 1.0
        model.intent.weight[INTENTS.index("HassTurnOn"), 0] = 20.0
        model.intent.bias[INTENTS.index("none")] = 1.0
        model.slots.weight[tags.index("B-area"), 1] = 10.0
        model.slots.bias[tags.index(contracts.SLOT_OUTSIDE)] = 1.0
        model.sentiment.weight[contracts.SENTIMENT_LABELS.index("positive"), 2] = 20.0
        model.sentiment.bias[contracts.SENTIMENT_LABELS.index("neutral")] = 1.0

    example = tuple(torch.ones((2, 5), dtype=torch.int64) for _ in contracts.ONNX_INPUTS)
    torch.onnx.export(
        model,
        example,
        str(bundle_dir / contracts.BUNDLE_ONNX),
        dynamo=False,
        input_names=list(contracts.ONNX_INPUTS),
        output_names=list(contracts.ONNX_OUTPUTS),
        dynamic_axes=contracts.ONNX_DYNAMIC_AXES,
        opset_version=contracts.ONNX_OPSET,
    )

    rng = np.random.default_rng(0)
    bank = rng.normal(size=(len(REPLIES), embedding_dim)).astype(np.float32)
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    np.save(bundle_dir / contracts.BUNDLE_RESPONSE_EMBEDDINGS, bank)
    (bundle_dir / contracts.BUNDLE_RESPONSE_TEXTS).write_text(json.dumps(list(REPLIES)))
    (bundle_dir / contracts.BUNDLE_LABELS).write_text(json.dumps(labels))
    card = {"model_version": MODEL_VERSION, "dataset_version": "tiny-test", "max_length": MAX_LENGTH}
    (bundle_dir / contracts.BUNDLE_CARD).write_text(json.dumps(card))
    write_manifest(bundle_dir, contracts.BUNDLE_MANIFEST)
    return bundle_dir
