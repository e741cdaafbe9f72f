"""Hand-written probes: how people phrase things, not how the templates do.

The templates and corpora train and test the model; these sentences were written for mtassist
by a person, in everyday wording, to check the confusions users meet: a question about the home
is a command (its state is in Home Assistant), a question about devices or the world in general
is for the FAQ skill, small talk is chitchat. `evaluate` reports the route and intent accuracy on
them (`probe_*`), and the quality report lists the probes the teacher gets wrong.
"""

from __future__ import annotations

from mtassist.contracts import INTENT_NONE, ROUTE_CHITCHAT, ROUTE_COMMAND, ROUTE_FAQ

PROBES: tuple[tuple[str, str, str], ...] = (
    # questions about the home: commands
    ("is the front door locked", ROUTE_COMMAND, "HassGetState"),
    ("did i leave the garage door open", ROUTE_COMMAND, "HassGetState"),
    ("are any lights still on upstairs", ROUTE_COMMAND, "HassGetState"),
    ("what's the humidity in the living room", ROUTE_COMMAND, "HassGetState"),
    ("is anyone home right now", ROUTE_COMMAND, "HassGetState"),
    ("which windows are open", ROUTE_COMMAND, "HassGetState"),
    ("how warm is it in the bedroom", ROUTE_COMMAND, "HassClimateGetTemperature"),
    ("what's the thermostat set to", ROUTE_COMMAND, "HassClimateGetTemperature"),
    ("is the kitchen light on", ROUTE_COMMAND, "HassGetState"),
    ("is the back door unlocked", ROUTE_COMMAND, "HassGetState"),
    # commands in everyday wording
    ("could you switch the porch light on for me", ROUTE_COMMAND, "HassTurnOn"),
    ("kill the lights in the office", ROUTE_COMMAND, "HassTurnOff"),
    ("dim the living room lights to 30 percent", ROUTE_COMMAND, "HassLightSet"),
    ("make the bedroom lamp blue", ROUTE_COMMAND, "HassLightSet"),
    ("set the heat to 21 degrees", ROUTE_COMMAND, "HassClimateSetTemperature"),
    ("shut the blinds in the den", ROUTE_COMMAND, "HassTurnOff"),
    ("lock the front door please", ROUTE_COMMAND, "HassTurnOn"),
    ("put eggs on the shopping list", ROUTE_COMMAND, "HassShoppingListAddItem"),
    ("start a ten minute timer for the pasta", ROUTE_COMMAND, "HassStartTimer"),
    ("how much time is left on my timer", ROUTE_COMMAND, "HassTimerStatus"),
    ("turn the music up a bit", ROUTE_COMMAND, "HassSetVolumeRelative"),
    ("skip this song", ROUTE_COMMAND, "HassMediaNext"),
    ("what's the weather going to be like", ROUTE_COMMAND, "HassGetWeather"),
    ("send the vacuum back to its dock", ROUTE_COMMAND, "HassVacuumReturnToBase"),
    ("never mind", ROUTE_COMMAND, "HassNevermind"),
    # questions about devices and the world: faq
    ("how does a heat pump actually work", ROUTE_FAQ, INTENT_NONE),
    ("who invented the light bulb", ROUTE_FAQ, INTENT_NONE),
    ("what is the temperature of the sun", ROUTE_FAQ, INTENT_NONE),
    ("is a smart lock safer than a normal lock", ROUTE_FAQ, INTENT_NONE),
    ("what is the capital of france", ROUTE_FAQ, INTENT_NONE),
    ("how many legs does a spider have", ROUTE_FAQ, INTENT_NONE),
    ("what does a dehumidifier do", ROUTE_FAQ, INTENT_NONE),
    ("who wrote romeo and juliet", ROUTE_FAQ, INTENT_NONE),
    # small talk: chitchat
    ("hey, how's it going", ROUTE_CHITCHAT, INTENT_NONE),
    ("i had such a long day at work", ROUTE_CHITCHAT, INTENT_NONE),
    ("do you like music", ROUTE_CHITCHAT, INTENT_NONE),
    ("thanks, you're the best", ROUTE_CHITCHAT, INTENT_NONE),
    ("what are you up to this weekend", ROUTE_CHITCHAT, INTENT_NONE),
    ("good morning!", ROUTE_CHITCHAT, INTENT_NONE),
    ("tell me something funny", ROUTE_CHITCHAT, INTENT_NONE),
)
"""(text, route, intent) of every probe."""


def probe_rows() -> list[dict]:
    """The probes as evaluation rows (route and intent only)."""
    return [
        {"id": f"probe-{index}", "source": "probes", "text": text, "route": route, "intent": intent,
         "slots": None, "sentiment": None, "response": None}
        for index, (text, route, intent) in enumerate(PROBES)
    ]  # fmt: skip
