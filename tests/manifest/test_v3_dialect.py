"""The Serverless v2/v3 dialect (issue 11 part 5) and the v3 variable rules fnship follows (part 4): foreign
`${AWS::...}` text, provider defaults through `self:`, `${file()}` of text files, `.env` files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fnship.manifest import dotenv

from .conftest import Env

HEAD = "service: svc\nprovider:\n  name: aws\n"


def test_foreign_variables_are_left_for_cloudformation(env: Env):
    text = HEAD + (
        "custom:\n"
        "  b: bucket\n"
        '  arn: "arn:${AWS::Partition}:s3:::${self:custom.b}/*"\n'
        '  sub: "${ItemsTable.Arn}-${AWS::Region}"\n'
        '  nested: "${Foo${self:custom.b}}"\n'
        '  empty: "${}"\n'
        '  param: "${bucketName}"\n'
    )
    custom = env.load(text).custom
    assert custom["arn"] == "arn:${AWS::Partition}:s3:::bucket/*"
    assert custom["sub"] == "${ItemsTable.Arn}-${AWS::Region}"
    assert custom["nested"] == "${Foobucket}"  # a variable inside foreign text still resolves, as in v3
    assert custom["empty"] == "${}"
    assert custom["param"] == "${bucketName}"


def test_foreign_text_inside_a_variable_is_an_error(env: Env):
    assert env.problem(HEAD + 'custom:\n  a: "${self:custom.${AWS::Region}}"\n') == (
        "serverless.yml:5:6 custom.a: '${AWS::Region}' inside a variable is not a variable"
    )


@pytest.mark.parametrize(
    ("provider", "kwargs", "expected"),
    [
        ("", {}, "dev"),  # no provider.stage: v3's provider default
        ("", {"stage": "prod"}, "prod"),
        ("  stage: qa\n", {}, "qa"),
        ("  stage: qa\n", {"stage": "prod"}, "prod"),
    ],
)
def test_opt_stage_falls_back_to_the_default_provider_stage(env: Env, provider, kwargs, expected):
    text = HEAD + provider + "custom:\n  stage: ${opt:stage, self:provider.stage}\n  plain: ${self:provider.stage}\n"
    custom = env.load(text, **kwargs).custom
    assert custom["stage"] == expected
    # v3 leaves a written provider.stage as written (--stage does not change it); a missing one is `dev`
    assert custom["plain"] == ("qa" if provider else "dev")


@pytest.mark.parametrize(
    ("provider", "kwargs", "expected"),
    [
        ("", {}, "us-east-1"),
        ("  region: eu-west-1\n", {}, "eu-west-1"),
        ("  region: eu-west-1\n", {"region": "ap-south-1"}, "ap-south-1"),
    ],
)
def test_self_provider_region_is_the_final_region(env: Env, provider, kwargs, expected):
    assert env.load(HEAD + provider + "custom:\n  r: ${self:provider.region}\n", **kwargs).custom["r"] == expected


def test_no_effect_settings_are_accepted_with_one_notice_each(env: Env):
    text = (
        "service: svc\n"
        "configValidationMode: error\n"
        "variablesResolutionMode: '20210326'\n"
        "deprecationNotificationMode: warn\n"
        "disabledDeprecations: ['*']\n"
        "unresolvedVariablesNotificationMode: error\n"
        "provider:\n  name: aws\n  lambdaHashingVersion: '20201221'\n"
        "  iamRoleStatements:\n    - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*'}\n"
        "  iamManagedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess']\n"
    )
    manifest = env.load(text)
    for key in (
        "configValidationMode",
        "variablesResolutionMode",
        "deprecationNotificationMode",
        "disabledDeprecations",
        "unresolvedVariablesNotificationMode",
        "provider.lambdaHashingVersion",
        "provider.iamRoleStatements",
        "provider.iamManagedPolicies",
    ):
        assert sum(note.startswith(key) for note in manifest.notes) == 1, (key, manifest.notes)
    # the old IAM keys change something: they are the provider's statements and managed policies
    assert manifest.provider.iam.statements[0]["Action"] == "s3:GetObject"
    assert manifest.provider.iam.managed_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)


def test_service_as_an_object_is_its_name(env: Env):
    text = "service:\n  name: orders\nprovider:\n  name: aws\ncustom:\n  me: ${self:service}-x\n"
    manifest = env.load(text)
    assert (manifest.service, manifest.custom["me"]) == ("orders", "orders-x")
    assert any(note.startswith("service written as an object") for note in manifest.notes)
    problems = env.problems("service:\n  name: orders\n  awsKmsKeyArn: arn:x\nprovider:\n  name: aws\n")
    assert problems == [
        "serverless.yml:3:17 service.awsKmsKeyArn: only `name` is read from `service:` written as an object"
    ]
    assert "serverless.yml:1:1 service: service written as an object needs `name`" in env.problems(
        "service:\n  title: orders\nprovider:\n  name: aws\n"
    )


@pytest.mark.parametrize(
    "plugin",
    [
        "serverless-offline",
        "serverless-dynamodb-local",
        "serverless-dotenv-plugin",
        "serverless-pseudo-parameters",
        "serverless-prune-plugin",
        "serverless-iam-roles-per-function",
        "serverless-python-requirements",
        "serverless-plugin-canary-deployments",
        "serverless-esbuild",
        "serverless-plugin-typescript",
    ],
)
def test_plugins_that_deploy_nothing_or_that_fnship_does_are_accepted_with_a_note(env: Env, plugin):
    manifest = env.load(HEAD + f"plugins:\n  - {plugin}\n")
    assert manifest.plugins == (plugin,)
    assert [note for note in manifest.notes if note.startswith(f"plugin {plugin}:")], manifest.notes


def test_other_plugins_are_refused_naming_what_they_would_have_done(env: Env):
    assert env.problems(HEAD + "plugins:\n  - serverless-step-functions\n  - serverless-offline\n") == [
        "serverless.yml:5:5 plugins.0: plugin 'serverless-step-functions' is not supported: fnship does not run "
        "Serverless plugins (it deploys Step Functions state machines and their triggers)"
    ]


def test_prune_plugin_number_is_the_versions_kept(env: Env):
    base = HEAD + "plugins:\n  - serverless-prune-plugin\nfunctions:\n  api:\n    handler: app.handler\n"
    assert env.load(base + "custom:\n  prune:\n    automatic: true\n    number: 3\n").releases["api"].keep_versions == 3
    # not automatic: the plugin prunes only when asked (`sls prune`); fnship keeps its default
    assert env.load(base + "custom:\n  prune:\n    number: 3\n").releases["api"].keep_versions == 10
    # fnship's own setting wins
    both = base + "custom:\n  prune:\n    automatic: true\n    number: 3\ndeployment:\n  keepVersions: 5\n"
    assert env.load(both).releases["api"].keep_versions == 5
    assert env.problem(base + "custom:\n  prune:\n    automatic: true\n    number: none\n") == (
        "serverless.yml:12:13 custom.prune.number: 'none' must be a whole number of at least 1"
    )


def test_file_of_a_text_file_is_its_text_as_in_v3(env: Env):
    env.write("policy.txt", "line one ${self:custom.who}\n")
    env.write("state.tfstate", '{"outputs": {"url": {"value": "https://x"}}}')
    text = HEAD + (
        "custom:\n"
        "  who: me\n"
        "  text: ${file(./policy.txt)}\n"
        "  keyed: ${file(./policy.txt):a, 'fallback'}\n"
        "  tf: ${file(./state.tfstate):outputs.url.value}\n"
        "  gone: ${file(./nope.txt), 'none'}\n"
    )
    custom = env.load(text).custom
    assert custom["text"] == "line one me\n"
    assert custom["keyed"] == "fallback"
    assert custom["tf"] == "https://x"
    assert custom["gone"] == "none"


# -- .env files -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB = two \n# c=3\n", {"A": "1", "B": "two"}),
        ("export A=1\n", {"A": "1"}),
        ("A='quoted # not a comment'\n", {"A": "quoted # not a comment"}),
        ('A="line\\nbreak"\n', {"A": "line\nbreak"}),
        ("A='no\\nbreak'\n", {"A": "no\\nbreak"}),
        ('A="multi\nline"\n', {"A": "multi\nline"}),
        ("A=`back`\n", {"A": "back"}),
        ("A=value # comment\n", {"A": "value"}),
        ("A: colon\n", {"A": "colon"}),
        ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
        ("A=1\nA=2\n", {"A": "2"}),
        ("EMPTY=\n", {"EMPTY": ""}),
        ("not a line\n", {}),
    ],
)
def test_dotenv_parses_as_dotenv_16(text, expected):
    assert dotenv.parse(text) == expected


@pytest.mark.parametrize(
    ("values", "environment", "expected"),
    [
        ({"A": "x", "B": "${A}-$A"}, {}, {"A": "x", "B": "x-x"}),
        ({"B": "${NOPE:-def}"}, {}, {"B": "def"}),
        ({"B": "${A}"}, {"A": "from-process"}, {"B": "from-process"}),
        ({"A": "file", "B": "$A"}, {"A": "process"}, {"A": "process", "B": "process"}),  # the process wins
        ({"B": "\\$A"}, {"A": "x"}, {"B": "$A"}),
        ({"B": "pa$$word"}, {}, {"B": "pa"}),  # as dotenv-expand 10: `$` and `$word` expand to nothing
    ],
)
def test_dotenv_expands_as_dotenv_expand_10(values, environment, expected):
    assert dotenv.expand(values, environment) == expected


USE_DOTENV = HEAD + "useDotenv: true\ncustom:\n  a: ${env:A, 'unset'}\n  b: ${env:B, 'unset'}\n"


def test_use_dotenv_loads_the_stage_file_instead_of_dotenv(env: Env):
    env.write(".env", "A=base\nB=base-only\n")
    env.write(".env.prod", "A=prod\n")
    prod = env.load(USE_DOTENV, stage="prod")
    assert (prod.custom["a"], prod.custom["b"]) == ("prod", "unset")  # never both files
    assert "useDotenv: variables loaded from .env.prod" in prod.notes
    dev = env.load(USE_DOTENV)  # no .env.dev: .env
    assert (dev.custom["a"], dev.custom["b"]) == ("base", "base-only")


def test_use_dotenv_stage_comes_from_provider_stage(env: Env):
    env.write(".env.qa", "A=qa\n")
    assert env.load(USE_DOTENV.replace("  name: aws\n", "  name: aws\n  stage: qa\n")).custom["a"] == "qa"


def test_use_dotenv_never_overrides_the_process_environment(env: Env):
    env.write(".env", "A=file\nB=${A}-b\n")
    custom = env.load(USE_DOTENV, env={"A": "process"}).custom
    assert (custom["a"], custom["b"]) == ("process", "process-b")


def test_dotenv_is_not_read_without_use_dotenv(env: Env):
    env.write(".env", "A=file\n")
    assert env.load(HEAD + "custom:\n  a: ${env:A, 'unset'}\n").custom["a"] == "unset"


def test_use_dotenv_variables_land_in_the_process_environment(env: Env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "environ", {"KEEP": "1"})
    env.write(".env", "FNSHIP_DOTENV_TEST=loaded\nKEEP=2\n")
    from fnship.manifest import load_manifest

    manifest = load_manifest(env.write("serverless.yml", USE_DOTENV.replace("${env:A", "${env:FNSHIP_DOTENV_TEST")))
    assert manifest.custom["a"] == "loaded"
    assert os.environ == {"KEEP": "1", "FNSHIP_DOTENV_TEST": "loaded"}  # (for AWS credentials, builds...)


def test_a_binary_dotenv_file_is_an_input_error(env: Env):
    (Path(env.root) / ".env").write_bytes(b"A=\x00\x01\n")
    assert env.problem(USE_DOTENV) == ".env:1:3 the file is binary, not text (control byte 0x00) at byte offset 2"


DOTENV_PLUGIN = HEAD + "plugins:\n  - serverless-dotenv-plugin\nfunctions:\n  api:\n    handler: app.handler\n"


def test_dotenv_plugin_loads_every_file_and_fills_provider_environment(env: Env):
    env.write(".env", "A=base\nB=base\nC=base\n")
    env.write(".env.local", "B=local\n")
    env.write(".env.prod", "A=prod\n")
    manifest = env.load(DOTENV_PLUGIN + "custom:\n  x: ${env:C}\n", stage="prod")
    assert manifest.functions["api"].environment == {"A": "prod", "B": "local", "C": "base"}
    assert manifest.custom["x"] == "base"  # and reach ${env:}
    # NODE_ENV picks the files before --stage does
    node = env.load(DOTENV_PLUGIN, stage="prod", env={"NODE_ENV": "test"})
    assert node.functions["api"].environment["B"] == "base"  # (.env.local is not read for `test`)


def test_dotenv_plugin_include_exclude_and_required(env: Env):
    env.write(".env", "A=1\nB=2\n")
    include = env.load(DOTENV_PLUGIN + "custom:\n  dotenv:\n    include: [B]\n")
    assert include.functions["api"].environment == {"B": "2"}
    exclude = env.load(DOTENV_PLUGIN + "custom:\n  dotenv:\n    exclude: [B]\n")
    assert exclude.functions["api"].environment == {"A": "1"}
    required = DOTENV_PLUGIN + "custom:\n  dotenv:\n    required:\n      env: [A, NOPE]\n"
    assert env.problem(required) == (
        "serverless.yml:5:5 custom.dotenv.required.env: serverless-dotenv-plugin: required variables are not set: NOPE"
    )


# -- serverless-pseudo-parameters --------------------------------------------------------------------------------
PSEUDO = HEAD + "plugins:\n  - serverless-pseudo-parameters\n"


def test_pseudo_parameters_are_filled_in_as_the_plugin_did(env: Env):
    from .test_variables import FakeLookups

    fake = FakeLookups(account="111122223333")
    text = PSEUDO + (
        "custom:\n"
        '  arn: "arn:#{AWS::Partition}:sqs:#{AWS::Region}:#{AWS::AccountId}:q"\n'
        '  url: "https://s3.#{AWS::URLSuffix}/x"\n'
        "  list: ['#{AWS::Region}']\n"
    )
    custom = env.load(text, region="cn-north-1", lookups=fake.lookups()).custom
    assert custom["arn"] == "arn:aws-cn:sqs:cn-north-1:111122223333:q"
    assert custom["url"] == "https://s3.amazonaws.com.cn/x"
    assert custom["list"] == ["cn-north-1"]
    assert fake.account_calls == 1


def test_pseudo_parameters_are_left_alone_without_the_plugin(env: Env):
    assert env.load(HEAD + "custom:\n  a: '#{AWS::Region}'\n").custom["a"] == "#{AWS::Region}"


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("#{AWS::StackName}-x", "a value of the CloudFormation stack"),
        ("#{ItemsTable}", "a CloudFormation resource"),
        ("#{ItemsTable.Arn}", "a CloudFormation resource"),
    ],
)
def test_pseudo_parameters_of_the_stack_are_refused_until_the_stack_exists(env: Env, value, what):
    name = value.split("}")[0] + "}"
    problems = env.problems(PSEUDO + f"custom:\n  a: '{value}'\n")
    assert problems == [f"serverless.yml:7:6 custom.a: {name} (serverless-pseudo-parameters) refers to {what}"]


def test_dotenv_plugin_parser_is_javascript_and_refused(env: Env):
    assert env.problem(DOTENV_PLUGIN + "custom:\n  dotenv:\n    dotenvParser: ./parser.js\n") == (
        "serverless.yml:11:19 custom.dotenv.dotenvParser: serverless-dotenv-plugin: a dotenvParser is JavaScript, "
        "which fnship does not run"
    )


def test_pseudo_parameters_inside_resources_become_fn_sub_as_the_plugin_made_them(env: Env):
    text = PSEUDO + (
        "resources:\n"
        "  Resources:\n"
        "    Topic:\n"
        "      Type: AWS::SNS::Topic\n"
        "      Properties:\n"
        "        TopicName: '#{AWS::StackName}-#{Missing}'\n"
    )
    problems = env.problems(text)
    # cfn-lint checks the Fn::Sub the plugin would have made: `${AWS::StackName}` is fine, `${Missing}` names nothing
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "serverless.yml:11:20 resources.Resources.Topic.Properties.TopicName.Fn::Sub: Topic (AWS::SNS::Topic): "
        "'Missing' is not one of"
    )
