from __future__ import annotations

from pathlib import Path

import pytest

from fnship.errors import InputError, Location
from fnship.manifest import load_manifest
from fnship.manifest.types import (
    DEFAULT_ARCHITECTURE,
    DEFAULT_EPHEMERAL_MB,
    DEFAULT_MEMORY_MB,
    DEFAULT_RUNTIME,
    DEFAULT_TIMEOUT_S,
    IamSpec,
    PackageSpec,
)

from .conftest import BASE, Env


def test_defaults(env: Env):
    manifest = env.load(BASE)
    assert (manifest.service, manifest.stage, manifest.region) == ("svc", "dev", "us-east-1")
    assert manifest.path == Path("serverless.yml") and manifest.root == Path(".")
    spec = manifest.functions["api"]
    assert spec.name == "svc-dev-api"
    assert (spec.runtime, spec.memory_size, spec.timeout, spec.architecture, spec.ephemeral_storage) == (
        DEFAULT_RUNTIME,
        DEFAULT_MEMORY_MB,
        DEFAULT_TIMEOUT_S,
        DEFAULT_ARCHITECTURE,
        DEFAULT_EPHEMERAL_MB,
    )
    assert spec.description == "" and spec.reserved_concurrency is None and spec.layers == ()
    assert spec.iam == IamSpec() and spec.package == PackageSpec() and spec.log_retention_days is None
    assert manifest.provider.version_functions is True and manifest.provider.deployment_bucket is None
    assert manifest.plugins == () and manifest.notes == () and manifest.custom == {}


def test_provider_settings_flow_into_functions_and_functions_win(env: Env):
    manifest = env.load(
        """\
        service: svc
        provider:
          name: aws
          stage: prod
          region: eu-west-1
          profile: work
          runtime: python3.11
          memorySize: 256
          timeout: 30
          architecture: arm64
          logRetentionInDays: 14
          versionFunctions: false
          deploymentBucket:
            name: my-bucket
            serverSideEncryption: AES256
          environment:
            SHARED: provider
            OVERRIDE: provider
            FLAG: true
            COUNT: 5
            EMPTY:
          tags:
            team: core
            cost: 42
        functions:
          api:
            handler: src/api.handler
            name: custom-api
            description: The API
            runtime: python3.13
            memorySize: 2048
            logRetentionInDays: 30
            reservedConcurrency: 3
            ephemeralStorageSize: 1024
            environment:
              OVERRIDE: function
            tags:
              cost: 7
          worker:
            handler: src/worker.run
        """
    )
    assert (manifest.stage, manifest.region) == ("prod", "eu-west-1")
    provider = manifest.provider
    assert (provider.profile, provider.version_functions, provider.deployment_bucket) == ("work", False, "my-bucket")
    api, worker = manifest.functions["api"], manifest.functions["worker"]
    assert (api.name, api.runtime, api.memory_size, api.timeout, api.architecture) == (
        "custom-api",
        "python3.13",
        2048,
        30,
        "arm64",
    )
    assert (api.description, api.reserved_concurrency, api.ephemeral_storage, api.log_retention_days) == (
        "The API",
        3,
        1024,
        30,
    )
    assert api.environment == {"SHARED": "provider", "OVERRIDE": "function", "FLAG": "true", "COUNT": "5", "EMPTY": ""}
    assert api.tags == {"team": "core", "cost": "7"}
    assert (worker.name, worker.runtime, worker.memory_size, worker.log_retention_days) == (
        "svc-prod-worker",
        "python3.11",
        256,
        14,
    )
    assert worker.environment["OVERRIDE"] == "provider" and worker.tags == {"team": "core", "cost": "42"}
    assert api.raw["reservedConcurrency"] == 3


def test_deployment_bucket_as_a_string(env: Env):
    manifest = env.load("service: svc\nprovider:\n  name: aws\n  deploymentBucket: plain-bucket\n")
    assert manifest.provider.deployment_bucket == "plain-bucket"


def test_package_patterns_and_deprecated_include_exclude(env: Env):
    manifest = env.load(
        """\
        service: svc
        provider:
          name: aws
        package:
          individually: true
          patterns: ['!node_modules/**', 'src/**']
          exclude: [tests/**]
          include: [tests/fixtures/keep.json]
        functions:
          api:
            handler: app.handler
            package:
              artifact: dist/api.zip
              patterns: ['!docs/**']
        """
    )
    assert manifest.package == PackageSpec(
        patterns=("!node_modules/**", "src/**", "!tests/**", "tests/fixtures/keep.json"), individually=True
    )
    assert manifest.functions["api"].package == PackageSpec(patterns=("!docs/**",), artifact="dist/api.zip")
    assert "package.exclude is deprecated: converted to patterns ('!x')" in manifest.notes
    assert "package.include is deprecated: converted to patterns" in manifest.notes


def test_layers_pass_through_arns_names_and_references(env: Env):
    manifest = env.load(
        """\
        service: svc
        provider:
          name: aws
        layers:
          deps:
            path: layer
          other:
            path: other
        functions:
          api:
            handler: app.handler
            layers:
              - arn:aws:lambda:us-east-1:123456789012:layer:deps:3
              - deps
              - Ref: DepsLambdaLayer
              - !Ref OtherLambdaLayer
        """
    )
    spec = manifest.functions["api"]
    assert spec.layers == ("arn:aws:lambda:us-east-1:123456789012:layer:deps:3", "deps")
    assert spec.raw["layers"][2:] == [{"Ref": "DepsLambdaLayer"}, {"Ref": "OtherLambdaLayer"}]
    assert manifest.artifacts.function_layers["api"] == (
        "arn:aws:lambda:us-east-1:123456789012:layer:deps:3",
        "deps",
        "deps",
        "other",
    )
    assert manifest.artifacts.layers["deps"].name == "svc-dev-deps"


def test_image_function_needs_no_handler_and_later_keys_stay_in_raw(env: Env):
    manifest = env.load(
        """\
        service: svc
        provider:
          name: aws
          tracing:
            lambda: true
          ecr:
            images:
              app:
                path: ./
        layers:
          deps:
            path: layer
        functions:
          img:
            image:
              name: app
            url: true
            vpc:
              securityGroupIds: [sg-1]
              subnetIds: [subnet-1]
            tracing: Active
            onError: arn:aws:sns:us-east-1:123456789012:t
            destinations:
              onFailure: arn:aws:sqs:us-east-1:123456789012:q
            maximumRetryAttempts: 0
            maximumEventAge: 60
            kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/k
            provisionedConcurrency: 1
            deploymentSettings:
              type: Canary10Percent5Minutes
              alias: live
            events:
              - sqs:
                  arn: arn:aws:sqs:us-east-1:123456789012:q
                  batchSize: 10
        """
    )
    spec = manifest.functions["img"]
    assert spec.handler is None
    assert spec.raw["deploymentSettings"]["type"] == "Canary10Percent5Minutes"
    assert spec.raw["events"][0]["sqs"]["batchSize"] == 10
    assert manifest.raw["layers"] == {"deps": {"path": "layer"}}
    assert manifest.provider.raw["tracing"] == {"lambda": True}


def test_locator_points_at_keys_and_falls_back_to_the_nearest_ancestor(env: Env):
    manifest = env.load(BASE + "    memorySize: 512\n    events:\n      - sqs: arn:aws:sqs:us-east-1:123456789012:q\n")
    assert manifest.locate(("functions", "api", "memorySize")) == Location("serverless.yml", 7, 17)
    assert manifest.locate(("functions", "api", "events", 0)) == Location("serverless.yml", 9, 9)
    assert manifest.locate(("functions", "api", "timeout")) == Location("serverless.yml", 5, 3)
    assert manifest.locate(("functions", "api", "events", 0, "sqs", "batchSize")) == Location("serverless.yml", 9, 14)
    assert manifest.locate(("nothing",)) == Location("serverless.yml", 1, 1)


def test_locations_use_the_path_as_given(env: Env):
    env.write("svc/serverless.yml", BASE + "    timeout: 0\n")
    with pytest.raises(InputError) as caught:
        load_manifest(Path("svc/serverless.yml"), env={})
    assert (
        str(caught.value) == "svc/serverless.yml:7:14 functions.api.timeout: 0 is below the Lambda minimum of 1 seconds"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "nope.yml: file not found"),
        ("", "nope.yml:1:1 the manifest is empty"),
        ("- a\n- b\n", "nope.yml:1:1 the manifest must be a mapping of keys (service:, provider:, functions: ...)"),
        ("a: [1\n", "nope.yml:2:1 invalid YAML: "),  # then libyaml's or PyYAML's words for "expected ',' or ']'"
    ],
)
def test_unreadable_manifests_are_input_errors(env: Env, content, expected):
    if content is not None:
        env.write("nope.yml", content)
    with pytest.raises(InputError) as caught:
        load_manifest(Path("nope.yml"), env={})
    first_line = str(caught.value.diagnostics[0]).split("\n")[0]
    assert first_line.startswith(expected) if expected.endswith(": ") else first_line == expected
    assert caught.value.exit_code == 2


def test_secret_environment_stays_secret_through_merge(env: Env):
    from fnship.manifest.types import Lookups
    from fnship.secret import Secret

    lookups = Lookups(ssm=lambda name, **where: ("hunter2", True), account_id=lambda **where: "1")
    manifest = env.load(
        "service: svc\nprovider:\n  name: aws\n  environment:\n    TOKEN: ${ssm:/t}\n"
        "functions:\n  api:\n    handler: app.handler\n",
        lookups=lookups,
    )
    token = manifest.functions["api"].environment["TOKEN"]
    assert isinstance(token, Secret) and token.reveal() == "hunter2"
    assert "hunter2" not in repr(manifest) and "hunter2" not in str(manifest.raw)


def test_secret_cannot_become_a_tag_or_name(env: Env):
    from fnship.manifest.types import Lookups

    lookups = Lookups(ssm=lambda name, **where: ("hunter2", True), account_id=lambda **where: "1")
    problems = env.problems(
        "service: svc\nprovider:\n  name: aws\n  tags:\n    t: ${ssm:/t}\n"
        "functions:\n  api:\n    handler: app.handler\n    name: ${ssm:/t}\n",
        lookups=lookups,
    )
    assert problems == [
        "serverless.yml:5:8 provider.tags.t: a tag value must be a string, number or boolean, got (sensitive)",
        "serverless.yml:9:11 functions.api.name: a secret (SecureString) cannot be used here",
    ]


def test_secret_cannot_go_into_an_iam_policy(env: Env):
    from fnship.manifest.types import Lookups

    lookups = Lookups(ssm=lambda name, **where: ("hunter2", True), account_id=lambda **where: "1")
    problems = env.problems(
        "service: svc\nprovider:\n  name: aws\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n"
        "          Action: s3:GetObject\n          Resource: '*'\n          Condition:\n"
        "            StringEquals:\n              aws:PrincipalTag/team: ${ssm:/t}\n"
        "functions:\n  api:\n    handler: app.handler\n",
        lookups=lookups,
    )
    assert problems == [
        "serverless.yml:12:38 provider.iam.role.statements.0.Condition.StringEquals.aws:PrincipalTag/team: "
        "a secret (SecureString) cannot be used here"
    ]
