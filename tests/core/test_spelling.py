"""Typos corrected before the model reads an utterance; spans given back in the text as typed."""

from __future__ import annotations

from mtassist.spelling import Correction, Lexicon, SpellCorrector, words_of

LEXICON = Lexicon.of({"shopping": 40, "list": 90, "pause": 12, "timer": 30, "minutes": 9, "minute": 4, "move": 3})
CORRECTOR = SpellCorrector(LEXICON, vocabulary={"put", "eggs", "on", "the", "movie", "set", "for"})


def test_one_edit_from_a_lexicon_word_is_corrected_in_the_typed_casing() -> None:
    correction = CORRECTOR.correct("put eggs on the SHOPPIGN lits, Paues the timer")
    assert correction.text == "put eggs on the SHOPPING list, Pause the timer"


def test_real_words_short_words_and_words_far_from_the_lexicon_stay_as_typed() -> None:
    for text in ("put on the movie", "set lo for 5 minuets", "put kombucha on"):
        assert CORRECTOR.correct(text).text == text.replace("minuets", "minutes")


def test_the_most_frequent_word_one_edit_away_wins() -> None:
    assert CORRECTOR.correct("minutez").text == "minutes"


def test_the_homes_names_are_never_changed_and_correct_what_is_near_them() -> None:
    home = Lexicon.of(words_of(["Bedroom", "Minutea Lamp"]))
    assert CORRECTOR.correct("minutea lamp", home).text == "minutea lamp"
    assert CORRECTOR.correct("the bedrroom", home).text == "the bedroom"


def test_spans_on_the_corrected_text_go_back_to_the_typed_text() -> None:
    correction = CORRECTOR.correct("put eggs on the shoping lits, paues")
    assert isinstance(correction, Correction) and correction.text == "put eggs on the shopping list, pause"
    slots = [
        {"name": "item", "value": "eggs", "text": "eggs", "start": 4, "end": 8},
        {"name": "name", "value": "shopping list", "text": "shopping list", "start": 16, "end": 29},
        {"name": "domain", "value": "todo"},
    ]
    assert correction.restore(slots) == [
        slots[0],
        {"name": "name", "value": "shopping list", "text": "shoping lits", "start": 16, "end": 28},
        slots[2],
    ]
    nothing = CORRECTOR.correct("put eggs on")
    assert nothing.text == nothing.typed and nothing.restore(slots) == slots
