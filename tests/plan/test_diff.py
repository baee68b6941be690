"""Table tests for the diff: desired vs live resources in, changes and steps out. Pure: no AWS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fnship.kinds.alias import Alias
from fnship.kinds.event_source_mapping import StreamMapping
from fnship.kinds.log_group import LogGroup
from fnship.kinds.role import Role
from fnship.model.resources import KNOWN_AFTER_APPLY, FunctionScope, Resource, State
from fnship.plan.diff import CREATE, DELETE, REPLACE, UPDATE, FieldChange, field_changes
from fnship.plan.steps import diff, make_plan
from fnship.secret import Secret
from tests.specs import FUNCTION


def state(*resources: Resource) -> State:
    return State("svc", "dev", "us-east-1", tuple(resources))


def function(**fields) -> Resource:
    return Resource.of("function.api", "svc-dev-api", replace(FUNCTION, **fields))


def role_spec() -> Role:
    return Role(path="/", trust_policy={}, inline_policy=None, managed_policies=(), permissions_boundary=None, tags={})


def alias_scope(key: str, function_name: str) -> FunctionScope:
    return FunctionScope(
        key, function_name, "live", f"arn:aws:lambda:us-east-1:111122223333:function:{function_name}:live"
    )


def alias(release: dict, *, version: str = "1", weights: dict | None = None) -> Resource:
    spec = Alias(release=release, publish=True, version=version, weights=weights or {})
    return Resource.of("alias.api.live", "live", spec, scope=alias_scope("api", "svc-dev-api"))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": 2}, [FieldChange("a", 1, 2)]),
        (None, {"a": 1}, [FieldChange("a", None, 1)]),
        ({"a": 1}, None, [FieldChange("a", 1, None)]),
        (
            {"tags": {"x": "1", "y": "2"}},
            {"tags": {"x": "1", "y": "3", "z": "4"}},
            [FieldChange("tags.y", "2", "3"), FieldChange("tags.z", None, "4")],
        ),
        ({"tags": {"x": "1"}}, {"tags": {}}, [FieldChange("tags.x", "1", None)]),
        ({"environment": {"K": "v"}}, {"environment": {"K": Secret("v")}}, []),
        ({"layers": ["a", "b"]}, {"layers": ["b", "a"]}, [FieldChange("layers", ["a", "b"], ["b", "a"])]),
    ],
    ids=["same", "scalar", "create", "delete", "tags-by-key", "tag-removed", "secret-equal", "order-matters"],
)
def test_field_changes(before, after, expected):
    assert field_changes(before, after) == expected


def test_removed_or_secret_environment_values_are_never_shown_in_clear():
    changes = field_changes(
        {"environment": {"OLD": "hunter2", "TOKEN": "old"}}, {"environment": {"TOKEN": Secret("new")}}
    )
    shown = {c.path: (str(c.before), str(c.after)) for c in changes}
    assert shown == {"environment.OLD": ("(sensitive)", "None"), "environment.TOKEN": ("(sensitive)", "(sensitive)")}


def test_plain_environment_change_shows_both_values():
    [change] = field_changes({"environment": {"A": "1"}}, {"environment": {"A": "2"}})
    assert (change.before, change.after) == ("1", "2")


@pytest.mark.parametrize(
    ("desired", "live", "expected"),
    [
        ([function()], [], [(CREATE, "function.api")]),
        ([function()], [function()], []),
        ([function(memory_size=256)], [function()], [(UPDATE, "function.api")]),
        ([], [function()], [(DELETE, "function.api")]),
    ],
    ids=["create", "unchanged", "update", "orphan-deleted"],
)
def test_diff_actions(desired, live, expected):
    assert [(c.action, c.address) for c in diff(state(*desired), state(*live))] == expected


def test_alias_moves_when_the_served_release_differs_and_its_version_is_unknown():
    [change] = diff(state(alias({"code_sha256": "new"})), state(alias({"code_sha256": "old"}, version="4")))
    assert change.action == UPDATE
    assert change.fields == (FieldChange("version", "4", KNOWN_AFTER_APPLY),)


def test_alias_serving_the_desired_release_is_unchanged():
    assert diff(state(alias({"code_sha256": "same"})), state(alias({"code_sha256": "same"}))) == []


def test_alias_serving_a_release_with_a_secret_is_unchanged():
    # AWS returns the environment in clear; the desired release holds the secret wrapped.
    desired = alias({"environment": {"TOKEN": Secret("s3cr3t")}, "code_sha256": "same"})
    live = alias({"environment": {"TOKEN": "s3cr3t"}, "code_sha256": "same"})
    assert diff(state(desired), state(live)) == []
    [change] = diff(state(desired), state(alias({"environment": {"TOKEN": "old"}, "code_sha256": "same"})))
    assert change.action == UPDATE


def test_alias_left_mid_shift_is_planned_to_finish():
    live = alias({"code_sha256": "same"}, weights={"5": 0.1})
    [change] = diff(state(alias({"code_sha256": "same"})), state(live))
    assert change.action == UPDATE


@pytest.mark.parametrize(
    ("desired_attrs", "expected_steps"),
    [
        ({"code_sha256": "new"}, ["function.update_code"]),
        ({"memory_size": 512}, ["function.update_config"]),
        ({"tags": {"a": "b"}}, ["function.tag"]),
        ({"reserved_concurrency": 5}, ["function.concurrency"]),
        (
            {"code_sha256": "new", "memory_size": 512, "tags": {"a": "b"}},
            ["function.update_code", "function.update_config", "function.tag"],
        ),
    ],
    ids=["code", "config", "tags", "concurrency", "all"],
)
def test_function_update_steps(desired_attrs, expected_steps):
    plan = make_plan(state(function(**desired_attrs)), state(function()), release_id="r1")
    assert [s.type for s in plan.steps] == expected_steps


def test_steps_follow_depends_on_and_deletes_go_in_reverse():
    role = Resource.of("role.api", "r", role_spec())
    group = Resource.of("log_group.api", "/aws/lambda/f", LogGroup(retention_days=7, tags={}))
    new_function = replace(function(), depends_on=("log_group.api", "role.api"))
    new_alias = replace(alias({}), depends_on=("function.api",))
    old_role = Resource.of("role.old", "o", role_spec())
    old_function = Resource.of("function.old", "f-old", FUNCTION)
    old_alias = Resource.of("alias.old.live", "live", Alias(release={}), scope=alias_scope("old", "f-old"))
    plan = make_plan(
        state(group, role, new_function, new_alias), state(old_role, old_function, old_alias), release_id="r1"
    )
    steps = {s.key: s for s in plan.steps}
    assert sorted(steps) == [
        "alias.api.live alias.set",
        "alias.api.live version.publish",
        "function.api function.create",
        "function.old function.delete",
        "log_group.api log_group.create",
        "role.api role.create",
        "role.api role.policies",
        "role.old role.delete",
    ]
    # The order is topological: every step comes after the ones it waits for.
    seen: set[str] = set()
    for step in plan.steps:
        assert set(step.after) <= seen
        seen.add(step.key)
    assert set(steps["function.api function.create"].after) == {
        "log_group.api log_group.create",
        "role.api role.create",
    }
    # The function is created once its role exists, beside the role's policies (one round, not two); its version
    # and alias (what runs it) wait for the policies too.
    assert steps["role.api role.policies"].after == ("role.api role.create",)
    assert set(steps["alias.api.live version.publish"].after) == {
        "function.api function.create",
        "role.api role.policies",
    }
    # A function's role goes after the function; the alias goes with its function (no step of its own).
    assert steps["role.old role.delete"].after == ("function.old function.delete",)
    assert steps["function.old function.delete"].after == ()
    assert plan.change("alias.old.live").deleted_with == "function.old"
    assert plan.counts() == {"create": 4, "update": 0, "delete": 3}


@pytest.mark.parametrize("fields", [{"tracing": "Active"}, {"dead_letter_arn": "arn:aws:sqs:us-east-1:1:dlq"}])
def test_a_function_lambda_checks_the_roles_permissions_for_waits_for_the_policies(fields):
    """Lambda refuses to create a function with active tracing, a dead-letter target or a VPC while its role lacks
    the permissions they need: such a function waits for the new role's policies, not just the role."""
    role = Resource.of("role.api", "r", role_spec())
    new_function = replace(function(**fields), depends_on=("role.api",))
    new_alias = replace(alias({}), depends_on=("function.api",))
    steps = {s.key: s for s in make_plan(state(role, new_function, new_alias), state(), release_id="r1").steps}
    assert steps["function.api function.create"].after == ("role.api role.policies",)
    assert steps["alias.api.live version.publish"].after == ("function.api function.create",)


def stream_mapping(**fields) -> Resource:
    spec = StreamMapping(
        source_arn="arn:s",
        function_arn="arn:f:live",
        batch_size=1,
        maximum_batching_window=0,
        function_response_types=(),
        enabled=True,
        filter_patterns=(),
        starting_position="LATEST",
        starting_position_timestamp=None,
        bisect_batch_on_function_error=False,
        maximum_retry_attempts=-1,
        maximum_record_age=-1,
        parallelization_factor=1,
        tumbling_window=None,
        on_failure=None,
    )
    scope = FunctionScope("api", "svc-dev-api", "live", "arn:f:live", "stream", "s")
    return Resource.of("trigger.api.stream.s", "arn:s", replace(spec, **fields), scope=scope)


def test_a_field_aws_cannot_change_in_place_plans_a_replacement():
    live = stream_mapping(uuid="u-1")
    want = stream_mapping(starting_position="TRIM_HORIZON", batch_size=2)
    plan = make_plan(state(want), state(live), release_id="r1")
    [change] = plan.changes
    assert change.action == REPLACE
    assert change.forces_replacement == ("starting_position",)
    assert {f.path: (f.before, f.after) for f in change.fields} == {
        "batch_size": (1, 2),
        "starting_position": ("LATEST", "TRIM_HORIZON"),
    }
    assert [s.type for s in plan.steps] == ["event_source_mapping.delete", "event_source_mapping.create"]
    assert plan.counts() == {"create": 1, "update": 0, "delete": 1}
    # A field that changes in place stays an update; what AWS assigned (the UUID) is not compared.
    assert make_plan(state(stream_mapping(batch_size=2)), state(live), release_id="r").changes[0].action == UPDATE
    assert make_plan(state(stream_mapping()), state(live), release_id="r").changes == ()
