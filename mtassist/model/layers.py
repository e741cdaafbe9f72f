"""Which teacher layers a student keeps: a count spread evenly, or the layers named.

Torch-free, so that the CLI and the pipeline check a choice before any training starts.
"""

from __future__ import annotations


def student_layer_indices(teacher_layers: int, student_layers: int) -> list[int]:
    """Evenly spaced teacher layers, first and last included."""
    if not 0 < student_layers <= teacher_layers:
        raise ValueError(f"a student needs 1 to {teacher_layers} layers, not {student_layers}")
    if student_layers == 1:
        return [0]
    step = (teacher_layers - 1) / (student_layers - 1)
    return sorted({round(i * step) for i in range(student_layers)})


def parse_layer_choice(spec: str) -> int | tuple[int, ...]:
    """ "2" -> 2 (a count, spread evenly); "0,5" or "3," -> the teacher layers named.

    Raises:
        ValueError: naming the text, when it is neither.
    """
    text = str(spec).replace(" ", "")
    try:
        if "," not in text:
            return int(text)
        return tuple(int(part) for part in text.split(",") if part)
    except ValueError:
        raise ValueError(f"student layers {spec!r}: give a count (2) or comma-separated teacher layers (0,5)") from None


def choose_layers(spec: str, teacher_layers: int) -> list[int]:
    """The teacher layers a student keeps, in increasing order.

    Raises:
        ValueError: naming the choice, when the teacher has no such layers.
    """
    choice = parse_layer_choice(spec)
    if isinstance(choice, int):
        return student_layer_indices(teacher_layers, choice)
    keep = list(choice)
    if not keep or keep != sorted(set(keep)) or not all(0 <= i < teacher_layers for i in keep):
        raise ValueError(
            f"student layers {spec!r}: name distinct teacher layers in increasing order, from 0 to {teacher_layers - 1}"
        )
    return keep
