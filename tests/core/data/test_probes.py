"""The hand-written probes cover every route, and their intents exist."""

from mtassist.contracts import INTENT_NONE, ROUTE_COMMAND, ROUTE_LABELS
from mtassist.data.probes import PROBES, probe_rows
from mtassist.data.templates import intent_names


def test_probes_cover_every_route_with_known_intents():
    assert {route for _, route, _ in PROBES} == set(ROUTE_LABELS)
    known = set(intent_names())
    for text, route, intent in PROBES:
        assert (intent in known) if route == ROUTE_COMMAND else intent == INTENT_NONE, text
    assert len({row["id"] for row in probe_rows()}) == len(PROBES)
