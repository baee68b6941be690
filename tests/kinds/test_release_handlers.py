"""Executor handlers for provisioned concurrency on the alias, and the live reader that reads it back, against the
in-memory adapter double (moto has no provisioned concurrency: see tests/strategies/fakes.py for the AWS docs)."""

from __future__ import annotations

from fnship.kinds import HANDLERS
from fnship.kinds.alias import Alias
from fnship.kinds.alias import provisioned_concurrency as _provisioned
from fnship.kinds.base import Context
from fnship.model.resources import FunctionScope, Resource, State
from fnship.plan.diff import Step
from fnship.plan.steps import make_plan
from tests.strategies.fakes import FakeAws

SCOPE = FunctionScope("api", "svc-dev-api", "live", "arn:aws:lambda:r:111122223333:function:svc-dev-api:live")


def alias(provisioned: int | None) -> Resource:
    spec = Alias(release={"code": "a"}, provisioned_concurrency=provisioned, publish=True, version="1")
    return Resource.of("alias.api.live", "live", spec, scope=SCOPE)


def run(aws, desired: Resource, live: Resource) -> None:
    plan = make_plan(State("svc", "dev", "r", (desired,)), State("svc", "dev", "r", (live,)), release_id="x")
    context = Context(aws=aws, plan=plan, description="d")
    for step in plan.steps:
        HANDLERS[step.type](context, step)


def test_setting_and_removing_provisioned_concurrency_marks_the_alias():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=1)
    run(aws, alias(4), alias(None))
    live = aws.lambda_.aliases[("svc-dev-api", "live")]
    assert live.provisioned == 4 and live.description == "fnship release pointer; provisioned concurrency 4"
    run(aws, alias(None), alias(4))
    assert live.provisioned is None and live.description == "fnship release pointer"


def test_the_live_reader_asks_only_marked_aliases():
    class Lambda:
        asked = 0

        def get_provisioned_concurrency_or_none(self, function, qualifier):
            Lambda.asked += 1
            return {"RequestedProvisionedConcurrentExecutions": 7}

    class Aws:
        lambda_ = Lambda()

    assert _provisioned(Aws(), "f", "live", "fnship release pointer") is None and Lambda.asked == 0
    assert _provisioned(Aws(), "f", "live", "fnship release pointer; provisioned concurrency 7") == 7


def test_alias_set_creates_then_provisions():
    aws = FakeAws()
    aws.lambda_.add("svc-dev-api", versions=1)  # the double's create_alias is not needed: update path
    desired = alias(2)
    live = Resource.of("alias.api.live", "live", Alias(release=None, version="$LATEST"), scope=SCOPE)
    plan = make_plan(State("s", "d", "r", (desired,)), State("s", "d", "r", (live,)), release_id="x")
    context = Context(aws=aws, plan=plan, description="d")
    context.outputs["alias.api.live"] = {"version": "1"}
    HANDLERS["alias.set"](context, Step("alias.set", "alias.api.live"))
    assert aws.lambda_.aliases[("svc-dev-api", "live")].provisioned == 2
