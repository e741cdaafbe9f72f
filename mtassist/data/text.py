"""Folding a text to its identity: what de-duplication, route conflicts and leakage checks compare."""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"[^\w\s']")


def fold_text(text: str) -> str:
    """Case, punctuation and whitespace folded ("Turn on the lights!" -> "turn on the lights").

    A text of punctuation only folds to its case-folded, whitespace-collapsed self, so that it
    stays distinct from other such texts.
    """
    folded = text.casefold()
    return " ".join(_PUNCTUATION.sub(" ", folded).split()) or " ".join(folded.split())
