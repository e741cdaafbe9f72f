from kfp.dsl import Dataset, Input, Model, Output

from mtassist.components.base import component


@component
def export(dataset: Input[Dataset], teacher: Input[Model], student: Input[Model], bundle: Output[Model]) -> str:
    """The student to ONNX with a parity check, packed with what serving needs (the response bank
    embedded by the teacher); returns the ONNX sha256."""
    from pathlib import Path

    from mtassist.contracts import CARD_ONNX_SHA256
    from mtassist.steps.export import export as run_step

    card = run_step(Path(dataset.path), Path(student.path), Path(bundle.path), teacher_dir=Path(teacher.path))
    bundle.metadata.update(card)
    return card[CARD_ONNX_SHA256]
