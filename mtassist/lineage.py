"""Where a model came from: the commit it was built from. Light to import (no MLflow, no torch)."""

from __future__ import annotations

import subprocess

UNKNOWN = "unknown"


def git_commit() -> str:
    """The commit checked out in the working directory, or "unknown" outside a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return UNKNOWN
    return done.stdout.strip() if done.returncode == 0 else UNKNOWN
