"""The cores a process is given: its affinity, capped by a cgroup v2 CPU quota."""

import os

import pytest

from mtassist.cores import available_cores


def test_without_a_quota_the_affinity_counts(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert available_cores(tmp_path / "cpu.max") == len(os.sched_getaffinity(0))
    assert available_cores(tmp_path / "missing") == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("quota", "cores"), [("100000 100000", 1), ("150000 100000", 2), ("50000 100000", 1)])
def test_a_quota_caps_the_cores_rounded_up(tmp_path, quota, cores):
    (tmp_path / "cpu.max").write_text(quota + "\n")
    assert available_cores(tmp_path / "cpu.max") == min(cores, len(os.sched_getaffinity(0)))
