"""The model-repository builder: configs parsed back into Triton's ModelConfig and held to contracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tritonclient.grpc import model_config_pb2 as mc

from mtassist import contracts
from mtassist.serving.bundle import BundleError, read_bundle
from mtassist.serving.layout import MANIFEST, ONNX_MODEL_FILE, PARAM_INTRA_OP_THREADS, PYTHON_MODEL_FILE
from mtassist.serving.model_configs import (
    MODEL_NAMES,
    OVERFLOW_PRIORITY,
    HeadDims,
    ServingOptions,
    assistant_instance_groups,
    model_configs,
    parse_pbtxt,
)
from mtassist.serving.repository import RepositoryError, build_model_repository, read_manifest
from tests.tiny_bundle import MODEL_VERSION

DIMS = HeadDims(n_route=3, n_intent=4, n_slot_tags=7, n_sentiment=3, embedding_dim=8)
TOKENIZER_OUTPUTS = {*contracts.ONNX_INPUTS, contracts.TRITON_TOKEN_OFFSETS}


def _read_configs(repository: Path) -> dict[str, mc.ModelConfig]:
    return {path.parent.name: parse_pbtxt(path.read_text()) for path in repository.glob("*/config.pbtxt")}


def _tensors(tensors) -> dict[str, tuple[int, list[int]]]:
    return {t.name: (t.data_type, list(t.dims)) for t in tensors}


@pytest.fixture(scope="module")
def local_repository(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model_repository(tiny_bundle, tmp_path_factory.mktemp("local") / "model-repository")


def test_every_config_parses_into_tritons_model_config_with_its_folder_name(local_repository):
    configs = _read_configs(local_repository)
    assert set(configs) == set(MODEL_NAMES)
    for name, config in configs.items():
        assert config.name == name
        assert config.max_batch_size == ServingOptions().max_batch_size
        assert (local_repository / name / MODEL_VERSION).is_dir()
        assert list(config.version_policy.specific.versions) == [int(MODEL_VERSION)]


def test_assistant_never_waits_for_a_batch_and_sheds_what_its_queue_cannot_hold(local_repository):
    options = ServingOptions()
    assistant = _read_configs(local_repository)[contracts.TRITON_ASSISTANT_MODEL]
    batching = assistant.dynamic_batching
    assert batching.max_queue_delay_microseconds == 0
    assert batching.default_queue_policy.max_queue_size == options.max_queue_size
    assert batching.default_queue_policy.timeout_action == mc.ModelQueuePolicy.REJECT
    assert batching.default_queue_policy.default_timeout_microseconds == options.queue_timeout_ms * 1000
    assert sum(group.count for group in assistant.instance_group) == options.assistant_instances == 2


@pytest.mark.parametrize("instances", [1, 2, 3])
def test_the_first_assistant_instance_is_preferred_and_the_rest_take_the_overflow(instances):
    first, *overflow = assistant_instance_groups(instances)
    assert (first.count, first.rate_limiter.priority) == (1, 1)
    assert [(group.count, group.rate_limiter.priority) for group in overflow] == (
        [(instances - 1, OVERFLOW_PRIORITY)] if instances > 1 else []
    )
    assert OVERFLOW_PRIORITY > 100  # the first takes all but about one request in OVERFLOW_PRIORITY while free


def test_tensor_names_and_types_are_the_contracts(local_repository):
    configs = _read_configs(local_repository)
    string = (mc.TYPE_STRING, [1])

    assistant = configs[contracts.TRITON_ASSISTANT_MODEL]
    assert _tensors(assistant.input) == {
        contracts.TRITON_INPUT_TEXT: string,
        contracts.TRITON_INPUT_TASKS: string,
        contracts.TRITON_INPUT_ROUTE: string,
        contracts.TRITON_INPUT_CONTEXT: string,
    }
    assert [i.optional for i in assistant.input] == [False, True, True, True]
    assert _tensors(assistant.output) == {contracts.TRITON_OUTPUT_JSON: string}
    assert _tensors(configs[contracts.TRITON_ENSEMBLE_MODEL].output) == {contracts.TRITON_OUTPUT_JSON: string}

    assert set(_tensors(configs[contracts.TRITON_TOKENIZER_MODEL].output)) == TOKENIZER_OUTPUTS
    encoder = configs[contracts.TRITON_ENCODER_MODEL]
    assert [i.name for i in encoder.input] == list(contracts.ONNX_INPUTS)
    assert [o.name for o in encoder.output] == list(contracts.ONNX_OUTPUTS)
    assert all(i.data_type == mc.TYPE_INT64 for i in encoder.input)
    assert all(o.data_type == mc.TYPE_FP32 for o in encoder.output)
    assert encoder.HasField("dynamic_batching")


def test_the_encoder_output_dims_come_from_the_bundle(local_repository):
    encoder = _read_configs(local_repository)[contracts.TRITON_ENCODER_MODEL]
    dims = {o.name: list(o.dims) for o in encoder.output}
    assert dims == {
        "route_logits": [3],
        "intent_logits": [4],
        "slot_logits": [-1, 7],
        "sentiment_logits": [3],
        "sentence_embedding": [8],
    }


def test_the_ensemble_wires_each_step_to_tensors_that_exist_with_the_same_type(local_repository):
    configs = _read_configs(local_repository)
    ensemble = configs[contracts.TRITON_ENSEMBLE_MODEL]
    assert ensemble.platform == "ensemble"
    available = _tensors(ensemble.input)
    steps = ensemble.ensemble_scheduling.step
    assert [step.model_name for step in steps] == [
        contracts.TRITON_TOKENIZER_MODEL,
        contracts.TRITON_ENCODER_MODEL,
        contracts.TRITON_POSTPROCESS_MODEL,
    ]
    for step in steps:
        model = configs[step.model_name]
        inputs, outputs = _tensors(model.input), _tensors(model.output)
        assert set(step.input_map) == {i.name for i in model.input if not i.optional}
        for model_input, ensemble_tensor in step.input_map.items():
            assert ensemble_tensor in available, f"{step.model_name} reads {ensemble_tensor}, which nothing made"
            assert available[ensemble_tensor][0] == inputs[model_input][0]
        for model_output, ensemble_tensor in step.output_map.items():
            available[ensemble_tensor] = outputs[model_output]
    assert set(_tensors(ensemble.output)) <= set(available)


def test_the_local_target_runs_every_model_on_the_python_backend_with_its_files(local_repository):
    configs = _read_configs(local_repository)
    for name in MODEL_NAMES[:-1]:
        assert configs[name].backend == "python"
        assert configs[name].instance_group[0].kind == mc.ModelInstanceGroup.KIND_CPU
        assert (local_repository / name / MODEL_VERSION / PYTHON_MODEL_FILE).is_file()
    for name in (contracts.TRITON_ENCODER_MODEL, contracts.TRITON_ASSISTANT_MODEL):
        assert configs[name].parameters[PARAM_INTRA_OP_THREADS].string_value == "0"
        assert (local_repository / name / MODEL_VERSION / ONNX_MODEL_FILE).is_file()
    for name in (contracts.TRITON_TOKENIZER_MODEL, contracts.TRITON_ASSISTANT_MODEL):
        tokenizer = local_repository / name / MODEL_VERSION / contracts.BUNDLE_TOKENIZER_DIR
        assert (tokenizer / "tokenizer.json").is_file()
    for name in (contracts.TRITON_ASSISTANT_MODEL, contracts.TRITON_POSTPROCESS_MODEL):
        for file_name in (
            contracts.BUNDLE_LABELS,
            contracts.BUNDLE_RESPONSE_TEXTS,
            contracts.BUNDLE_RESPONSE_EMBEDDINGS,
            contracts.BUNDLE_CARD,
        ):
            assert (local_repository / name / MODEL_VERSION / file_name).is_file()


def test_the_manifest_names_the_version_served_its_graph_and_target(local_repository):
    manifest = read_manifest(local_repository)
    assert (manifest["version"], manifest["model_version"], manifest["previous_version"]) == (3, "3", None)
    assert manifest["target"] == "local"
    assert manifest["models"] == list(MODEL_NAMES)
    served = manifest["versions"][MODEL_VERSION]
    assert served["graph"] == contracts.BUNDLE_ONNX  # the tiny bundle has no INT8 graph
    assert len(served["onnx_sha256"]) == 64
    assert not (local_repository / MANIFEST).is_dir()


def _bundle_with_int8(tiny_bundle: Path, folder: Path, passed: bool) -> Path:
    bundle = shutil.copytree(tiny_bundle, folder)
    shutil.copyfile(bundle / contracts.BUNDLE_ONNX, bundle / contracts.BUNDLE_ONNX_INT8)
    card = json.loads((bundle / contracts.BUNDLE_CARD).read_text())
    card[contracts.CARD_INT8_CHECK] = {"rows": 10, "max_drop": 0.002 if passed else 0.05, "passed": passed}
    (bundle / contracts.BUNDLE_CARD).write_text(json.dumps(card))
    return bundle


@pytest.mark.parametrize(("passed", "graph"), [(True, contracts.BUNDLE_ONNX_INT8), (False, contracts.BUNDLE_ONNX)])
def test_assistant_runs_the_int8_graph_only_where_its_check_passed(tiny_bundle, tmp_path, passed, graph):
    bundle = _bundle_with_int8(tiny_bundle, tmp_path / "bundle", passed)
    repository = build_model_repository(bundle, tmp_path / "repo")
    assert read_manifest(repository)["versions"][MODEL_VERSION]["graph"] == graph


def test_int8_asked_for_where_the_check_failed_is_refused(tiny_bundle, tmp_path):
    bundle = _bundle_with_int8(tiny_bundle, tmp_path / "bundle", passed=False)
    with pytest.raises(RepositoryError, match="no INT8 graph that passed its accuracy check.*serve precision 'fp32'"):
        build_model_repository(bundle, tmp_path / "repo", options=ServingOptions(precision="int8"))


@pytest.mark.parametrize("target", ["onnxruntime", "tensorrt"])
def test_cluster_targets_put_the_encoder_on_the_onnxruntime_backend(tiny_bundle, tmp_path, target):
    repository = build_model_repository(tiny_bundle, tmp_path / "repo", target=target)
    encoder = _read_configs(repository)[contracts.TRITON_ENCODER_MODEL]
    assert encoder.platform == "onnxruntime_onnx"
    assert not encoder.backend
    assert encoder.default_model_filename == ONNX_MODEL_FILE
    assert sorted(p.name for p in (repository / contracts.TRITON_ENCODER_MODEL / MODEL_VERSION).iterdir()) == [
        ONNX_MODEL_FILE
    ]
    assert not (repository / contracts.TRITON_ASSISTANT_MODEL / MODEL_VERSION / ONNX_MODEL_FILE).exists()
    accelerators = encoder.optimization.execution_accelerators.gpu_execution_accelerator
    if target == "tensorrt":
        assert [a.name for a in accelerators] == ["tensorrt"]
        assert accelerators[0].parameters["precision_mode"] == "FP16"
        assert encoder.instance_group[0].kind == mc.ModelInstanceGroup.KIND_GPU
    else:
        assert not accelerators


def _bundle_of_version(tiny_bundle: Path, folder: Path, version: str) -> Path:
    bundle = shutil.copytree(tiny_bundle, folder)
    card = json.loads((bundle / contracts.BUNDLE_CARD).read_text())
    (bundle / contracts.BUNDLE_CARD).write_text(json.dumps({**card, "model_version": version}))
    return bundle


def _served(repository: Path) -> dict[str, list[int]]:
    return {name: list(config.version_policy.specific.versions) for name, config in _read_configs(repository).items()}


def test_a_new_version_is_served_beside_the_previous_one_and_older_ones_go(tiny_bundle, tmp_path):
    repository = build_model_repository(tiny_bundle, tmp_path / "repo")
    (repository / "other_model").mkdir()
    build_model_repository(
        _bundle_of_version(tiny_bundle, tmp_path / "b4", "4"), repository, options=ServingOptions(max_batch_size=8)
    )

    manifest = read_manifest(repository)
    assert (manifest["version"], manifest["previous_version"], sorted(manifest["versions"])) == (4, 3, ["3", "4"])
    card_copy = repository / contracts.TRITON_ASSISTANT_MODEL / "4" / contracts.BUNDLE_CARD
    assert json.loads(card_copy.read_text())["model_version"] == "4"
    served = _served(repository)
    assert served[contracts.TRITON_ASSISTANT_MODEL] == [4]
    assert served[contracts.TRITON_ENCODER_MODEL] == [3, 4]  # the steps keep the previous version loaded
    ensemble = _read_configs(repository)[contracts.TRITON_ENSEMBLE_MODEL]
    assert {step.model_version for step in ensemble.ensemble_scheduling.step} == {4}
    assert _read_configs(repository)[contracts.TRITON_ASSISTANT_MODEL].max_batch_size == 8

    build_model_repository(_bundle_of_version(tiny_bundle, tmp_path / "b5", "5"), repository)
    assert sorted(p.name for p in (repository / contracts.TRITON_ASSISTANT_MODEL).iterdir() if p.is_dir()) == [
        "4",
        "5",
    ]
    build_model_repository(_bundle_of_version(tiny_bundle, tmp_path / "b4again", "4"), repository)  # a rollback
    assert (read_manifest(repository)["version"], read_manifest(repository)["previous_version"]) == (4, 5)
    assert _served(repository)[contracts.TRITON_ASSISTANT_MODEL] == [4]
    assert (repository / "other_model").is_dir()
    assert [p.name for p in repository.rglob("*") if "staging" in p.name or "partial" in p.name] == []


def test_a_bundle_without_a_file_is_rejected_naming_it(tiny_bundle, tmp_path):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    (bundle / contracts.BUNDLE_RESPONSE_TEXTS).unlink()
    with pytest.raises(BundleError, match=f"lacks {contracts.BUNDLE_RESPONSE_TEXTS}: export it again"):
        build_model_repository(bundle, tmp_path / "repo")
    assert not (tmp_path / "repo").exists()


def test_labels_that_disagree_with_the_graph_are_rejected(tiny_bundle, tmp_path):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    labels = json.loads((bundle / contracts.BUNDLE_LABELS).read_text())
    labels["intent"].append("HassExtra")
    (bundle / contracts.BUNDLE_LABELS).write_text(json.dumps(labels))
    with pytest.raises(BundleError, match=r"output intent_logits has dims \[4\].*say \[5\]"):
        read_bundle(bundle)


def test_a_model_card_without_max_length_is_rejected(tiny_bundle, tmp_path):
    bundle = shutil.copytree(tiny_bundle, tmp_path / "bundle")
    (bundle / contracts.BUNDLE_CARD).write_text(json.dumps({"model_version": "3"}))
    with pytest.raises(BundleError, match="has no max_length"):
        read_bundle(bundle)


def test_an_unknown_target_is_rejected():
    with pytest.raises(ValueError, match="unknown target 'triton': choose from local, onnxruntime, tensorrt"):
        model_configs(DIMS, target="triton")
