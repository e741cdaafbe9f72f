"""The utterances of `mtassist ask --input FILE`: plain text, one per line, or JSON Lines.

A line that starts with `{` is a JSON object whose "text" is the utterance (other keys are
kept and written back beside the answer); any other non-blank line is the utterance itself.
Blank lines are skipped. A problem names the file and the line.
"""

from __future__ import annotations

import json
from pathlib import Path

from mtassist.errors import MtassistError


def read_utterances(path: Path) -> list[dict]:
    """One record per utterance, {"text": ..., other JSON keys...}, in file order.

    Raises:
        MtassistError: the file cannot be read, is not UTF-8, or a JSON line is not an object
            with a non-empty string "text".
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise MtassistError(f"--input {path}: cannot read it ({error.strerror})") from error
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise MtassistError(f"--input {path}: not UTF-8 (byte {error.start}): save it as UTF-8") from error
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            records.append(_json_record(line, path, number))
        else:
            records.append({"text": line.strip()})
    if not records:
        raise MtassistError(f"--input {path}: no utterances in it")
    return records


def _json_record(line: str, path: Path, number: int) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise MtassistError(f"--input {path} line {number}: not JSON ({error.msg})") from error
    text = record.get("text") if isinstance(record, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise MtassistError(f'--input {path} line {number}: a JSON line needs a non-empty string "text"')
    return record
