"""Trigger rendering: addresses, what every trigger targets, permission statements, shared resources. Pure."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from fnship.kinds.rest_api import RestApi
from fnship.manifest import load_manifest
from fnship.model.address import Address
from fnship.model.build import build_desired
from fnship.model.resources import Ref, resolve_refs
from fnship.plan.steps import make_plan

ACCOUNT = "123456789012"
ALIAS = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:svc-dev-api:live"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"


@dataclass
class FakeArtifact:
    path: Path
    code_sha256: str = "sha"
    size: int = 300


def desired(tmp_path: Path, functions: str, provider: str = ""):
    text = "service: svc\nprovider:\n  name: aws\n" + textwrap.indent(textwrap.dedent(provider), "  ")
    text += "functions:\n" + textwrap.indent(textwrap.dedent(functions), "  ")
    (tmp_path / "serverless.yml").write_text(text)
    manifest = load_manifest(tmp_path / "serverless.yml", env={})
    artifacts = {key: FakeArtifact(tmp_path / "x.zip") for key in manifest.functions}
    return build_desired(manifest, artifacts, account_id=ACCOUNT)


ALL = f"""\
api:
  handler: app.main
  url: true
  events:
    - httpApi: GET /todos/{{id}}
    - http: POST items
    - sqs: {QUEUE}
    - sns: alerts
    - s3: uploads-bucket
    - schedule:
        rate: [rate(1 hour), rate(2 hours)]
    - eventBridge:
        pattern: {{source: [a]}}
    - stream: arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks
"""


def test_addresses_follow_the_trigger_scheme(tmp_path):
    state = desired(tmp_path, ALL)
    triggers = sorted(r.address for r in state.resources if r.address.startswith("trigger."))
    assert triggers == [
        "trigger.api.eventBridge.rule",
        "trigger.api.http.post-items",
        "trigger.api.httpApi.get-todos-id",
        "trigger.api.s3.uploads-bucket",
        "trigger.api.schedule.schedule",
        "trigger.api.schedule.schedule-2",
        "trigger.api.sns.alerts",
        "trigger.api.sqs.orders",
        "trigger.api.stream.clicks",
        "trigger.api.url.live",
    ]
    shared = sorted(r.address for r in state.resources if Address(r.address).function_key is None)
    assert shared == ["bucket.uploads-bucket", "http_api", "rest_api", "rest_api.stage.dev", "topic.alerts"]


def test_every_trigger_targets_the_alias(tmp_path):
    state = desired(tmp_path, ALL)
    targets = {
        "http_api_route": lambda r: r.attrs["target"],
        "rest_method": lambda r: r.attrs["target"],
        "sns_subscription": lambda r: r.attrs["endpoint"],
        "s3_notification": lambda r: r.attrs["target"],
        "event_rule": lambda r: r.attrs["target"]["arn"],
        "event_source_mapping": lambda r: r.attrs["function_arn"],
    }
    for kind, target in targets.items():
        for resource in state.of_kind(kind):
            assert target(resource) == ALIAS, resource.address
    for resource in state.of_kind("permission"):
        assert resource.in_scope().alias == "live"


def test_permissions_pin_the_source(tmp_path):
    state = desired(tmp_path, ALL)
    by_address = state.by_address()
    route = by_address["permission.api.httpApi.get-todos-id"].attrs
    assert route["principal"] == "apigateway.amazonaws.com"
    assert route["source_arn"] == Ref(
        "http_api", "id", f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{{value}}/*/GET/todos/*"
    )
    ids = {("http_api", "id"): "abc123"}
    assert resolve_refs(route, lambda address, attribute: ids.get((address, attribute)))["source_arn"] == (
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123/*/GET/todos/*"
    )
    s3 = by_address["permission.api.s3.uploads-bucket"].attrs
    assert (s3["source_arn"], s3["source_account"]) == ("arn:aws:s3:::uploads-bucket", ACCOUNT)
    rule = by_address["permission.api.schedule.schedule-2"].attrs
    assert rule["source_arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/svc-dev-api-schedule-2"
    public = by_address["permission.api.url.live"].attrs
    assert (public["action"], public["principal"], public["function_url_auth_type"]) == (
        "lambda:InvokeFunctionUrl",
        "*",
        "NONE",
    )
    assert by_address["permission.api.url.live-invoke"].attrs["invoked_via_function_url"] is True
    assert not [a for a in by_address if a.startswith(("permission.api.sqs", "permission.api.stream"))]


def test_a_topic_given_by_arn_and_an_existing_bucket_are_not_owned(tmp_path):
    state = desired(
        tmp_path,
        f"""\
        api:
          handler: app.main
          events:
            - sns: arn:aws:sns:us-east-1:{ACCOUNT}:theirs
            - s3:
                bucket: their-bucket
                existing: true
        """,
    )
    assert state.of_kind("sns_topic") == [] and state.of_kind("s3_bucket") == []
    assert state.get("trigger.api.sns.theirs").attrs["topic_arn"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:theirs"


def test_rest_paths_include_ancestors_and_preflights(tmp_path):
    state = desired(
        tmp_path,
        """\
        api:
          handler: app.main
          events:
            - http:
                method: get
                path: a/b/{id}
                cors: true
        """,
    )
    paths = state.get("rest_api").spec_as(RestApi).paths
    assert list(paths) == ["/a", "/a/b", "/a/b/{id}"]
    assert paths["/a"] is None
    assert paths["/a/b/{id}"]["method.response.header.Access-Control-Allow-Methods"] == "'GET,OPTIONS'"


def test_async_settings_make_an_invoke_config_on_the_alias(tmp_path):
    state = desired(
        tmp_path,
        """\
        api:
          handler: app.main
          maximumRetryAttempts: 0
          destinations:
            onFailure: next
        next:
          handler: app.main
        """,
    )
    config = state.get("invoke_config.api")
    assert config.name == "live"
    assert config.attrs == {
        "maximum_retry_attempts": 0,
        "maximum_event_age": 21600,
        "on_success": None,
        "on_failure": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:svc-dev-next:live",
    }
    assert state.get("invoke_config.next") is None


def test_steps_create_permissions_before_triggers_and_deploy_the_rest_stage_last(tmp_path):
    state = desired(tmp_path, ALL)
    plan = make_plan(state, state.with_resources(()), release_id="r")
    order = [step.address for step in plan.steps]
    # A bucket's notification entries are written in one step per bucket (S3 refuses overlapping entries).
    notifications = "bucket.uploads-bucket.notifications"
    assert order.index("permission.api.s3.uploads-bucket") < order.index(notifications)
    assert order.index("bucket.uploads-bucket") < order.index(notifications)
    assert order.index("alias.api.live") < order.index("permission.api.httpApi.get-todos-id")
    assert order[-1] == "rest_api.stage.dev"

    removal = make_plan(state.with_resources(()), state, release_id="r")
    gone = [step.address for step in removal.steps]
    assert gone.index(notifications) < gone.index("permission.api.s3.uploads-bucket")
    assert gone.index("permission.api.s3.uploads-bucket") < gone.index("function.api")
    assert gone[-1] == "bucket.uploads-bucket"


@pytest.mark.parametrize(
    ("mode", "roles"),
    [("perFunction", ["role.api", "role.next"]), ("shared", ["role.shared"])],
)
def test_role_mode(tmp_path, mode, roles):
    state = desired(
        tmp_path,
        "api:\n  handler: app.main\nnext:\n  handler: app.main\n",
        provider=f"iam:\n  role:\n    mode: {mode}\n",
    )
    assert sorted(r.address for r in state.of_kind("role")) == roles
    role_arns = {r.attrs["role"] for r in state.of_kind("function")}
    assert len(role_arns) == len(roles)
