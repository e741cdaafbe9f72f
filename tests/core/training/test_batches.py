"""Task pools, temperature sampling and collation into tensors with masked labels."""

from collections import Counter

import pytest

from mtassist.training.batches import Collator, TaskSampler, sampling_probabilities, task_pools


def test_temperature_flattens_task_sampling():
    sizes = {"big": 900, "small": 100}
    assert sampling_probabilities(sizes, 1.0)["small"] == pytest.approx(0.1)
    assert sampling_probabilities(sizes, 2.0)["small"] == pytest.approx(0.25)
    assert sampling_probabilities(sizes, 1e9)["small"] == pytest.approx(0.5)


def test_a_task_weight_scales_that_task_s_chance_to_be_drawn(toy_rows):
    sizes = {"big": 900, "small": 100}
    assert sampling_probabilities(sizes, 2.0, {"small": 3.0})["small"] == pytest.approx(0.5)
    assert sampling_probabilities(sizes, 2.0, {"absent": 5.0}) == sampling_probabilities(sizes, 2.0)

    def sentiment_share(task_weights):
        sampler = iter(TaskSampler(toy_rows, batch_size=2, temperature=1.0, seed=0, task_weights=task_weights))
        return sum(next(sampler)[0] == "sentiment" for _ in range(400)) / 400

    assert sentiment_share({"sentiment": 4.0}) > 2 * sentiment_share(None)


def test_sampler_draws_each_task_from_rows_that_carry_its_label(toy_rows):
    sampler = iter(TaskSampler(toy_rows, batch_size=4, temperature=1.0, seed=0))
    column = {"route": "route", "intent": "intent", "slots": "slots", "sentiment": "sentiment", "response": "response"}
    for _ in range(40):
        task, rows = next(sampler)
        assert all(row[column[task]] is not None for row in rows)
    assert set(task_pools(toy_rows)) == set(column)


def _rated(source: str, label: str, count: int) -> list[dict]:
    empty = {"route": None, "intent": None, "slots": None, "response": None}
    return [{**empty, "text": f"{source} {label} {i}", "source": source, "sentiment": label} for i in range(count)]


def _drawn_strata(rows: list[dict], draws: int = 300) -> Counter:
    sampler = iter(TaskSampler(rows, batch_size=10, temperature=1.0, seed=0))
    return Counter((row["source"], row["sentiment"]) for _ in range(draws // 10) for row in next(sampler)[1])


def test_rated_sentences_of_uneven_strata_are_drawn_stratum_by_stratum():
    rows = _rated("movies", "positive", 900) + _rated("movies", "neutral", 30) + _rated("nyt", "negative", 70)
    drawn = _drawn_strata(rows)
    assert set(drawn) == {("movies", "positive"), ("movies", "neutral"), ("nyt", "negative")}
    assert all(70 <= count <= 130 for count in drawn.values()), drawn  # 100 each, not 270 / 9 / 21


def test_rated_sentences_of_even_strata_are_drawn_row_by_row():
    rows = _rated("movies", "positive", 120) + _rated("movies", "neutral", 100)
    drawn = _drawn_strata(rows, draws=880)  # four whole passes, eleven whole chunks of 8 batches
    assert drawn[("movies", "positive")] == 480 and drawn[("movies", "neutral")] == 400


def test_collator_masks_missing_labels(toy_rows, tokenizer, label_space):
    batch = Collator(tokenizer, label_space, 32)(toy_rows[-4:])  # a faq row and three rated sentences
    assert batch.route.tolist()[1:] == [-100, -100, -100]
    assert batch.sentiment.tolist()[0] == -100 and -100 not in batch.sentiment.tolist()[1:]
    assert batch.response_inputs is None  # one reply cannot be contrasted in-batch


def _commands(intent: str, count: int) -> list[dict]:
    empty = {"route": None, "slots": None, "sentiment": None, "response": None, "source": "intents"}
    return [{**empty, "text": f"{intent} {i}", "intent": intent} for i in range(count)]


def test_an_intent_with_few_rows_is_drawn_more_than_its_share_but_less_than_the_others():
    rows = _commands("HassTurnOn", 400) + _commands("HassGetCurrentDate", 16)
    sampler = iter(TaskSampler(rows, batch_size=10, temperature=1.0, seed=0))
    drawn = Counter(row["intent"] for _ in range(200) for row in next(sampler)[1])
    small_share = drawn["HassGetCurrentDate"] / sum(drawn.values())
    assert 0.12 < small_share < 0.22, drawn  # sqrt sizes: 4 / (20 + 4) = 0.17, not 16 / 416 = 0.04 or 0.5
