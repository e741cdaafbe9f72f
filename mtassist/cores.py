"""How many CPU cores this process is given: its CPU affinity, capped by a cgroup CPU quota.

A Kubernetes pod with `limits: cpu: "2"` on a 64-core node sees 64 cores in `os.cpu_count()` and
in its affinity, but the cgroup lets it use two; runtimes sized to 64 threads then thrash.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadpoolctl import threadpool_limits

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
"""cgroup v2: "<quota> <period>" in microseconds, or "max <period>" when unlimited."""


def available_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The cores this process may use: its affinity, or fewer when a cgroup quota says so."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_quota(cpu_max)
    return max(1, min(cores, quota)) if quota else cores


def _cgroup_quota(cpu_max: Path) -> int | None:
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return math.ceil(int(quota) / int(period))
    except (ValueError, ZeroDivisionError):
        return None


def single_threaded_blas() -> threadpool_limits:
    """numpy's BLAS to the calling thread, for this process until the returned limiter restores it.

    The answers' one matrix product, a few queries against the response bank, is small: BLAS
    worker threads gain it little, and between calls OpenBLAS's workers spin (`sched_yield`). In
    a Triton stub that answers one request after another they kept a second core busy: on 2
    cores at concurrency 1 the stubs used 1.8 cores for 0.7 cores of answers. Use it as a
    context manager to restore the limits on leaving.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
