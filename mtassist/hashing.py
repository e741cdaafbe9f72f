"""SHA-256 of files: the dataset version, the ONNX graphs in lineage, and the bundle's manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class DigestMismatch(ValueError):
    """A folder's files are not the ones its manifest, or its recorded digest, names."""


def write_manifest(directory: Path, manifest_name: str) -> str:
    """Write `manifest_name` in `directory`: {relative path: SHA-256} of every other file, sorted.

    Returns the manifest's own SHA-256, which names the whole folder's content.
    """
    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != manifest_name)
    manifest = {path.relative_to(directory).as_posix(): sha256_file(path) for path in files}
    target = directory / manifest_name
    target.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return sha256_file(target)


def verify_manifest(directory: Path, manifest_name: str, expected_digest: str) -> None:
    """Check that the manifest is the one recorded (`expected_digest`) and every file matches it.

    Raises:
        DigestMismatch: naming the file that differs, is missing, or is not in the manifest.
    """
    directory = Path(directory)
    target = directory / manifest_name
    if not target.is_file():
        raise DigestMismatch(f"{directory} has no {manifest_name}, so its files cannot be checked")
    if sha256_file(target) != expected_digest:
        raise DigestMismatch(f"{target} has SHA-256 {sha256_file(target)}, not the recorded {expected_digest}")
    manifest = json.loads(target.read_text())
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} - {manifest_name}
    for name in sorted(present - set(manifest)):
        raise DigestMismatch(f"{directory / name} is not in {manifest_name}")
    for name, digest in sorted(manifest.items()):
        path = directory / name
        if not path.is_file():
            raise DigestMismatch(f"{path} is missing")
        if sha256_file(path) != digest:
            raise DigestMismatch(f"{path} has SHA-256 {sha256_file(path)}, not {digest} as {manifest_name} says")
