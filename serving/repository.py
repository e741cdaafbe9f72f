"""Writing a self-contained Triton model repository from a model bundle.

    repository/
      mtassist-repository.json   what was built: model version, target, models, ONNX sha256
      tokenizer/   config.pbtxt  1/model.py 1/tokenizer/ 1/model_card.json
      encoder/     config.pbtxt  1/model.onnx (1/model.py locally)
      postprocess/ config.pbtxt  1/model.py 1/labels.json 1/response_bank.{json,npy} 1/model_card.json
      assistant/   config.pbtxt  (as postprocess)
      assistant_ensemble/ config.pbtxt 1/

Each model is built in a staging folder beside the repository and then swapped in, so a server
that (re)loads models from it never reads a half-written model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_ONNX,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    SERVING_LOCAL,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENCODER_MODEL,
    TRITON_POSTPROCESS_MODEL,
    TRITON_TOKENIZER_MODEL,
)
from mtassist.hashing import sha256_file
from mtassist.serving.bundle import Bundle, read_bundle
from mtassist.serving.layout import MANIFEST, MODEL_VERSION_DIR, ONNX_MODEL_FILE, PYTHON_MODEL_FILE
from mtassist.serving.model_configs import ServingOptions, model_configs, to_pbtxt

_TRITON_MODELS = Path(__file__).parent / "triton_models"
_PYTHON_SOURCES = {
    TRITON_TOKENIZER_MODEL: "tokenizer.py",
    TRITON_ENCODER_MODEL: "encoder.py",
    TRITON_POSTPROCESS_MODEL: "postprocess.py",
    TRITON_ASSISTANT_MODEL: "assistant.py",
}
_DECODER_FILES = (BUNDLE_LABELS, BUNDLE_RESPONSE_TEXTS, BUNDLE_RESPONSE_EMBEDDINGS, BUNDLE_CARD)


def build_model_repository(
    bundle_dir: Path,
    repository_dir: Path,
    *,
    target: str = SERVING_LOCAL,
    options: ServingOptions = ServingOptions(),
) -> Path:
    """Write (or rewrite) the Triton model repository for one model bundle.

    Args:
        bundle_dir: the folder `export` wrote (contracts BUNDLE_*).
        repository_dir: the repository; models of other names in it are left alone.
        target: "local" (python backend only, for the wheel's tritonserver), "onnxruntime" or
            "tensorrt" (the encoder on the onnxruntime backend of the NGC image).
        options: batching, threads and reply count of the generated configs.

    Returns:
        The repository folder.
    """
    bundle = read_bundle(Path(bundle_dir))
    configs = model_configs(bundle.dims, options, target)
    repository_dir = Path(repository_dir)
    repository_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{repository_dir.name}.staging-", dir=repository_dir.parent))
    try:
        for name, config in configs.items():
            version_dir = staging / name / MODEL_VERSION_DIR
            version_dir.mkdir(parents=True)
            (staging / name / "config.pbtxt").write_text(to_pbtxt(config))
            _copy_model_files(name, version_dir, bundle, target)
        for name in configs:
            _swap_in(staging / name, repository_dir / name, trash=staging / f".old-{name}")
        manifest = {
            "model_version": bundle.model_version,
            "dataset_version": bundle.card.get("dataset_version"),
            "target": target,
            "models": list(configs),
            "bundle": str(bundle.root.resolve()),
            "onnx_sha256": sha256_file(bundle.path(BUNDLE_ONNX)),
        }
        (repository_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return repository_dir


def read_manifest(repository_dir: Path) -> dict:
    """What `build_model_repository` wrote into a repository (model version, target, models)."""
    path = Path(repository_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST} in {repository_dir}: build it with `mtassist serve` or the pipeline's deploy step"
        )
    return json.loads(path.read_text())


def _copy_model_files(name: str, version_dir: Path, bundle: Bundle, target: str) -> None:
    on_python_backend = name in _PYTHON_SOURCES and (name != TRITON_ENCODER_MODEL or target == SERVING_LOCAL)
    if on_python_backend:
        shutil.copyfile(_TRITON_MODELS / _PYTHON_SOURCES[name], version_dir / PYTHON_MODEL_FILE)
    if name == TRITON_TOKENIZER_MODEL:
        shutil.copytree(bundle.path(BUNDLE_TOKENIZER_DIR), version_dir / BUNDLE_TOKENIZER_DIR)
        shutil.copyfile(bundle.path(BUNDLE_CARD), version_dir / BUNDLE_CARD)
    elif name == TRITON_ENCODER_MODEL:
        shutil.copyfile(bundle.path(BUNDLE_ONNX), version_dir / ONNX_MODEL_FILE)
        for location in bundle.onnx_external_data:
            shutil.copyfile(bundle.path(location), version_dir / location)
    elif name in (TRITON_POSTPROCESS_MODEL, TRITON_ASSISTANT_MODEL):
        for file_name in _DECODER_FILES:
            shutil.copyfile(bundle.path(file_name), version_dir / file_name)


def _swap_in(new: Path, target: Path, trash: Path) -> None:
    if target.exists():
        os.replace(target, trash)
    os.replace(new, target)
