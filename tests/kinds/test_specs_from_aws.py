"""Each kind's typed spec against real AWS answers (the moto server over HTTP): the kind's create handler makes the
resource from the desired spec, the kind's reader parses what AWS answers back into the same type (`from_aws`), and
the kind's differ then finds nothing to change; a change made outside fnship (or in the manifest) shows as the
field it touches, and the kind's update handler converges it."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from fnship.aws import Aws, Target
from fnship.errors import FnError
from fnship.kinds import HANDLERS, KINDS
from fnship.kinds.alarm import Alarm
from fnship.kinds.alias import Alias
from fnship.kinds.artifact_stores import DeploymentBucket, EcrRepository
from fnship.kinds.base import Context
from fnship.kinds.http_api import HttpApi, HttpApiAuthorizer
from fnship.kinds.layer import Layer, registry_name
from fnship.kinds.log_group import LogGroup
from fnship.kinds.rest_api import RestApi, RestStage
from fnship.kinds.role import Role
from fnship.kinds.s3 import Bucket
from fnship.kinds.sns import Topic
from fnship.model import iam
from fnship.model.address import Address
from fnship.model.resources import KNOWN_AFTER_APPLY, FunctionScope, Resource, Spec, State, ownership_tags
from fnship.plan.diff import FieldChange
from fnship.plan.reads import Reads
from fnship.plan.steps import make_plan

OWNER = ("svc", "dev")
TAGS = ownership_tags(*OWNER)
ACCOUNT = "123456789012"  # moto's


@pytest.fixture
def aws(moto) -> Aws:
    return Aws(Target(region="us-east-1"))


def read(aws: Aws, stub: Resource, **known_api_ids: frozenset[str]) -> Resource | None:
    """What the kind's reader makes of AWS's answer (a fresh reading: nothing memoized)."""
    reads = Reads(aws, owner=OWNER)
    reads.known_api_ids = dict(known_api_ids)
    reader = KINDS[stub.kind].read
    assert reader is not None
    found = reader(reads, stub)
    assert len(found) <= 1
    return found[0] if found else None


def apply(aws: Aws, desired: Resource, live: Resource | None, *others: Resource) -> dict[str, dict]:
    """Plan `desired` against `live` (`others` unchanged on both sides) and run the plan's steps with the kinds'
    handlers; what they reported."""
    plan = make_plan(
        State("svc", "dev", "us-east-1", (desired, *others)),
        State("svc", "dev", "us-east-1", (live, *others) if live else others),
        release_id="r",
    )
    assert plan.steps, "nothing to do"
    context = Context(aws=aws, plan=plan, description="d")
    for step in plan.steps:
        HANDLERS[step.type](context, step)
    return context.outputs


def changes(desired: Resource, live: Resource | None) -> list[FieldChange]:
    return KINDS[desired.kind].diff(desired, live)


def round_trip(aws: Aws, desired: Resource, **known_api_ids: frozenset[str]) -> Spec:
    """Create `desired` through its kind, read it back: the same spec (no field to change). The live spec."""
    assert read(aws, desired, **known_api_ids) is None
    outputs = apply(aws, desired, None)
    ids = {kind: frozenset({outputs[desired.address]["id"]}) for kind in known_api_ids}
    live = read(aws, desired, **ids)
    assert live is not None and live.spec is not None
    assert type(live.spec) is type(desired.spec)
    assert changes(desired, live) == []
    return live.spec


def test_log_group(aws):
    desired = Resource.of(Address.log_group("api"), "/aws/lambda/svc-dev-api", LogGroup(retention_days=7, tags=TAGS))
    live = round_trip(aws, desired)
    assert isinstance(live, LogGroup) and live.retention_days == 7 and dict(live.tags) == TAGS
    assert live.arn == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/svc-dev-api"
    # Retention and tags changed in the manifest: an update, which converges.
    wanted = replace(desired, spec=LogGroup(retention_days=30, tags={**TAGS, "team": "a"}))
    before = read(aws, desired)
    assert changes(wanted, before) == [FieldChange("retention_days", 7, 30), FieldChange("tags.team", None, "a")]
    apply(aws, wanted, before)
    assert changes(wanted, read(aws, desired)) == []


def role_spec(statements: list[dict]) -> Role:
    return Role(
        path="/fnship/svc/dev/",
        trust_policy=iam.policy_document(iam.LAMBDA_TRUST_POLICY["Statement"]),
        inline_policy=iam.policy_document(statements),
        managed_policies=(),
        permissions_boundary=None,
        tags={**TAGS, "fnship:function": "api"},
    )


def test_role_and_an_inline_policy_added_outside_fnship(aws, moto):
    logs = iam.logs_statement(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/svc-dev-api")
    desired = Resource.of(Address.role("api"), "svc-dev-api-role", role_spec([logs]))
    live = round_trip(aws, desired)
    assert isinstance(live, Role) and live.arn == f"arn:aws:iam::{ACCOUNT}:role/fnship/svc/dev/svc-dev-api-role"
    assert live.other_inline_policies == {}
    # Someone adds a policy by hand: drift, shown by name, and removed by the update.
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    moto.client("iam").put_role_policy(
        RoleName="svc-dev-api-role", PolicyName="by-hand", PolicyDocument=json.dumps(extra)
    )
    drifted = read(aws, desired)
    assert drifted is not None and set(drifted.spec_as(Role).other_inline_policies) == {"by-hand"}
    [change] = changes(desired, drifted)
    assert (change.path, change.after) == ("other_inline_policies.by-hand", None)
    apply(aws, desired, drifted)
    assert changes(desired, read(aws, desired)) == []


def test_a_role_found_under_the_path_without_our_tags_is_not_ours(aws, moto):
    moto.client("iam").create_role(
        RoleName="theirs", Path="/fnship/svc/dev/", AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST_POLICY)
    )
    assert read(aws, Resource("", "role", "theirs")) is None


def test_topic(aws):
    arn = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
    desired = Resource.of(Address.topic("alerts"), "alerts", Topic(display_name="Alerts", tags=TAGS, arn=arn))
    live = round_trip(aws, desired)
    assert isinstance(live, Topic) and (live.display_name, live.arn) == ("Alerts", arn)
    renamed = replace(desired, spec=replace(desired.spec_as(Topic), display_name="Pages"))
    before = read(aws, desired)
    assert changes(renamed, before) == [FieldChange("display_name", "Alerts", "Pages")]
    apply(aws, renamed, before)
    assert changes(renamed, read(aws, desired)) == []


def test_bucket(aws, moto):
    desired = Resource.of(Address.bucket("svc-dev-uploads"), "svc-dev-uploads", Bucket(tags=TAGS))
    live = round_trip(aws, desired)
    assert isinstance(live, Bucket) and dict(live.tags) == TAGS and live.holds_objects is None


def test_http_api(aws):
    cors = {"AllowOrigins": ["https://example.com"], "MaxAge": 60}
    desired = Resource.of(Address.http_api(), "dev-svc", HttpApi(cors=cors, default_stage=True, tags=TAGS))
    live = round_trip(aws, desired, apis=frozenset())
    assert isinstance(live, HttpApi) and live.id and live.endpoint and live.default_stage
    assert live.cors == {"AllowOrigins": ["https://example.com"], "MaxAge": 60}


def test_rest_api_paths_preflights_and_stage(aws):
    headers = {"method.response.header.Access-Control-Allow-Origin": "'*'"}
    spec = RestApi(endpoint_type="EDGE", paths={"/items": None, "/items/{id}": headers}, tags=TAGS)
    desired = Resource.of(Address.rest_api(), "dev-svc", spec)
    live = round_trip(aws, desired, restapis=frozenset())
    assert isinstance(live, RestApi) and live.id is not None
    assert set(live.resource_ids) == {"/", "/items", "/items/{id}"}
    assert live.paths["/items/{id}"] == headers and live.paths["/items"] is None
    # A path no method needs any more goes; the preflight moves.
    wanted = replace(desired, spec=replace(spec, paths={"/items": headers}))
    before = read(aws, desired, restapis=frozenset({live.id}))
    assert changes(wanted, before) == [
        FieldChange("paths./items", None, headers),
        FieldChange("paths./items/{id}", headers, None),
    ]
    apply(aws, wanted, before)
    assert changes(wanted, read(aws, desired, restapis=frozenset({live.id}))) == []
    # The stage: its deployment carries the revision it was made from.
    stage = Resource.of(Address.rest_stage("dev"), "dev", RestStage(revision="abc123"))
    api = read(aws, desired, restapis=frozenset({live.id}))
    assert api is not None
    apply(aws, stage, None, api)
    deployed = read(aws, stage, restapis=frozenset({live.id}))
    assert deployed is not None and deployed.spec_as(RestStage) == RestStage(revision="abc123", api_id=live.id)
    assert changes(replace(stage, spec=RestStage(revision="def456")), deployed) == [
        FieldChange("revision", "abc123", "def456")
    ]


def test_ecr_repository(aws):
    desired = Resource.of(Address.repository("serverless-svc-dev"), "serverless-svc-dev", EcrRepository(
        scan_on_push=True, tags=TAGS))  # fmt: skip
    live = round_trip(aws, desired)
    assert live == EcrRepository(scan_on_push=True)
    off = replace(desired, spec=EcrRepository(scan_on_push=False, tags=TAGS))
    before = read(aws, desired)
    assert changes(off, before) == [FieldChange("scan_on_push", True, False)]
    apply(aws, off, before)
    assert changes(off, read(aws, desired)) == []


def test_deployment_bucket(aws):
    name = f"fnship-deployments-{ACCOUNT}-us-east-1"
    desired = Resource.of(Address.deployment_bucket(), name, DeploymentBucket(tags=TAGS))
    assert round_trip(aws, desired) == DeploymentBucket()


def test_layer_and_its_registry(aws, tmp_path: Path):
    path = tmp_path / "layer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/lib.py", "X = 1\n")
    spec = Layer(
        content_sha256="c0ffee",
        description="shared libs",
        compatible_runtimes=("python3.12",),
        compatible_architectures=("x86_64",),
        service="svc",
        stage="dev",
        artifact_path=str(path),
        code_sha256="c0ffee-b64",
    )
    desired = Resource.of(Address.layer("libs"), "svc-dev-libs", spec)
    live = round_trip(aws, desired)
    assert isinstance(live, Layer) and (live.content_sha256, live.description) == ("c0ffee", "shared libs")
    assert live.version == 1 and live.arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:svc-dev-libs:1"
    assert live.recorded is True
    assert json.loads(aws.ssm.get_or_none(registry_name(service="svc", stage="dev")) or "{}") == {
        "libs": "svc-dev-libs"
    }
    # Another stage's reading of the same name refuses to take it over.
    other = replace(desired, spec=replace(spec, stage="dev-feature1"))
    with pytest.raises(FnError, match="published by another service or stage"):
        read(aws, other)


def test_alarm(aws, moto):
    name = "fnship-svc-dev-api-live-v2-errors"
    moto.client("cloudwatch").put_metric_alarm(
        AlarmName=name, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    stub = Resource(Address.alarm(name), "alarm", name)
    live = read(aws, stub)
    assert live is not None and live.spec == Alarm(state="OK")
    assert read(aws, Resource(Address.alarm("gone"), "alarm", "gone")) is None


def test_alias_with_its_release_history(aws, moto, tmp_path: Path):
    lam = moto.client("lambda")
    role = moto.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(iam.LAMBDA_TRUST_POLICY))
    path = tmp_path / "code.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.py", "def main(event, context):\n    return 1\n")
    lam.create_function(
        FunctionName="svc-dev-api", Runtime="python3.12", Handler="app.main", Role=role["Role"]["Arn"],
        Code={"ZipFile": path.read_bytes()}, MemorySize=256,
    )  # fmt: skip
    version = lam.publish_version(FunctionName="svc-dev-api")["Version"]
    lam.create_alias(
        FunctionName="svc-dev-api", Name="live", FunctionVersion=version,
        Description=f"fnship release pointer; released {version}",
    )  # fmt: skip
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:svc-dev-api"
    scope = FunctionScope("api", "svc-dev-api", "live", f"{arn}:live")
    live = read(aws, Resource(Address.alias("api", "live"), "alias", "live", scope=scope))
    assert live is not None and live.scope == scope
    spec = live.spec_as(Alias)
    assert (spec.version, spec.released, spec.weights, spec.provisioned_concurrency) == (version, (version,), {}, None)
    assert spec.arn == f"{arn}:live" and spec.release is not None
    assert (spec.release["memory_size"], spec.release["handler"]) == (256, "app.main")
    # The desired alias serving a release with more memory moves it to a version not yet known.
    desired = Resource.of(
        live.address, "live", Alias(release={**spec.release, "memory_size": 512}, publish=True), scope=scope
    )
    assert changes(desired, live) == [FieldChange("version", version, KNOWN_AFTER_APPLY)]
    assert changes(replace(desired, spec=Alias(release=dict(spec.release), publish=True)), live) == []


def test_http_api_authorizer_found_through_the_routes_that_use_it(aws, moto):
    api = Resource.of(Address.http_api(), "dev-svc", HttpApi(cors=None, default_stage=True, tags=TAGS))
    api_id = apply(aws, api, None)[Address.http_api()]["id"]
    jwt = HttpApiAuthorizer(
        type="JWT", identity_source=("$request.header.Authorization",), issuer="https://issuer.example",
        audience=("a", "b"),
    )  # fmt: skip
    desired = Resource.of(Address.http_api_authorizer("auth"), "auth", jwt, depends_on=(Address.http_api(),))
    live_api = read(aws, api, apis=frozenset({api_id}))
    assert live_api is not None
    authorizer_id = apply(aws, desired, None, live_api)[desired.address]["authorizer_id"]
    # GetAuthorizers is not how they are found (the emulator answers it 500): a route names the authorizer.
    moto.client("apigatewayv2").create_route(
        ApiId=api_id, RouteKey="GET /me", AuthorizationType="JWT", AuthorizerId=authorizer_id
    )
    live = read(aws, desired, apis=frozenset({api_id}))
    assert live is not None
    assert live.spec == replace(jwt, api_id=api_id, authorizer_id=authorizer_id)
    assert changes(desired, live) == []
    assert changes(replace(desired, spec=replace(jwt, audience=("a",))), live) == [
        FieldChange("audience", ["a", "b"], ["a"])
    ]
