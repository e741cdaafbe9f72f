"""smoke_test: a local Triton server on the deployed repository answers over gRPC with the deployed version."""

import json

import pytest

from mtassist.components.smoke_test import smoke_test
from mtassist.contracts import ROUTE_LABELS
from mtassist.serving.smoke import SMOKE_EXAMPLES

pytestmark = pytest.mark.slow


def test_the_smoke_test_asks_every_example_and_checks_the_served_version(deployed, store):
    repository, version = deployed
    answers = json.loads(
        smoke_test.python_func(
            tracking_uri=store.tracking_uri, model_repository=str(repository), triton_url="",
            serving_target="local", deployed_version=version, previous_champion="", check_answers=False,
        )
    )  # fmt: skip
    assert list(answers) == list(SMOKE_EXAMPLES)
    assert all(a["model_version"] == version and a["route"]["label"] in ROUTE_LABELS for a in answers.values())
