"""The pipeline compiles to Kubeflow YAML with every step, and cluster concerns sit in the pipeline."""

import yaml

from mtassist.pipelines.kubernetes import GPU_RESOURCE, STATE_VOLUME_CLAIM
from mtassist.pipelines.runner import compile_pipeline

STEPS = (
    "ingest",
    "validate",
    "train-teacher",
    "distill-student",
    "evaluate",
    "release-teacher",
    "release-student",
    "export",
    "register",
    "promote",
    "deploy",
    "smoke-test",
)


def _compiled(tmp_path):
    documents = list(yaml.safe_load_all(compile_pipeline(tmp_path / "pipeline.yaml").read_text()))
    return documents[0], (documents[1] if len(documents) > 1 else {})


def test_compiled_pipeline_chains_every_step_in_order(tmp_path):
    spec, _ = _compiled(tmp_path)
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == set(STEPS)
    assert [tasks[name]["taskInfo"]["name"] for name in STEPS] == [
        f"{i}. {n.replace('-', ' ')}" for i, n in enumerate(STEPS, 1)
    ]
    assert "validate" in tasks["train-teacher"]["dependentTasks"]
    assert "promote" in tasks["deploy"]["dependentTasks"]
    assert "evaluate" in tasks["release-teacher"]["dependentTasks"], "models are released once evaluated"
    assert {"release-teacher", "release-student"} <= set(tasks["export"]["dependentTasks"])


def test_training_steps_ask_for_a_gpu_and_every_step_mounts_the_state_volume(tmp_path):
    spec, platform = _compiled(tmp_path)
    executors = spec["deploymentSpec"]["executors"]
    for step in ("train-teacher", "distill-student", "release-teacher", "release-student"):
        resources = executors[f"exec-{step}"]["container"]["resources"]
        assert resources["accelerator"]["resourceType"] == GPU_RESOURCE
    assert "accelerator" not in executors["exec-ingest"]["container"].get("resources", {})
    kubernetes = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    for step in STEPS:
        assert kubernetes[f"exec-{step}"]["pvcMount"][0]["constant"] == STATE_VOLUME_CLAIM
    assert kubernetes["exec-train-teacher"]["tolerations"][0]["key"] == GPU_RESOURCE


def test_locations_are_pipeline_parameters_with_local_defaults(tmp_path):
    spec, _ = _compiled(tmp_path)
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    for name in ("tracking_uri", "cache_dir", "model_repository", "triton_url", "model_source"):
        assert name in parameters
    assert parameters["tracking_uri"]["defaultValue"] == ""
    assert parameters["data_size"]["defaultValue"] == "default"
    assert parameters["release_on_every_split"]["defaultValue"] is False
