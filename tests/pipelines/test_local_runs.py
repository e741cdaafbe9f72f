"""Which local pipeline run the reports and benchmarks read: the newest finished one, or the one named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mtassist.pipelines.runner import PipelineFailed, latest_local_run
from mtassist.settings import Settings


def _finished_run(root: Path, name: str, mtime: int) -> Path:
    evaluation = root / name / "evaluate" / "evaluation"
    evaluation.mkdir(parents=True)
    os.utime(evaluation, (mtime, mtime))
    return root / name


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    _finished_run(settings.pipeline_root, "mtassist-training-older", 1_000)
    _finished_run(settings.pipeline_root, "mtassist-training-newer", 2_000)
    (settings.pipeline_root / "mtassist-training-unfinished" / "ingest").mkdir(parents=True)
    return settings


def test_the_newest_finished_run_by_default(settings: Settings) -> None:
    run = latest_local_run(settings)
    assert run["student"] == settings.pipeline_root / "mtassist-training-newer" / "distill-student" / "student"


def test_a_named_run_by_folder_name_or_path(settings: Settings) -> None:
    older = settings.pipeline_root / "mtassist-training-older"
    assert latest_local_run(settings, "mtassist-training-older")["bundle"] == older / "export" / "bundle"
    assert latest_local_run(settings, str(older))["dataset"] == older / "ingest" / "dataset"


def test_a_named_run_without_an_evaluation_is_refused(settings: Settings) -> None:
    with pytest.raises(PipelineFailed, match="mtassist-training-unfinished is not a finished local pipeline run"):
        latest_local_run(settings, "mtassist-training-unfinished")
