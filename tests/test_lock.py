"""requirements.lock is what bootstrap and CI install from: it must agree with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[ ;]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _locked() -> dict[str, str]:
    lines = (REPO / "requirements.lock").read_text().splitlines()
    return {_name(line): line.split("==", 1)[1] for line in lines if line and not line.startswith("#")}


def test_every_line_of_the_lock_is_an_exact_pin():
    lines = [
        line for line in (REPO / "requirements.lock").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert len(lines) > 100
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.\-]+", line) for line in lines), "pins only, no URLs"


def test_the_lock_holds_every_pin_of_pyproject_at_the_same_version():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pinned = [*project["dependencies"], *extras["test"], *extras["dev"]]
    locked = _locked()
    for requirement in pinned:
        name, version = _name(requirement), requirement.split("==", 1)[1].split(";")[0].strip()
        assert locked.get(name) == version, f"{requirement}: the lock has {locked.get(name)} (run `make lock`)"


def test_torch_stays_pinned_to_the_cpu_build_on_disk():
    assert _locked()["torch"] == "2.13.0"
