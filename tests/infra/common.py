"""What the infra tests share: where infra/ is, pyproject's pins, and image tags."""

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
PINS: dict[str, str] = dict(
    requirement.split("==", 1)
    for requirement in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    if "==" in requirement
)
"""Package -> version, as pyproject.toml pins them."""


def image_tag(image: str) -> str | None:
    """The tag of an image reference (the digest when pinned by digest), None if it has neither."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None
