"""The executor runs the plan's graph: independent steps at the same time, each after what it waits for, and at
the first failure it starts nothing new and says what completed, failed and did not run. Against a recording
double of fnship's own adapter interface (no AWS needed for the scheduling)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from fnship.errors import AwsError
from fnship.executor import apply_plan
from fnship.kinds.log_group import LogGroup
from fnship.model.resources import Resource, State
from fnship.plan.steps import make_plan


class Logs:
    """The `aws.logs` adapter: records calls; `fail` names log groups whose creation fails; `gate` is waited on
    by every create (a barrier proves steps run at the same time)."""

    def __init__(self, fail: frozenset[str] = frozenset(), gate: threading.Barrier | None = None) -> None:
        self.created: list[str] = []
        self.fail = fail
        self.gate = gate
        self._lock = threading.Lock()

    def create_log_group(self, name: str, *, tags: dict, log_group_class: str | None = None) -> None:
        if self.gate is not None:
            self.gate.wait()
        if name in self.fail:
            raise AwsError(resource=name, action="CreateLogGroup", code="LimitExceededException", detail="no")
        with self._lock:
            self.created.append(name)

    def set_retention(self, name: str, days: int) -> None:
        pass


def group(key: str, *depends: str) -> Resource:
    return Resource.of(f"log_group.{key}", key, LogGroup(retention_days=None, tags={}), depends_on=depends)


def plan_of(*resources: Resource):
    return make_plan(State("svc", "dev", "us-east-1", resources), State("svc", "dev", "us-east-1", ()), release_id="r")


def test_independent_steps_run_at_the_same_time():
    logs = Logs(gate=threading.Barrier(3, timeout=10))
    result = apply_plan(plan_of(group("a"), group("b"), group("c")), SimpleNamespace(logs=logs), description="d")
    assert result.ok
    assert sorted(logs.created) == ["a", "b", "c"]


def test_a_step_runs_after_what_it_depends_on():
    logs = Logs()
    plan = plan_of(group("c", "log_group.b"), group("b", "log_group.a"), group("a"))
    result = apply_plan(plan, SimpleNamespace(logs=logs), description="d")
    assert result.ok
    assert logs.created == ["a", "b", "c"]


def test_the_first_failure_stops_what_depends_on_it_and_reports_everything():
    logs = Logs(fail=frozenset({"a"}))
    events: list[tuple[str, str]] = []
    plan = plan_of(group("a"), group("b", "log_group.a"), group("c", "log_group.b"))
    result = apply_plan(
        plan, SimpleNamespace(logs=logs), description="d", reporter=lambda e, s: events.append((e, s.address))
    )
    assert not result.ok
    assert result.failed is not None and result.failed.address == "log_group.a"
    assert result.error is not None and result.error.code == "LimitExceededException"
    assert result.completed == []
    assert [s.address for s in result.not_run] == ["log_group.b", "log_group.c"]
    assert ("failed", "log_group.a") in events and ("start", "log_group.b") not in events


def test_after_a_failure_nothing_new_starts():
    # One at a time, so which steps had started when `a` failed is certain.
    logs = Logs(fail=frozenset({"a"}))
    result = apply_plan(plan_of(group("a"), group("b"), group("c")), SimpleNamespace(logs=logs), description="d",
                        parallel=1)  # fmt: skip
    assert [s.address for s in result.not_run] == ["log_group.b", "log_group.c"]
    assert logs.created == []


class Gated(Logs):
    """Creates of the log groups in `held` wait (up to 10 s) until `told` is set: whether the caller was told
    while they still ran."""

    def __init__(self, held: frozenset[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.held = held
        self.told = threading.Event()
        self.waited: list[tuple[str, bool]] = []

    def create_log_group(self, name: str, *, tags: dict, log_group_class: str | None = None) -> None:
        if name in self.held:
            self.waited.append((name, self.told.wait(timeout=10)))
        super().create_log_group(name, tags=tags, log_group_class=log_group_class)


def test_the_caller_is_told_once_while_the_last_steps_run():
    """`beside_last` hears, once, which steps are still running when nothing is left to start (what a deploy
    writes beside the last round of calls instead of after it), and before those steps end."""
    logs = Gated(frozenset({"b", "c"}))
    told: list[list[str]] = []

    def beside_last(running, outputs):
        told.append(sorted(step.address for step in running))
        logs.told.set()

    plan = plan_of(group("a"), group("b", "log_group.a"), group("c", "log_group.a"))
    result = apply_plan(plan, SimpleNamespace(logs=logs), description="d", beside_last=beside_last)
    assert result.ok
    assert told == [["log_group.b", "log_group.c"]]
    assert sorted(logs.waited) == [("b", True), ("c", True)]


def test_after_a_failure_the_caller_is_not_told():
    logs = Logs(fail=frozenset({"a"}))
    told = []
    plan = plan_of(group("a"), group("b", "log_group.a"))
    result = apply_plan(plan, SimpleNamespace(logs=logs), description="d",
                        beside_last=lambda running, outputs: told.append(running))  # fmt: skip
    assert not result.ok and told == []
