from __future__ import annotations

import pytest

from fnship.errors import AwsError
from fnship.manifest.types import Lookups
from fnship.secret import Secret

from .conftest import Env


def custom(manifest_text_custom: str, **kwargs) -> str:
    """A valid manifest with the given `custom:` body (2-space indented)."""
    body = "\n".join("  " + line for line in manifest_text_custom.strip("\n").splitlines())
    return f"service: svc\nprovider:\n  name: aws\ncustom:\n{body}\n"


class FakeLookups:
    def __init__(self, params: dict[str, tuple[str, bool]] | None = None, account: str = "123456789012") -> None:
        self.params = params or {}
        self.account = account
        self.ssm_calls: list[str] = []
        self.account_calls = 0
        self.asked_where: list[dict[str, str | None]] = []  # the region and profile of every lookup

    def ssm(self, name: str, *, region: str, profile: str | None) -> tuple[str, bool]:
        self.ssm_calls.append(name)
        self.asked_where.append({"region": region, "profile": profile})
        return self.params[name]

    def account_id(self, *, region: str, profile: str | None) -> str:
        self.account_calls += 1
        self.asked_where.append({"region": region, "profile": profile})
        return self.account

    def lookups(self) -> Lookups:
        return Lookups(ssm=self.ssm, account_id=self.account_id)


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("${self:custom.base}", {}, {"n": 5, "flag": True}),
        ("${self:custom.base.n}", {}, 5),
        ("${self:custom.list.1}", {}, "b"),
        ("${self:provider.name}", {}, "aws"),
        ("${opt:stage}", {"stage": "prod"}, "prod"),
        ("${opt:stage, 'dev'}", {}, "dev"),
        ("${opt:color}", {"options": {"color": "blue"}}, "blue"),
        ("${env:HOME_DIR}", {"env": {"HOME_DIR": "/home/x"}}, "/home/x"),
        ('${env:MISSING, "fallback"}', {}, "fallback"),
        ("${env:MISSING, 5}", {}, 5),
        ("${env:MISSING, 2.5}", {}, 2.5),
        ("${env:MISSING, true}", {}, True),
        ("${opt:x, null}", {}, None),
        ("${opt:x, dev}", {}, "dev"),
        ("${opt:x, env:Y, 'z'}", {"env": {"Y": "y"}}, "y"),
        ("${opt:x, env:Y, 'z'}", {}, "z"),
        ("${opt:region, self:custom.region}", {}, "eu-west-1"),
        ("${opt:region, ${self:custom.region}}", {}, "eu-west-1"),
        ("${sls:stage}", {}, "dev"),
        ("${sls:stage}", {"stage": "prod"}, "prod"),
        ("${aws:region}", {}, "us-east-1"),
        ("${aws:region}", {"region": "eu-central-1"}, "eu-central-1"),
        ("${self:custom.${sls:stage}}", {}, "dev-value"),
        ("${self:custom.${opt:which, 'base'}.n}", {}, 5),
        ("arn:${aws:region}:x-${sls:stage}", {}, "arn:us-east-1:x-dev"),
        ("n=${self:custom.base.n} f=${self:custom.base.flag}", {}, "n=5 f=true"),
        ("${self:custom.chain}", {}, 5),
    ],
)
def test_sources_defaults_nesting_and_types(env: Env, value, kwargs, expected):
    text = custom(
        f"""
base:
  n: 5
  flag: true
list: [a, b]
region: eu-west-1
dev: dev-value
chain: ${{self:custom.base.n}}
value: {value}
"""
    )
    manifest = env.load(text, **kwargs)
    result = manifest.custom["value"]
    assert result == expected and type(result) is type(expected)


def test_provider_stage_and_region_drive_sls_and_aws(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
      stage: ${opt:stage, 'qa'}
      region: ${opt:region, 'eu-west-1'}
    custom:
      where: ${sls:stage}/${aws:region}
    """
    assert env.load(text).custom["where"] == "qa/eu-west-1"
    manifest = env.load(text, stage="prod", region="us-west-2")
    assert (manifest.stage, manifest.region, manifest.custom["where"]) == ("prod", "us-west-2", "prod/us-west-2")


def test_plain_provider_stage_is_the_final_stage_without_cli(env: Env):
    manifest = env.load("service: svc\nprovider:\n  name: aws\n  stage: staging\ncustom:\n  s: ${sls:stage}\n")
    assert (manifest.stage, manifest.provider.stage, manifest.custom["s"]) == ("staging", "staging", "staging")
    assert env.load("service: svc\nprovider:\n  name: aws\n").stage == "dev"


@pytest.mark.parametrize(("stage", "expected"), [("dev", "dev-db"), ("prod", "prod-db"), ("qa", "default-db")])
def test_params_per_stage_with_default(env: Env, stage, expected):
    text = """\
    service: svc
    provider:
      name: aws
    params:
      default:
        db: default-db
        size: 1
      dev:
        db: dev-db
      prod:
        db: ${env:PROD_DB}
    custom:
      db: ${param:db}
      size: ${param:size}
    """
    manifest = env.load(text, stage=stage, env={"PROD_DB": "prod-db"})
    assert manifest.custom == {"db": expected, "size": 1}


def test_params_of_other_stages_are_not_resolved(env: Env):
    fake = FakeLookups({"/dev/db": ("dev-db", False)})
    text = """\
    service: svc
    provider:
      name: aws
    params:
      dev:
        db: ${ssm:/dev/db}
      prod:
        db: ${ssm:/prod/db}
    custom:
      db: ${param:db}
    """
    manifest = env.load(text, lookups=fake.lookups())
    assert manifest.custom["db"] == "dev-db"
    assert fake.ssm_calls == ["/dev/db"]
    assert "prod" not in manifest.raw["params"]


def test_missing_param_is_reported(env: Env):
    text = "service: svc\nprovider:\n  name: aws\nparams:\n  default:\n    a: 1\ncustom:\n  b: ${param:b}\n"
    assert env.problem(text) == (
        "serverless.yml:8:6 custom.b: ${param:b}: no parameter 'b' for stage 'dev' "
        "(looked in params.dev and params.default)"
    )


def test_file_whole_and_sub_path(env: Env):
    env.write("config/dev.yml", "db:\n  host: db.local\n  port: 5432\nname: ${sls:stage}-app\n")
    env.write("extra.json", '{"items": [1, 2, {"deep": "yes"}]}')
    text = """\
    service: svc
    provider:
      name: aws
    custom:
      whole: ${file(./config/${sls:stage}.yml)}
      port: ${file(./config/dev.yml):db.port}
      name: ${file(./config/dev.yml):name}
      deep: ${file(./extra.json):items.2.deep}
      missing: ${file(./nope.yml), 'fallback'}
    """
    manifest = env.load(text)
    assert manifest.custom == {
        "whole": {"db": {"host": "db.local", "port": 5432}, "name": "dev-app"},
        "port": 5432,
        "name": "dev-app",
        "deep": "yes",
        "missing": "fallback",
    }


def test_file_problems(env: Env):
    env.write("broken.yml", "a: [1\n")
    text = """\
    service: svc
    provider:
      name: aws
    custom:
      a: ${file(./nope.yml)}
      b: ${file(./broken.yml)}
      c: ${file(./code.js)}
      d: ${file(./broken.yml):a}
    """
    problems = env.problems(text)
    assert problems[0] == ("serverless.yml:5:6 custom.a: ${file(./nope.yml)}: file nope.yml does not exist")
    assert problems[1].startswith("serverless.yml:6:6 custom.b: ${file(./broken.yml)}: broken.yml:2:1 invalid YAML")
    assert problems[2] == (
        "serverless.yml:7:6 custom.c: ${file(./code.js)}: fnship does not run JavaScript files (Serverless runs "
        "them to compute values)"
    )
    assert len(problems) == 4


def test_ssm_secure_string_becomes_secret_and_never_shows(env: Env):
    fake = FakeLookups({"/app/key": ("s3cr3t-value", True), "/app/plain": ("plain", False)})
    text = """\
    service: svc
    provider:
      name: aws
      environment:
        API_KEY: ${ssm:/app/key}
        URL: https://user:${ssm:/app/key}@example.com
        PLAIN: ${ssm:/app/plain}
        OLD: ${ssm:/app/key~true}
    functions:
      api:
        handler: app.handler
    """
    manifest = env.load(text, lookups=fake.lookups())
    environment = manifest.functions["api"].environment
    assert isinstance(environment["API_KEY"], Secret)
    assert environment["API_KEY"].reveal() == "s3cr3t-value"
    assert isinstance(environment["URL"], Secret)
    assert environment["URL"].reveal() == "https://user:s3cr3t-value@example.com"
    assert environment["PLAIN"] == "plain"
    assert isinstance(environment["OLD"], Secret)
    assert "s3cr3t" not in repr(manifest)
    assert "s3cr3t" not in str(environment)
    assert "s3cr3t" not in f"{environment['URL']}"
    assert fake.ssm_calls == ["/app/key", "/app/plain"]  # each name asked once


def test_ssm_missing_parameter_uses_default_or_is_reported(env: Env):
    fake = FakeLookups()
    text = "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${ssm:/nope, 'x'}\n  b: ${ssm:/gone}\n"
    assert env.problem(text, lookups=fake.lookups()) == (
        "serverless.yml:6:6 custom.b: ${ssm:/gone}: SSM parameter /gone does not exist"
    )


def test_aws_failure_in_lookup_is_a_diagnostic(env: Env):
    def failing(name: str, **where) -> tuple[str, bool]:
        raise AwsError(resource=f"ssm parameter {name}", action="GetParameter", code="AccessDenied", detail="no")

    lookups = Lookups(ssm=failing, account_id=lambda **where: "1")
    problem = env.problem("service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${ssm:/x}\n", lookups=lookups)
    assert problem.startswith("serverless.yml:5:6 custom.a: ${ssm:/x}: GetParameter failed for ssm parameter /x")


@pytest.mark.parametrize(
    ("region_kwargs", "expected"),
    [
        ({}, {"region": "eu-west-1", "profile": "work"}),  # provider.region, provider.profile
        ({"region": "ap-south-1"}, {"region": "ap-south-1", "profile": "work"}),  # --region wins, as for the deploy
    ],
)
def test_ssm_and_account_id_are_asked_where_the_service_deploys(env: Env, region_kwargs, expected):
    fake = FakeLookups({"/app/key": ("v", False)})
    text = """\
    service: svc
    provider:
      name: aws
      region: ${opt:region, 'eu-west-1'}
      profile: work
    custom:
      key: ${ssm:/app/key}
      arn: arn:aws:iam::${aws:accountId}:root
    """
    env.load(text, lookups=fake.lookups(), **region_kwargs)
    assert fake.asked_where == [expected, expected]


def test_account_id_asked_once_and_lookups_not_called_when_unused(env: Env):
    fake = FakeLookups()
    text = "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${aws:accountId}\n  b: arn:${aws:accountId}\n"
    assert env.load(text, lookups=fake.lookups()).custom == {"a": "123456789012", "b": "arn:123456789012"}
    assert fake.account_calls == 1

    unused = FakeLookups()
    env.load("service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${sls:stage}\n", lookups=unused.lookups())
    assert unused.ssm_calls == [] and unused.account_calls == 0


def test_aws_access_needed_without_lookups(env: Env):
    text = "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${ssm:/x}\n  b: ${aws:accountId}\n"
    assert env.problems(text) == [
        "serverless.yml:5:6 custom.a: ${ssm:/x} needs AWS access to resolve",
        "serverless.yml:6:6 custom.b: ${aws:accountId} needs AWS access to resolve",
    ]


@pytest.mark.parametrize(
    ("custom_body", "expected"),
    [
        (
            "a: ${self:custom.b}\n  b: ${self:custom.a}",
            "variable cycle: ${self:custom.a} -> ${self:custom.b} -> ${self:custom.a}",
        ),
        ("a: ${self:custom.a}", "variable cycle: ${self:custom.a} -> ${self:custom.a}"),
        ("a:\n    x: ${self:custom.a}", "variable cycle: ${self:custom.a} -> ${self:custom.a.x} -> ${self:custom.a}"),
    ],
)
def test_cycles_are_reported_once_with_a_location(env: Env, custom_body, expected):
    problems = env.problems(f"service: svc\nprovider:\n  name: aws\ncustom:\n  {custom_body}\n")
    assert len(problems) == 1
    assert problems[0].startswith("serverless.yml:")
    assert problems[0].endswith(expected)


def test_stage_cycle_through_provider_stage(env: Env):
    problems = env.problems("service: svc\nprovider:\n  name: aws\n  stage: ${sls:stage}\n")
    assert len(problems) == 1 and "variable cycle" in problems[0]
    assert problems[0].startswith("serverless.yml:4:10 provider.stage:")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${env:NOPE}", "${env:NOPE}: environment variable NOPE is not set"),
        ("${opt:color}", "${opt:color}: option --color was not given"),
        ("${self:custom.nothing.here}", "${self:custom.nothing.here}: self:custom.nothing.here has no value"),
        ("${cf:stack.output}", "${cf:stack.output} needs AWS access to resolve"),
        ("${vault:secret/x}", "unsupported variable source 'vault' in ${vault:secret/x}"),
        ("${sls:nothing}", "unknown variable ${sls:nothing}"),
        ("${aws:partition}", "unknown variable ${aws:partition}"),
        ("x-${self:provider}", "${self:provider} is a mapping, which cannot be part of a longer string"),
        ("${env:A", "unterminated variable in '${env:A'"),
        ("${self:custom.${AWS::Region}}", "'${AWS::Region}' inside a variable is not a variable"),
    ],
)
def test_unresolvable_variables(env: Env, value, expected):
    text = f'service: svc\nprovider:\n  name: aws\ncustom:\n  bad: "{value}"\n'
    assert env.problem(text) == f"serverless.yml:5:8 custom.bad: {expected}"


def test_a_failed_variable_is_reported_once_even_when_referenced(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
      memorySize: ${self:custom.mem}
    custom:
      mem: ${env:NOPE}
      again: ${self:custom.mem}
    """
    assert env.problems(text) == ["serverless.yml:6:8 custom.mem: ${env:NOPE}: environment variable NOPE is not set"]


def test_referenced_values_resolve_recursively_and_are_copies(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
    custom:
      base:
        name: ${self:service}-${sls:stage}
        list: [1, "${self:custom.base.name}"]
      a: ${self:custom.base}
      b: ${self:custom.base}
    """
    manifest = env.load(text)
    assert manifest.custom["a"] == {"name": "svc-dev", "list": [1, "svc-dev"]}
    assert manifest.custom["a"] is not manifest.custom["b"]


def test_sls_instance_id_is_stable_within_one_load(env: Env):
    manifest = env.load(
        "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${sls:instanceId}\n  b: ${sls:instanceId}\n"
    )
    assert manifest.custom["a"] == manifest.custom["b"] and len(manifest.custom["a"]) >= 8


def test_env_defaults_to_process_environment(env: Env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FNSHIP_TEST_VAR", "from-os")
    from fnship.manifest import load_manifest

    path = env.write("serverless.yml", "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${env:FNSHIP_TEST_VAR}\n")
    assert load_manifest(path).custom["a"] == "from-os"


def test_secret_stays_secret_through_self_references(env: Env):
    fake = FakeLookups({"/k": ("hunter2", True)})
    text = """\
    service: svc
    provider:
      name: aws
    custom:
      key: ${ssm:/k}
      same: ${self:custom.key}
      nested:
        inner: ${self:custom.key}
      joined: "Bearer ${self:custom.same}"
    """
    custom = env.load(text, lookups=fake.lookups()).custom
    assert all(isinstance(v, Secret) for v in (custom["key"], custom["same"], custom["nested"]["inner"]))
    assert isinstance(custom["joined"], Secret) and custom["joined"].reveal() == "Bearer hunter2"
    assert "hunter2" not in repr(custom)


def test_stage_and_region_given_only_as_options(env: Env):
    text = "service: svc\nprovider:\n  name: aws\ncustom:\n  s: ${sls:stage}-${opt:stage}-${aws:region}\n"
    manifest = env.load(text, options={"stage": "prod", "region": "eu-west-1"})
    assert (manifest.stage, manifest.region, manifest.custom["s"]) == ("prod", "eu-west-1", "prod-prod-eu-west-1")


def test_resources_resolve_leaving_cloudformation_sub_alone(env: Env):
    text = """\
    service: svc
    provider:
      name: aws
    resources:
      Resources:
        Q:
          Type: AWS::SQS::Queue
          Properties:
            QueueName: !Sub "${AWS::StackName}-${self:service}-q"
    """
    stack = env.load(text).stack
    assert stack is not None
    assert stack.template["Resources"]["Q"]["Properties"]["QueueName"] == {"Fn::Sub": "${AWS::StackName}-svc-q"}


def test_unknown_source_in_a_fallback_is_an_error(env: Env):
    text = "service: svc\nprovider:\n  name: aws\ncustom:\n  a: ${env:NOPE, vault:x}\n"
    assert env.problem(text) == ("serverless.yml:5:6 custom.a: unsupported variable source 'vault' in ${vault:x}")
