"""Desired state from a manifest: names, IAM derivation, tags. Pure: no AWS."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from fnship.kinds.alias import Alias
from fnship.kinds.role import Role
from fnship.manifest import load_manifest
from fnship.model import names
from fnship.model.build import build_desired


@dataclass(frozen=True)
class FakeArtifact:
    path: Path = Path("/tmp/a.zip")
    code_sha256: str = "c0de="
    size: int = 300


def desired(tmp_path: Path, text: str, **kwargs):
    manifest_path = tmp_path / "serverless.yml"
    manifest_path.write_text(textwrap.dedent(text))
    manifest = load_manifest(manifest_path, env={}, **kwargs)
    artifacts = {key: FakeArtifact() for key in manifest.functions}
    return build_desired(manifest, artifacts, account_id="111122223333")


BASE = """\
service: shop
provider:
  name: aws
  region: eu-west-1
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [sqs:SendMessage]
          Resource: arn:aws:sqs:eu-west-1:111122223333:orders
      managedPolicies:
        - arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess
functions:
  api:
    handler: app.handler
    iam:
      role:
        statements:
          - Effect: Allow
            Action: dynamodb:Query
            Resource: arn:aws:dynamodb:eu-west-1:111122223333:table/t
  worker:
    handler: app.worker
"""


def test_each_function_gets_log_group_role_function_and_alias(tmp_path):
    state = desired(tmp_path, BASE)
    assert [r.address for r in state.resources] == [
        "log_group.api",
        "role.api",
        "function.api",
        "alias.api.live",
        "log_group.worker",
        "role.worker",
        "function.worker",
        "alias.worker.live",
    ]
    function = state.get("function.api")
    assert function.name == "shop-dev-api"
    assert function.attrs["role"] == "arn:aws:iam::111122223333:role/fnship/shop/dev/shop-dev-api-eu-west-1-lambdaRole"
    assert function.depends_on == ("log_group.api", "role.api")


def test_role_policy_is_logs_on_own_group_plus_provider_plus_own_statements_and_no_wildcard(tmp_path):
    state = desired(tmp_path, BASE)
    api = state.get("role.api").spec_as(Role).inline_policy["Statement"]
    worker = state.get("role.worker").spec_as(Role).inline_policy["Statement"]
    assert api[0] == {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/shop-dev-api:*",
    }
    assert [s["Action"] for s in api[1:]] == ["sqs:SendMessage", "dynamodb:Query"]
    assert [s["Action"] for s in worker[1:]] == ["sqs:SendMessage"]
    for statement in api + worker:
        assert "*" not in json.dumps(statement["Action"])
        assert statement["Resource"] != "*"
    assert state.get("role.api").spec_as(Role).managed_policies == ("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",)


def test_an_existing_role_arn_creates_no_role(tmp_path):
    text = (
        BASE.split("  iam:")[0]
        + "  iam:\n    role: arn:aws:iam::111122223333:role/mine\nfunctions:\n  api:\n    handler: app.handler\n"
    )
    state = desired(tmp_path, text)
    assert state.of_kind("role") == []
    assert state.get("function.api").attrs["role"] == "arn:aws:iam::111122223333:role/mine"
    assert state.get("function.api").depends_on == ("log_group.api",)


def test_everything_carries_the_ownership_tags(tmp_path):
    state = desired(tmp_path, BASE, stage="prod")
    for resource in state.resources:
        if resource.kind != "alias":
            assert resource.attrs["tags"]["fnship:service"] == "shop"
            assert resource.attrs["tags"]["fnship:stage"] == "prod"


@pytest.mark.parametrize("key", ["a", "x" * 80])
def test_role_names_fit_iam_and_are_stable(key):
    name = names.role_name(service="shop", stage="prod", function_key=key, region="ap-southeast-2")
    assert len(name) <= 64
    assert name == names.role_name(service="shop", stage="prod", function_key=key, region="ap-southeast-2")


def test_long_role_names_differ_by_hash_when_only_their_tails_differ():
    a = names.role_name(service="shop", stage="prod", function_key="x" * 80 + "a", region="us-east-1")
    b = names.role_name(service="shop", stage="prod", function_key="x" * 80 + "b", region="us-east-1")
    assert a != b and len(a) == len(b) == 64


def test_versionless_service_points_alias_at_latest(tmp_path):
    state = desired(tmp_path, BASE.replace("  region: eu-west-1", "  region: eu-west-1\n  versionFunctions: false"))
    alias = state.get("alias.api.live").spec_as(Alias)
    assert alias.release is None and alias.publish is False


def test_code_over_the_direct_upload_limit_plans_the_deployment_bucket(tmp_path):
    manifest_path = tmp_path / "serverless.yml"
    manifest_path.write_text(textwrap.dedent(BASE))
    manifest = load_manifest(manifest_path, env={})
    big = 60 * 1024 * 1024
    state = build_desired(
        manifest, {"api": FakeArtifact(size=big), "worker": FakeArtifact()}, account_id="111122223333"
    )
    bucket = state.get("deployment_bucket")
    assert bucket is not None and bucket.name == "fnship-deployments-111122223333-eu-west-1"
    api, worker = state.get("function.api"), state.get("function.worker")
    assert api.spec.upload_bucket == bucket.name and "deployment_bucket" in api.depends_on
    assert worker.spec.upload_bucket is None and "deployment_bucket" not in worker.depends_on
    # Small code only: no bucket in the plan at all.
    assert desired(tmp_path, BASE).get("deployment_bucket") is None
