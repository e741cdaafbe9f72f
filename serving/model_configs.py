"""Every Triton model config of the repository, described once in Python.

The configs are Triton's own `ModelConfig` protobuf (from tritonclient), written as
`config.pbtxt` with `google.protobuf.text_format`; tests parse them back the same way. Tensor
names come from `mtassist.contracts` only.

Targets:
- `local`: every model on the python backend (the `tritonserver` of the nvidia-pytriton wheel
  has no other). `assistant` tokenizes, runs the graph in onnxruntime and decodes in one stub, no
  hop between models; the ensemble's `encoder` runs the graph with onnxruntime inside its stub.
- `onnxruntime`: the encoder on Triton's onnxruntime backend (`onnxruntime_onnx`), for the
  NGC image; instance kind left to Triton (GPU where there is one).
- `tensorrt`: as `onnxruntime`, on GPU, with ONNX Runtime's TensorRT execution accelerator.
  On both, `assistant` tokenizes and decodes in its stub and calls `encoder` (on the GPU).

Versions: each model serves the registered version named in its version policy. `assistant` and
`assistant_ensemble` serve exactly one; the ensemble's steps are pinned to that version, and the
step models also keep the previous version loaded, so that an ensemble request in flight while a
new version is rolled out still finds its steps (`serving/rollout.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

from mtassist.answers import (
    INTENT_LOGITS,
    ROUTE_LOGITS,
    SENTENCE_EMBEDDING,
    SENTIMENT_LOGITS,
    SLOT_LOGITS,
)
from mtassist.contracts import (
    DEFAULT_TOP_K_REPLIES,
    ONNX_INPUTS,
    SERVING_LOCAL,
    SERVING_TARGETS,
    SERVING_TENSORRT,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENCODER_MODEL,
    TRITON_ENSEMBLE_MODEL,
    TRITON_INPUT_CONTEXT,
    TRITON_INPUT_ROUTE,
    TRITON_INPUT_TASKS,
    TRITON_INPUT_TEXT,
    TRITON_OUTPUT_JSON,
    TRITON_POSTPROCESS_MODEL,
    TRITON_TOKEN_OFFSETS,
    TRITON_TOKENIZER_MODEL,
)
from mtassist.serving.layout import ONNX_MODEL_FILE, PARAM_INTRA_OP_THREADS, PARAM_TOP_K_REPLIES

MODEL_NAMES: tuple[str, ...] = (
    TRITON_TOKENIZER_MODEL,
    TRITON_ENCODER_MODEL,
    TRITON_POSTPROCESS_MODEL,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENSEMBLE_MODEL,
)
"""Every model of the repository, in the order they must be loaded."""

PYTHON_MODELS: tuple[str, ...] = (TRITON_TOKENIZER_MODEL, TRITON_POSTPROCESS_MODEL, TRITON_ASSISTANT_MODEL)
"""Models on the python backend whatever the target (the encoder too, locally)."""
STEP_MODELS: tuple[str, ...] = (TRITON_TOKENIZER_MODEL, TRITON_ENCODER_MODEL, TRITON_POSTPROCESS_MODEL)
"""The ensemble's steps (and, on the GPU targets, what `assistant` calls)."""

_STRING = mc.TYPE_STRING
_INT64 = mc.TYPE_INT64
_FP32 = mc.TYPE_FP32


@dataclass(frozen=True)
class HeadDims:
    """The non-batch sizes of the encoder's outputs, read from the bundle."""

    n_route: int
    n_intent: int
    n_slot_tags: int
    n_sentiment: int
    embedding_dim: int

    def output_dims(self) -> dict[str, list[int]]:
        """Dims of each ONNX output without the batch axis; -1 is the sequence axis."""
        return {
            ROUTE_LOGITS: [self.n_route],
            INTENT_LOGITS: [self.n_intent],
            SLOT_LOGITS: [-1, self.n_slot_tags],
            SENTIMENT_LOGITS: [self.n_sentiment],
            SENTENCE_EMBEDDING: [self.embedding_dim],
        }


PRECISIONS: tuple[str, ...] = ("auto", "fp32", "int8")
"""The graph `assistant` runs locally: "auto" is INT8 where the bundle's INT8 check passed."""


OVERFLOW_PRIORITY = 1000
"""Rate-limiter priority of the `assistant` instances after the first (which has 1): a larger
number is a smaller share while several are free."""


@dataclass(frozen=True)
class ServingOptions:
    """Knobs of the generated configs.

    Attributes:
        max_batch_size: rows per request (and per dynamic batch) of every model.
        queue_delay_us: how long the dynamic batcher waits to fill a batch. 0: a lone request
            runs at once, and requests that queue while a batch runs form the next batch.
        max_queue_size: requests that may wait for an `assistant` instance; more are refused at
            once with UNAVAILABLE ("Exceeds maximum queue size"), so a flood is shed instead of
            piling up.
        queue_timeout_ms: a request that waited this long for an `assistant` instance is refused
            (UNAVAILABLE).
        intra_op_threads: onnxruntime's intra-op threads per instance; 0: the cores the server
            is given (cgroup quota included), shared among the instances.
        instances: instances of each ensemble step model.
        assistant_instances: instances of `assistant`. Two on the default 2-core machine: with a
            single instance and a queue policy, Triton 2.51's dynamic batcher now and then misses
            a wake-up and a lone request waits 500 ms (seen at concurrency 1 here). The first
            instance takes every request it is free for and the others the overflow
            (`assistant_instance_groups`), so that at low load one warm process answers.
        precision: the graph `assistant` runs on the local target (PRECISIONS).
        top_k_replies: replies per conversational answer.
        tensorrt_precision: "FP32", "FP16" or "INT8" (target `tensorrt`).
        tensorrt_workspace_bytes: TensorRT's build workspace (target `tensorrt`).
        tensorrt_cache_dir: where ONNX Runtime keeps built TensorRT engines in the serving
            container (target `tensorrt`); mount a volume there to keep them across restarts.
    """

    max_batch_size: int = 32
    queue_delay_us: int = 0
    max_queue_size: int = 128
    queue_timeout_ms: int = 5000
    intra_op_threads: int = 0
    instances: int = 1
    assistant_instances: int = 2
    precision: str = "auto"
    top_k_replies: int = DEFAULT_TOP_K_REPLIES
    tensorrt_precision: str = "FP16"
    tensorrt_workspace_bytes: int = 1 << 30
    tensorrt_cache_dir: str = "/tmp/mtassist-trt-cache"

    def __post_init__(self) -> None:
        counts = (
            self.max_batch_size,
            self.instances,
            self.assistant_instances,
            self.top_k_replies,
            self.max_queue_size,
        )
        if min(counts) < 1:
            raise ValueError(
                "max_batch_size, instances, assistant_instances, top_k_replies and max_queue_size must each be at least 1"
            )
        if self.queue_delay_us < 0 or self.queue_timeout_ms < 0 or self.intra_op_threads < 0:
            raise ValueError("queue_delay_us, queue_timeout_ms and intra_op_threads cannot be negative")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision is {self.precision!r}: choose from {', '.join(PRECISIONS)}")
        if self.tensorrt_precision not in ("FP32", "FP16", "INT8"):
            raise ValueError(f"tensorrt_precision is {self.tensorrt_precision!r}: choose FP32, FP16 or INT8")


def model_configs(
    dims: HeadDims,
    options: ServingOptions = ServingOptions(),
    target: str = SERVING_LOCAL,
    version: int = 1,
    step_versions: Sequence[int] = (),
) -> dict[str, mc.ModelConfig]:
    """Every model's config by model name, in MODEL_NAMES order.

    Args:
        version: the version `assistant` and the ensemble serve, and the ensemble's steps run.
        step_versions: the versions the step models keep loaded besides `version` (the previous one).
    """
    if target not in SERVING_TARGETS:
        raise ValueError(f"unknown target {target!r}: choose from {', '.join(SERVING_TARGETS)}")
    configs = [
        tokenizer_config(options),
        encoder_config(dims, options, target),
        postprocess_config(dims, options),
        assistant_config(options),
        ensemble_config(dims, options, version),
    ]
    steps = sorted({version, *step_versions})
    for config in configs:
        served = steps if config.name in STEP_MODELS else [version]
        config.version_policy.specific.versions.extend(served)
    return {config.name: config for config in configs}


def tokenizer_config(options: ServingOptions) -> mc.ModelConfig:
    config = _python_model(TRITON_TOKENIZER_MODEL, options)
    config.input.append(_input(TRITON_INPUT_TEXT, _STRING, [1]))
    config.output.extend(_output(name, _INT64, [-1]) for name in ONNX_INPUTS)
    config.output.append(_output(TRITON_TOKEN_OFFSETS, _INT64, [-1, 2]))
    return config


def encoder_config(dims: HeadDims, options: ServingOptions, target: str = SERVING_LOCAL) -> mc.ModelConfig:
    if target == SERVING_LOCAL:
        config = _python_model(TRITON_ENCODER_MODEL, options)
    else:
        config = mc.ModelConfig(name=TRITON_ENCODER_MODEL, platform="onnxruntime_onnx")
        config.max_batch_size = options.max_batch_size
        kind = mc.ModelInstanceGroup.KIND_GPU if target == SERVING_TENSORRT else mc.ModelInstanceGroup.KIND_AUTO
        config.instance_group.append(mc.ModelInstanceGroup(kind=kind, count=options.instances))
        config.default_model_filename = ONNX_MODEL_FILE
    config.input.extend(_input(name, _INT64, [-1]) for name in ONNX_INPUTS)
    config.output.extend(_output(name, _FP32, shape) for name, shape in dims.output_dims().items())
    config.dynamic_batching.max_queue_delay_microseconds = options.queue_delay_us  # no queue policy: one instance
    _set_parameter(config, PARAM_INTRA_OP_THREADS, options.intra_op_threads)
    if target == SERVING_TENSORRT:
        accelerator = config.optimization.execution_accelerators.gpu_execution_accelerator.add(name="tensorrt")
        accelerator.parameters["precision_mode"] = options.tensorrt_precision
        accelerator.parameters["max_workspace_size_bytes"] = str(options.tensorrt_workspace_bytes)
        accelerator.parameters["trt_engine_cache_enable"] = "1"
        accelerator.parameters["trt_engine_cache_path"] = options.tensorrt_cache_dir
    return config


def postprocess_config(dims: HeadDims, options: ServingOptions) -> mc.ModelConfig:
    config = _python_model(TRITON_POSTPROCESS_MODEL, options)
    config.input.append(_input(TRITON_INPUT_TEXT, _STRING, [1]))
    config.input.append(_input(TRITON_TOKEN_OFFSETS, _INT64, [-1, 2]))
    config.input.extend(_input(name, _FP32, shape) for name, shape in dims.output_dims().items())
    config.output.append(_output(TRITON_OUTPUT_JSON, _STRING, [1]))
    _set_parameter(config, PARAM_TOP_K_REPLIES, options.top_k_replies)
    return config


def assistant_config(options: ServingOptions) -> mc.ModelConfig:
    """The router; its instances fill up in order (`assistant_instance_groups`)."""
    config = _python_model(TRITON_ASSISTANT_MODEL, options, assistant_instance_groups(options.assistant_instances))
    config.input.append(_input(TRITON_INPUT_TEXT, _STRING, [1]))
    config.input.append(_input(TRITON_INPUT_TASKS, _STRING, [1], optional=True))
    config.input.append(_input(TRITON_INPUT_ROUTE, _STRING, [1], optional=True))
    config.input.append(_input(TRITON_INPUT_CONTEXT, _STRING, [1], optional=True))
    config.output.append(_output(TRITON_OUTPUT_JSON, _STRING, [1]))
    _dynamic_batching(config, options)
    _set_parameter(config, PARAM_TOP_K_REPLIES, options.top_k_replies)
    _set_parameter(config, PARAM_INTRA_OP_THREADS, options.intra_op_threads)
    return config


def assistant_instance_groups(instances: int) -> list[mc.ModelInstanceGroup]:
    """One first instance, which Triton's rate limiter prefers whenever it is free, and the rest for
    the overflow.

    Triton gives a request to the free instance with the lowest executions x priority, so the
    overflow instances (priority OVERFLOW_PRIORITY) take about one request in that many while the
    first is free. Taking turns instead costs a lone request about 0.2 ms of the 2 ms it spends in
    the server on 2 cores (measured at concurrency 1): each switch wakes the other process, its
    caches cold. Under load every instance is busy and takes what comes. Unlike a single
    instance, the pair never meets the batcher's 500 ms stall (`ServingOptions.assistant_instances`):
    over 8,000 sequential requests the slowest took 17.6 ms, where one instance stalled 15 of
    3,000 for 505 ms. Honoured only when tritonserver runs with `layout.RATE_LIMIT_FLAG`.
    """
    first = mc.ModelInstanceGroup(
        kind=mc.ModelInstanceGroup.KIND_CPU, count=1, rate_limiter=mc.ModelRateLimiter(priority=1)
    )
    if instances == 1:
        return [first]
    overflow = mc.ModelInstanceGroup(
        kind=mc.ModelInstanceGroup.KIND_CPU,
        count=instances - 1,
        rate_limiter=mc.ModelRateLimiter(priority=OVERFLOW_PRIORITY),
    )
    return [first, overflow]


def ensemble_config(dims: HeadDims, options: ServingOptions, version: int = 1) -> mc.ModelConfig:
    """tokenizer -> encoder -> postprocess, each at `version`; every tensor keeps its contract name."""
    config = mc.ModelConfig(name=TRITON_ENSEMBLE_MODEL, platform="ensemble", max_batch_size=options.max_batch_size)
    config.input.append(_input(TRITON_INPUT_TEXT, _STRING, [1]))
    config.output.append(_output(TRITON_OUTPUT_JSON, _STRING, [1]))
    heads = list(dims.output_dims())
    steps = (
        (TRITON_TOKENIZER_MODEL, [TRITON_INPUT_TEXT], [*ONNX_INPUTS, TRITON_TOKEN_OFFSETS]),
        (TRITON_ENCODER_MODEL, list(ONNX_INPUTS), heads),
        (TRITON_POSTPROCESS_MODEL, [TRITON_INPUT_TEXT, TRITON_TOKEN_OFFSETS, *heads], [TRITON_OUTPUT_JSON]),
    )
    for model, inputs, outputs in steps:
        step = config.ensemble_scheduling.step.add(model_name=model, model_version=version)
        step.input_map.update({name: name for name in inputs})
        step.output_map.update({name: name for name in outputs})
    return config


def to_pbtxt(config: mc.ModelConfig) -> str:
    return text_format.MessageToString(config)


def parse_pbtxt(text: str) -> mc.ModelConfig:
    """Parse a config.pbtxt into Triton's ModelConfig; raises text_format.ParseError if invalid."""
    return text_format.Parse(text, mc.ModelConfig())


def _dynamic_batching(config: mc.ModelConfig, options: ServingOptions) -> None:
    """Batch what queues up, wait `queue_delay_us` at most, and shed what the queue cannot hold."""
    batching = config.dynamic_batching
    batching.max_queue_delay_microseconds = options.queue_delay_us
    policy = batching.default_queue_policy
    policy.max_queue_size = options.max_queue_size
    policy.timeout_action = mc.ModelQueuePolicy.REJECT
    policy.default_timeout_microseconds = options.queue_timeout_ms * 1000
    policy.allow_timeout_override = True


def _python_model(
    name: str, options: ServingOptions, groups: Sequence[mc.ModelInstanceGroup] | None = None
) -> mc.ModelConfig:
    """A python-backend model; `groups` default to `options.instances` CPU instances."""
    config = mc.ModelConfig(name=name, backend="python", max_batch_size=options.max_batch_size)
    config.instance_group.extend(
        groups or [mc.ModelInstanceGroup(kind=mc.ModelInstanceGroup.KIND_CPU, count=options.instances)]
    )
    return config


def _input(name: str, data_type: int, dims: list[int], optional: bool = False) -> mc.ModelInput:
    return mc.ModelInput(name=name, data_type=data_type, dims=dims, optional=optional)


def _output(name: str, data_type: int, dims: list[int]) -> mc.ModelOutput:
    return mc.ModelOutput(name=name, data_type=data_type, dims=dims)


def _set_parameter(config: mc.ModelConfig, key: str, value: object) -> None:
    config.parameters[key].string_value = str(value)
