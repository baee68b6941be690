"""Golden files pin how a plan reads. Regenerate with FN_UPDATE_GOLDEN=1 after an intended change, and review."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from fnship.cli.views import render_plan
from fnship.kinds.alias import Alias
from fnship.kinds.log_group import LogGroup
from fnship.kinds.role import Role
from fnship.model.iam import LAMBDA_TRUST_POLICY, logs_statement, policy_document
from fnship.model.resources import FunctionScope, Resource, State
from fnship.plan.steps import make_plan
from fnship.secret import Secret
from tests.specs import FUNCTION

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("FN_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def state(*resources: Resource) -> State:
    return State("shop", "prod", "eu-west-1", tuple(resources))


def role(statements: list[dict]) -> Resource:
    spec = Role(
        path="/fnship/shop/prod/",
        trust_policy=policy_document(LAMBDA_TRUST_POLICY["Statement"]),
        inline_policy=policy_document(statements),
        managed_policies=(),
        permissions_boundary=None,
        tags={"fnship:service": "shop", "fnship:stage": "prod"},
    )
    return Resource.of("role.api", "shop-prod-api-eu-west-1-lambdaRole", spec)


def function(memory: int, env: dict) -> Resource:
    spec = replace(FUNCTION, memory_size=memory, code_sha256="abc=", environment=env, timeout=6)
    return Resource.of("function.api", "shop-prod-api", spec)


def alias(code: str, version: str | None) -> Resource:
    scope = FunctionScope(
        "api", "shop-prod-api", "live", "arn:aws:lambda:eu-west-1:123456789012:function:shop-prod-api:live"
    )
    spec = Alias(release={"code_sha256": code}, version=version, publish=True)
    return Resource.of("alias.api.live", "live", spec, scope=scope)


LOGS = logs_statement("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-prod-api")
QUERY = {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t"}


def test_first_deploy_plan(tmp_path):
    plan = make_plan(
        state(role([LOGS]), function(256, {"MODE": "fast", "TOKEN": Secret("hunter2")}), alias("abc=", None)),
        state(),
        release_id="r1",
    )
    text = render_plan(plan)
    assert "hunter2" not in text
    check_golden("plan_create.txt", text)


def test_update_and_destroy_plan():
    old = Resource.of("log_group.gone", "/aws/lambda/shop-prod-gone", LogGroup(retention_days=7, tags={}))
    plan = make_plan(
        state(role([LOGS, QUERY]), function(512, {"MODE": "slow"}), alias("abc=", None)),
        state(role([LOGS]), function(256, {"MODE": "fast", "OLD": "value"}), alias("old=", "3"), old),
        release_id="r2",
    )
    check_golden("plan_update.txt", render_plan(plan))


def test_no_changes_plan():
    same = function(256, {})
    text = render_plan(make_plan(state(same), state(same), release_id="r3"))
    assert text == "shop · stage prod · eu-west-1\n\nNo changes. Live state matches the manifest.\n"


@pytest.mark.parametrize("name", ["plan_create.txt", "plan_update.txt"])
def test_golden_files_end_with_the_count_line(name):
    assert (GOLDEN / name).read_text().rstrip().splitlines()[-1].startswith("Plan: ")
