"""`fn rollback` and `fn releases`: read each function's releases (its published versions) and move aliases back.

A published version freezes code and configuration together, so pointing the alias at an earlier version
restores both. "Previous" is the version the alias served before the current release (its history, see
fnship.releases), so a release that rolled back is never a target. Every function is handled at once (in
parallel). Mutates only aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from fnship.errors import FnError, InputError
from fnship.jsonvalue import JsonObject
from fnship.releases import previous_version, released_history, releases_of

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.manifest.types import Manifest

WORKERS = 16
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Move:
    function_key: str
    function: str
    alias: str
    before: str | None
    after: str | None
    weights: dict[str, float]
    aborted_shift: bool = False
    error: str | None = None

    def to_dict(self) -> JsonObject:
        return {
            "function": self.function_key,
            "name": self.function,
            "alias": self.alias,
            "from": self.before,
            "to": self.after,
            "weights_before": dict(self.weights),
            "aborted_shift": self.aborted_shift,
            "error": self.error,
        }


class ReleaseRow(TypedDict):
    """One published version in `fn releases`: its release record, and what the alias does with it."""

    version: str
    release: str | None
    time: str | None
    commit: str | None
    by: str | None
    description: str
    serving: bool
    completed: bool | None  # False: rolled back, interrupted or failed; None: from before the alias kept a history
    weight: float | None  # its share of the traffic (None: it gets none)


class _FunctionReleases(TypedDict):
    function: str
    name: str
    alias: str
    deployed: bool
    releases: list[ReleaseRow]


class FunctionReleases(_FunctionReleases, total=False):
    """One function in `fn releases` (a function not deployed has no version and weights)."""

    version: str | None
    weights: dict[str, float]


def _targets(manifest: Manifest, only: Collection[str]) -> list[tuple[str, str, str]]:
    settings = manifest.releases
    keys = list(only) or list(manifest.functions)
    return [(key, manifest.functions[key].name, settings[key].alias) for key in keys]


def _parallel(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    with ThreadPoolExecutor(max_workers=min(WORKERS, max(1, len(items)))) as pool:
        return list(pool.map(fn, items))


def list_releases(aws: Aws, manifest: Manifest, *, only: Collection[str] = ()) -> list[FunctionReleases]:
    """Per function: its alias, the version it serves (and weights), and its releases newest first."""
    lam = aws.lambda_

    def read(target: tuple[str, str, str]) -> FunctionReleases:
        key, name, alias = target
        if lam.get_function_or_none(name) is None:
            return {"function": key, "name": name, "alias": alias, "deployed": False, "releases": []}
        live = lam.get_alias_or_none(name, alias)
        serving = str(live["FunctionVersion"]) if live else None
        routing = live.get("RoutingConfig") if live else None
        weights = dict(routing.get("AdditionalVersionWeights") or {}) if routing else {}
        history = released_history(live.get("Description") if live else None)
        oldest = min((int(v) for v in history), default=None)
        rows: list[ReleaseRow] = []
        for release in reversed(releases_of(lam.list_versions(name))):
            is_serving = release.version == serving
            rows.append(
                ReleaseRow(
                    version=release.version,
                    release=release.release_id,
                    time=release.time,
                    commit=release.commit,
                    by=release.who,
                    description=release.description,
                    serving=is_serving,
                    completed=None if oldest is None or int(release.version) < oldest else release.version in history,
                    weight=weights.get(release.version, (1 - sum(weights.values())) if is_serving else None),
                )
            )
        return {
            "function": key,
            "name": name,
            "alias": alias,
            "deployed": True,
            "version": serving,
            "weights": weights,
            "releases": rows,
        }

    return _parallel(read, _targets(manifest, only))


def rollback(aws: Aws, manifest: Manifest, *, only: Collection[str] = (), to: str | None = None) -> list[Move]:
    """Move each alias back: a shift in progress is aborted (primary version, no weights); otherwise to the
    previous release, or to `to` (a version number, one function only, or a release id from `fn releases`)."""
    targets = _targets(manifest, only)
    if to is not None and to.isdigit() and len(targets) > 1:
        raise InputError(
            f"--to {to} is a version number, and version numbers differ between functions",
            hint="add -f NAME, or pass a release id from `fn releases` to roll every function back to it",
        )
    lam = aws.lambda_

    def move(target: tuple[str, str, str]) -> Move:
        key, name, alias = target
        live = lam.get_alias_or_none(name, alias)
        if live is None:
            return Move(key, name, alias, None, None, {}, error=f"alias {alias} does not exist (not deployed)")
        current = str(live["FunctionVersion"])
        weights = dict((live.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
        releases = releases_of(lam.list_versions(name))
        versions = [r.version for r in releases]
        aborted = bool(weights) and to is None
        if to is None:
            history = released_history(live.get("Description"))
            goal = current if weights else previous_version(versions, current, history)
        elif to.isdigit():
            goal = to if to in versions else None
        else:
            goal = next((r.version for r in reversed(releases) if r.release_id == to), None)
        if goal is None:
            what = f"version or release {to}" if to else f"release before version {current}"
            return Move(key, name, alias, current, None, weights, error=f"no {what} exists for {name}")
        if goal == current and not weights:
            return Move(key, name, alias, current, goal, weights)
        try:
            lam.set_alias_version(name, alias, version=goal, weights={}, revision_id=live.get("RevisionId"))
        except FnError as exc:
            return Move(key, name, alias, current, None, weights, error=exc.render())
        return Move(key, name, alias, current, goal, weights, aborted_shift=aborted)

    return _parallel(move, targets)
