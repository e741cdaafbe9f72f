"""The export step: the student as a serving bundle (ONNX FP32 parity-checked on the test split's
utterances, INT8 scored against FP32 on the test split, the response bank embedded by the teacher,
a SHA-256 manifest)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mtassist.contracts import (
    CARD_DATASET_VERSION,
    CARD_EVALUATED_STUDENT_RUN_ID,
    CARD_EVALUATED_TEACHER_RUN_ID,
    CARD_MAX_LENGTH,
    CARD_MODEL_SOURCE,
    CARD_STUDENT_RUN_ID,
    CARD_TEACHER_RUN_ID,
    CARD_TRAINED_ON,
    TRAINED_ON_TRAIN_SPLIT,
)
from mtassist.data.dataset import rows_by_split

RESPONSE_BANK_LIMIT = 20_000
"""The most replies the bundle's response bank holds (the default dataset has about 3,000)."""


def response_bank(rows: Sequence[dict], limit: int = RESPONSE_BANK_LIMIT) -> list[str]:
    """Distinct replies of the rows, in first-seen order, at most `limit`."""
    seen: dict[str, None] = {}
    for row in rows:
        if row["response"] and len(seen) < limit:
            seen.setdefault(row["response"].strip(), None)
    return list(seen)


def export(dataset_dir: Path, student_dir: Path, bundle_dir: Path, teacher_dir: Path | None = None) -> dict:
    """Write the student's bundle; returns its model card. Fails when ONNX parity is outside tolerance.

    With `teacher_dir`, the teacher embeds the response bank (the student is distilled into its
    embedding space); without it, the student does.
    """
    from mtassist.export import export_bundle
    from mtassist.model.storage import load_trained

    student, tokenizer, run = load_trained(student_dir)
    teacher = load_trained(teacher_dir)[0] if teacher_dir is not None else None
    card = {
        CARD_DATASET_VERSION: run[CARD_DATASET_VERSION],
        CARD_STUDENT_RUN_ID: run["run_id"],
        CARD_TEACHER_RUN_ID: run[CARD_TEACHER_RUN_ID],
        CARD_MODEL_SOURCE: run[CARD_MODEL_SOURCE],
        CARD_TRAINED_ON: run.get(CARD_TRAINED_ON, TRAINED_ON_TRAIN_SPLIT),
        CARD_EVALUATED_STUDENT_RUN_ID: run.get(CARD_EVALUATED_STUDENT_RUN_ID, run["run_id"]),
        CARD_EVALUATED_TEACHER_RUN_ID: run.get(CARD_EVALUATED_TEACHER_RUN_ID, run[CARD_TEACHER_RUN_ID]),
    }
    # Every candidate reply, held-out ones included: a reply the model never saw as a target can
    # still be the right answer, and the bank is what retrieval picks from.
    splits = rows_by_split(dataset_dir)
    bank = response_bank([row for rows in splits.values() for row in rows])
    return export_bundle(
        student, tokenizer, bundle_dir, bank, card, run[CARD_MAX_LENGTH], check_rows=splits["test"], reply_model=teacher
    )
