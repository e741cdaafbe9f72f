"""Moving `champion` by hand and back on a real MLflow store: who and when are recorded, a
version whose files changed is refused, and a refused move leaves every alias where it was."""

import json

import pytest

from mtassist import aliases, registry
from mtassist.contracts import BUNDLE_MANIFEST, CHAMPION_ALIAS
from mtassist.hashing import write_manifest


@pytest.fixture
def three_versions(tracking, tmp_path):
    for n in range(3):
        bundle = tmp_path / f"bundle-{n}"
        bundle.mkdir()
        (bundle / "model_card.json").write_text(json.dumps({"n": n}))
        write_manifest(bundle, BUNDLE_MANIFEST)
        registry.register_bundle(bundle, {"score": n / 10}, {})
    return tmp_path / "artifacts"


def _champion() -> str | None:
    found = registry.version_by_alias(CHAMPION_ALIAS)
    return found.version if found else None


def test_promote_by_hand_records_who_when_and_the_champion_replaced(three_versions):
    first = aliases.make_champion("1", "ana")
    second = aliases.make_champion("3", "ben")
    assert (first.previous, second.previous, _champion()) == ("", "1", "3")
    tags = registry.find_version("3").tags
    assert tags["champion_by"] == "ben" and tags["previous_champion"] == "1" and tags["champion_at"] == second.at


def test_rollback_follows_the_chain_of_champions_back(three_versions):
    for version in ("1", "2", "3"):
        aliases.make_champion(version, "ana")
    assert aliases.rollback("ben").champion == "2" and _champion() == "2"
    assert registry.find_version("3").tags["rolled_back_by"] == "ben"
    assert aliases.rollback("ben").champion == "1"
    with pytest.raises(registry.RegistryError, match="version 1 replaced no earlier champion"):
        aliases.rollback("ben")
    assert _champion() == "1"


def test_rollback_without_a_champion_says_so(three_versions):
    with pytest.raises(registry.RegistryError, match="there is no champion to roll back"):
        aliases.rollback("ana")


def test_rollback_to_a_deleted_version_is_refused_and_the_champion_stays(three_versions, tracking):
    aliases.make_champion("1", "ana")
    aliases.make_champion("2", "ana")
    tracking.delete_model_version("mtassist-assistant", "1")
    with pytest.raises(registry.RegistryError, match="cannot roll back to version 1.*no version 1"):
        aliases.rollback("ben")
    assert _champion() == "2"


def test_a_version_that_does_not_exist_or_is_champion_already_is_refused(three_versions):
    with pytest.raises(registry.RegistryError, match="no version 9"):
        aliases.make_champion("9", "ana")
    aliases.make_champion("2", "ana")
    with pytest.raises(registry.RegistryError, match="version 2 is the champion already"):
        aliases.make_champion("2", "ana")


def test_a_version_whose_files_changed_is_not_promoted_and_no_alias_moves(three_versions):
    aliases.make_champion("1", "ana")
    stored = [path for path in three_versions.rglob("model_card.json") if '"n": 2' in path.read_text()]
    stored[0].write_text(json.dumps({"n": "tampered"}))
    with pytest.raises(registry.ArtifactMismatch, match="version 3 fails its SHA-256 check.*model_card.json"):
        aliases.make_champion("3", "ana")
    assert _champion() == "1" and "champion_by" not in registry.find_version("3").tags
