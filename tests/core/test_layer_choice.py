"""`mtassist report distillation`: students from different teacher layers, distilled, scored and
reported beside the teacher."""

import json

import pytest

from mtassist.contracts import DATASET_EXAMPLES, DATASET_MANIFEST, MLFLOW_EXPERIMENT, SCORE_METRICS
from mtassist.layer_choice import SECTION, LayerChoiceFigures, compare_layer_choices, layer_choice_markdown
from mtassist.training.config import DistillationConfig, TrainingConfig


@pytest.fixture(scope="module")
def split_dataset(tmp_path_factory, toy_rows):
    """The toy rows as train, validation and test splits."""
    out = tmp_path_factory.mktemp("toy-splits")
    lines = [json.dumps({**row, "split": split, "source": "toy"}) for split in ("train", "validation", "test")
             for row in toy_rows]  # fmt: skip
    (out / DATASET_EXAMPLES).write_text("\n".join(lines) + "\n")
    (out / DATASET_MANIFEST).write_text(json.dumps({"version": "toy0000000000000"}))
    return out


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory, label_space, tokenizer):
    import torch

    from mtassist.model.multitask import build_tiny_model
    from mtassist.model.storage import save_trained

    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("teacher")
    record = {"max_length": 32, "run_id": "teacher-run", "dataset_version": "toy", "model_source": "tiny"}
    save_trained(build_tiny_model(label_space, vocab_size=len(tokenizer)), tokenizer, directory, record)
    return directory


def test_each_layer_choice_is_distilled_and_scored_beside_the_teacher(split_dataset, teacher_dir, tracking):
    training = TrainingConfig(max_steps=4, batch_size=8, eval_every=2)
    figures = compare_layer_choices(
        split_dataset, teacher_dir, ["1", "1,"], training, DistillationConfig(), lambda _: None
    )
    assert [(f.name, f.layers) for f in figures] == [
        ("teacher", (0, 1)), ("student 0", (0,)), ("student 1", (1,))
    ]  # fmt: skip
    for figure in figures:
        assert set(figure.metrics) == set(SCORE_METRICS) and figure.p50_ms > 0
    assert figures[0].train_seconds is None and all(f.train_seconds > 0 for f in figures[1:])
    runs = tracking.search_runs([tracking.get_experiment_by_name(MLFLOW_EXPERIMENT).experiment_id])
    assert sorted(run.data.params["distill_teacher_layers"] for run in runs) == ["0", "1"]


def test_the_report_shows_each_head_as_a_share_of_the_teacher():
    teacher = LayerChoiceFigures("teacher", (0, 1, 2), 4.0, dict.fromkeys(SCORE_METRICS, 0.8))
    student = LayerChoiceFigures("student 0,2", (0, 2), 1.0, {**dict.fromkeys(SCORE_METRICS, 0.8), "slot_f1": 0.6}, 9.0)
    assert student.retention(teacher)["slot_f1"] == pytest.approx(0.75)
    markdown = layer_choice_markdown([teacher, student], "mtassist report distillation", "a test machine")
    assert markdown.startswith(SECTION)
    row = next(line for line in markdown.splitlines() if line.startswith("| student 0,2"))
    assert "0.600 (75%)" in row and row.endswith("| 75.0% |")
