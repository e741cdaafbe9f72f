"""The layers hold: the core never reaches up into kfp, Triton or the three top-level folders.

A plain AST check over every module (imports inside functions count too), so a new arrow that
runs the wrong way fails here with the file and line that adds it.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "mtassist"
COMPOSITION_ROOT = CORE / "cli.py"
"""The CLI wires the layers together: the one core module allowed to reach into them."""

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "mtassist": (
        "kfp",
        "tritonclient",
        "triton_python_backend_utils",
        "mtassist.components",
        "mtassist.pipelines",
        "mtassist.serving",
    ),
    "serving": ("kfp", "mtassist.components", "mtassist.pipelines"),
    "components": ("mtassist.pipelines",),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations(folder: str) -> list[str]:
    banned = FORBIDDEN[folder]
    problems = []
    for path in sorted((REPO / folder).rglob("*.py")):
        if path == COMPOSITION_ROOT:
            continue
        for line, module in _imports(path):
            if any(module == name or module.startswith(name + ".") for name in banned):
                problems.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return problems


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_runs_against_the_layers(folder):
    assert _violations(folder) == []


def test_the_layer_check_catches_an_import_that_runs_the_wrong_way(tmp_path, monkeypatch):
    (tmp_path / "mtassist").mkdir()
    (tmp_path / "mtassist" / "bad.py").write_text("def f():\n    from mtassist.serving.client import AssistantClient\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert _violations("mtassist") == ["mtassist/bad.py:2 imports mtassist.serving.client"]


@pytest.mark.parametrize("folder", ["components", "pipelines", "serving"])
def test_each_top_level_folder_is_one_subpackage_of_mtassist(folder):
    package = importlib.import_module(f"mtassist.{folder}")
    assert [Path(p).resolve() for p in package.__path__] == [REPO / folder]
    assert not (CORE / folder).exists(), f"mtassist/{folder} would shadow the top-level {folder}/"


def test_importing_every_module_changes_no_environment_and_writes_nothing(tmp_path):
    """No settings, environment variables or folders change as a side effect of an import."""
    script = """
import importlib, json, os, pkgutil, sys
# Third-party libraries set variables of their own on import (torch, mlflow); load them first.
import great_expectations, kfp, mlflow, mlflow.pyfunc, onnxruntime, torch, tritonclient.grpc
from transformers import AutoModel, PreTrainedModel, PreTrainedTokenizerFast
before = dict(os.environ)
import mtassist, mtassist.components, mtassist.pipelines, mtassist.serving
names = []
for package in (mtassist, mtassist.components, mtassist.pipelines, mtassist.serving):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".triton_models" not in info.name:
            importlib.import_module(info.name)
            names.append(info.name)
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
print(json.dumps({"changed": changed, "modules": len(names), "files": os.listdir(".")}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["modules"] > 40
    assert report["changed"] == [] and report["files"] == []


def test_release_and_serving_steps_do_not_import_torch():
    """register, promote, deploy and the smoke test run in processes that never load PyTorch."""
    modules = ["mtassist.components.register", "mtassist.components.promote", "mtassist.components.deploy",
               "mtassist.components.smoke_test", "mtassist.steps.release", "mtassist.serving.deploy",
               "mtassist.serving.smoke", "mtassist.pipelines.runner", "mtassist.cli"]  # fmt: skip
    script = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
