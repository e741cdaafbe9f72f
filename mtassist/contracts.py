"""Every contract between mtassist's steps and layers, declared once.

The dataset layout that `ingest` writes and everything downstream reads, the label spaces that
are fixed by design, the ONNX tensor names and dynamic axes, the model bundle that `export`
writes and serving reads, and the `assistant` contract that applications call over gRPC.
Tests hold the exporter, the Triton configs and the client to these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

# --- tasks and fixed label spaces --------------------------------------------------------------

TASKS: tuple[str, ...] = ("route", "intent", "slots", "sentiment", "response")
"""The five heads, in the order they are trained, exported and reported."""

ROUTE_COMMAND = "command"
"""A smart-home command: answers carry intent and slots."""
ROUTE_CHITCHAT = "chitchat"
"""Small talk: answers carry replies."""
ROUTE_FAQ = "faq"
"""A question about the world: answers carry replies."""
ROUTE_LABELS: tuple[str, ...] = (ROUTE_COMMAND, ROUTE_CHITCHAT, ROUTE_FAQ)
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
INTENT_NONE = "none"
"""The intent of every utterance that is not a smart-home command."""
SLOT_OUTSIDE = "O"

SENTIMENT_NEUTRAL_BAND = 0.5
"""Mean human rating in [-4, 4]: below -band is negative, above +band positive, else neutral."""

SCORE_METRICS: tuple[str, ...] = ("route_accuracy", "intent_macro_f1", "slot_f1", "sentiment_macro_f1", "response_mrr")
"""One metric per head; their mean is `score`, which early stopping and the promotion gate use."""

# --- the dataset artifact ----------------------------------------------------------------------

SPLITS: tuple[str, ...] = ("train", "validation", "test")
"""The template splits: no template's (or conversation's) rows land in two of them."""
SPLIT_UNSEEN_VALUES = "test_values"
"""Commands from training templates filled with held-out areas, floors, names and wildcard values."""
ALL_SPLITS: tuple[str, ...] = (*SPLITS, SPLIT_UNSEEN_VALUES)
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
    "split",  # one of ALL_SPLITS
    "text",  # str, the utterance
    "route",  # one of ROUTE_LABELS, or null where the source says nothing about routing
    "intent",  # an intent name or INTENT_NONE, or null
    "slots",  # the command's frame, or null: spoken slots {"name", "value", "text", "start", "end"} with
    # text[start:end] == slot["text"] and `value` normalised (50, "blind", "light"), then slots the
    # template implies without speaking them, {"name", "value"}
    "sentiment",  # one of SENTIMENT_LABELS, or null
    "response",  # str, the reply to text, or null
)

# --- a trained model: what train_teacher and distill_student write, evaluate and export read ---

MODEL_ENCODER_DIR = "encoder"
"""The encoder as a Hugging Face model directory (config.json, weights)."""
MODEL_HEADS_FILE = "heads.pt"
"""The heads' state dict."""
MODEL_LABELS_FILE = "labels.json"
"""Same layout as DATASET_LABELS."""
MODEL_TOKENIZER_DIR = "tokenizer"
MODEL_RUN_FILE = "run.json"
"""The training run's record: run ids, dataset version, model source, max_length, best step."""

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
BUNDLE_ONNX_INT8 = "encoder.int8.onnx"
"""The same graph with INT8 weights (onnxruntime dynamic quantization); the card's CARD_INT8_CHECK
says whether it scores within the allowed drop of the FP32 graph."""
BUNDLE_TOKENIZER_DIR = "tokenizer"
"""A Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json, ...)."""
BUNDLE_LABELS = "labels.json"
"""Same layout as DATASET_LABELS."""
BUNDLE_RESPONSE_TEXTS = "response_bank.json"
"""A JSON list of reply texts."""
BUNDLE_RESPONSE_EMBEDDINGS = "response_bank.npy"
"""float32 [len(texts), embedding_dim], L2-normalised, made by the bundled encoder."""
BUNDLE_CARD = "model_card.json"
"""The model card: CARD_* keys, the latency figures and the export's checks."""
BUNDLE_MANIFEST = "sha256.json"
"""{relative path: SHA-256} of every other file of the bundle; its own SHA-256 is LINEAGE_BUNDLE_SHA256."""

CARD_MODEL_VERSION = "model_version"
"""The registry version, written into the card when a version is deployed."""
CARD_DATASET_VERSION = "dataset_version"
CARD_TEACHER_RUN_ID = "teacher_run_id"
CARD_STUDENT_RUN_ID = "student_run_id"
CARD_MODEL_SOURCE = "model_source"
CARD_MAX_LENGTH = "max_length"
CARD_LOSS_WEIGHTING = "loss_weighting"
"""How the teacher combined its heads' losses (`training.config.LOSS_WEIGHTINGS`); a teacher's run
record without it was trained `static`."""
CARD_ADVERSARIAL_EPSILON = "adversarial_epsilon"
"""The teacher's FGM epsilon (`training.adversarial`); 0, or absent in older records: trained without."""
CARD_ONNX_SHA256 = "onnx_sha256"
CARD_ONNX_INT8_SHA256 = "onnx_int8_sha256"
CARD_RESPONSE_BANK_ENCODER = "response_bank_encoder"
"""Which model embedded the response bank: "teacher" (the default export) or "student"."""
CARD_INT8_CHECK = "int8_check"
"""{"rows", "max_drop", "passed", "metrics": {metric: {"fp32", "int8"}}}: INT8 against FP32, every head."""
CARD_LATENCY_P50_MS = "latency_p50_ms"
CARD_LATENCY_P95_MS = "latency_p95_ms"
CARD_TRAINED_ON = "trained_on"
"""Which rows the bundle's weights learned from: TRAINED_ON_TRAIN_SPLIT, or TRAINED_ON_EVERY_SPLIT for a
model released after its evaluation (the pipeline's `release_on_every_split`). Also in run records;
a record or card without it learned from the train split."""
TRAINED_ON_TRAIN_SPLIT = "train split"
TRAINED_ON_EVERY_SPLIT = "every split"
CARD_EVALUATED_TEACHER_RUN_ID = "evaluated_teacher_run_id"
CARD_EVALUATED_STUDENT_RUN_ID = "evaluated_student_run_id"
"""The runs whose held-out evaluation gave a version its metrics: the runs of the bundle's own
weights, or, for weights trained on every split, the runs they were trained again after."""

LINEAGE_KEYS: tuple[str, ...] = (
    CARD_DATASET_VERSION,
    CARD_TEACHER_RUN_ID,
    CARD_STUDENT_RUN_ID,
    CARD_TRAINED_ON,
    CARD_EVALUATED_TEACHER_RUN_ID,
    CARD_EVALUATED_STUDENT_RUN_ID,
    CARD_ONNX_SHA256,
    CARD_ONNX_INT8_SHA256,
)
"""Model card keys copied to every registered version as tags, with the LINEAGE_* tags below."""
LINEAGE_GIT_COMMIT = "git_commit"
LINEAGE_PIPELINE_RUN = "pipeline_run_id"
LINEAGE_PACKAGES = "packages"
"""The versions of the packages that trained and exported it: "torch==2.13.0 transformers==..."."""
LINEAGE_BUNDLE_SHA256 = "bundle_sha256"
"""The SHA-256 of the bundle's BUNDLE_MANIFEST: checked before a version is promoted, rolled back or deployed."""

# --- MLflow -------------------------------------------------------------------------------------

REGISTERED_MODEL_NAME = "mtassist-assistant"
CHALLENGER_ALIAS = "challenger"
CHAMPION_ALIAS = "champion"
MLFLOW_EXPERIMENT = "mtassist"
MLFLOW_BUNDLE_ARTIFACT = "bundle"
"""The pyfunc artifact key under which a registered model version carries its bundle."""
TAG_CHAMPION_BY = "champion_by"
TAG_CHAMPION_AT = "champion_at"
"""Who made a version champion (user, or the pipeline run) and when (UTC, ISO 8601): version tags."""
TAG_PREVIOUS_CHAMPION = "previous_champion"
"""The champion a version replaced: where `mtassist models rollback` goes back to."""
TAG_ROLLED_BACK_BY = "rolled_back_by"
TAG_ROLLED_BACK_AT = "rolled_back_at"
TAG_GATE = "gate"
"""The promotion gate's verdict on a version, with the figures it compared (JSON)."""
TAG_METRIC_SOURCES = "metric_sources"
"""Where a version's metrics were measured (JSON): the evaluated runs, what their weights trained
on, and the rows behind each metric name prefix (`mtassist.evaluation.METRIC_SOURCES`)."""

# --- serving targets ----------------------------------------------------------------------------

SERVING_LOCAL = "local"
"""Every model on the python backend; the encoder runs onnxruntime in process (the wheel's tritonserver)."""
SERVING_ONNXRUNTIME = "onnxruntime"
"""The encoder on Triton's onnxruntime backend (the NGC image)."""
SERVING_TENSORRT = "tensorrt"
"""As SERVING_ONNXRUNTIME, on GPU, with the TensorRT execution accelerator."""
SERVING_TARGETS: tuple[str, ...] = (SERVING_LOCAL, SERVING_ONNXRUNTIME, SERVING_TENSORRT)

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
TRITON_INPUT_ROUTE = "ROUTE"
"""TYPE_STRING, optional, one of ROUTE_LABELS per row (or one for every row; empty: the model's
choice): the caller names the skill, and the router answers with that skill's heads."""
TRITON_INPUT_CONTEXT = "CONTEXT"
"""TYPE_STRING, optional, one JSON object per row (or one for every row): the home's names,
{"areas": [str], "floors": [str], "names": [{"name": str, "domain": str}], "area": str}, every key
optional. Name, area and floor slots resolve to the closest known name; `area` is the speaker's."""
CONTEXT_MAX_BYTES = 256 * 1024
"""The largest CONTEXT row accepted (a home of 1,000 entity names is about 64 KB)."""
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


class Label(TypedDict):
    label: str
    score: float


class Slot(TypedDict, total=False):
    """A spoken slot has every key but `resolved`; a slot the intent implies has `name` and `value`."""

    name: str
    value: Any  # normalised: a number, a domain such as "light", a name
    text: str
    start: int
    end: int
    resolved: dict[str, Any]  # {"from": the spoken text, "similarity"}, when CONTEXT named it


class Reply(TypedDict):
    text: str
    score: float


class Answer(TypedDict, total=False):
    """One row of TRITON_OUTPUT_JSON: the heads asked for and relevant to the route, and the version."""

    route: Label
    intent: Label
    slots: list[Slot]
    sentiment: Label
    replies: list[Reply]
    model_version: str
    truncated: bool  # ANSWER_TRUNCATED, only when true


ANSWER_TRUNCATED = "truncated"
"""An answer key, present (and true) only when the utterance ran past the `max_length` tokens the
model reads: the answer covers its beginning."""


@dataclass(frozen=True)
class Ports:
    """Triton's listening ports; every one can be set."""

    grpc: int = 8001
    http: int = 8000
    metrics: int = 8002
