"""The Kubernetes manifests in infra/k8s hold together, checked offline.

Every kustomize target is rendered with `kubectl kustomize`, each object is validated strictly
against Kubernetes schemas that kubernetes-validate ships, and the manifests are held to the
names the code uses: pipelines/kubernetes.py (claim, mount path, config map,
secret, GPU resource and node label), contracts.Ports and Settings.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version, major_minor

from mtassist.contracts import Ports
from mtassist.pipelines import kubernetes as k8s
from mtassist.serving.layout import RATE_LIMIT_FLAG
from mtassist.settings import Settings
from tests.infra.common import INFRA, PINS, image_tag

K8S = INFRA / "k8s"
NAMESPACE = "mtassist"
TARGETS = {
    "base": K8S / "base",
    **{p.name: p for p in sorted((K8S / "overlays").iterdir()) if (p / "kustomization.yaml").is_file()},
}
KUBERNETES_VERSIONS = ("1.30", major_minor(latest_version()))
"""The oldest release still common in managed clusters, and the newest schema shipped."""
CONTRACT_PORTS = {f.name: f.default for f in fields(Ports)}
TRITON_REPOSITORY = Settings(home=Path(k8s.STATE_MOUNT_PATH)).model_repository

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed; it renders the kustomize targets"
)


# --- rendering and lookup -----------------------------------------------------------------------


@functools.cache
def _render(target: str) -> tuple[str, tuple[dict, ...]]:
    done = subprocess.run(["kubectl", "kustomize", str(TARGETS[target])], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"kubectl kustomize {TARGETS[target]} failed:\n{done.stderr}"
    return done.stdout, tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def rendered(target: str) -> tuple[dict, ...]:
    return _render(target)[1]


def find(objects: tuple[dict, ...], kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_specs(objects: tuple[dict, ...]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in objects if o["kind"] == "Deployment"}


def all_containers(pod: dict) -> list[dict]:
    return pod.get("initContainers", []) + pod["containers"]


def triton_container(objects: tuple[dict, ...]) -> dict:
    (container,) = [c for c in pod_specs(objects)["triton"]["containers"] if c["name"] == "triton"]
    return container


def flag_values(args: list[str]) -> dict[str, str]:
    return dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)


@pytest.fixture(params=sorted(TARGETS))
def target(request) -> str:
    return request.param


# --- every target renders to valid, namespaced objects -------------------------------------------


def test_there_is_a_gpu_and_a_cpu_overlay():
    assert {"gpu", "cpu"} <= set(TARGETS)


@needs_kubectl
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_kubernetes(target, version):
    objects = rendered(target)
    assert objects, f"{target} renders nothing"
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(p) for p in error.path)
            pytest.fail(f"{target}: {obj['kind']}/{obj['metadata']['name']} at {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{target}: {error.message} (a CRD cannot be validated offline; leave it out)")


def test_the_validator_rejects_unknown_fields():
    """Strict validation is what catches a misspelt field, so make sure it is on."""
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dataa": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(config_map, KUBERNETES_VERSIONS[0], strict=True)


@needs_kubectl
def test_everything_lives_in_the_mtassist_namespace(target):
    objects = rendered(target)
    find(objects, "Namespace", NAMESPACE)
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == NAMESPACE, f"{obj['kind']}/{obj['metadata']['name']}"


# --- GPU placement ---------------------------------------------------------------------------------


@needs_kubectl
def test_gpu_overlay_puts_triton_on_a_gpu_node():
    objects = rendered("gpu")
    pod = pod_specs(objects)["triton"]
    resources = triton_container(objects)["resources"]
    assert int(resources["limits"][k8s.GPU_RESOURCE]) == 1
    assert int(resources["requests"].get(k8s.GPU_RESOURCE, 1)) == 1  # must equal the limit if set
    label, value = k8s.GPU_NODE_LABEL
    assert pod["nodeSelector"] == {label: value}
    assert {"key": k8s.GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]


@needs_kubectl
@pytest.mark.parametrize("name", sorted(set(TARGETS) - {"gpu"}))
def test_other_targets_ask_for_no_gpu(name):
    text, objects = _render(name)
    assert k8s.GPU_RESOURCE not in text, f"{name} mentions {k8s.GPU_RESOURCE}"
    for pod in pod_specs(objects).values():
        assert not pod.get("tolerations") and not pod.get("nodeSelector")


@needs_kubectl
def test_the_gpu_overlay_scales_further_than_the_cpu_one():
    hpa = {t: find(rendered(t), "HorizontalPodAutoscaler", "triton")["spec"] for t in ("gpu", "cpu")}
    assert hpa["cpu"]["maxReplicas"] < hpa["gpu"]["maxReplicas"]
    for spec in hpa.values():
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"]


# --- Triton -----------------------------------------------------------------------------------------


@needs_kubectl
def test_triton_ports_are_the_contract_ports(target):
    objects = rendered(target)
    container = triton_container(objects)
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == CONTRACT_PORTS
    flags = flag_values(container["args"])
    assert {name: int(flags[f"{name}-port"]) for name in CONTRACT_PORTS} == CONTRACT_PORTS
    service = find(objects, "Service", "triton")["spec"]["ports"]
    assert {p["name"]: p["port"] for p in service} == CONTRACT_PORTS
    assert all(p["targetPort"] == p["name"] for p in service)
    for probe, path in (("readinessProbe", "/v2/health/ready"), ("livenessProbe", "/v2/health/live")):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}


@needs_kubectl
def test_prometheus_scrapes_triton_metrics_port(target):
    deployment = find(rendered(target), "Deployment", "triton")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == Ports.metrics
    assert annotations["prometheus.io/path"] == "/metrics"


@needs_kubectl
def test_triton_loads_explicitly_from_the_state_volume(target):
    objects = rendered(target)
    pod = pod_specs(objects)["triton"]
    container = triton_container(objects)
    flags = flag_values(container["args"])
    assert flags["model-control-mode"] == "explicit"
    assert flags["load-model"] == "*"
    assert f"--rate-limit={flags['rate-limit']}" == RATE_LIMIT_FLAG  # as the local launcher runs it
    assert Path(flags["model-repository"]) == TRITON_REPOSITORY
    claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v
    }
    (mount,) = [m for m in container["volumeMounts"] if claims.get(m["name"]) == k8s.STATE_VOLUME_CLAIM]
    assert mount["mountPath"] == k8s.STATE_MOUNT_PATH and mount["readOnly"] is True
    claim = find(objects, "PersistentVolumeClaim", k8s.STATE_VOLUME_CLAIM)
    assert "ReadWriteMany" in claim["spec"]["accessModes"]  # pipeline pods and Triton, any node


@needs_kubectl
def test_triton_autoscales_on_queue_time_with_cpu_fallback(target):
    objects = rendered(target)
    deployment = find(objects, "Deployment", "triton")
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = find(objects, "HorizontalPodAutoscaler", "triton")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "triton"}
    by_type = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert by_type["Resource"]["resource"]["name"] == "cpu"
    adapter = yaml.safe_load((K8S / "prometheus-adapter" / "values.yaml").read_text())
    served = {rule["name"]["as"]: rule for rule in adapter["rules"]["custom"]}
    metric = by_type["Pods"]["pods"]["metric"]["name"]
    assert metric in served, f"prometheus-adapter serves no metric {metric}"
    assert "nv_inference_queue_duration_us" in served[metric]["metricsQuery"]


# --- settings and secrets ---------------------------------------------------------------------------


@needs_kubectl
def test_settings_config_map_holds_every_setting_the_pipeline_maps(target):
    objects = rendered(target)
    data = find(objects, "ConfigMap", k8s.SETTINGS_CONFIG_MAP)["data"]
    assert set(k8s.SETTINGS_KEYS) <= set(data)
    host, port = data["MTASSIST_TRITON_URL"].rsplit(":", 1)
    assert host.split(".")[:2] == ["triton", NAMESPACE] and int(port) == Ports.grpc
    tracking = urlparse(data["MLFLOW_TRACKING_URI"])
    mlflow_ports = {p["port"] for p in find(objects, "Service", "mlflow")["spec"]["ports"]}
    assert tracking.hostname.split(".")[:2] == ["mlflow", NAMESPACE] and tracking.port in mlflow_ports


def _references(objects: tuple[dict, ...], kind_of_ref: str) -> list[tuple[str, str | None]]:
    """(name, key) of every secret or config map a container reads; key None for envFrom."""
    refs = []
    for pod in pod_specs(objects).values():
        for container in all_containers(pod):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get(f"{kind_of_ref}KeyRef")
                if ref:
                    refs.append((ref["name"], ref["key"]))
            for source in container.get("envFrom", []):
                if f"{kind_of_ref}Ref" in source:
                    refs.append((source[f"{kind_of_ref}Ref"]["name"], None))
    return refs


@needs_kubectl
def test_secret_references_match_the_pipeline_credentials(target):
    objects = rendered(target)
    secrets = _references(objects, "secret")
    credential_keys = {key for name, key in secrets if name == k8s.CREDENTIALS_SECRET}
    assert credential_keys and None not in credential_keys
    assert credential_keys <= set(k8s.CREDENTIAL_KEYS)
    config_map = find(objects, "ConfigMap", k8s.SETTINGS_CONFIG_MAP)["data"]
    for name, key in _references(objects, "configMap"):
        assert name == k8s.SETTINGS_CONFIG_MAP and key in config_map


@needs_kubectl
def test_every_secret_referenced_is_documented_and_none_is_committed(target):
    objects = rendered(target)
    for obj in objects:
        if obj["kind"] == "Secret":
            assert not obj.get("data") and not obj.get("stringData"), f"secret {obj['metadata']['name']} has values"
    readme = (INFRA / "README.md").read_text()
    for name, key in _references(objects, "secret"):
        command = re.search(rf"create secret generic {re.escape(name)}\b(?:[^\n]*\\\n)*[^\n]*", readme)
        assert command, f"infra/README.md does not say how to create secret {name}"
        assert f"--from-literal={key}=" in command.group(0), f"README's {name} command lacks {key}"
    credentials = re.search(rf"create secret generic {k8s.CREDENTIALS_SECRET}\b(?:[^\n]*\\\n)*[^\n]*", readme)
    assert credentials
    for key in k8s.CREDENTIAL_KEYS:
        assert f"--from-literal={key}=" in credentials.group(0)


# --- every pod: resources, non-root, pinned images ---------------------------------------------------


@needs_kubectl
def test_every_container_has_requests_and_limits(target):
    for deployment, pod in pod_specs(rendered(target)).items():
        for container in all_containers(pod):
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"].get(bound, {})), (
                    f"{deployment}/{container['name']} lacks {bound}"
                )


@needs_kubectl
def test_every_pod_runs_as_non_root(target):
    for deployment, pod in pod_specs(rendered(target)).items():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0, deployment
        assert pod.get("automountServiceAccountToken") is False, deployment
        for container in all_containers(pod):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


@needs_kubectl
def test_every_image_is_pinned_and_mlflow_matches_the_client(target):
    for deployment, pod in pod_specs(rendered(target)).items():
        for container in all_containers(pod):
            assert image_tag(container["image"]) not in (None, "latest"), f"{deployment}: {container['image']}"
    (mlflow,) = pod_specs(rendered(target))["mlflow"]["containers"]
    assert image_tag(mlflow["image"]).removeprefix("v").startswith(PINS["mlflow"])
