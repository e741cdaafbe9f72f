from kfp.dsl import HTML, Dataset, Input, Output

from mtassist.components.base import component


@component
def validate(dataset: Input[Dataset], report: Output[HTML]) -> str:
    """Run the Great Expectations suite; a failing suite stops the pipeline before training."""
    from pathlib import Path

    from mtassist.data.validation import check_dataset

    result = check_dataset(Path(dataset.path), Path(report.path))
    return f"{result.statistics}"
