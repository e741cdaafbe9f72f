"""The values of the slot lists that Home Assistant fills from a user's home, and of the wildcards.

Areas, floors and entity names (by domain) stand in for a home's exposed entities; the wildcard
lists (timer names, shopping items, messages, ...) have no values in the templates.
"""

from __future__ import annotations

from collections.abc import Mapping

AREAS: tuple[str, ...] = (
    "kitchen", "living room", "bedroom", "master bedroom", "office", "garage", "bathroom",
    "dining room", "hallway", "basement", "guest room", "kids room", "laundry room", "nursery",
    "study", "den", "patio", "porch", "attic", "family room", "entryway", "playroom",
)  # fmt: skip
FLOORS: tuple[str, ...] = (
    "upstairs", "downstairs", "ground floor", "first floor", "second floor", "top floor",
    "main floor", "lower level",
)  # fmt: skip
NAMES_BY_DOMAIN: Mapping[str, tuple[str, ...]] = {
    "light": ("ceiling light", "desk lamp", "floor lamp", "reading lamp", "bedside lamp",
              "porch light", "chandelier", "led strip", "pendant", "spotlights", "night light"),
    "switch": ("coffee maker", "christmas tree", "fountain pump", "space heater", "kettle",
               "dehumidifier", "smart plug"),
    "fan": ("ceiling fan", "tower fan", "exhaust fan", "attic fan", "box fan"),
    "cover": ("roller shutter", "skylight", "front gate", "patio blinds", "window shades",
              "carport", "sun screen"),
    "lock": ("front door", "back door", "side gate", "patio door", "deadbolt"),
    "valve": ("water valve", "sprinkler valve", "gas valve", "irrigation valve"),
    "climate": ("thermostat", "heat pump", "air conditioner", "radiator", "floor heating"),
    "media_player": ("tv", "television", "soundbar", "stereo", "smart speaker", "chromecast",
                     "record player", "apple tv"),
    "sensor": ("outdoor temperature", "indoor humidity", "power usage", "air quality",
               "water tank level", "solar production"),
    "binary_sensor": ("motion sensor", "window sensor", "door sensor", "smoke detector",
                      "leak sensor", "occupancy sensor"),
    "person": ("john", "sarah", "mom", "dad", "emma", "alex", "grandma", "michael"),
    "todo": ("shopping", "grocery", "to do", "chores", "packing", "hardware store"),
    "weather": ("home", "cabin", "beach house", "forecast"),
    "scene": ("movie night", "good morning", "romantic dinner", "bedtime", "party mode",
              "reading", "relax"),
    "script": ("morning routine", "goodnight", "leaving home", "welcome home", "wake up"),
    "button": ("doorbell", "restart router", "garage opener", "feed the cat"),
    "input_button": ("reset filter", "snooze"),
    "input_boolean": ("guest mode", "vacation mode", "night mode", "away mode"),
    "vacuum": ("robot vacuum", "roomba", "vacuum cleaner", "mop"),
    "lawn_mower": ("lawn mower", "robot mower", "automower"),
}  # fmt: skip
WILDCARD_VALUES: Mapping[str, tuple[str, ...]] = {
    "message": ("dinner is ready", "time to leave for school", "the movie is starting",
                "please come downstairs", "the laundry is done", "we are leaving in five minutes",
                "happy birthday", "turn the music down"),
    "search_query": ("jazz", "the beatles", "taylor swift", "some relaxing music",
                     "the news", "classic rock", "my workout playlist", "lofi beats",
                     "the latest podcast", "frozen", "bohemian rhapsody", "miles davis"),
    "zone": ("work", "school", "the gym", "the office", "grandma's house", "the airport"),
    "timer_name": ("pizza", "laundry", "pasta", "tea", "eggs", "oven", "cookies", "bread",
                   "nap", "homework", "chicken", "workout"),
    "timer_command": ("turn off the lights", "turn on the fan", "close the blinds",
                      "lock the front door", "pause the music", "turn off the tv",
                      "start the robot vacuum", "turn the heater off"),
    "shopping_list_item": ("milk", "eggs", "bread", "apples", "paper towels", "coffee",
                           "dish soap", "bananas", "olive oil", "cheese", "toothpaste"),
    "todo_list_item": ("milk", "call the plumber", "batteries", "dog food", "light bulbs",
                       "pay the bills", "sunscreen", "water the plants", "a birthday card"),
}  # fmt: skip
