"""The release record a published version carries in its description, and the choices made from version lists:
the rollback target and which versions pruning may delete.

Pure: no AWS, no filesystem. A version description reads
`fnship 20261123T160328Z at=2026-11-23T16:03:28Z commit=1a2b3c4 by=alice`
(Lambda allows 256 characters: https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html).
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "fnship"
DESCRIPTION_MAX = 256


@dataclass(frozen=True)
class Release:
    version: str
    release_id: str | None
    time: str | None
    commit: str | None
    who: str | None
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "release": self.release_id,
            "time": self.time,
            "commit": self.commit,
            "by": self.who,
            "description": self.description,
        }


def who_am_i() -> str:
    """`user@host` for the release record and the deploy lock (FN_DEPLOYER overrides, e.g. in CI)."""
    explicit = os.environ.get("FN_DEPLOYER")
    if explicit:
        return explicit
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def format_description(*, release_id: str, time: str, commit: str | None, who: str | None) -> str:
    parts = [PREFIX, release_id, f"at={time}"]
    if commit:
        parts.append(f"commit={commit}")
    if who:
        parts.append("by=" + "".join(ch for ch in who if not ch.isspace()))
    return " ".join(parts)[:DESCRIPTION_MAX]


def parse_description(version: str, description: str) -> Release:
    """A version's release record; versions not published by fnship keep only their description."""
    words = (description or "").split()
    if len(words) < 2 or words[0] != PREFIX:
        return Release(version, None, None, None, None, description or "")
    fields = dict(word.split("=", 1) for word in words[2:] if "=" in word)
    # The spine's older form is `fnship <release-id> <commit>`.
    bare = [word for word in words[2:] if "=" not in word]
    return Release(
        version=version,
        release_id=words[1],
        time=fields.get("at"),
        commit=fields.get("commit") or (bare[0] if bare else None),
        who=fields.get("by"),
        description=description,
    )


def releases_of(versions: Iterable[Mapping[str, Any]]) -> list[Release]:
    """ListVersionsByFunction entries -> releases, oldest first, `$LATEST` left out."""
    numbered = [v for v in versions if str(v.get("Version")) != "$LATEST"]
    numbered.sort(key=lambda v: int(v["Version"]))
    return [parse_description(str(v["Version"]), str(v.get("Description") or "")) for v in numbered]


def previous_version(versions: Iterable[str], current: str) -> str | None:
    """The release before `current`: the highest published version number below it."""
    if not current.isdigit():
        return None
    older = [int(v) for v in versions if v.isdigit() and int(v) < int(current)]
    return str(max(older)) if older else None


def prunable(versions: Iterable[str], *, keep: int, protected: Iterable[str]) -> list[str]:
    """Versions beyond the newest `keep`, except the protected ones (alias targets, weights, the rollback target)."""
    numbers = sorted((int(v) for v in versions if v.isdigit()), reverse=True)
    guard = set(protected)
    return [str(n) for n in sorted(numbers[keep:]) if str(n) not in guard]
