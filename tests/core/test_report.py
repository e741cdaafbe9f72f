"""The quality report's Markdown: every head, every source and every intent, with the numbers given."""

from mtassist.report import QualityFigures, quality_markdown


def _figures() -> QualityFigures:
    metrics = {
        "route_accuracy": 0.98, "intent_accuracy": 0.83, "intent_macro_f1": 0.73, "slot_f1": 0.54,
        "frame_accuracy": 0.4, "sentiment_macro_f1": 0.57, "sentiment_accuracy": 0.59,
        "response_recall_at_1": 0.2, "response_recall_at_10": 0.49, "response_mrr": 0.29,
        "response_recall_at_1_of_100": 0.42,
        "unseen_values_frame_accuracy": 0.81, "noisy_intent_accuracy": 0.77, "noisy_context_frame_accuracy": 0.66,
        "unseen_values_context_frame_accuracy": 0.87,
    }  # fmt: skip
    model = {
        "metrics": metrics,
        "per_intent": {"HassTurnOn": {"rows": 12, "accuracy": 0.75}},
        "sentiment_by_source": {"vader-movies": 0.61, "all": 0.57},
    }
    return QualityFigures(
        dataset_version="abcdef1234567890",
        test_rows=1234,
        models={"teacher": model, "student": {**model, "metrics": {**metrics, "route_accuracy": 0.97}}},
        baselines={
            "vader": {"vader-movies": 0.44, "all": 0.5},
            "bm25": {
                "response_recall_at_1": 0.05,
                "response_recall_at_10": 0.2,
                "response_mrr": 0.1,
                "response_recall_at_1_of_100": 0.2,
            },
            "untuned encoder": {
                "response_recall_at_1": 0.1,
                "response_recall_at_10": 0.3,
                "response_mrr": 0.18,
                "response_recall_at_1_of_100": 0.35,
            },
            "hassil": {"intent_accuracy": 0.91, "frame_accuracy": 0.88},
            "hassil noisy": {"intent_accuracy": 0.35},
        },
    )


def test_the_report_puts_models_and_baselines_side_by_side_per_head():
    report = quality_markdown(_figures(), "mtassist report quality")
    assert "Test split of dataset `abcdef123456`: 1234 rows." in report
    assert "| head | metric | teacher | student | single-task | classical baseline | untuned encoder |" in report
    assert "| route | route_accuracy | 0.980 | 0.970 |  |  |  |" in report
    assert "| sentiment | sentiment_macro_f1 | 0.570 | 0.570 |  | 0.500 (VADER lexicon) |  |" in report
    assert "| response | response_recall_at_1 | 0.200 | 0.200 |  | 0.050 (BM25) | 0.100 |" in report
    assert "(not run: `mtassist report quality --single-task`)" in report
    assert "| response | response_recall_at_1_of_100 | 0.420 | 0.420 |  | 0.200 (BM25) | 0.350 |" in report
    assert "Teacher recall@1 among 100: 0.420, 2.10x BM25's (aim: 2x) and +7.0 points" in report


def test_single_task_figures_fill_their_column():
    figures = _figures()
    figures.single_task = {"route_accuracy": 0.99, "sentiment_macro_f1": 0.61}
    report = quality_markdown(figures, "mtassist report quality --single-task")
    assert "| route | route_accuracy | 0.980 | 0.970 | 0.990 |  |  |" in report
    assert "| sentiment | sentiment_macro_f1 | 0.570 | 0.570 | 0.610 | 0.500 (VADER lexicon) |  |" in report
    assert "not run" not in report
    assert (
        "Teacher metrics more than 1 point below the single-task baseline, in points: sentiment_macro_f1 -4.0"
        " (aim: none more than 1 point below; each task's share of the teacher's batches is"
        " `TEACHER_TASK_SAMPLING`)." in report
    )


def test_the_report_says_when_every_head_is_within_a_point_of_its_single_task_baseline():
    figures = _figures()
    figures.single_task = {"route_accuracy": 0.985, "sentiment_macro_f1": 0.575}
    report = quality_markdown(figures, "mtassist report quality --single-task")
    assert "Every teacher metric is within 1 point of its single-task baseline." in report
    assert "more than 1 point below" not in report


def test_the_report_breaks_sentiment_down_by_source_and_intent_accuracy_by_intent():
    report = quality_markdown(_figures(), "mtassist report quality")
    assert "| vader-movies | 0.610 | 0.610 | 0.440 |" in report
    assert report.index("| vader-movies |") < report.index("| all | 0.570 | 0.570 | 0.500 |")
    assert "| HassTurnOn | 12 | 0.750 | 0.750 |" in report


def test_the_report_ends_with_the_weighting_comparison_or_says_how_to_measure_it():
    without = quality_markdown(_figures(), "mtassist report quality")
    assert without.split("\n## ")[-1].startswith("Loss weighting\n")
    assert "`mtassist report weighting`" in without
    section = "## Loss weighting\n\n| weighting | score |\n|---|---|\n| pcgrad | 0.700 |\n"
    with_section = quality_markdown(_figures(), "mtassist report quality", section)
    assert with_section.endswith("\n\n" + section)
    assert with_section.count("## Loss weighting") == 1


def test_the_commands_table_shows_each_split_beside_hassil():
    report = quality_markdown(_figures(), "mtassist report quality")
    assert "| split | metric | teacher | student | hassil recognizer |" in report
    assert "| unseen templates (test) | frame_accuracy | 0.400 | 0.400 | 0.880 |" in report
    assert "| unseen values | frame_accuracy | 0.810 | 0.810 |  |" in report
    assert "| noisy test | intent_accuracy | 0.770 | 0.770 | 0.350 |" in report
    assert "| noisy test, home names as CONTEXT | frame_accuracy | 0.660 | 0.660 |  |" in report
    assert "| unseen values, home names as CONTEXT | frame_accuracy | 0.870 | 0.870 |  |" in report


def test_the_report_says_how_long_each_model_trained():
    figures = _figures()
    figures.training = {"teacher": {"steps": 554, "best_step": 480}, "student": {"steps": 554, "best_step": 554}}
    report = quality_markdown(figures, "mtassist report quality")
    assert (
        "Trained: teacher 554 steps (best validation at step 480); student 554 steps (best validation at step 554)."
        in report
    )
