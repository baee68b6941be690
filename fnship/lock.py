"""One deploy at a time: a lock per service and stage, taken atomically in AWS.

The lock is an SSM parameter created only if absent (PutParameter without Overwrite), holding who, when, which
command and when it expires. A lock past its expiry is stale and is taken over; `fn unlock` breaks one by hand.
Time and sleep are injected. Uses fnship.aws only through `aws.ssm`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from fnship.errors import FnError
from fnship.model.resources import ownership_tags

DEFAULT_TTL_S = 3600
MARGIN_S = 900  # added to a release's own waits: hooks, publishing, slow AWS
POLL_S = 5.0


@dataclass(frozen=True)
class LockInfo:
    id: str
    who: str
    command: str
    acquired: float  # epoch seconds
    expires: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "acquired_at": _iso(self.acquired), "expires_at": _iso(self.expires)}

    def describe(self) -> str:
        return f"{self.who} since {_iso(self.acquired)} ({self.command}), expires {_iso(self.expires)}"


class LockHeld(FnError):
    def __init__(self, name: str, holder: LockInfo | None) -> None:
        who = holder.describe() if holder else "someone (the lock could not be read)"
        super().__init__(
            f"another deploy holds the lock {name}: {who}",
            hint="wait for it (fn deploy --wait-lock SECONDS), or if it is stale, break it with `fn unlock`",
        )
        self.holder = holder


def lock_name(service: str, stage: str) -> str:
    return f"/fnship/{service}/{stage}/deploy-lock"


def ttl_for(total_wait: float) -> float:
    return max(DEFAULT_TTL_S, total_wait + MARGIN_S)


def parse(value: str | None) -> LockInfo | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
        return LockInfo(
            str(data["id"]), str(data["who"]), str(data["command"]), float(data["acquired"]), float(data["expires"])
        )
    except (ValueError, KeyError, TypeError):
        return LockInfo("?", "unknown", value[:80], 0.0, 0.0)  # unreadable: treat as expired


def acquire(
    aws: Any,
    *,
    service: str,
    stage: str,
    who: str,
    command: str,
    ttl: float = DEFAULT_TTL_S,
    wait: float = 0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[LockInfo | None], None] = lambda _holder: None,
) -> LockInfo:
    """Take the lock, or raise LockHeld naming the holder (after waiting up to `wait` seconds)."""
    name = lock_name(service, stage)
    deadline = clock() + wait
    waited = False
    while True:
        now = clock()
        mine = LockInfo(uuid.uuid4().hex, who, command, now, now + ttl)
        if aws.ssm.create_if_absent(
            name, mine.to_json(), description="fnship deploy lock", tags=ownership_tags(service, stage)
        ):
            return mine
        raw = aws.ssm.get_or_none(name)
        holder = parse(raw)
        if holder is None:
            continue  # released between our two calls: try again at once
        if holder.expires <= now:
            # Stale: delete it only if it is still the one we read, then race for it like everyone else.
            if aws.ssm.get_or_none(name) == raw:
                aws.ssm.delete(name)
            continue
        if now >= deadline:
            raise LockHeld(name, holder)
        if not waited:
            on_wait(holder)
            waited = True
        sleep(min(POLL_S, max(0.0, deadline - now)))


def release(aws: Any, *, service: str, stage: str, lock: LockInfo) -> None:
    """Release our lock; one that is no longer ours (taken over after expiry, broken) is left alone."""
    name = lock_name(service, stage)
    current = parse(aws.ssm.get_or_none(name))
    if current is not None and current.id == lock.id:
        aws.ssm.delete(name)


def break_lock(aws: Any, *, service: str, stage: str) -> LockInfo | None:
    """`fn unlock`: remove the lock whoever holds it; returns who held it (None: nobody)."""
    name = lock_name(service, stage)
    holder = parse(aws.ssm.get_or_none(name))
    if holder is not None:
        aws.ssm.delete(name)
    return holder


@contextlib.contextmanager
def held(aws: Any, *, service: str, stage: str, **kwargs: Any) -> Iterator[LockInfo]:
    """The lock for the body of a `with`, released on every exit path (errors, Ctrl-C, SIGTERM via the CLI)."""
    lock = acquire(aws, service=service, stage=stage, **kwargs)
    try:
        yield lock
    finally:
        release(aws, service=service, stage=stage, lock=lock)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
