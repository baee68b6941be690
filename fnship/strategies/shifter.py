"""The shifter: moves an alias from the old version to the new one along a schedule, watching alarms, running
hooks, and finalizing or rolling back. Every function of a release shifts in parallel; a release is
all-or-nothing: when one function rolls back, every function goes back to its old version.

Mutates AWS (it is run by the executor's `release.shift` step): alias weights, the per-version errors alarm,
provisioned concurrency, pruning old versions. Time, sleep and progress output are injected.

Lambda allows one additional version in an alias's routing config, and no provisioned concurrency on an alias
with weights: https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fnship.errors import EXIT_INTERRUPTED, AwsError, FnError, RolledBack
from fnship.jsonvalue import JsonValue
from fnship.manifest.release import ReleaseSettings
from fnship.manifest.strategy import schedule
from fnship.releases import after_release, alias_description, prunable

if TYPE_CHECKING:
    from fnship.aws import Aws

RELEASED, ROLLED_BACK, INTERRUPTED, FAILED = "released", "rolled_back", "interrupted", "failed"
DEFAULT_POLL_S = 5.0
ALARM = "ALARM"


@dataclass(frozen=True)
class ShiftJob:
    address: str  # alias.<key>.<alias>
    function: str  # physical function name
    function_key: str
    old_version: str
    new_version: str
    settings: ReleaseSettings
    release: Mapping[str, str | None]  # release id, commit, who: passed to hooks
    revision_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    live_provisioned: int | None = None  # what the alias has before the release (restored on a rollback)
    released: tuple[str, ...] = ()  # the alias's release history before this release (releases.released_history)
    prune: tuple[str, ...] | None = None  # the versions the plan says this release deletes (None: decide here)

    @property
    def alias(self) -> str:
        return self.settings.alias


@dataclass
class Runtime:
    """What the shifter gets from outside: time, sleep, progress, the interrupt policy."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] | None = None  # default: wait on `stop`, so an interrupt wakes us at once
    progress: Callable[[dict[str, JsonValue]], None] = lambda _event: None
    poll: float = DEFAULT_POLL_S
    on_interrupt: str = "rollback"  # or "continue"
    stop: threading.Event = field(default_factory=threading.Event)  # set on Ctrl-C / SIGTERM
    abort: threading.Event = field(default_factory=threading.Event)  # set when any function rolls back

    def nap(self, seconds: float) -> None:
        if self.sleep is not None:
            self.sleep(seconds)
        elif self.stop.is_set():  # interrupted with --on-interrupt continue: the event no longer blocks
            time.sleep(seconds)
        else:
            self.stop.wait(seconds)


@dataclass
class Outcome:
    address: str
    function_key: str
    status: str
    version: str  # what the alias serves now
    old_version: str
    new_version: str
    reason: str = ""
    alarm: str | None = None
    pruned: list[str] = field(default_factory=list)
    error: FnError | None = None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "function": self.function_key,
            "status": self.status,
            "version": self.version,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "reason": self.reason,
            "alarm": self.alarm,
            "pruned": self.pruned,
        }


class _Stop(Exception):
    """Unwinds a shift: the alias goes back to the old version."""

    def __init__(self, status: str, reason: str, alarm: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.alarm = status, reason, alarm


def errors_alarm_name(job: ShiftJob) -> str:
    return f"{_errors_alarm_prefix(job)}{job.new_version}-errors"[:255]


# The form of every per-version errors alarm's name (errors_alarm_name), for finding ones a killed fnship left.
ERRORS_ALARM_NAME = re.compile(r"fnship-.+-v\d+-errors")


def _errors_alarm_prefix(job: ShiftJob) -> str:
    return f"fnship-{job.function}-{job.alias}-v"


class Shifter:
    def __init__(self, aws: Aws, job: ShiftJob, runtime: Runtime) -> None:
        self.aws, self.job, self.runtime = aws, job, runtime
        self.revision = job.revision_id
        self.steps = schedule(job.settings.strategy)
        self.own_alarm: str | None = None
        self.provisioned = job.live_provisioned  # what the alias has now
        # Named alarms already in ALARM before traffic moves: they describe the old version, so they abort this
        # release only after they leave ALARM and fire again (fnship's own alarm watches the new version).
        self.already_firing: set[str] = set()

    # -- progress ------------------------------------------------------------------------------------------
    def emit(self, event: str, **data: JsonValue) -> None:
        self.runtime.progress({"event": event, "function": self.job.function_key, "alias": self.job.alias, **data})

    def remaining_after(self, index: int) -> float:
        return sum(step.wait for step in self.steps[index:])

    # -- alias ---------------------------------------------------------------------------------------------
    def point(self, weight: float) -> None:
        job = self.job
        if weight >= 1.0:
            # The release is complete: the alias records it (and the provisioned concurrency it gets next) in the
            # same call that moves it, so `fn rollback` knows the way back.
            history = after_release(job.released, old=job.old_version, new=job.new_version)
            answer = self.aws.lambda_.set_alias_version(
                job.function,
                job.alias,
                version=job.new_version,
                weights={},
                revision_id=self.revision,
                description=alias_description(provisioned=job.settings.provisioned_concurrency, released=history),
            )
        else:
            answer = self.aws.lambda_.set_alias_version(
                job.function,
                job.alias,
                version=job.old_version,
                weights={job.new_version: round(weight, 4)},
                revision_id=self.revision,
            )
        self.revision = answer.get("RevisionId") or None

    def restore(self) -> None:
        """Back to the old version, its release history and its provisioned concurrency."""
        job = self.job
        answer = self.aws.lambda_.set_alias_version(
            job.function,
            job.alias,
            version=job.old_version,
            weights={},
            revision_id=self.revision,
            description=alias_description(provisioned=job.live_provisioned, released=job.released),
        )
        self.revision = answer.get("RevisionId") or None
        self.provision(job.live_provisioned)

    def provision(self, count: int | None) -> None:
        settle_provisioned(self.aws, self.job.function, self.job.alias, count=count, had=self.provisioned)
        self.provisioned = count

    # -- watching ------------------------------------------------------------------------------------------
    def watched(self) -> list[str]:
        return [*self.job.settings.alarms, *([self.own_alarm] if self.own_alarm else [])]

    def check(self) -> dict[str, str | None]:
        """Alarm states; raises _Stop on an alarm, an interrupt, or another function's rollback."""
        states = self.aws.cloudwatch.alarm_states(self.watched()) if self.watched() else {}
        self.already_firing &= {name for name, state in states.items() if state == ALARM}
        firing = [name for name, state in states.items() if state == ALARM and name not in self.already_firing]
        if firing:
            raise _Stop(ROLLED_BACK, f"alarm {firing[0]} is in ALARM", alarm=firing[0])
        if self.runtime.stop.is_set() and self.runtime.on_interrupt != "continue":
            raise _Stop(INTERRUPTED, "Ctrl-C or SIGTERM")
        if self.runtime.abort.is_set():
            raise _Stop(ROLLED_BACK, "another function of this release rolled back")
        return states

    def bake(self, index: int, seconds: float) -> None:
        clock = self.runtime.clock
        deadline = clock() + seconds
        while True:
            states = self.check()
            left = deadline - clock()
            self.emit(
                "wait",
                weight=self.steps[index].weight,
                remaining=max(0.0, left) + self.remaining_after(index + 1),
                alarms=states,
            )
            if left <= 0:
                return
            self.runtime.nap(min(self.runtime.poll, left))

    def hook(self, phase: str, target: str | None) -> None:
        if not target:
            return
        job = self.job
        payload = {
            "phase": phase,
            "function": job.function,
            "alias": job.alias,
            "version": job.new_version,
            "previousVersion": job.old_version,
            **job.release,
        }
        self.emit("hook", phase=phase, target=target)
        try:
            function_error, body = self.aws.lambda_.invoke_sync(target, json.dumps(payload).encode())
        except AwsError as exc:
            raise _Stop(ROLLED_BACK, f"{phase} hook {target} could not be invoked: {exc.message}") from exc
        if function_error:
            raise _Stop(ROLLED_BACK, f"{phase} hook {target} failed ({function_error}): {_clip(body)}")
        if not _truthy(body):
            raise _Stop(ROLLED_BACK, f"{phase} hook {target} returned {_clip(body) or 'nothing'} (a falsy result)")

    # -- the shift -----------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        job = self.job
        outcome = Outcome(job.address, job.function_key, RELEASED, job.new_version, job.old_version, job.new_version)
        moved = False
        if job.old_version == job.new_version:
            # Nothing new was published (Lambda returns the latest version when nothing changed): just clear
            # the weights a stopped shift left behind.
            self.point(1.0)
            self.provision(job.settings.provisioned_concurrency)
            return outcome
        try:
            self.check_start()
            self.check_alarms_exist()
            if any(step.wait > 0 for step in self.steps):
                self.remove_left_over_alarms()
                self.own_alarm = errors_alarm_name(job)
                self.aws.cloudwatch.put_version_errors_alarm(
                    self.own_alarm, function=job.function, alias=job.alias, version=job.new_version, tags=job.tags
                )
            self.hook("preTraffic", job.settings.pre_traffic)
            weighted = any(step.weight < 1.0 for step in self.steps)
            if weighted and job.live_provisioned:
                # AWS rejects weights on an alias with provisioned concurrency: release it for the shift.
                moved = True  # from here a failure restores the alias, provisioned concurrency included
                self.provision(None)
            started = self.runtime.clock()
            for index, step in enumerate(self.steps):
                self.point(step.weight)
                moved = True
                self.emit(
                    "shift",
                    weight=step.weight,
                    step=index + 1,
                    steps=len(self.steps),
                    remaining=self.remaining_after(index),
                    elapsed=self.runtime.clock() - started,
                )
                if step.wait > 0:
                    self.bake(index, step.wait)
            self.hook("postTraffic", job.settings.post_traffic)
            self.provision(job.settings.provisioned_concurrency)
            self.emit("released", version=job.new_version)
        except _Stop as stop:
            outcome.status, outcome.reason, outcome.alarm = stop.status, stop.reason, stop.alarm
            self.runtime.abort.set()
            self.restore()
            outcome.version = job.old_version
            self.emit(stop.status, version=job.old_version, reason=stop.reason)
        except FnError as error:
            outcome.status, outcome.reason, outcome.error = FAILED, error.message, error
            self.runtime.abort.set()
            conflict = isinstance(error, AwsError) and error.code == "PreconditionFailedException"
            if conflict:
                # Someone else moved the alias: do not fight over it.
                outcome.reason += "; another deploy or rollback moved the alias, fnship left it as it is"
                outcome.version = "unknown (moved by someone else)"
            elif moved:
                try:
                    self.restore()
                    outcome.version = job.old_version
                except FnError as second:
                    outcome.reason += f"; restoring version {job.old_version} also failed: {second.message}"
                    outcome.version = "unknown"
            else:
                outcome.version = job.old_version
            self.emit(FAILED, reason=outcome.reason)
        finally:
            if self.own_alarm:
                self.aws.cloudwatch.delete_alarms([self.own_alarm])
        return outcome

    def check_alarms_exist(self) -> None:
        """A named alarm that does not exist protects nothing (a typo?): stop before any traffic moves.
        Note the ones already firing (see `already_firing`)."""
        if not self.job.settings.alarms:
            return
        states = self.aws.cloudwatch.alarm_states(self.job.settings.alarms)
        missing = [name for name, state in states.items() if state is None]
        if missing:
            raise FnError(
                f"alarm {', '.join(missing)} does not exist in this account and region; no traffic was moved",
                hint="create it, or fix its name under deployment.alarms",
            )
        self.already_firing = {name for name, state in states.items() if state == ALARM}
        if self.already_firing and any(step.wait > 0 for step in self.steps):
            self.emit("already_firing", alarms=sorted(self.already_firing))

    def remove_left_over_alarms(self) -> None:
        """Per-version alarms of earlier shifts of this alias that a killed fnship (SIGKILL) could not remove, so
        a re-run converges. Only names of exactly our form: another function's name may share the prefix."""
        prefix = _errors_alarm_prefix(self.job)
        ours = re.compile(re.escape(prefix) + r"\d+-errors")
        left_over = [name for name in self.aws.cloudwatch.alarm_names(prefix) if ours.fullmatch(name)]
        if left_over:
            self.aws.cloudwatch.delete_alarms(left_over)

    def check_start(self) -> None:
        if self.runtime.stop.is_set() and self.runtime.on_interrupt != "continue":
            raise _Stop(INTERRUPTED, "interrupted before the shift started")


def settle_provisioned(aws: Aws, function: str, alias: str, *, count: int | None, had: int | None) -> None:
    """Provisioned concurrency on the alias: `count` (None: none, removed only when it `had` some)."""
    if count == had:
        return
    if count:
        aws.lambda_.put_provisioned_concurrency(function, alias, count)
    elif had:
        aws.lambda_.delete_provisioned_concurrency(function, alias)


def set_provisioned(
    aws: Aws, function: str, alias: str, count: int | None, *, had: int | None, released: tuple[str, ...]
) -> None:
    """Provisioned concurrency on the alias (None: none), and the alias description marking it, so the live
    reader knows to ask for it (the release history in the description is kept)."""
    settle_provisioned(aws, function, alias, count=count, had=had)
    aws.lambda_.set_alias_description(function, alias, alias_description(provisioned=count, released=released))


def _truthy(body: bytes) -> bool:
    try:
        value = json.loads(body or b"null")
    except ValueError:
        return bool(body.strip())
    return bool(value)


def _clip(body: bytes, limit: int = 200) -> str:
    text = body.decode(errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."


def revert(aws: Aws, job: ShiftJob, outcome: Outcome, reason: str) -> None:
    """Take a released function back to its old version (another function of the release rolled back)."""
    shifter = Shifter(aws, job, Runtime())
    shifter.revision = None
    shifter.provisioned = job.settings.provisioned_concurrency  # what its completed release left on the alias
    shifter.restore()
    outcome.status, outcome.version, outcome.reason = ROLLED_BACK, job.old_version, reason


def prune(aws: Aws, job: ShiftJob) -> list[str]:
    """Delete versions beyond keepVersions; never one an alias points at (or weights) or the rollback target.
    A plan names them (plan/versions.py): then exactly those go."""
    lam = aws.lambda_
    if job.prune is not None:
        for version in job.prune:
            lam.delete_version(job.function, version)
        return list(job.prune)
    versions = [str(v["Version"]) for v in lam.list_versions(job.function)]
    protected = {job.old_version, job.new_version}
    for alias in lam.list_aliases(job.function):
        protected.add(str(alias["FunctionVersion"]))
        protected.update((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
    doomed = prunable(versions, keep=job.settings.keep_versions, protected=protected)
    for version in doomed:
        lam.delete_version(job.function, version)
    return doomed


def run_release(aws: Aws, jobs: list[ShiftJob], runtime: Runtime) -> list[Outcome]:
    """Shift every job in parallel. Ctrl-C in the calling thread sets `runtime.stop` and waits for the restores."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="shift") as pool:
        futures = [pool.submit(Shifter(aws, job, runtime).run) for job in jobs]
        pending = set(futures)
        while pending:
            try:
                _done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            except KeyboardInterrupt:
                runtime.stop.set()
                action = "continuing the shift" if runtime.on_interrupt == "continue" else "restoring old versions"
                runtime.progress({"event": "interrupt", "action": action})
        outcomes = [future.result() for future in futures]
    if any(o.status != RELEASED for o in outcomes):
        for job, outcome in zip(jobs, outcomes, strict=True):
            if outcome.status == RELEASED and outcome.old_version != outcome.new_version:
                revert(aws, job, outcome, "another function of this release rolled back")
                runtime.progress({"event": ROLLED_BACK, "function": job.function_key, "version": job.old_version})
        return outcomes
    for job, outcome in zip(jobs, outcomes, strict=True):
        outcome.pruned = prune(aws, job)
    return outcomes


def release_error(outcomes: list[Outcome]) -> FnError | None:
    """The error a release ends with: a failure (exit 1), an interruption (130), or a rollback (3)."""
    failed = [o for o in outcomes if o.status == FAILED]
    if failed:
        first = failed[0]
        error = FnError(
            f"release failed for {first.function_key}: {first.reason}; alias serves version {first.version}",
            hint=first.error.hint if first.error and first.error.hint else "",
        )
        return error
    interrupted = [o for o in outcomes if o.status == INTERRUPTED]
    if interrupted:
        error = FnError(
            "interrupted: restored " + ", ".join(f"{o.function_key} to version {o.version}" for o in outcomes),
            hint="run fn deploy again to release",
        )
        error.exit_code = EXIT_INTERRUPTED
        return error
    rolled = [o for o in outcomes if o.status == ROLLED_BACK]
    if rolled:
        cause = next((o for o in rolled if o.reason != "another function of this release rolled back"), rolled[0])
        restored = ", ".join(f"{o.function_key} -> version {o.version}" for o in outcomes)
        return RolledBack(
            f"release rolled back: {cause.function_key}: {cause.reason}; restored {restored}",
            hint="fix the cause and deploy again; `fn releases` lists the versions",
        )
    return None
