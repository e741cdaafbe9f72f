"""Kubernetes concerns of the pipeline's tasks, attached in the pipeline and never in components.

kfp's local runner ignores this platform configuration, so the same pipeline runs locally and
in a cluster unchanged. In a cluster every task mounts the shared state volume (caches, model
repository) at MTASSIST_HOME and takes its MLflow and object-store settings from a config map
and a secret; the training tasks run on GPU nodes.
"""

from __future__ import annotations

from kfp import kubernetes
from kfp.dsl import PipelineTask

STATE_VOLUME_CLAIM = "mtassist-state"
STATE_MOUNT_PATH = "/var/lib/mtassist"
SETTINGS_CONFIG_MAP = "mtassist-settings"
SETTINGS_KEYS = ("MLFLOW_TRACKING_URI", "MTASSIST_ARTIFACT_ROOT", "MTASSIST_TRITON_URL", "MLFLOW_S3_ENDPOINT_URL")
CREDENTIALS_SECRET = "mtassist-credentials"
CREDENTIAL_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_TOKEN")
GPU_RESOURCE = "nvidia.com/gpu"
GPU_NODE_LABEL = ("nvidia.com/gpu.present", "true")


def on_cluster_state(task: PipelineTask) -> PipelineTask:
    """Shared volume, settings and credentials for any task."""
    kubernetes.mount_pvc(task, pvc_name=STATE_VOLUME_CLAIM, mount_path=STATE_MOUNT_PATH)
    kubernetes.use_config_map_as_env(
        task, config_map_name=SETTINGS_CONFIG_MAP, config_map_key_to_env={k: k for k in SETTINGS_KEYS}, optional=True
    )
    kubernetes.use_secret_as_env(
        task, secret_name=CREDENTIALS_SECRET, secret_key_to_env={k: k for k in CREDENTIAL_KEYS}, optional=True
    )
    return task


def on_gpu_node(task: PipelineTask, gpus: int = 1) -> PipelineTask:
    """One or more NVIDIA GPUs, a GPU node, and the taint such nodes carry."""
    task.set_accelerator_type(GPU_RESOURCE).set_accelerator_limit(gpus)
    task.set_cpu_limit("8").set_memory_limit("32G")
    kubernetes.add_node_selector(task, *GPU_NODE_LABEL)
    kubernetes.add_toleration(task, key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")
    return task
