"""The release record a published version carries in its description, the alias's own record of which versions
it served after a release, and the choices made from them: the rollback target and which versions pruning may
delete.

Pure: no AWS, no filesystem. A version description reads
`fnship 20261123T160328Z at=2026-11-23T16:03:28Z commit=1a2b3c4 by=alice`
(Lambda allows 256 characters: https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html).
The alias description reads `fnship release pointer; provisioned concurrency 4; released 9 7 6`: the versions
that completed a release on this alias, newest first. A version whose release rolled back is not among them, so
`fn rollback` never lands on it (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html: 256
characters too).
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fnship.jsonvalue import JsonObject

if TYPE_CHECKING:
    from fnship.aws.lambda_api import FunctionConfiguration

PREFIX = "fnship"
DESCRIPTION_MAX = 256
ALIAS_DESCRIPTION = "fnship release pointer"
PROVISIONED_MARKER = "provisioned concurrency"  # in the alias description while fnship keeps some on it
RELEASED_MARKER = "released"
HISTORY_MAX = 20  # versions the alias remembers: enough rollbacks in a row, and well inside 256 characters


@dataclass(frozen=True)
class Release:
    version: str
    release_id: str | None
    time: str | None
    commit: str | None
    who: str | None
    description: str

    def to_dict(self) -> JsonObject:
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


def releases_of(versions: Iterable[FunctionConfiguration]) -> list[Release]:
    """ListVersionsByFunction entries -> releases, oldest first, `$LATEST` left out."""
    numbered = [v for v in versions if str(v.get("Version")) != "$LATEST"]
    numbered.sort(key=lambda v: int(v["Version"]))
    return [parse_description(str(v["Version"]), str(v.get("Description") or "")) for v in numbered]


def alias_description(*, provisioned: int | None, released: Iterable[str]) -> str:
    parts = [ALIAS_DESCRIPTION]
    if provisioned:
        parts.append(f"{PROVISIONED_MARKER} {provisioned}")
    history = [v for v in released if v.isdigit()][:HISTORY_MAX]
    if history:
        parts.append(f"{RELEASED_MARKER} {' '.join(history)}")
    return "; ".join(parts)


def released_history(alias_description_text: str | None) -> tuple[str, ...]:
    """The versions an alias served after a completed release, newest first (empty: no record yet)."""
    for part in (alias_description_text or "").split(";"):
        words = part.split()
        if words[:1] == [RELEASED_MARKER]:
            return tuple(w for w in words[1:] if w.isdigit())
    return ()


def after_release(history: Iterable[str], *, old: str, new: str) -> tuple[str, ...]:
    """The history once `new` completed a release that started from `old`: what was served before `old` (and
    `old` itself) stays; versions above `old`, left by an earlier rollback, are no longer the way back."""
    previous = list(history)
    if old in previous:
        previous = previous[previous.index(old) :]
    elif old.isdigit():
        previous = [old]
    else:
        previous = []
    return tuple(dict.fromkeys([new, *previous]))[:HISTORY_MAX]


def previous_version(versions: Iterable[str], current: str, history: Iterable[str] = ()) -> str | None:
    """The release before `current`: the version served before it (from the alias's history, skipping pruned
    versions); without a history, the highest published version number below it."""
    if not current.isdigit():
        return None
    existing = {v for v in versions if v.isdigit()}
    served = list(history)
    if current in served:
        return next((v for v in served[served.index(current) + 1 :] if v in existing), None)
    older = [int(v) for v in existing if int(v) < int(current)]
    return str(max(older)) if older else None


def prunable(versions: Iterable[str], *, keep: int, protected: Iterable[str]) -> list[str]:
    """Versions beyond the newest `keep`, except the protected ones (alias targets, weights, the rollback target)."""
    numbers = sorted((int(v) for v in versions if v.isdigit()), reverse=True)
    guard = set(protected)
    return [str(n) for n in sorted(numbers[keep:]) if str(n) not in guard]
