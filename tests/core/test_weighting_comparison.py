"""`mtassist report weighting`: one teacher per loss weighting, the run's own teacher reused."""

import json

import pytest

from mtassist.bench_model import read_section, write_section
from mtassist.contracts import CARD_LOSS_WEIGHTING, MLFLOW_EXPERIMENT, MODEL_RUN_FILE
from mtassist.training.config import TrainingConfig
from mtassist.weighting_comparison import (
    COMPARED_METRICS,
    SECTION,
    WeightingFigures,
    compare_weightings,
    dataset_marker,
    table_rows,
    teacher_weighting,
    weighting_markdown,
)

RUN_METRICS = {name: 0.5 for name in COMPARED_METRICS}


@pytest.fixture
def run_teacher(tmp_path, label_space, tokenizer, tiny_encoder_dir):
    """A run's teacher: only its record is read where its weighting is compared."""
    from mtassist.model.multitask import build_tiny_model
    from mtassist.model.storage import save_trained

    record = {"max_length": 32, "run_id": "run", "model_source": str(tiny_encoder_dir), "steps": 9, "best_step": 6}
    save_trained(build_tiny_model(label_space, vocab_size=len(tokenizer)), tokenizer, tmp_path / "teacher", record)
    return tmp_path / "teacher"


def test_the_runs_teacher_stands_for_its_weighting_and_each_other_one_is_trained(
    small_dataset, run_teacher, tracking, tmp_path
):
    assert teacher_weighting(run_teacher) == ("static", 0.0)  # a record from before the choice
    config = TrainingConfig(max_steps=3, batch_size=8, eval_every=3, eval_max_rows=40)
    figures = compare_weightings(
        small_dataset, run_teacher, RUN_METRICS, ["pcgrad", "static"], config, tmp_path / "cache", lambda _: None
    )
    assert [f.weighting for f in figures] == ["pcgrad", "static"]
    trained, reused = figures
    assert (reused.metrics, reused.steps, reused.best_step, reused.train_seconds) == (RUN_METRICS, 9, 6, None)
    assert trained.steps == 3 and trained.train_seconds > 0
    assert set(COMPARED_METRICS) <= set(trained.metrics) and 0 <= trained.metrics["score"] <= 1
    runs = tracking.search_runs([tracking.get_experiment_by_name(MLFLOW_EXPERIMENT).experiment_id])
    assert [run.data.params["loss_weighting"] for run in runs] == ["pcgrad"]


def test_each_fgm_epsilon_trains_a_teacher_beside_the_runs_own(small_dataset, run_teacher, tracking, tmp_path):
    config = TrainingConfig(max_steps=2, batch_size=8, eval_every=2, eval_max_rows=40)
    figures = compare_weightings(
        small_dataset, run_teacher, RUN_METRICS, ["static"], config, tmp_path / "cache", lambda _: None,
        epsilons=[0.0, 0.3],
    )  # fmt: skip
    assert [(f.label, f.train_seconds is None) for f in figures] == [("static", True), ("static + FGM 0.3", False)]
    runs = tracking.search_runs([tracking.get_experiment_by_name(MLFLOW_EXPERIMENT).experiment_id])
    assert [run.data.params["adversarial_epsilon"] for run in runs] == ["0.3"]
    with pytest.raises(ValueError, match="cannot be negative"):
        compare_weightings(small_dataset, run_teacher, RUN_METRICS, ["static"], config, tmp_path, epsilons=[-1.0])


def test_a_trained_teacher_records_its_weighting(small_dataset, tiny_encoder_dir, tracking, tmp_path):
    from mtassist.steps.train import train_teacher

    config = TrainingConfig(
        max_steps=2, batch_size=8, eval_every=2, eval_max_rows=40, loss_weighting="uncertainty", adversarial_epsilon=0.2
    )
    train_teacher(small_dataset, tmp_path / "teacher", str(tiny_encoder_dir), tmp_path / "cache", config)
    assert json.loads((tmp_path / "teacher" / MODEL_RUN_FILE).read_text())[CARD_LOSS_WEIGHTING] == "uncertainty"
    assert teacher_weighting(tmp_path / "teacher") == ("uncertainty", 0.2)


def test_an_unknown_weighting_is_refused_before_any_training(small_dataset, run_teacher, tmp_path):
    with pytest.raises(ValueError, match="unknown loss weighting gradnorm: choose from static, uncertainty, pcgrad"):
        compare_weightings(small_dataset, run_teacher, RUN_METRICS, ["gradnorm"], TrainingConfig(), tmp_path)


def test_the_section_names_its_dataset_and_the_highest_score_and_is_read_back(tmp_path):
    figures = [
        WeightingFigures("static", {**RUN_METRICS, "score": 0.71}, 700, 700),
        WeightingFigures("pcgrad", {**RUN_METRICS, "score": 0.72}, 700, 610, 512.0),
        WeightingFigures("static", {**RUN_METRICS, "score": 0.70}, 700, 700, 600.0, adversarial_epsilon=0.3),
    ]
    markdown = weighting_markdown(figures, "mtassist report weighting", "2 cores", "c8bce2011c8c")
    assert markdown.startswith(SECTION + "\n") and dataset_marker("c8bce2011c8c") in markdown
    assert "| static | the run's teacher | 700 (700) | 0.710 |" in markdown
    assert "| pcgrad | 512 | 700 (610) | 0.720 |" in markdown
    assert "| static + FGM 0.3 | 600 | 700 (700) | 0.700 |" in markdown
    assert "Highest test score: pcgrad (0.720). The pipeline's teacher trains with `static`." in markdown
    path = tmp_path / "QUALITY.md"
    path.write_text("# mtassist quality\n\n## Per head\n\nfigures\n")
    write_section(path, markdown)
    assert read_section(path, SECTION) == markdown
    assert read_section(path, "## Per head") == "## Per head\n\nfigures\n"
    assert read_section(path, "## Missing") is None and read_section(tmp_path / "none.md", SECTION) is None


def test_rows_measured_earlier_on_the_same_dataset_stay_and_a_new_measurement_replaces_its_row():
    earlier = weighting_markdown(
        [
            WeightingFigures("static", {**RUN_METRICS, "score": 0.71}, 700, 700),
            WeightingFigures("pcgrad", {**RUN_METRICS, "score": 0.74}, 700, 610, 512.0),
        ],
        "mtassist report weighting",
        "2 cores",
        "c8bce2011c8c",
    )
    static = WeightingFigures("static", {**RUN_METRICS, "score": 0.72}, 700, 700)
    fgm = WeightingFigures("static", {**RUN_METRICS, "score": 0.70}, 700, 700, 900.0, adversarial_epsilon=0.2)
    merged = weighting_markdown([static, fgm], "mtassist report weighting", "2 cores", "c8bce2011c8c", earlier)
    assert list(table_rows(merged)) == ["static", "pcgrad", "static + FGM 0.2"]
    assert table_rows(merged)["static"]["score"] == "0.720" and table_rows(merged)["pcgrad"]["score"] == "0.740"
    assert (
        "Kept from an earlier comparison on the same dataset (its training seconds are that machine's): pcgrad."
        in merged
    )
    assert "Highest test score: pcgrad (0.740)." in merged
    elsewhere = weighting_markdown([static], "mtassist report weighting", "2 cores", "0123456789ab", earlier)
    assert list(table_rows(elsewhere)) == ["static"], "rows of another dataset are not kept"


def test_a_teacher_scored_before_the_noisy_split_existed_gets_blank_noisy_cells():
    clean_only = {name: value for name, value in RUN_METRICS.items() if not name.startswith("noisy_")}
    markdown = weighting_markdown(
        [WeightingFigures("static", clean_only, 700, 700)], "mtassist report weighting", "2 cores", "c8bce2011c8c"
    )
    row = table_rows(markdown)["static"]
    assert row["score"] == "0.500" and row["noisy_intent_accuracy"] == row["noisy_frame_accuracy"] == ""
