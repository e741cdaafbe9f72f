from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output

from mtassist.components.base import component


@component
def evaluate(
    dataset: Input[Dataset],
    teacher: Input[Model],
    student: Input[Model],
    evaluation: Output[Artifact],
    student_metrics: Output[Metrics],
    teacher_metrics: Output[Metrics],
    route_confusion: Output[ClassificationMetrics],
    intent_confusion: Output[ClassificationMetrics],
    sentiment_confusion: Output[ClassificationMetrics],
    report: Output[Markdown],
) -> float:
    """Every head of teacher and student on the test split; returns the student's score."""
    import json
    from pathlib import Path

    from mtassist.steps.evaluate import evaluate as run_step
    from mtassist.steps.evaluate import report_markdown

    result = run_step(Path(dataset.path), {"teacher": Path(teacher.path), "student": Path(student.path)})
    Path(evaluation.path).write_text(json.dumps(result, indent=1))
    for output, name in ((teacher_metrics, "teacher"), (student_metrics, "student")):
        for metric, value in result["models"][name]["metrics"].items():
            output.log_metric(metric, value)
    labels = result["labels"]
    student_result = result["models"]["student"]
    route_confusion.log_confusion_matrix(labels["route"], student_result["confusion"]["route"])
    intent_confusion.log_confusion_matrix(labels["intent"], student_result["confusion"]["intent"])
    sentiment_confusion.log_confusion_matrix(labels["sentiment"], student_result["confusion"]["sentiment"])
    Path(report.path).write_text(report_markdown(result))
    return student_result["metrics"]["score"]
