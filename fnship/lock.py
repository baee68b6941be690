"""One deploy at a time: a lease per service and stage, taken atomically in AWS and renewed by its holder.

The lock is an SSM parameter created only if absent (PutParameter without Overwrite: atomic), holding who, when,
which command and when the lease ends. The holder renews the lease (`held()` runs a renewer thread) every
RENEW_EVERY_S while it works, however long a traffic shift takes; a holder that died, lost its network or its
credentials stops renewing, and its lease ends within LEASE_S. An ended lease is taken over by the next deploy
(`--wait-lock` waits for it), which says whose it was. `fn unlock` breaks a lease by hand.

Taking over an ended lease is a delete then a create, and SSM has no conditional delete: two deploys that both
saw the same ended lease could otherwise each delete what the other just created. So the taker first creates a
takeover marker (PutParameter without Overwrite again): one of them wins it, checks the lease is still the ended
one, deletes it, then races everyone through the atomic create. Exactly one deploy proceeds.

Time is read from the clocks of the machines that deploy: see the README ("Clock skew") for what a skew can do.
Time, sleep and the renewer's wait are injected, so leases are tested in milliseconds. Uses AWS only through
`aws.ssm`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from fnship.errors import FnError
from fnship.jsonvalue import JsonObject
from fnship.model.resources import ownership_tags

if TYPE_CHECKING:
    from fnship.aws import Aws

LEASE_S = 120.0  # short: a dead holder blocks the next deploy for at most this long
RENEW_EVERY_S = LEASE_S / 4  # three renewals in a row may fail (a network blip) before the lease ends
TAKEOVER_MARKER_S = 30.0  # a takeover marker older than this was left by a taker that died half-way
RELEASE_ATTEMPTS = 3
RELEASE_BACKOFF_S = 1.0  # then 2 s: a refused write (throttling, a network blip) often passes a moment later
POLL_S = 5.0
DEFAULT_TTL_S = LEASE_S  # the old name: a lock is a lease now


@dataclass(frozen=True)
class LockInfo:
    id: str
    who: str
    command: str
    acquired: float  # epoch seconds
    expires: float  # the lease's end; moves forward at each renewal

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def to_dict(self) -> JsonObject:
        fields: JsonObject = {"id": self.id, "who": self.who, "command": self.command, "acquired": self.acquired,
                              "expires": self.expires}  # fmt: skip
        return {**fields, "acquired_at": _iso(self.acquired), "expires_at": _iso(self.expires)}

    def describe(self) -> str:
        return f"{self.who} since {_iso(self.acquired)} ({self.command}), expires {_iso(self.expires)}"


class LockHeld(FnError):
    def __init__(self, name: str, holder: LockInfo | None) -> None:
        who = holder.describe() if holder else "someone (the lock could not be read)"
        super().__init__(
            f"another deploy holds the lock {name}: {who}",
            hint=f"wait for it (fn deploy --wait-lock SECONDS; a lease no longer renewed ends within {LEASE_S:.0f} s "
            "and is taken over), or break it with `fn unlock`",
        )
        self.holder = holder


class ReleaseFailed(FnError):
    """The lease could not be deleted (every attempt refused); it ends by itself unless renewed."""

    def __init__(self, name: str, lock: LockInfo, cause: BaseException, unlock_command: str) -> None:
        reason = cause.message if isinstance(cause, FnError) else str(cause)
        super().__init__(
            f"could not release the deploy lock {name} after {RELEASE_ATTEMPTS} attempts: {reason}",
            hint=f"it ends by itself at {_iso(lock.expires)} (the next deploy with --wait-lock takes it over then); "
            f"to free it now: {unlock_command}",
        )


def lock_name(service: str, stage: str) -> str:
    return f"/fnship/{service}/{stage}/deploy-lock"


def takeover_name(service: str, stage: str) -> str:
    return f"/fnship/{service}/{stage}/deploy-lock-takeover"


def journal_name(service: str, stage: str) -> str:
    """The journal a running `fn tune` keeps while it holds the lock (fnship/tune.py), so the next lock holder can
    undo what a killed one left. (Named here, with the lock's parameters: a deploy reads it in its first round
    without importing the tuner.)"""
    return f"/fnship/{service}/{stage}/tune-journal"


def ttl_for(total_wait: float) -> float:
    """The lease length. A lease is renewed while its holder works, so a release's own waits (a canary's bake,
    hooks) no longer lengthen it: a long shift simply renews more often."""
    return LEASE_S


def parse(value: str | None) -> LockInfo | None:
    if value is None:
        return None
    try:
        data = json.loads(value)
        return LockInfo(
            str(data["id"]), str(data["who"]), str(data["command"]), float(data["acquired"]), float(data["expires"])
        )
    except (ValueError, KeyError, TypeError):
        return LockInfo("?", "unknown", value[:80], 0.0, 0.0)  # unreadable: treat as ended


def acquire(
    aws: Aws,
    *,
    service: str,
    stage: str,
    who: str,
    command: str,
    ttl: float = LEASE_S,
    wait: float = 0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[LockInfo | None], None] = lambda _holder: None,
    on_takeover: Callable[[LockInfo], None] = lambda _holder: None,
) -> LockInfo:
    """Take the lock, or raise LockHeld naming the holder (after waiting up to `wait` seconds). An ended lease is
    taken over; `on_takeover` is told whose it was."""
    name = lock_name(service, stage)
    deadline = clock() + wait
    waited = False
    ended: LockInfo | None = None  # the ended lease we removed, to say whose it was once ours is in place
    while True:
        now = clock()
        mine = LockInfo(uuid.uuid4().hex, who, command, now, now + ttl)
        if aws.ssm.create_if_absent(
            name, mine.to_json(), description="fnship deploy lock", tags=ownership_tags(service, stage)
        ):
            if ended is not None:
                on_takeover(ended)
            return mine
        raw = aws.ssm.get_or_none(name)
        holder = parse(raw)
        if holder is None:
            continue  # released between our two calls: try again at once
        if holder.expires <= now and _remove_ended(aws, service=service, stage=stage, ended=holder, who=who, now=now):
            ended = holder
            continue
        ended = None  # someone else got in first: what we take later, we take from them
        if now >= deadline:  # (an ended lease another deploy is taking over: that one wins the race)
            raise LockHeld(name, holder)
        if not waited:
            on_wait(holder)
            waited = True
        sleep(min(POLL_S if holder.expires > now else 1.0, max(0.0, deadline - now)))


def _remove_ended(aws: Aws, *, service: str, stage: str, ended: LockInfo, who: str, now: float) -> bool:
    """Delete the ended lease `ended`, if we win its takeover marker and it is still that lease. True: it is gone
    (by us or by whoever took it over before us); False: another taker is at work, try again shortly."""
    name = lock_name(service, stage)
    marker = takeover_name(service, stage)
    claim = json.dumps({"ended": ended.id, "by": who, "at": now})
    if not aws.ssm.create_if_absent(
        marker, claim, description="fnship deploy lock takeover", tags=ownership_tags(service, stage)
    ):
        current = aws.ssm.get_or_none(marker)
        try:
            stale = current is not None and float(json.loads(current)["at"]) + TAKEOVER_MARKER_S <= now
        except (ValueError, KeyError, TypeError):
            stale = True
        if stale and aws.ssm.get_or_none(marker) == current:
            aws.ssm.delete(marker)  # its taker died half-way: clear it for the next attempt
        return False
    try:
        held = parse(aws.ssm.get_or_none(name))
        if held is not None and held.id == ended.id:
            aws.ssm.delete(name)
        return True
    finally:
        aws.ssm.delete(marker)


def renew(
    aws: Aws, *, service: str, stage: str, lock: LockInfo, ttl: float = LEASE_S, clock: Callable[[], float] = time.time
) -> LockInfo | None:
    """Extend our lease to `ttl` from now. None: it is no longer ours (it ended and was taken over, or was broken)
    or it already ended (someone may be taking it over: overwriting it now could undo their takeover)."""
    name = lock_name(service, stage)
    now = clock()
    current = parse(aws.ssm.get_or_none(name))
    if current is None or current.id != lock.id or current.expires <= now:
        return None
    renewed = replace(lock, expires=now + ttl)
    aws.ssm.overwrite(name, renewed.to_json())
    return renewed


class Renewer:
    """Renews a held lease every `every` seconds until stopped, in a daemon thread. A failed renewal (AWS refused,
    the network is down) is tried again at the next tick; if the lease ends meanwhile it is lost, and `on_lost`
    is told once. `wait(seconds, stopped)` waits between ticks and returns True once `stopped` is set (injected:
    tests drive the ticks and the clock)."""

    def __init__(
        self,
        aws: Aws,
        *,
        service: str,
        stage: str,
        lock: LockInfo,
        ttl: float = LEASE_S,
        every: float = RENEW_EVERY_S,
        clock: Callable[[], float] = time.time,
        wait: Callable[[float, threading.Event], bool] | None = None,
        on_lost: Callable[[str], None] = lambda _message: None,
    ) -> None:
        self.aws, self.service, self.stage, self.ttl, self.every = aws, service, stage, ttl, every
        self.clock = clock
        self.lock = lock
        self.lost = False
        self.renewals = 0
        self._stop = threading.Event()
        self._wait = wait or (lambda seconds, stopped: stopped.wait(seconds))
        self._on_lost = on_lost
        self._thread = threading.Thread(target=self._run, name=f"fnship-lease-{lock.id[:8]}", daemon=True)

    def start(self) -> Renewer:
        self._thread.start()
        return self

    def stop(self) -> LockInfo:
        """Stop renewing; returns the lease as last renewed."""
        self._stop.set()
        self._thread.join()
        return self.lock

    def tick(self) -> None:
        """One renewal attempt."""
        try:
            renewed = renew(
                self.aws, service=self.service, stage=self.stage, lock=self.lock, ttl=self.ttl, clock=self.clock
            )
        except FnError:
            return  # refused or unreachable: the next tick tries again, within the lease
        if renewed is None:
            if not self.lost:
                self.lost = True
                self._on_lost(
                    f"lost the deploy lock {lock_name(self.service, self.stage)}: its lease ended before it could be "
                    "renewed (or it was broken); another deploy may run now"
                )
            return
        self.lock = renewed
        self.renewals += 1

    def _run(self) -> None:
        while not self.lost and not self._wait(self.every, self._stop) and not self._stop.is_set():
            self.tick()


def still_ours(aws: Aws, *, service: str, stage: str, lock: LockInfo) -> bool:
    """Whether the lock is still `lock` (not taken over after its lease ended, nor broken): what a release reads
    before it deletes. A holder may read it beside its last work and hand the answer to `release` (`checked`)."""
    current = parse(aws.ssm.get_or_none(lock_name(service, stage)))
    return current is not None and current.id == lock.id


def release(
    aws: Aws,
    *,
    service: str,
    stage: str,
    lock: LockInfo,
    attempts: int = RELEASE_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    unlock_command: str = "fn unlock",
    last: Sequence[Callable[[], None]] = (),
    checked: bool | None = None,
) -> None:
    """Release our lock, retried; one that is no longer ours (taken over after it ended, broken) is left alone.
    Raises ReleaseFailed when every attempt failed. `last` is what the holder does last under the lock: it runs
    beside the read of who holds it (one round trip, not two), and is done before the lock is deleted. `checked`:
    what `still_ours` answered the holder beside its last work (None: it is read now)."""
    with ThreadPoolExecutor(max_workers=max(1, len(last))) as beside:
        jobs = [beside.submit(job) for job in last]

        def finished() -> None:
            wait(jobs)

        try:
            _release(aws, service, stage, lock, attempts=attempts, sleep=sleep, unlock_command=unlock_command,
                     before_delete=finished, checked=checked)  # fmt: skip
        finally:
            wait(jobs)
    for job in jobs:
        job.result()  # (a job that failed says so now, with the lock released)


def _release(
    aws: Aws,
    service: str,
    stage: str,
    lock: LockInfo,
    *,
    attempts: int,
    sleep: Callable[[float], None],
    unlock_command: str,
    before_delete: Callable[[], None] = lambda: None,
    checked: bool | None = None,
) -> None:
    name = lock_name(service, stage)
    for attempt in range(attempts):
        try:
            ours = checked if checked is not None and attempt == 0 else still_ours(aws, service=service, stage=stage,
                                                                                     lock=lock)  # fmt: skip
            if ours:
                before_delete()
                aws.ssm.delete(name)
            return
        except FnError as exc:
            if attempt == attempts - 1:
                raise ReleaseFailed(name, lock, exc, unlock_command) from exc
            sleep(RELEASE_BACKOFF_S * 2**attempt)


def break_lock(aws: Aws, *, service: str, stage: str) -> LockInfo | None:
    """`fn unlock`: remove the lock whoever holds it; returns who held it (None: nobody)."""
    name = lock_name(service, stage)
    holder = parse(aws.ssm.get_or_none(name))
    if holder is not None:
        aws.ssm.delete(name)
    return holder


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def held(
    aws: Aws,
    *,
    service: str,
    stage: str,
    who: str,
    command: str,
    ttl: float = LEASE_S,
    wait: float = 0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_wait: Callable[[LockInfo | None], None] = lambda _holder: None,
    on_takeover: Callable[[LockInfo], None] | None = None,
    say: Callable[[str], None] = say_on_stderr,
    unlock_command: str = "fn unlock",
    renew_every: float = RENEW_EVERY_S,
    renew_wait: Callable[[float, threading.Event], bool] | None = None,
    release_sleep: Callable[[float], None] = time.sleep,
    last: Sequence[Callable[[], None]] = (),
    checked: Callable[[], bool | None] = lambda: None,
) -> Iterator[LockInfo]:
    """The lease for the body of a `with`, renewed in the background while the body runs and released on every
    exit path (errors, Ctrl-C, SIGTERM via the CLI). A release that fails is said with `say` (stderr), naming the
    exact `fn unlock` command; it does not hide the body's own outcome. `say` also tells a takeover and a lost
    lease. `last` (a list the body may still add to) is done beside the release's first read, before the lock is
    deleted (see `release`). `checked` says, once the body is done, whether the body found the lock still ours
    beside its last work (`still_ours`; None: the release reads it)."""

    def said_takeover(ended: LockInfo) -> None:
        say(
            f"Took over the deploy lock: the lease of {ended.who} ({ended.command}) ended "
            f"{_iso(ended.expires)} without a release."
        )

    lock = acquire(aws, service=service, stage=stage, who=who, command=command, ttl=ttl, wait=wait, clock=clock,
                   sleep=sleep, on_wait=on_wait, on_takeover=on_takeover or said_takeover)  # fmt: skip
    renewer = Renewer(
        aws,
        service=service,
        stage=stage,
        lock=lock,
        ttl=ttl,
        every=renew_every,
        clock=clock,
        wait=renew_wait,
        on_lost=say,
    ).start()
    try:
        yield lock
    finally:
        lock = renewer.stop()
        told = checked()
        try:
            release(aws, service=service, stage=stage, lock=lock, sleep=release_sleep, unlock_command=unlock_command,
                    last=list(last), checked=None if renewer.lost else told)  # fmt: skip
        except ReleaseFailed as failed:
            say(f"Warning: {failed.render()}")


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
