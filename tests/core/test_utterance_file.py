"""`mtassist ask --input FILE`: plain lines or JSON Lines; a bad line is named."""

import pytest

from mtassist.errors import MtassistError
from mtassist.utterance_file import read_utterances


def test_plain_and_json_lines_are_read_in_order_and_blank_lines_skipped(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text('turn on the lights\n\n{"text": "how are you?", "id": 7}\n  is the door locked  \n')
    assert read_utterances(path) == [
        {"text": "turn on the lights"},
        {"text": "how are you?", "id": 7},
        {"text": "is the door locked"},
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"text": 3}\n', 'line 1: a JSON line needs a non-empty string "text"'),
        (b"ok\n{not json\n", "line 2: not JSON"),
        (b"\xff\xfe lights\n", "not UTF-8"),
        (b"\n  \n", "no utterances"),
    ],
)
def test_a_bad_file_is_named_with_its_line(tmp_path, content, message):
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    with pytest.raises(MtassistError, match=message):
        read_utterances(path)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(MtassistError, match="cannot read it"):
        read_utterances(tmp_path / "nowhere.txt")
