"""The local Triton server tree, copied from the nvidia-pytriton wheel, and the environment it runs in.

The wheel ships Triton 2.51 with the python backend only. `prepare_server_dir` copies its
`tritonserver/` tree once (to Settings.server_dir) and puts this interpreter's python-backend
stub in `backends/python/`. The server runs with:
- LD_LIBRARY_PATH: the wheel's `nvidia_pytriton.libs` and this interpreter's libdir (the stub
  embeds libpython3.11);
- PATH: this interpreter's `bin` first. The stub's embedded Python looks for `python3` on PATH
  to find its prefix, so with a virtualenv's `bin` first it reads that venv's `pyvenv.cfg` and
  imports from the venv's site-packages (numpy, onnxruntime, transformers, and mtassist as it
  is installed there, editable or not).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from mtassist.errors import MtassistError
from mtassist.settings import Settings

STUB_NAME = "triton_python_backend_stub"
_READY_MARKER = ".mtassist-server.json"
_REQUIRED_FILES = (
    "bin/tritonserver",
    f"backends/python/{STUB_NAME}",
    "backends/python/libtriton_python.so",
    "backends/python/triton_python_backend_utils.py",
    "caches/local/libtritoncache_local.so",
)


class TritonServerError(MtassistError, RuntimeError):
    """The local Triton server cannot start or did not come up."""


def _pytriton_dir() -> Path:
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise TritonServerError("nvidia-pytriton is not installed: `pip install nvidia-pytriton==0.7.0`")
    return Path(next(iter(spec.submodule_search_locations)))


def wheel_libs_dir() -> Path:
    """The shared libraries that the wheel's tritonserver links against."""
    return _pytriton_dir().parent / "nvidia_pytriton.libs"


def prepare_server_dir(server_dir: Path | None = None) -> Path:
    """Copy the wheel's Triton tree with this Python's stub, once; reuse it when complete.

    Returns:
        The server folder, with `bin/tritonserver`, `backends/` and `caches/`.
    """
    server_dir = Path(server_dir or Settings.from_env().server_dir)
    stamp = {
        "nvidia-pytriton": importlib.metadata.version("nvidia-pytriton"),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    if _is_complete(server_dir, stamp):
        return server_dir
    source = _pytriton_dir() / "tritonserver"
    stub = source / "python_backend_stubs" / stamp["python"] / STUB_NAME
    if not stub.is_file():
        raise TritonServerError(
            f"nvidia-pytriton has no python-backend stub for Python {stamp['python']} ({stub}): "
            "run mtassist with Python 3.11"
        )
    server_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = server_dir.with_name(f"{server_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, ignore=shutil.ignore_patterns("python_backend_stubs", "__pycache__"))
    shutil.copy2(stub, partial / "backends" / "python" / STUB_NAME)
    (partial / _READY_MARKER).write_text(json.dumps(stamp) + "\n")
    shutil.rmtree(server_dir, ignore_errors=True)
    try:
        os.replace(partial, server_dir)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not _is_complete(server_dir, stamp):
            raise
    return server_dir


def _is_complete(server_dir: Path, stamp: dict[str, str]) -> bool:
    marker = server_dir / _READY_MARKER
    if not marker.is_file() or not all((server_dir / name).is_file() for name in _REQUIRED_FILES):
        return False
    try:
        return json.loads(marker.read_text()) == stamp
    except ValueError:
        return False


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment tritonserver and its python-backend stubs need (see the module doc)."""
    env = dict(os.environ if base is None else base)
    libdir = sysconfig.get_config_var("LIBDIR")
    env["LD_LIBRARY_PATH"] = _prepend(
        [str(wheel_libs_dir()), *([libdir] if libdir else [])], env.get("LD_LIBRARY_PATH")
    )
    env["PATH"] = _prepend([str(Path(sys.executable).parent)], env.get("PATH"))
    return env


def _prepend(first: list[str], rest: str | None) -> str:
    parts = [*first, *(rest.split(os.pathsep) if rest else [])]
    return os.pathsep.join(dict.fromkeys(part for part in parts if part))
