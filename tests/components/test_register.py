"""register: a new MLflow model version aliased challenger, with its lineage and gate metrics."""

from mlflow.tracking import MlflowClient

from mtassist.contracts import CHALLENGER_ALIAS, LINEAGE_KEYS, REGISTERED_MODEL_NAME, SCORE_METRICS


def test_register_creates_the_challenger_with_lineage_tags(registered, exported, student, store):
    client = MlflowClient(store.tracking_uri)
    version = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHALLENGER_ALIAS)
    assert str(version.version) == registered == "1"
    assert set(LINEAGE_KEYS) | {"git_commit", "pipeline_run_id", "packages", "bundle_sha256"} <= set(version.tags)
    assert version.tags["git_commit"] == "abc123" and version.tags["onnx_sha256"] == exported[1]
    assert version.tags["student_run_id"] == student[1]


def test_the_version_says_where_each_metric_was_measured(registered, student, teacher, store):
    import json

    tags = MlflowClient(store.tracking_uri).get_model_version(REGISTERED_MODEL_NAME, registered).tags
    sources = json.loads(tags["metric_sources"])
    assert (sources["evaluated_student_run_id"], sources["evaluated_teacher_run_id"]) == (student[1], teacher[1])
    assert sources["evaluated_models_trained_on"] == sources["released_weights_trained_on"] == "train split"
    assert sources["metric_prefixes"]["(none)"].startswith("test split")
    assert sources["metric_prefixes"]["unseen_values_"].startswith("unseen-values split")


def test_the_registered_run_holds_the_gate_metrics(registered, store):
    client = MlflowClient(store.tracking_uri)
    run = client.get_run(client.get_model_version(REGISTERED_MODEL_NAME, registered).run_id)
    assert {*SCORE_METRICS, "score", "latency_p95_ms"} <= set(run.data.metrics)
