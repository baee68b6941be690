"""Intrinsic functions where fnship reads a value (manifest/intrinsics.py): accepted as values the companion stack
decides, checked against `resources:` at the manifest's lines; references from `resources:` to what fnship creates
passed in as stack parameters (manifest/resources.py `pass_references`)."""

from __future__ import annotations

import pytest

from fnship.manifest.intrinsics import StackValue, shown

from .conftest import Env

HEAD = "service: svc\nprovider:\n  name: aws\n"
TEMPLATE = """\
resources:
  Conditions:
    IsProd: !Equals ["${sls:stage}", prod]
  Parameters:
    Size:
      Type: Number
      Default: 5
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
    Queue:
      Type: AWS::SQS::Queue
    Topic:
      Type: AWS::SNS::Topic
"""


def test_values_everywhere_fnship_reads_them_become_stack_values(env: Env):
    text = HEAD + (
        "  environment:\n"
        "    TABLE: !Ref Table\n"
        "    JOINED: !Join [':', [!Ref AWS::Region, !GetAtt Table.Arn]]\n"
        "    SUBBED: !Sub '${Table}-${AWS::AccountId}-${Queue.Arn}'\n"
        "    PICKED: !Select [0, !GetAZs '']\n"
        "    EITHER: !If [IsProd, a, !Ref Size]\n"
        "    IMPORTED: !ImportValue shared-TopicArn\n"
        "  iam:\n    role:\n      statements:\n"
        "        - Effect: Allow\n          Action: dynamodb:Query\n          Resource: !GetAtt Table.Arn\n"
        "        - Effect: Allow\n          Action: sns:Publish\n          Resource: [!Ref Topic]\n"
        "          Condition:\n            StringEquals:\n              aws:SourceAccount: !Ref AWS::AccountId\n"
        "  tags:\n    queue: !GetAtt Queue.QueueName\n"
        "functions:\n  api:\n    handler: app.main\n"
        "    onError: !Ref Topic\n"
        "    destinations:\n      onFailure: !GetAtt Queue.Arn\n"
        "    events:\n      - sqs: !GetAtt Queue.Arn\n" + TEMPLATE
    )
    manifest = env.load(text)
    environment = manifest.provider.environment
    assert all(isinstance(environment[name], StackValue) for name in ("TABLE", "JOINED", "SUBBED", "PICKED"))
    assert environment["TABLE"] == "${stack:ref:Table}" and environment["TABLE"].label == "Table"
    assert environment["JOINED"].key.startswith("output:Fnship")
    assert shown(environment["JOINED"]) == "(known after apply)"
    function = manifest.functions["api"]
    assert isinstance(function.settings.dead_letter_arn, StackValue)
    assert function.settings.dead_letter_arn.service == "sns"  # (its IAM grant: sns:Publish)
    assert isinstance(function.events[0].settings.arn, StackValue)
    statements = manifest.provider.iam.statements
    assert isinstance(statements[0]["Resource"], StackValue)
    assert isinstance(statements[1]["Resource"][0], StackValue)
    assert isinstance(statements[1]["Condition"]["StringEquals"]["aws:SourceAccount"], StackValue)
    assert isinstance(manifest.provider.tags["queue"], StackValue)
    where = {value.path for value in manifest.stack_values}
    assert ("provider", "environment", "TABLE") in where and ("functions", "api", "events", 0, "sqs") in where


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!Ref Tabel", "5:8 provider.environment.X.Ref: refers to Tabel, which is not a resource of "
         "resources.Resources nor one of its Parameters"),
        ("!GetAtt Nothing.Arn", "5:8 provider.environment.X.Fn::GetAtt: refers to Nothing, which is not a resource "
         "of resources.Resources"),
        ("!Sub '${Table}-${Missing.Arn}'", "5:8 provider.environment.X.Fn::Sub: refers to Missing, which is not a "
         "resource of resources.Resources"),
        ("!If [IsDev, a, b]", "5:13 provider.environment.X.Fn::If.0: Fn::If names condition IsDev, which "
         "resources.Conditions does not declare"),
        ("!GetAZs ''", "5:8 provider.environment.X.Fn::GetAZs: CloudFormation Fn::GetAZs gives a list, and fnship "
         "needs one string here"),
        ("!Equals [a, b]", "5:8 provider.environment.X.Fn::Equals: CloudFormation Fn::Equals does not give a value "
         "fnship can use here"),
    ],
)  # fmt: skip
def test_what_cloudformation_could_not_evaluate_is_an_input_error_at_its_line(env: Env, value, expected):
    assert env.problem(HEAD + f"  environment:\n    X: {value}\n" + TEMPLATE) == f"serverless.yml:{expected}"


def test_sub_variables_of_its_own_are_not_references(env: Env):
    text = HEAD + "  environment:\n    X: !Sub ['${Name}-x', {Name: !Ref Table}]\n" + TEMPLATE
    assert isinstance(env.load(text).provider.environment["X"], StackValue)


REFERENCES = """\
functions:
  hello:
    handler: app.main
resources:
  Resources:
    Permission:
      Type: AWS::Lambda::Permission
      DependsOn: [HelloLambdaFunction, Queue]
      Properties:
        FunctionName: !GetAtt HelloLambdaFunction.Arn
        Action: lambda:InvokeFunction
        Principal: sns.amazonaws.com
    Queue:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: !Sub '${HelloLambdaFunction}-q'
    Alarm:
      Type: AWS::Logs::MetricFilter
      Properties:
        LogGroupName: !Ref HelloLogGroup
        FilterPattern: ERROR
        MetricTransformations: [{MetricName: errors, MetricNamespace: svc, MetricValue: '1'}]
"""


def test_references_to_what_fnship_creates_become_stack_parameters(env: Env):
    stack = env.load(HEAD + REFERENCES).stack
    assert stack is not None
    resources = stack.template["Resources"]
    assert resources["Permission"]["Properties"]["FunctionName"] == {"Ref": "FnshipHelloLambdaFunctionArn"}
    assert resources["Permission"]["DependsOn"] == ["Queue"]  # (fnship orders the function first)
    assert resources["Queue"]["Properties"]["QueueName"] == {"Fn::Sub": "${FnshipHelloLambdaFunction}-q"}
    assert resources["Alarm"]["Properties"]["LogGroupName"] == {"Ref": "FnshipHelloLogGroup"}
    assert {name: stack.template["Parameters"][name]["Type"] for name in stack.template["Parameters"]} == {
        "FnshipHelloLambdaFunctionArn": "String",
        "FnshipHelloLambdaFunction": "String",
        "FnshipHelloLogGroup": "String",
    }
    passed = {name: (ref.logical_id, ref.attribute) for name, ref in stack.references.items()}
    assert passed["FnshipHelloLambdaFunctionArn"] == ("HelloLambdaFunction", "Arn")


def test_what_fnship_cannot_pass_into_the_stack_is_named(env: Env):
    text = HEAD + (
        "functions:\n  hello:\n    handler: app.main\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
        "      Properties:\n        QueueName: !GetAtt HelloLogGroup.Nope\n"
    )
    assert env.problem(text).startswith(
        "serverless.yml:12:20 resources.Resources.Q.Properties.QueueName.Fn::GetAtt: Fn::GetAtt "
        "HelloLogGroup.Nope: HelloLogGroup is the log group of function hello, which fnship creates itself, and "
        "fnship can pass only Ref, Arn of it"
    )


@pytest.mark.parametrize("written", ["!GetAtt HelloLambdaVersionAbc12.Version", "!Ref HelloLambdaVersionAbc12"])
def test_a_serverless_version_logical_id_is_refused_saying_why_and_what_to_write(env: Env, written: str):
    """Serverless v3 names a version `<Name>LambdaVersion<digest of code and configuration>`
    (lib/plugins/aws/lib/naming.js getLambdaVersionLogicalId): a new id whenever either changes, so no template can
    name one that lasts; fnship refuses it at its line, saying what to refer to instead."""
    text = HEAD + (
        "functions:\n  hello:\n    handler: app.main\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
        f"      Properties:\n        QueueName: {written}\n"
    )
    (problem,) = env.problems(text)
    assert (
        problem.startswith("serverless.yml:12:20 resources.Resources.Q.Properties.QueueName.")
        and "HelloLambdaVersionAbc12 is a Serverless version logical id of function hello" in problem
    )
    assert "HelloLambdaVersion<digest of its code and configuration>" in problem
    assert "fnship publishes versions itself" in problem


DESCRIBED = """\
functions:
  hello:
    handler: app.main
    description: !Sub 'reads ${Table}'
    role: WorkerRole
  other:
    handler: app.main
    role: !GetAtt WorkerRole.Arn
resources:
  Resources:
    Table:
      Type: AWS::SNS::Topic
    WorkerRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument:
          Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
"""


def test_a_description_and_a_role_of_the_stack_are_stack_values(env: Env):
    """`role: WorkerRole` is, as in Serverless v3, `Fn::GetAtt: [WorkerRole, Arn]` of a role of `resources:`."""
    functions = env.load(HEAD + DESCRIBED).functions
    assert isinstance(functions["hello"].description, StackValue)
    assert functions["hello"].description.expression == {"Fn::Sub": "reads ${Table}"}
    role = functions["hello"].iam.role_arn
    assert isinstance(role, StackValue) and role.expression == {"Fn::GetAtt": ["WorkerRole", "Arn"]}
    other = functions["other"].iam.role_arn
    assert isinstance(other, StackValue) and other.expression == {"Fn::GetAtt": ["WorkerRole", "Arn"]}
    problem = env.problem(HEAD + DESCRIBED.replace("role: WorkerRole", "role: WorkRole"))
    assert problem == (
        "serverless.yml:8:11 functions.hello.role: WorkRole is not an IAM role ARN, nor a resource of "
        "resources.Resources (Serverless reads a role that is not an ARN as the logical id of a role of resources:)"
    )


def test_a_secret_in_resources_is_refused(env: Env):
    from .test_variables import FakeLookups

    fake = FakeLookups({"/k": ("hunter2-secret", True)})
    text = HEAD + "resources:\n  Resources:\n    T:\n      Type: AWS::SNS::Topic\n" \
        "      Properties:\n        DisplayName: ${ssm:/k}\n"  # fmt: skip
    (problem,) = env.problems(text, lookups=fake.lookups())
    assert problem.startswith("serverless.yml:9:22 resources.Resources.T.Properties.DisplayName: a secret")
    assert "hunter2" not in problem


def test_pseudo_parameters_of_the_stack_become_its_fn_sub_when_there_is_one(env: Env):
    text = (
        HEAD + "  environment:\n    T: '#{Table.Arn}/index/#{AWS::Region}'\n    R: '#{AWS::Region}'\n"
        "plugins:\n  - serverless-pseudo-parameters\n" + TEMPLATE
    )
    environment = env.load(text).provider.environment
    assert isinstance(environment["T"], StackValue)
    assert environment["T"].expression == {"Fn::Sub": "${Table.Arn}/index/${AWS::Region}"}
    assert environment["R"] == "us-east-1"  # (what fnship knows itself is filled in)


def test_a_stream_from_the_stack_says_its_type(env: Env):
    events = (
        "functions:\n  api:\n    handler: app.main\n    events:\n      - stream:\n"
        "          arn: !GetAtt Table.StreamArn\n"
    )
    manifest = env.load(HEAD + events + "          type: dynamodb\n" + TEMPLATE)
    assert manifest.functions["api"].events[0].settings.source == "dynamodb"
    assert env.problem(HEAD + events + TEMPLATE) == (
        "serverless.yml:8:9 functions.api.events.0.stream.type: type: dynamodb or kinesis is required when the "
        "stream's ARN is a CloudFormation function"
    )


def test_an_s3_bucket_of_the_stack_must_be_existing_as_serverless_v3_requires(env: Env):
    events = "functions:\n  api:\n    handler: app.main\n    events:\n      - s3:\n          bucket: !Ref Bucket\n"
    template = "resources:\n  Resources:\n    Bucket:\n      Type: AWS::S3::Bucket\n"
    problem = env.problem(HEAD + events + template)
    assert problem.startswith("serverless.yml:9:19 functions.api.events.0.s3.bucket: a bucket given as a ")
    assert "need `existing: true` with it" in problem
    manifest = env.load(HEAD + events + "          existing: true\n" + template)
    bucket = manifest.functions["api"].events[0].settings.bucket
    assert isinstance(bucket, StackValue) and bucket.expression == {"Ref": "Bucket"}


def test_an_sns_topic_of_the_stack_by_arn_or_by_topic_name(env: Env):
    events = (
        "functions:\n  api:\n    handler: app.main\n    events:\n      - sns:\n          arn: !Ref Events\n"
        "      - sns:\n          topicName: !GetAtt Events.TopicName\n"
    )
    template = "resources:\n  Resources:\n    Events:\n      Type: AWS::SNS::Topic\n"
    by_arn, by_name = (event.settings for event in env.load(HEAD + events + template).functions["api"].events)
    assert isinstance(by_arn.topic_arn, StackValue) and by_arn.topic_name == "Events"
    assert isinstance(by_name.topic_arn, StackValue) and by_name.topic_name == "Events"
    assert by_name.topic_arn.expression["Fn::Sub"][1] == {"Name": {"Fn::GetAtt": ["Events", "TopicName"]}}
