"""Every contract between mtassist's stages, declared once.

The dataset layout that `ingest` writes and everything downstream reads, the label spaces that
are fixed by design, the ONNX tensor names and dynamic axes, the model bundle that `export`
writes and serving reads, and the `assistant` contract that applications call over gRPC.
Tests hold the exporter, the Triton configs and the client to these names.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- tasks and fixed label spaces --------------------------------------------------------------

TASKS: tuple[str, ...] = ("route", "intent", "slots", "sentiment", "response")
"""The five heads, in the order they are trained, exported and reported."""

ROUTE_LABELS: tuple[str, ...] = ("command", "chitchat", "faq")
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
INTENT_NONE = "none"
"""The intent of every utterance that is not a smart-home command."""
SLOT_OUTSIDE = "O"

SENTIMENT_NEUTRAL_BAND = 0.5
"""Mean human rating in [-4, 4]: below -band is negative, above +band positive, else neutral."""

# --- the dataset artifact ----------------------------------------------------------------------

SPLITS: tuple[str, ...] = ("train", "validation", "test")
DATASET_EXAMPLES = "examples.jsonl"
"""One JSON object per utterance with the columns in `EXAMPLE_COLUMNS`."""
DATASET_LABELS = "labels.json"
"""{"route": [...], "intent": [...], "slot_tags": ["O", "B-area", "I-area", ...], "sentiment": [...]}"""
DATASET_MANIFEST = "manifest.json"
"""{"version": <sha256 of examples and labels>, "counts": {...}, "sources": {...}}"""

EXAMPLE_COLUMNS: tuple[str, ...] = (
    "id",  # str, unique
    "source",  # str: "intents", "chitchat", "chatterbot", "vader-<corpus>"
    "group",  # str: template or conversation id; a group never spans two splits
    "split",  # one of SPLITS
    "text",  # str, the utterance
    "route",  # one of ROUTE_LABELS, or null where the source says nothing about routing
    "intent",  # an intent name or INTENT_NONE, or null
    "slots",  # list of {"name", "value", "start", "end"} char spans into text, or null
    "sentiment",  # one of SENTIMENT_LABELS, or null
    "response",  # str, the reply to text, or null
)

# --- the model and its ONNX graph ---------------------------------------------------------------

ONNX_INPUTS: tuple[str, ...] = ("input_ids", "attention_mask", "token_type_ids")
"""int64 [batch, sequence] each."""
ONNX_OUTPUTS: tuple[str, ...] = (
    "route_logits",  # float32 [batch, len(ROUTE_LABELS)]
    "intent_logits",  # float32 [batch, n_intents]
    "slot_logits",  # float32 [batch, sequence, n_slot_tags]
    "sentiment_logits",  # float32 [batch, len(SENTIMENT_LABELS)]
    "sentence_embedding",  # float32 [batch, embedding_dim], L2-normalised
)
ONNX_DYNAMIC_AXES: dict[str, dict[int, str]] = {
    **{name: {0: "batch", 1: "sequence"} for name in ONNX_INPUTS},
    "route_logits": {0: "batch"},
    "intent_logits": {0: "batch"},
    "slot_logits": {0: "batch", 1: "sequence"},
    "sentiment_logits": {0: "batch"},
    "sentence_embedding": {0: "batch"},
}
ONNX_OPSET = 18
PARITY_TOLERANCE = 1e-4
"""The largest absolute difference allowed between PyTorch and ONNX Runtime outputs."""

# --- the model bundle: what export writes, the registry stores and serving reads ---------------

BUNDLE_ONNX = "encoder.onnx"
BUNDLE_TOKENIZER_DIR = "tokenizer"
"""A Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json, ...)."""
BUNDLE_LABELS = "labels.json"
"""Same layout as DATASET_LABELS."""
BUNDLE_RESPONSE_TEXTS = "response_bank.json"
"""A JSON list of reply texts."""
BUNDLE_RESPONSE_EMBEDDINGS = "response_bank.npy"
"""float32 [len(texts), embedding_dim], L2-normalised, made by the bundled encoder."""
BUNDLE_CARD = "model_card.json"
"""{"model_version", "dataset_version", "max_length", "onnx_sha256", "metrics", ...}"""

# --- MLflow -------------------------------------------------------------------------------------

REGISTERED_MODEL_NAME = "mtassist-assistant"
CHALLENGER_ALIAS = "challenger"
CHAMPION_ALIAS = "champion"
MLFLOW_EXPERIMENT = "mtassist"
MLFLOW_BUNDLE_ARTIFACT = "bundle"
"""The pyfunc artifact key under which a registered model version carries its bundle."""

# --- Triton: the contract applications rely on --------------------------------------------------

TRITON_ASSISTANT_MODEL = "assistant"
TRITON_ENSEMBLE_MODEL = "assistant_ensemble"
TRITON_TOKENIZER_MODEL = "tokenizer"
TRITON_ENCODER_MODEL = "encoder"
TRITON_POSTPROCESS_MODEL = "postprocess"
TRITON_INPUT_TEXT = "TEXT"
"""TYPE_STRING, one utterance per batch row."""
TRITON_INPUT_TASKS = "TASKS"
"""TYPE_STRING, optional, comma-separated heads out of ANSWER_HEADS; default all."""
TRITON_OUTPUT_JSON = "JSON"
"""TYPE_STRING, one JSON answer per batch row (see `Answer`)."""
TRITON_TOKEN_OFFSETS = "token_offsets"
"""int64 [batch, sequence, 2]: character offsets of each token, (0, 0) for special tokens."""

ANSWER_HEADS: tuple[str, ...] = ("route", "intent", "slots", "sentiment", "replies")
"""The keys an answer may carry besides `model_version`; `replies` is the `response` head."""
COMMAND_ONLY_HEADS: frozenset[str] = frozenset({"intent", "slots"})
"""Heads left out unless the route is `command`."""
CONVERSATION_ONLY_HEADS: frozenset[str] = frozenset({"replies"})
"""Heads left out when the route is `command`."""
DEFAULT_TOP_K_REPLIES = 3


@dataclass(frozen=True)
class Ports:
    """Triton's listening ports; every one can be set."""

    grpc: int = 8001
    http: int = 8000
    metrics: int = 8002
