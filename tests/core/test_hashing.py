"""The bundle manifest: every file's SHA-256, and a check that names the file that changed."""

import pytest

from mtassist.hashing import DigestMismatch, verify_manifest, write_manifest


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "vocab.txt").write_text("a\nb\n")
    (tmp_path / "encoder.onnx").write_bytes(b"graph")
    return tmp_path, write_manifest(tmp_path, "sha256.json")


def test_an_untouched_folder_verifies(folder):
    directory, digest = folder
    assert verify_manifest(directory, "sha256.json", digest) is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: (d / "encoder.onnx").write_bytes(b"other graph"), "encoder.onnx has SHA-256"),
        (lambda d: (d / "tokenizer" / "vocab.txt").unlink(), "vocab.txt is missing"),
        (lambda d: (d / "extra.bin").write_bytes(b"x"), "extra.bin is not in sha256.json"),
        (lambda d: (d / "sha256.json").write_text("{}"), "not the recorded"),
    ],
)
def test_a_changed_folder_fails_naming_the_file(folder, change, named):
    directory, digest = folder
    change(directory)
    with pytest.raises(DigestMismatch, match=named):
        verify_manifest(directory, "sha256.json", digest)
