"""Writing a self-contained Triton model repository from a model bundle, one version at a time.

    repository/
      mtassist-repository.json   what is served: version, previous version, target, each version's files
      assistant/   config.pbtxt  <N>/model.py <N>/tokenizer/ <N>/model.onnx (local) <N>/labels.json ...
      tokenizer/   config.pbtxt  <N>/model.py <N>/tokenizer/ <N>/model_card.json
      encoder/     config.pbtxt  <N>/model.onnx (<N>/model.py locally)
      postprocess/ config.pbtxt  <N>/model.py <N>/labels.json <N>/response_bank.{json,npy} <N>/model_card.json
      assistant_ensemble/ config.pbtxt <N>/

<N> is the registered version (1 for a bundle that was never registered). Installing a version
keeps the one served before it beside it, for rollback, and removes older ones. Each version
folder is built in a staging folder and swapped in, and each config is replaced in one rename,
so a server that (re)loads models from the repository never reads a half-written model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from mtassist.contracts import (
    BUNDLE_CARD,
    BUNDLE_LABELS,
    BUNDLE_ONNX,
    BUNDLE_ONNX_INT8,
    BUNDLE_RESPONSE_EMBEDDINGS,
    BUNDLE_RESPONSE_TEXTS,
    BUNDLE_TOKENIZER_DIR,
    CARD_INT8_CHECK,
    SERVING_LOCAL,
    TRITON_ASSISTANT_MODEL,
    TRITON_ENCODER_MODEL,
    TRITON_POSTPROCESS_MODEL,
    TRITON_TOKENIZER_MODEL,
)
from mtassist.errors import MtassistError
from mtassist.hashing import sha256_file
from mtassist.serving.bundle import Bundle, read_bundle
from mtassist.serving.layout import MANIFEST, ONNX_MODEL_FILE, PYTHON_MODEL_FILE
from mtassist.serving.model_configs import ServingOptions, model_configs, to_pbtxt

_TRITON_MODELS = Path(__file__).parent / "triton_models"
_PYTHON_SOURCES = {
    TRITON_TOKENIZER_MODEL: "tokenizer.py",
    TRITON_ENCODER_MODEL: "encoder.py",
    TRITON_POSTPROCESS_MODEL: "postprocess.py",
    TRITON_ASSISTANT_MODEL: "assistant.py",
}
_DECODER_FILES = (BUNDLE_LABELS, BUNDLE_RESPONSE_TEXTS, BUNDLE_RESPONSE_EMBEDDINGS, BUNDLE_CARD)
_UNREGISTERED_VERSION = 1


class RepositoryError(MtassistError, ValueError):
    """A model repository or a serving choice that cannot be built."""


def build_model_repository(
    bundle_dir: Path,
    repository_dir: Path,
    *,
    target: str = SERVING_LOCAL,
    options: ServingOptions = ServingOptions(),
) -> Path:
    """Install one bundle's version into the Triton model repository and make it the one served.

    Args:
        bundle_dir: the folder `export` wrote (contracts BUNDLE_*); its card's model version
            names the version folders.
        repository_dir: the repository; models of other names in it are left alone.
        target: "local" (python backend only, for the wheel's tritonserver), "onnxruntime" or
            "tensorrt" (the encoder on the onnxruntime backend of the NGC image).
        options: batching, queueing, threads, precision and reply count of the generated configs.

    Returns:
        The repository folder. A running server serves the new version once its models are
        loaded again (`serving/rollout.py`).
    """
    bundle = read_bundle(Path(bundle_dir))
    version = served_version_number(bundle)
    graph = _graph_file(bundle, options.precision, target)
    repository_dir = Path(repository_dir)
    repository_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_manifest(repository_dir, target)
    versions = {
        number: entry
        for number, entry in previous.get("versions", {}).items()
        if int(number) in (version, int(previous.get("version", version)))
    }
    versions[str(version)] = {
        "model_version": bundle.model_version,
        "dataset_version": bundle.card.get("dataset_version"),
        "graph": graph,
        "onnx_sha256": sha256_file(bundle.path(graph)),
        "dims": asdict(bundle.dims),
    }
    before = int(previous["version"]) if previous and int(previous["version"]) != version else None
    keep_loaded = [before] if before is not None and versions[str(before)]["dims"] == asdict(bundle.dims) else []
    configs = model_configs(bundle.dims, options, target, version=version, step_versions=keep_loaded)
    for name in configs:
        _install_version(name, repository_dir / name / str(version), bundle, target, graph)
        _write_atomically(repository_dir / name / "config.pbtxt", to_pbtxt(configs[name]))
        _remove_other_versions(repository_dir / name, keep={version, *([before] if before else [])})
    manifest = {
        "version": version,
        "model_version": bundle.model_version,
        "previous_version": before,
        "target": target,
        "models": list(configs),
        "versions": {number: versions[number] for number in sorted(versions, key=int)},
    }
    _write_atomically(repository_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return repository_dir


def read_manifest(repository_dir: Path) -> dict:
    """What `build_model_repository` wrote into a repository (version served, previous, target, models)."""
    path = Path(repository_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST} in {repository_dir}: build it with `mtassist deploy`, `mtassist serve` "
            "or the pipeline's deploy step"
        )
    return json.loads(path.read_text())


def served_version_number(bundle: Bundle) -> int:
    """The version folder a bundle goes to: its registered version, or 1 when it was never registered."""
    return int(bundle.model_version) if bundle.model_version.isdigit() else _UNREGISTERED_VERSION


def _graph_file(bundle: Bundle, precision: str, target: str) -> str:
    """The bundle's graph `assistant` runs: INT8 where asked for, or ("auto") where its check passed."""
    if target != SERVING_LOCAL or precision == "fp32":
        return BUNDLE_ONNX
    check = bundle.card.get(CARD_INT8_CHECK) or {}
    has_int8 = bundle.path(BUNDLE_ONNX_INT8).is_file()
    if precision == "int8" and not (has_int8 and check.get("passed")):
        raise RepositoryError(
            f"the bundle at {bundle.root} has no INT8 graph that passed its accuracy check "
            f"({CARD_INT8_CHECK}: {check or 'missing'}): serve precision 'fp32' or 'auto'"
        )
    return BUNDLE_ONNX_INT8 if has_int8 and check.get("passed") else BUNDLE_ONNX


def _previous_manifest(repository_dir: Path, target: str) -> dict:
    try:
        manifest = read_manifest(repository_dir)
    except (FileNotFoundError, ValueError):
        return {}
    if "version" not in manifest or manifest.get("target") != target:
        return {}  # written by another target, or before versions were kept: start afresh
    return manifest


def _install_version(name: str, version_dir: Path, bundle: Bundle, target: str, graph: str) -> None:
    """Build one model's version folder beside it, then swap it in."""
    version_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version_dir.name}.staging-", dir=version_dir.parent))
    try:
        _copy_model_files(name, staging, bundle, target, graph)
        trash = staging.with_name(staging.name + ".old")
        if version_dir.exists():
            os.replace(version_dir, trash)
        os.replace(staging, version_dir)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy_model_files(name: str, folder: Path, bundle: Bundle, target: str, graph: str) -> None:
    on_python_backend = name in _PYTHON_SOURCES and (name != TRITON_ENCODER_MODEL or target == SERVING_LOCAL)
    if on_python_backend:
        shutil.copyfile(_TRITON_MODELS / _PYTHON_SOURCES[name], folder / PYTHON_MODEL_FILE)
    if name in (TRITON_TOKENIZER_MODEL, TRITON_ASSISTANT_MODEL):
        shutil.copytree(bundle.path(BUNDLE_TOKENIZER_DIR), folder / BUNDLE_TOKENIZER_DIR)
    if name in (TRITON_POSTPROCESS_MODEL, TRITON_ASSISTANT_MODEL):
        for file_name in _DECODER_FILES:
            shutil.copyfile(bundle.path(file_name), folder / file_name)
    if name == TRITON_TOKENIZER_MODEL:
        shutil.copyfile(bundle.path(BUNDLE_CARD), folder / BUNDLE_CARD)
    if name == TRITON_ENCODER_MODEL or (name == TRITON_ASSISTANT_MODEL and target == SERVING_LOCAL):
        source = graph if name == TRITON_ASSISTANT_MODEL else BUNDLE_ONNX
        shutil.copyfile(bundle.path(source), folder / ONNX_MODEL_FILE)
        for location in bundle.onnx_external_data if source == BUNDLE_ONNX else ():
            shutil.copyfile(bundle.path(location), folder / location)


def _remove_other_versions(model_dir: Path, keep: set[int]) -> None:
    for child in model_dir.iterdir():
        if child.is_dir() and child.name.isdigit() and int(child.name) not in keep:
            shutil.rmtree(child, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)
