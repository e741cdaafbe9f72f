"""One home per default: the CLI, the pipeline's signature and RunOptions agree with the config classes."""

from __future__ import annotations

import inspect
from dataclasses import asdict, fields

import pytest

from mtassist.cli import build_parser
from mtassist.data.config import DATA_SIZES, DatasetConfig
from mtassist.options import DEFAULTS, RunOptions
from mtassist.pipelines.training import training_pipeline
from mtassist.promotion import GateConfig
from mtassist.training.config import (
    STUDENT_EPOCHS,
    STUDENT_LEARNING_RATE,
    STUDENT_TASK_SAMPLING,
    STUDENT_TASK_WEIGHTS,
    TEACHER_EPOCHS,
    TEACHER_TASK_SAMPLING,
    DistillationConfig,
    TrainingConfig,
)


def test_run_options_take_their_defaults_from_the_config_classes():
    training = TrainingConfig()
    assert DEFAULTS.seed == training.seed == DatasetConfig().seed
    assert DEFAULTS.teacher_epochs == TEACHER_EPOCHS and DEFAULTS.student_epochs == STUDENT_EPOCHS
    student = TrainingConfig.for_student(seed=1)
    assert (student.epochs, student.learning_rate, student.seed) == (STUDENT_EPOCHS, STUDENT_LEARNING_RATE, 1)
    assert (student.task_sampling, student.task_weights) == (STUDENT_TASK_SAMPLING, STUDENT_TASK_WEIGHTS)
    assert training.task_sampling == TEACHER_TASK_SAMPLING
    assert TrainingConfig.for_student(task_sampling={}).task_sampling == {}
    assert DEFAULTS.batch_size == training.batch_size
    assert DEFAULTS.student_layers == DistillationConfig().student_layers
    assert DEFAULTS.latency_budget_ms == GateConfig().latency_budget_ms
    assert DEFAULTS.data_size == DATA_SIZES[0] and DatasetConfig.for_size(DEFAULTS.data_size) == DatasetConfig()


def test_mtassist_run_defaults_are_the_run_options():
    parsed = vars(build_parser().parse_args(["run"]))
    for option in fields(RunOptions):
        if option.name == "check_answers":
            assert parsed["no_answer_check"] is not DEFAULTS.check_answers
        else:
            assert parsed[option.name] == getattr(DEFAULTS, option.name), option.name


def test_the_pipeline_signature_declares_the_run_options_defaults():
    signature = inspect.signature(training_pipeline.pipeline_func)
    for name, value in asdict(DEFAULTS).items():
        assert signature.parameters[name].default == value, name


@pytest.mark.parametrize("size", DATA_SIZES)
def test_every_named_data_size_has_a_config(size):
    assert isinstance(DatasetConfig.for_size(size), DatasetConfig)


def test_an_unknown_data_size_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="default, small"):
        DatasetConfig.for_size("huge")
