"""The validation sample: every head and every intent within the budget, the same for a seed."""

from collections import Counter

from mtassist.data.dataset import rows_by_split
from mtassist.training.validation import stratum, validation_sample


def test_the_sample_covers_every_stratum_of_the_split_that_its_budget_allows(small_dataset):
    rows = rows_by_split(small_dataset)["train"]
    strata = {stratum(row) for row in rows}
    sample = validation_sample(rows, max_rows=len(strata) * 2, seed=13)
    assert len(sample) == len(strata) * 2
    assert {stratum(row) for row in sample} == strata
    assert any(row["sentiment"] for row in sample) and any(row["response"] for row in sample)


def test_the_first_rows_of_the_split_would_not_cover_every_head(small_dataset):
    """Why the sample exists: the split is ordered by id, so its head is one source's rows."""
    rows = rows_by_split(small_dataset)["train"]
    head = rows[: len({stratum(row) for row in rows}) * 2]
    assert not any(row["sentiment"] for row in head)


def test_the_sample_is_balanced_and_deterministic():
    rows = [{"id": i, "sentiment": None, "intent": f"Hass{i % 3}", "route": "command"} for i in range(300)]
    sample = validation_sample(rows, max_rows=30, seed=1)
    assert Counter(stratum(row) for row in sample) == {"intent:Hass0": 10, "intent:Hass1": 10, "intent:Hass2": 10}
    assert sample == validation_sample(rows, max_rows=30, seed=1)
    assert sample != validation_sample(rows, max_rows=30, seed=2)


def test_a_split_within_the_budget_is_kept_whole():
    rows = [{"sentiment": "positive", "source": "vader-tweets", "intent": None, "route": None}] * 5
    assert validation_sample(rows, max_rows=10, seed=0) == rows
