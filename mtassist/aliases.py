"""Moving the `champion` alias: by the promotion gate, by hand, and back.

Every move checks the target version's bundle against its SHA-256 first, so a version whose
artifacts changed never serves, and records on the versions who moved the alias and when
(contracts TAG_*). A version made champion remembers the one it replaced
(TAG_PREVIOUS_CHAMPION): `rollback` follows that link, one version back each time.
"""

from __future__ import annotations

import getpass
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mtassist.contracts import (
    CHAMPION_ALIAS,
    TAG_CHAMPION_AT,
    TAG_CHAMPION_BY,
    TAG_PREVIOUS_CHAMPION,
    TAG_ROLLED_BACK_AT,
    TAG_ROLLED_BACK_BY,
)
from mtassist.registry import (
    RegistryError,
    download_bundle,
    find_version,
    set_alias,
    set_version_tags,
    version_by_alias,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AliasMove:
    champion: str
    previous: str
    """The champion before the move ("" when there was none)."""
    by: str
    at: str


def current_user() -> str:
    """Who moves an alias from this process: MTASSIST_USER, or the login name."""
    return os.environ.get("MTASSIST_USER") or getpass.getuser()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_artifacts(version: str) -> None:
    """Download the version's bundle and check every file against its SHA-256 (ArtifactMismatch if not)."""
    with tempfile.TemporaryDirectory(prefix="mtassist-check-") as scratch:
        download_bundle(version, Path(scratch))


def make_champion(version: str, by: str) -> AliasMove:
    """Point `champion` at `version` once its artifacts pass their check; record who, when and what it replaced.

    Raises:
        RegistryError: no such version, or it is the champion already.
        ArtifactMismatch: its bundle is not the one it was registered with (the alias stays).
    """
    version = str(find_version(version).version)
    current = version_by_alias(CHAMPION_ALIAS)
    previous = current.version if current else ""
    if previous == version:
        raise RegistryError(f"version {version} is the {CHAMPION_ALIAS} already")
    check_artifacts(version)
    move = AliasMove(version, previous, by, _now())
    set_alias(CHAMPION_ALIAS, version)
    set_version_tags(version, {TAG_CHAMPION_BY: by, TAG_CHAMPION_AT: move.at, TAG_PREVIOUS_CHAMPION: previous})
    log.info("%s is version %s (was %s), by %s", CHAMPION_ALIAS, version, previous or "none", by)
    return move


def rollback(by: str) -> AliasMove:
    """Point `champion` back at the version the current champion replaced.

    Raises:
        RegistryError: no champion, a champion that replaced none, or one whose predecessor was deleted.
        ArtifactMismatch: the earlier champion's bundle fails its check (the alias stays).
    """
    current = version_by_alias(CHAMPION_ALIAS)
    if current is None:
        raise RegistryError(f"there is no {CHAMPION_ALIAS} to roll back: see `mtassist models list`")
    previous = find_version(current.version).tags.get(TAG_PREVIOUS_CHAMPION, "")
    if not previous:
        raise RegistryError(
            f"version {current.version} replaced no earlier {CHAMPION_ALIAS}: there is nothing to roll back to "
            "(`mtassist models promote VERSION` picks one by hand)"
        )
    try:
        find_version(previous)
    except RegistryError as error:
        raise RegistryError(
            f"cannot roll back to version {previous}, the champion before {current.version}: {error}"
        ) from error
    check_artifacts(previous)
    move = AliasMove(previous, current.version, by, _now())
    set_alias(CHAMPION_ALIAS, previous)
    set_version_tags(current.version, {TAG_ROLLED_BACK_BY: by, TAG_ROLLED_BACK_AT: move.at})
    set_version_tags(previous, {TAG_CHAMPION_BY: by, TAG_CHAMPION_AT: move.at})
    log.info("%s rolled back from version %s to %s, by %s", CHAMPION_ALIAS, current.version, previous, by)
    return move
