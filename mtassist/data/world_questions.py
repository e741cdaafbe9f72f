"""Questions about the world that sound like the home: hard negatives for the `faq` route.

"is the front door locked" is a command (the home's state); "how does a smart lock work" and
"what is the temperature on Mars" are questions for the FAQ skill. Without such pairs the route
head learns "question -> faq". Each question frame is a group, so the test split holds frames
the model never saw.
"""

from __future__ import annotations

import random

THINGS: tuple[str, ...] = (
    "thermostat", "smart lock", "light bulb", "ceiling fan", "robot vacuum", "dehumidifier",
    "heat pump", "smoke detector", "garage door opener", "motion sensor", "dishwasher", "microwave",
    "air conditioner", "solar panel", "water heater", "LED strip", "smart speaker", "television",
    "refrigerator", "lawn mower", "sprinkler system", "doorbell camera", "humidifier", "space heater",
    "electric kettle", "washing machine", "router", "deadbolt", "window blind", "air purifier",
)  # fmt: skip
PLACES: tuple[str, ...] = (
    "Mars", "the moon", "the Sahara", "Antarctica", "Tokyo", "the Amazon rainforest", "Venus",
    "the bottom of the ocean", "Mount Everest", "the sun", "the North Pole", "Death Valley",
)  # fmt: skip
FRAMES: tuple[str, ...] = (
    "what is {a_thing}",
    "how does {a_thing} work",
    "who invented the {thing}",
    "when was the {thing} invented",
    "how much energy does {a_thing} use",
    "what is the best {thing} to buy",
    "how long does {a_thing} last",
    "is {a_thing} worth it",
    "why would anyone need {a_thing}",
    "can you explain how {a_thing} saves energy",
    "what does {a_thing} do",
    "how much does {a_thing} cost",
    "which brand makes the best {thing}",
    "what should I look for in {a_thing}",
    "do I really need {a_thing}",
    "how often should {a_thing} be replaced",
    "is it hard to install {a_thing}",
    "can {a_thing} be recycled",
    "how is {a_thing} made",
    "what are the benefits of {a_thing}",
    "how loud is a typical {thing}",
    "how many watts does {a_thing} draw",
    "what is the temperature on {place}",
    "how humid is {place}",
    "is it bright on {place}",
    "how cold does it get in {place}",
    "what is the air like on {place}",
    "how far away is {place}",
    "what time is it in {place}",
    "how hot does it get on {place}",
    "who was the first person to reach {place}",
    "how long would it take to travel to {place}",
    "what does {place} look like",
    "how big is {place}",
)
"""Question frames; `{thing}` a device in general (`{a_thing}` with its article), `{place}`
somewhere that is not the home. Many frames of a dozen questions each, so that the route head
learns the kind of question and the test split holds several frames it never saw."""


def _with_article(thing: str) -> str:
    return f"{'an' if thing[0].casefold() in 'aeiou' else 'a'} {thing}"


def world_questions(cap: int, seed: int) -> list[tuple[str, str]]:
    """Up to `cap` (frame group, question) pairs, spread over the frames, deterministic for the seed."""
    per_frame = max(1, cap // len(FRAMES))
    rng = random.Random(f"{seed}:world-questions")
    questions = []
    for index, frame in enumerate(FRAMES):
        fillers = PLACES if "{place}" in frame else THINGS
        for filler in rng.sample(fillers, min(per_frame, len(fillers))):
            text = frame.format(thing=filler, a_thing=_with_article(filler), place=filler)
            questions.append((f"world:{index}", text[:1].upper() + text[1:] + "?" if rng.random() < 0.5 else text))
    return questions[:cap]
