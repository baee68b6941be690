"""Which layers a service and stage own, against the moto server: exact ownership (never a name prefix another
stage shares), and every declared layer published whether or not a function uses it."""

from __future__ import annotations

import json

from tests.conftest import HELLO_HANDLER

STAGES = ("dev", "dev-feature1", "prod-eu")

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python3.11
package:
  patterns:
    - "!moto_recording"
layers:
  shared:
    path: layer
functions:
  hello:
    handler: handler.hello
    layers:
      - shared
"""


def _layer_versions(moto, name: str) -> list[dict]:
    return moto.client("lambda").list_layer_versions(LayerName=name)["LayerVersions"]


def test_stages_sharing_a_name_prefix_keep_their_own_layers(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", SERVICE)
    for stage in STAGES:
        result = project.fn("deploy", "--stage", stage, "--yes")
        assert result.exit_code == 0, result.stderr
    for stage in STAGES:
        assert len(_layer_versions(moto, f"demo-{stage}-shared")) == 1, stage

    # `dev`'s plan neither claims `dev-feature1`'s layer (`demo-dev-` + `feature1-shared`) nor any other stage's.
    plan = project.fn("plan", "--stage", "dev", "--json")
    assert plan.exit_code == 0, plan.stderr
    assert plan.json["plan"]["changes"] == []

    project.write("layer/helpers.py", "X = 2\n")
    again = project.fn("deploy", "--stage", "dev", "--yes")
    assert again.exit_code == 0, again.stderr
    assert len(_layer_versions(moto, "demo-dev-shared")) == 2
    removed = project.fn("remove", "--stage", "dev", "--yes")
    assert removed.exit_code == 0, removed.stderr

    assert _layer_versions(moto, "demo-dev-shared") == []
    project.write("layer/helpers.py", "X = 1\n")  # what the other stages deployed
    for stage in ("dev-feature1", "prod-eu"):
        assert len(_layer_versions(moto, f"demo-{stage}-shared")) == 1, stage
        function = moto.client("lambda").get_function(FunctionName=f"demo-{stage}-hello")["Configuration"]
        published = _layer_versions(moto, f"demo-{stage}-shared")[0]["LayerVersionArn"]
        assert [layer["Arn"] for layer in function["Layers"]] == [published]
        plan = project.fn("plan", "--stage", stage, "--json")
        assert plan.exit_code == 0, plan.stderr
        assert plan.json["plan"]["changes"] == [], stage


def test_a_layer_left_out_of_the_manifest_is_destroyed_in_its_own_stage_only(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("old/old.py", "Y = 1\n")
    with_old = SERVICE.replace("layers:\n  shared:", "layers:\n  old:\n    path: old\n  shared:")
    project.write("serverless.yml", with_old)
    for stage in ("dev", "dev-feature1"):
        assert project.fn("deploy", "--stage", stage, "--yes").exit_code == 0

    project.write("serverless.yml", SERVICE)
    plan = project.fn("plan", "--stage", "dev", "--json")
    changes = {c["address"]: c["action"] for c in plan.json["plan"]["changes"] if c["kind"] == "layer"}
    assert changes == {"layer.old": "delete"}
    assert project.fn("deploy", "--stage", "dev", "--yes").exit_code == 0
    assert _layer_versions(moto, "demo-dev-old") == []
    assert len(_layer_versions(moto, "demo-dev-feature1-old")) == 1


LAYERS_ONLY = """\
service: libs
provider:
  name: aws
  runtime: python3.11
layers:
  common:
    path: common
    description: shared helpers, used by ARN from other services
"""


def test_a_layers_only_service_publishes_its_layers(moto, project):
    project.write("common/helpers.py", "X = 1\n")
    project.write("serverless.yml", LAYERS_ONLY)
    plan = project.fn("plan", "--json")
    assert plan.exit_code == 0, plan.stderr
    assert {c["address"]: c["action"] for c in plan.json["plan"]["changes"]} == {"layer.common": "create"}
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert len(_layer_versions(moto, "libs-dev-common")) == 1
    assert "No changes" in project.fn("deploy", "--yes").stdout


def test_a_declared_layer_stays_when_its_last_user_goes(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", SERVICE)
    assert project.fn("deploy", "--yes").exit_code == 0

    project.write("serverless.yml", SERVICE.replace("    layers:\n      - shared\n", ""))
    plan = project.fn("plan", "--json")
    changes = {c["address"]: c["action"] for c in plan.json["plan"]["changes"]}
    assert "layer.shared" not in changes
    assert changes["function.hello"] == "update"
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    assert len(_layer_versions(moto, "demo-dev-shared")) == 1


def test_a_layer_name_another_stage_publishes_is_not_taken_over(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", SERVICE)
    assert project.fn("deploy", "--stage", "dev-feature1", "--yes").exit_code == 0

    # Stage `dev`'s layer `feature1-shared` has the physical name of stage `dev-feature1`'s layer `shared`.
    project.write("serverless.yml", SERVICE.replace("shared", "feature1-shared"))
    result = project.fn("plan", "--stage", "dev")
    assert result.exit_code == 1
    assert "layer demo-dev-feature1-shared is published by another service or stage" in result.stderr
    assert "layers.feature1-shared" in result.stderr
    assert len(_layer_versions(moto, "demo-dev-feature1-shared")) == 1


def test_layer_description_round_trip_and_versions_before_the_owner_marker():
    from fnship.kinds.layer import layer_description, layer_owner, parse_layer_description

    owner = layer_owner(service="demo", stage="dev")
    assert owner != layer_owner(service="demo", stage="dev-feature1")
    assert owner != layer_owner(service="demo-dev", stage="feature1")
    text = layer_description("ab" * 32, "shared helpers", owner=owner)
    assert parse_layer_description(text) == ("ab" * 32, owner, "shared helpers")
    assert parse_layer_description(f"fnship sha256:{'ab' * 32} old text") == ("ab" * 32, None, "old text")
    assert parse_layer_description("someone else's layer") == (None, None, "someone else's layer")
    assert len(layer_description("ab" * 32, "x" * 164, owner=owner)) == 256


def test_layers_are_found_by_the_registry_never_by_listing_the_accounts_layers(moto, project):
    """The service's layers are named in its stage's registry (one SSM parameter): a plan reads that and each layer
    by name (no ListLayers); a layer that leaves the manifest is deleted and leaves the registry; `fn remove`
    leaves no registry behind."""
    from tests.moto_calls import action_of

    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("old/old.py", "Y = 1\n")
    project.write("serverless.yml", SERVICE.replace("layers:\n  shared:", "layers:\n  old:\n    path: old\n  shared:"))
    assert project.fn("deploy", "--yes").exit_code == 0
    ssm = moto.client("ssm")
    registry = json.loads(ssm.get_parameter(Name="/fnship/demo/dev/layers")["Parameter"]["Value"])
    assert registry == {"old": "demo-dev-old", "shared": "demo-dev-shared"}

    project.write("serverless.yml", SERVICE)
    moto.start_recording()
    plan = project.fn("plan", "--json")
    actions = [action_of(record) for record in moto.stop_recording()]
    assert plan.exit_code == 0, plan.stderr
    assert "GET /2018-10-31/layers" not in actions  # ListLayers
    changes = {c["address"]: c["action"] for c in plan.json["plan"]["changes"] if c["kind"] == "layer"}
    assert changes == {"layer.old": "delete"}
    assert project.fn("deploy", "--yes").exit_code == 0
    assert _layer_versions(moto, "demo-dev-old") == []
    registry = json.loads(ssm.get_parameter(Name="/fnship/demo/dev/layers")["Parameter"]["Value"])
    assert registry == {"shared": "demo-dev-shared"}

    assert project.fn("remove", "--yes").exit_code == 0
    assert _layer_versions(moto, "demo-dev-shared") == []
    assert ssm.get_parameters(Names=["/fnship/demo/dev/layers"])["InvalidParameters"] == ["/fnship/demo/dev/layers"]


def test_a_layer_published_before_the_registry_is_recorded_by_a_planned_step(moto, project):
    """A layer fnship published before it kept a registry (simulated: the registry deleted) is recorded by a step
    the plan shows, without publishing again; then it is found once it leaves the manifest."""
    project.write("handler.py", HELLO_HANDLER)
    project.write("layer/helpers.py", "X = 1\n")
    project.write("serverless.yml", SERVICE)
    assert project.fn("deploy", "--yes").exit_code == 0
    moto.client("ssm").delete_parameter(Name="/fnship/demo/dev/layers")

    plan = project.fn("plan", "--json")
    (change,) = plan.json["plan"]["changes"]
    assert change["address"] == "layer.shared" and change["action"] == "update"
    assert [step["type"] for step in plan.json["plan"]["steps"]] == ["layer.record"]
    assert project.fn("deploy", "--yes").exit_code == 0
    assert len(_layer_versions(moto, "demo-dev-shared")) == 1  # recorded, not published again
    assert project.fn("plan", "--exit-code").exit_code == 0
    registry = moto.client("ssm").get_parameter(Name="/fnship/demo/dev/layers")["Parameter"]["Value"]
    assert json.loads(registry) == {"shared": "demo-dev-shared"}
