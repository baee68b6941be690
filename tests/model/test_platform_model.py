"""Desired state of issue 13's settings: the roles they add (scoped, with the provider's permissions boundary),
what each resource depends on. Pure: no AWS."""

from __future__ import annotations

from pathlib import Path

from fnship.kinds.function import LambdaFunction
from fnship.kinds.role import Role
from fnship.kinds.scheduler import Schedule
from fnship.model.address import Address
from tests.model.test_build import desired

SERVICE = """\
service: shop
provider:
  name: aws
  region: eu-west-1
  runtime: python3.13
  iam:
    role:
      permissionsBoundary: arn:aws:iam::111122223333:policy/boundary
  vpc: {subnetIds: [subnet-1], securityGroupIds: [sg-1]}
  capacityProviders:
    fleet: {}
functions:
  api:
    handler: app.handler
    durableConfig: {executionTimeout: 600}
    events:
      - schedule: {method: scheduler, rate: rate(1 hour)}
  batch:
    handler: app.handler
    memorySize: 2048
    capacityProvider: {name: fleet, scaling: {min: 1, max: 4}}
"""


def test_the_roles_issue_13_adds_carry_the_boundary_and_the_dependencies_are_planned(tmp_path: Path):
    state = desired(tmp_path, SERVICE)
    scheduler = state.get(Address.scheduler_role("api"))
    operator = state.get(Address.operator_role("fleet"))
    assert scheduler is not None and operator is not None
    boundary = "arn:aws:iam::111122223333:policy/boundary"
    assert scheduler.spec_as(Role).permissions_boundary == operator.spec_as(Role).permissions_boundary == boundary
    schedule = state.get(Address.trigger("api", "scheduler", "api-schedule"))
    assert schedule is not None and schedule.spec_as(Schedule).target.arn.endswith(":function:shop-dev-api:live")
    assert set(schedule.depends_on) == {"schedule_group", "alias.api.live", "role.api.scheduler"}
    batch = state.get(Address.function("batch"))
    assert batch is not None and "capacity_provider.fleet" in batch.depends_on
    managed = batch.spec_as(LambdaFunction).capacity_provider
    assert managed is not None
    assert managed.capacity_provider == "arn:aws:lambda:eu-west-1:111122223333:capacity-provider:shop-dev-fleet"
    scaling = state.get(Address.function_scaling("batch"))
    assert scaling is not None and scaling.depends_on == ("alias.batch.live",)
    api = state.get(Address.function("api"))
    assert api is not None and api.spec_as(LambdaFunction).durable_execution
