"""The label space: every classification head's label names, the frame rules and the lexicon; travels with every model.

Torch-free, so the Triton python-backend models read it without importing torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtassist.contracts import ROUTE_LABELS, SENTIMENT_LABELS
from mtassist.frames import FrameRules

HEAD_LABELS = ("route", "intent", "slot_tags", "sentiment")


@dataclass(frozen=True)
class LabelSpace:
    route: tuple[str, ...]
    intent: tuple[str, ...]
    slot_tags: tuple[str, ...]
    sentiment: tuple[str, ...]
    frames: FrameRules = field(default_factory=FrameRules)
    """How slot spans become complete frames (`labels.json` key `frames`)."""
    lexicon: Mapping[str, int] = field(default_factory=dict)
    """Words of the training commands and value pools with their counts (`labels.json` key
    `lexicon`): what typos are corrected to (`mtassist.spelling`); empty, nothing is corrected."""

    @classmethod
    def from_dict(cls, labels: Mapping[str, Sequence[str]]) -> LabelSpace:
        missing = [key for key in HEAD_LABELS if not labels.get(key)]
        if missing:
            raise ValueError(f"the label space lacks {', '.join(missing)}: re-run ingest or re-export the model bundle")
        space = cls(
            **{name: tuple(labels[name]) for name in HEAD_LABELS},
            frames=FrameRules.from_dict(labels.get("frames")),
            lexicon=dict(labels.get("lexicon", {})),
        )
        if space.route != ROUTE_LABELS or space.sentiment != SENTIMENT_LABELS:
            raise ValueError(
                f"label space does not match the contract: route {space.route}, sentiment {space.sentiment}"
            )
        return space

    @classmethod
    def load(cls, path: Path) -> LabelSpace:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict:
        return {
            **{name: list(getattr(self, name)) for name in HEAD_LABELS},
            "frames": self.frames.to_dict(),
            "lexicon": dict(sorted(self.lexicon.items())),
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))
