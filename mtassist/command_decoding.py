"""A command's intent and frame, chosen together from the intent head and the slot head.

The intent head reads the sentence as a whole; the slot head reads each word. On a template it
has not seen, the intent head can be unsure where the slot head is not: "clean the Upper Level"
reads like HassVacuumCleanArea ("clean the kitchen"), but the slot head tags "Upper Level" as a
floor, and only HassVacuumStart cleans a floor. So each likely intent is scored with the best
frame it allows:

    log p(intent)
    + SLOT_EVIDENCE_WEIGHT * (log p(best spans among the intent's slot names) - log p(best spans of any names))
    - UNFIT_FRAME_PENALTY, where the spans' slot names match none of the intent's templates

and the best total wins. The second term is 0 when the intent allows the spans the slot head
likes best; the third uses `FrameRules.fits` (HassListAddItem always names its list, so "add
milk to the list" is HassShoppingListAddItem). Candidates come in falling probability and stop
once one cannot beat the best total, so a confident row decodes two paths only. The weights
were chosen on the validation split: 0.5 and 1 nat. Each candidate's spans are mended first
(`FrameRules.mend`: a known value cut in two is joined, a duration takes the unit spoken after it).
Given the home (the CONTEXT input), the chosen spans are fitted to its names before the frame is
completed, and its values resolved after (`mtassist.home`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtassist.frames import FrameRules
from mtassist.home import HomeContext, fit_to_home, resolve_frame
from mtassist.slots import SlotScores, log_softmax

SLOT_EVIDENCE_WEIGHT = 0.5
UNFIT_FRAME_PENALTY = 1.0
MAX_CANDIDATES = 5
"""Intents considered per row, most probable first."""


def decode_command(
    intent_logits: np.ndarray,
    slots: SlotScores,
    intents: Sequence[str],
    rules: FrameRules,
    context: HomeContext | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The chosen intent's index in `intents` and its complete frame, from one row's (I,) intent logits.

    With `context`, the frame's names are fitted to and resolved against that home.
    """
    log_p = log_softmax(intent_logits.astype(np.float64))
    _, unrestricted = slots.best(None)
    best_total, best_intent, best_spans = -np.inf, -1, []
    for candidate in np.argsort(-log_p)[:MAX_CANDIDATES]:
        if log_p[candidate] <= best_total:  # its slot terms are at most 0: it cannot win
            break
        intent = intents[candidate]
        allowed = rules.allowed_slots(intent)
        spans, score = slots.best(allowed)
        spans = rules.mend(spans, slots.text, allowed)
        total = log_p[candidate] + SLOT_EVIDENCE_WEIGHT * (score - unrestricted)
        if not rules.fits(intent, (span["name"] for span in spans)):
            total -= UNFIT_FRAME_PENALTY
        if total > best_total:
            best_total, best_intent, best_spans = total, int(candidate), spans
    allowed = rules.allowed_slots(intents[best_intent])
    frame = rules.complete(intents[best_intent], fit_to_home(best_spans, slots.text, context, allowed))
    return best_intent, resolve_frame(frame, context, allowed, rules.values.get("domain"))
