"""Sample events, one per trigger type, shaped like the ones AWS sends (`fn event TYPE`, `fn invoke --event`).

Pure: no AWS, no filesystem. Each trigger type's module (fnship/triggers) names its sample builders; an unknown
type is an input error naming the known ones. Shapes follow the AWS docs linked on each builder (and `sam local
generate-event`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fnship.errors import InputError
from fnship.jsonvalue import JsonObject

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Where:
    """What makes a sample look like it came from this account and region, at this time."""

    region: str = "us-east-1"
    account_id: str = ACCOUNT
    now_ms: int = 1_700_000_000_000

    @property
    def iso(self) -> str:
        import datetime as dt

        moment = dt.datetime.fromtimestamp(self.now_ms / 1000, tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stable_id(seed: str) -> str:
    """A stable UUID-shaped id, so a sample is the same every time for the same inputs."""
    return str(uuid.UUID(hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()))  # noqa: S324 - not for security


def samples() -> dict[str, Callable[[Where], JsonObject]]:
    """Sample name -> builder, from each trigger type's module (fnship/triggers)."""
    from fnship.triggers import TRIGGERS  # imported here: the trigger modules build on `Where` and `stable_id`

    return {name: build for trigger in TRIGGERS.values() for name, build in (trigger.samples or {}).items()}


def sample_event(kind: str, where: Where | None = None) -> JsonObject:
    known = samples()
    builder = known.get(kind)
    if builder is None:
        raise InputError(f"unknown event type {kind!r}", hint=f"choose one of: {', '.join(known)}")
    return builder(where or Where())
