"""The companion stack as desired state (model/stack.py): its template with the outputs fnship reads, its parameters
(what it asks of fnship's resources) and what it depends on; values it decides as references to it; a cycle
through it refused naming both ends. Pure: no AWS."""

from __future__ import annotations

import pytest

from fnship.errors import InputError
from fnship.kinds.event_source_mapping import QueueMapping
from fnship.kinds.function import LambdaFunction
from fnship.kinds.role import Role
from fnship.kinds.stack import Stack
from fnship.model.resources import Ref, refs_in
from fnship.plan.diff import CREATE, Change
from fnship.plan.steps import order_steps

from .test_build import desired

SERVICE = """\
service: shop
provider:
  name: aws
  region: eu-west-1
  environment:
    TABLE: !Ref Table
    TABLE_ARN: !GetAtt Table.Arn
  iam:
    role:
      statements:
        - Effect: Allow
          Action: dynamodb:GetItem
          Resource: !GetAtt Table.Arn
functions:
  api:
    handler: app.handler
    events:
      - sqs: !GetAtt Queue.Arn
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
    Queue:
      Type: AWS::SQS::Queue
  Outputs:
    TableName:
      Value: !Ref Table
"""


def test_the_stack_carries_the_outputs_fnship_reads_and_its_tags(tmp_path):
    state = desired(tmp_path, SERVICE)
    stack = state.get("stack")
    assert stack is not None and stack.name == "shop-dev-resources"
    spec = stack.spec_as(Stack)
    outputs = spec.template["Outputs"]
    assert outputs["TableName"] == {"Value": {"Ref": "Table"}}
    fnship = {key: output["Value"] for key, output in outputs.items() if key.startswith("Fnship")}
    assert sorted(fnship.values(), key=str) == [{"Fn::GetAtt": ["Queue", "Arn"]}, {"Fn::GetAtt": ["Table", "Arn"]}]
    assert spec.tags == {"fnship:service": "shop", "fnship:stage": "dev"}
    assert stack.depends_on == ()


def test_values_the_stack_decides_refer_to_it_and_order_their_users_after_it(tmp_path):
    state = desired(tmp_path, SERVICE)
    function = state.get("function.api").spec_as(LambdaFunction)
    assert function.environment["TABLE"] == Ref("stack", "ref:Table")
    assert function.environment["TABLE_ARN"].attribute.startswith("output:Fnship")
    role = state.get("role.api").spec_as(Role)
    assert [ref.address for ref in refs_in(role.inline_policy)] == ["stack", "stack"]  # (the grant for the queue too)
    (trigger,) = state.of_kind("event_source_mapping")
    assert isinstance(trigger.spec_as(QueueMapping).source_arn, Ref)
    assert trigger.address == "trigger.api.sqs.queue"  # named by the logical id until the stack says its name
    changes = [Change(CREATE, r.address, r.kind, r.name, (), r) for r in state.resources]
    order = [step.address for step in order_steps(changes)]
    assert order.index("stack") < order.index("role.api") < order.index("function.api")
    assert order.index("stack") < order.index(trigger.address)


REFERS_TO_FUNCTION = """\
service: shop
provider:
  name: aws
functions:
  api:
    handler: app.handler
resources:
  Resources:
    Topic:
      Type: AWS::SNS::Topic
      Properties:
        Subscription:
          - Protocol: lambda
            Endpoint: !GetAtt ApiLambdaFunction.Arn
    Role:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}
        Policies:
          - PolicyName: p
            PolicyDocument:
              Version: '2012-10-17'
              Statement: [{Effect: Allow, Action: logs:*, Resource: !GetAtt ApiLogGroup.Arn}]
"""


def test_what_the_stack_asks_of_fnship_is_passed_in_and_made_first(tmp_path):
    state = desired(tmp_path, REFERS_TO_FUNCTION)
    stack = state.get("stack")
    assert stack.spec_as(Stack).parameters == {
        "FnshipApiLambdaFunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:shop-dev-api",
        "FnshipApiLogGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/shop-dev-api",
    }
    assert set(stack.depends_on) == {"function.api", "log_group.api"}
    changes = [Change(CREATE, r.address, r.kind, r.name, (), r) for r in state.resources]
    order = [step.address for step in order_steps(changes)]
    assert order.index("function.api") < order.index("stack")


def test_a_cycle_through_the_stack_names_both_ends(tmp_path):
    text = REFERS_TO_FUNCTION.replace("    handler: app.handler\n", "    handler: app.handler\n"
                                      "    environment:\n      TOPIC: !Ref Topic\n")  # fmt: skip
    with pytest.raises(InputError) as caught:
        desired(tmp_path, text)
    (problem,) = caught.value.diagnostics
    assert problem.message.startswith("the stack needs function.api (")
    assert "serverless.yml:16:23 resources.Resources.Topic.Properties.Subscription.0.Endpoint.Fn::GetAtt), which " \
        "needs the stack" in problem.message  # fmt: skip
    assert "function.api uses it at " in problem.message
    assert "serverless.yml:8:14 functions.api.environment.TOPIC" in problem.message
    assert caught.value.exit_code == 2


def test_the_execution_role_is_passed_only_when_there_is_one(tmp_path):
    text = REFERS_TO_FUNCTION.replace("!GetAtt ApiLogGroup.Arn", "!GetAtt IamRoleLambdaExecution.Arn")
    assert desired(tmp_path, text).get("stack").spec_as(Stack).parameters["FnshipIamRoleLambdaExecutionArn"] == (
        "arn:aws:iam::111122223333:role/fnship/shop/dev/shop-dev-api-us-east-1-lambdaRole"
    )
    two = text.replace("functions:\n", "functions:\n  other:\n    handler: app.other\n")
    with pytest.raises(InputError) as caught:
        desired(tmp_path, two)
    assert "IamRoleLambdaExecution names the execution role, and fnship makes 2 here: role.other, role.api" in str(
        caught.value.diagnostics[0]
    )


EVERYWHERE = """\
service: shop
provider:
  name: aws
functions:
  api:
    handler: app.handler
    layers:
      - !Ref SharedLayer
    vpc:
      subnetIds: [!ImportValue net-SubnetA]
      securityGroupIds: [!GetAtt Group.GroupId]
    onError: !Ref Alerts
    destinations:
      onFailure: !GetAtt Failures.Arn
resources:
  Resources:
    SharedLayer:
      Type: AWS::Lambda::LayerVersion
      Properties:
        Content: {S3Bucket: layers-bucket, S3Key: shared.zip}
    Group:
      Type: AWS::EC2::SecurityGroup
      Properties: {GroupDescription: g}
    Alerts:
      Type: AWS::SNS::Topic
    Failures:
      Type: AWS::SQS::Queue
"""


def test_layers_vpc_dead_letters_and_destinations_take_stack_values(tmp_path):
    from fnship.kinds.invoke_config import EventInvokeConfig

    state = desired(tmp_path, EVERYWHERE)
    function = state.get("function.api").spec_as(LambdaFunction)
    assert function.layers == (Ref("stack", "ref:SharedLayer"),)  # (a layer version's Ref is its ARN)
    assert function.vpc is not None
    assert [ref.attribute.split(":")[0] for ref in (*function.vpc.subnet_ids, *function.vpc.security_group_ids)] == [
        "output",
        "output",
    ]
    assert function.dead_letter_arn == Ref("stack", "ref:Alerts")
    (config,) = state.of_kind("event_invoke_config")
    assert isinstance(config.spec_as(EventInvokeConfig).on_failure, Ref)
    role = state.get("role.api").spec_as(Role)
    statements = role.inline_policy["Statement"]
    sends = {s["Action"] if isinstance(s["Action"], str) else s["Action"][0]: s for s in statements}
    assert sends["sns:Publish"]["Resource"] == Ref("stack", "ref:Alerts")  # (the grant for the dead-letter topic)
    assert sends["sqs:SendMessage"]["Resource"].address == "stack"


ALARMED = """\
service: shop
provider:
  name: aws
  region: eu-west-1
custom:
  deploymentSettings:
    alarms: [ErrorsAlarm, plain-alarm-name]
functions:
  api:
    handler: app.handler
    deploymentSettings:
      type: Linear10PercentEvery1Minute
  other:
    handler: app.handler
    deployment:
      strategy: canary 10% 1m
      alarms: [!Ref ErrorsAlarm]
resources:
  Resources:
    ErrorsAlarm:
      Type: AWS::CloudWatch::Alarm
      Properties:
        Namespace: AWS/Lambda
        MetricName: Errors
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 1
        ComparisonOperator: GreaterThanOrEqualToThreshold
"""


def test_alarms_the_stack_makes_are_read_from_it_and_the_release_waits_for_it(tmp_path):
    """The canary plugin reads `alarms: [ErrorsAlarm]` as `{Ref: ErrorsAlarm}` (the alarm's name); `!Ref` works in
    fnship's own `deployment.alarms`; a name that is no logical id stays a name."""
    from fnship.kinds.alias import Alias
    from fnship.model.resources import resolve_refs

    state = desired(tmp_path, ALARMED)
    for key in ("api", "other"):
        alias = next(r for r in state.resources if r.kind == "alias" and r.address.startswith(f"alias.{key}."))
        settings = alias.spec_as(Alias).release_settings
        assert settings is not None
        refs = [alarm for alarm in settings.alarms if isinstance(alarm, Ref)]
        assert [ref.address for ref in refs] == ["stack"] and refs[0].attribute == "ref:ErrorsAlarm"
        assert ("plain-alarm-name" in settings.alarms) is (key == "api")
        assert any(ref.address == "stack" for ref in refs_in(alias.spec))  # (ordered after the stack)
        resolved = resolve_refs(alias.spec, lambda address, attribute: "shop-dev-errors")
        assert resolved.release_settings is not None
        assert resolved.release_settings.alarms[0] == "shop-dev-errors"
