"""The cores a process is given: its affinity, capped by a cgroup v2 CPU quota."""

import os

import pytest

from mtassist.cores import available_cores, single_threaded_blas


def test_without_a_quota_the_affinity_counts(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert available_cores(tmp_path / "cpu.max") == len(os.sched_getaffinity(0))
    assert available_cores(tmp_path / "missing") == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("quota", "cores"), [("100000 100000", 1), ("150000 100000", 2), ("50000 100000", 1)])
def test_a_quota_caps_the_cores_rounded_up(tmp_path, quota, cores):
    (tmp_path / "cpu.max").write_text(quota + "\n")
    assert available_cores(tmp_path / "cpu.max") == min(cores, len(os.sched_getaffinity(0)))


def test_single_threaded_blas_keeps_numpy_to_one_thread_until_restored():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = blas_threads()
    assert before, "numpy's BLAS is loaded"
    with single_threaded_blas():
        assert set(blas_threads().values()) == {1}
    assert blas_threads() == before
