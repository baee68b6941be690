"""The plan's steps as a graph: what forces a replacement, what AWS deletes with its parent, what a reference and a
shared document make wait. Pure: no AWS."""

from __future__ import annotations

from dataclasses import replace

from fnship.cli.views import render_plan
from fnship.kinds.event_rule import EventRule, RuleTarget
from fnship.kinds.http_api import HttpApi, HttpApiRoute
from fnship.kinds.log_group import LogGroup
from fnship.kinds.permission import Permission
from fnship.kinds.s3 import Bucket
from fnship.model.resources import FunctionScope, Ref, Resource, State
from fnship.plan.diff import REPLACE
from fnship.plan.steps import make_plan


def state(*resources: Resource) -> State:
    return State("svc", "dev", "us-east-1", tuple(resources))


SCOPE = FunctionScope("api", "svc-dev-api", "live", "arn:aws:lambda:r:a:function:svc-dev-api:live")


def rule(name: str, bus: str | None) -> Resource:
    spec = EventRule(schedule="rate(1 hour)", pattern=None, event_bus=bus, state="ENABLED", description="",
                     target=RuleTarget(SCOPE.alias_arn, None, None), tags={})  # fmt: skip
    return Resource.of(
        "trigger.api.schedule.s", name, spec, scope=replace(SCOPE, event_type="schedule", trigger_name="s")
    )


def permission(name: str, source: str | Ref = "arn:s") -> Resource:
    spec = Permission(
        action="lambda:InvokeFunction",
        principal="sns.amazonaws.com",
        source_arn=source,
        source_account=None,
        function_url_auth_type=None,
        invoked_via_function_url=False,
    )
    scope = replace(SCOPE, event_type="sns", trigger_name=name)
    return Resource.of(f"permission.api.sns.{name}", f"fnship-sns-{name}", spec, scope=scope)


def test_a_renamed_rule_is_replaced_the_new_one_first():
    plan = make_plan(state(rule("new-name", None)), state(rule("old-name", None)), release_id="r")
    [change] = plan.changes
    assert (change.action, change.forces_replacement) == (REPLACE, ("name",))
    assert [s.type for s in plan.steps] == ["event_rule.create", "event_rule.delete"]
    assert plan.steps[1].after == (plan.steps[0].key,)
    text = render_plan(plan)
    assert "-/+ trigger.api.schedule.s  (replace new-name)" in text
    assert 'name: "old-name" -> "new-name"  # forces replacement' in text
    assert "Plan: 1 to add, 0 to change, 1 to destroy." in text


def test_what_aws_deletes_with_its_parent_has_no_step_and_says_so():
    api = Resource.of("http_api", "dev-svc", HttpApi(cors=None, default_stage=True, tags={}, id="a1"))
    spec = HttpApiRoute(route_key="GET /", target=SCOPE.alias_arn, payload_format="2.0", authorizer=None, scopes=(),
                        api_id="a1", route_id="r1")  # fmt: skip
    route = Resource.of("trigger.api.httpApi.get", "GET /", spec, scope=SCOPE)
    plan = make_plan(state(), state(api, route), release_id="r")
    assert [(s.type, s.address) for s in plan.steps] == [("http_api.delete", "http_api")]
    assert plan.change("trigger.api.httpApi.get").deleted_with == "http_api"
    assert "- trigger.api.httpApi.get  (destroy GET /, with http_api)" in render_plan(plan)
    # With the API staying, the route's own delete is planned.
    plan = make_plan(state(api), state(api, route), release_id="r")
    assert [(s.type, s.address) for s in plan.steps] == [("http_api_route.delete", "trigger.api.httpApi.get")]


def test_a_reference_waits_for_what_it_refers_to():
    api = Resource.of("http_api", "dev-svc", HttpApi(cors=None, default_stage=True, tags={}))
    statement = permission("t", Ref("http_api", "id", "arn:aws:execute-api:r:a:{value}/*"))
    steps = {s.key: s for s in make_plan(state(api, statement), state(), release_id="r").steps}
    assert steps["permission.api.sns.t permission.create"].after == ("http_api http_api.create",)


def test_statements_of_one_alias_policy_are_made_one_at_a_time():
    plan = make_plan(state(permission("a"), permission("b"), permission("c")), state(), release_id="r")
    keys = [s.key for s in plan.steps]
    assert [s.after for s in plan.steps] == [(), (keys[0],), (keys[1],)]


def test_an_owned_bucket_is_deleted_after_everything_else():
    bucket = Resource.of("bucket.b", "b", Bucket(tags={}))
    group = Resource.of("log_group.api", "/aws/lambda/x", LogGroup(retention_days=None, tags={}))
    plan = make_plan(state(), state(bucket, group), release_id="r")
    assert [s.key for s in plan.steps] == ["log_group.api log_group.delete", "bucket.b s3_bucket.delete"]
    assert plan.steps[-1].after == ("log_group.api log_group.delete",)
