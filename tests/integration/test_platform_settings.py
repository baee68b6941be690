"""Issue 13's platform settings against the moto server: provisioned pollers and metrics on event source
mappings, EventBridge Scheduler schedules, durable functions. Each is read back with boto3, changed in place with
a field-level plan, redeployed unchanged with no mutating call, and removed by `fn remove`."""

from __future__ import annotations

import pytest

from tests.conftest import ACCOUNT, REGION
from tests.integration.test_triggers import deploy, mappings, prepare_sources

ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-api:live"

POLLERS = """\
service: svc
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - sqs:
          arn: {queue}
          {pollers}
          metricsConfig: [EventCount]
      - stream:
          arn: {stream}
          {stream_metrics}
"""


def test_provisioned_pollers_and_metrics_reach_the_mapping_and_change_in_place(moto, project):
    sources = prepare_sources(moto)
    text = POLLERS.format(
        **sources, pollers="provisionedPollers: {min: 5, max: 100}", stream_metrics="metricsConfig: [EventCount]"
    )
    deploy(project, text)
    queue, stream = mappings(moto)[sources["queue"]], mappings(moto)[sources["stream"]]
    assert queue["ProvisionedPollerConfig"] == {"MinimumPollers": 5, "MaximumPollers": 100}
    assert queue["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert stream["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert moto.mutating_calls_during(lambda: deploy(project, text)) == []

    changed = POLLERS.format(**sources, pollers="provisionedPollers: {max: 50}", stream_metrics="")
    project.write("serverless.yml", changed)
    plan = project.fn("plan", "--no-color")
    assert plan.exit_code == 0, plan.stderr
    assert 'provisioned_pollers: {"maximum": 100, "minimum": 5} -> {"maximum": 50, "minimum": 2}' in plan.stdout
    assert 'metrics: ["EventCount"] -> []' in plan.stdout
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in plan.stdout
    deploy(project, changed)
    queue, stream = mappings(moto)[sources["queue"]], mappings(moto)[sources["stream"]]
    assert queue["ProvisionedPollerConfig"] == {"MinimumPollers": 2, "MaximumPollers": 50}
    assert not (stream.get("MetricsConfig") or {}).get("Metrics")
    assert "No changes" in project.fn("plan").stdout

    assert project.fn("remove", "--yes").exit_code == 0
    assert mappings(moto) == {}


SCHEDULER = """\
service: svc
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - schedule:
          method: scheduler
          rate: cron(0 9 ? * MON-FRI *)
          timezone: {timezone}
          flexibleTimeWindow: 15
          input: {{hello: world}}
          retryPolicy: {{maximumRetryAttempts: 3, maximumEventAge: 3600}}
          deadLetterQueueArn: {dlq}
      - schedule:
          method: scheduler
          rate: at(2030-01-01T00:00:00)
          name: new-year
      - schedule: rate(5 minutes)
"""


def schedules(moto) -> dict[str, dict]:
    scheduler = moto.client("scheduler")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName="svc-dev")["Schedules"]]
    return {name: scheduler.get_schedule(GroupName="svc-dev", Name=name) for name in names}


def test_scheduler_schedules_invoke_the_alias_with_a_role_scoped_to_it(moto, project):
    import json

    dlq = moto.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
    assert dlq.endswith("/dlq")
    text = SCHEDULER.format(timezone="Europe/Paris", dlq=dlq_arn)
    deploy(project, text)

    group = moto.client("scheduler").get_schedule_group(Name="svc-dev")
    tags = moto.client("scheduler").list_tags_for_resource(ResourceArn=group["Arn"])["Tags"]
    assert {"Key": "fnship:service", "Value": "svc"} in tags
    found = schedules(moto)
    assert sorted(found) == ["api-schedule", "new-year"]
    weekday, once = found["api-schedule"], found["new-year"]
    role = f"arn:aws:iam::{ACCOUNT}:role/fnship/svc/dev/svc-dev-api-{REGION}-schedulerRole"
    assert weekday["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    assert weekday["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert weekday["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert weekday["Target"]["Arn"] == ALIAS and weekday["Target"]["RoleArn"] == role
    assert json.loads(weekday["Target"]["Input"]) == {"hello": "world"}
    assert weekday["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert weekday["Target"]["DeadLetterConfig"] == {"Arn": dlq_arn}
    assert (once["ScheduleExpression"], once["ActionAfterCompletion"]) == ("at(2030-01-01T00:00:00)", "NONE")
    # The plain `schedule:` stays an EventBridge rule.
    assert [r["Name"] for r in moto.client("events").list_rules()["Rules"]] == ["svc-dev-api-schedule"]

    iam = moto.client("iam")
    trust = iam.get_role(RoleName=f"svc-dev-api-{REGION}-schedulerRole")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    ]
    policy = iam.get_role_policy(RoleName=f"svc-dev-api-{REGION}-schedulerRole", PolicyName="fnship")
    assert sorted((s["Action"], s["Resource"]) for s in policy["PolicyDocument"]["Statement"]) == [
        ("lambda:InvokeFunction", ALIAS),
        ("sqs:SendMessage", dlq_arn),
    ]
    # The execution role gains nothing for it: Scheduler invokes with its own role.
    execution = iam.get_role_policy(RoleName=f"svc-dev-api-{REGION}-lambdaRole", PolicyName="fnship")
    assert "sqs:SendMessage" not in json.dumps(execution["PolicyDocument"])

    assert moto.mutating_calls_during(lambda: deploy(project, text)) == []

    changed = SCHEDULER.format(timezone="America/New_York", dlq=dlq_arn).replace("          name: new-year\n", "")
    project.write("serverless.yml", changed)
    plan = project.fn("plan", "--no-color")
    assert 'timezone: "Europe/Paris" -> "America/New_York"' in plan.stdout, plan.stdout
    assert "- trigger.api.scheduler.new-year" in plan.stdout
    assert "+ trigger.api.scheduler.api-schedule-2" in plan.stdout
    deploy(project, changed)
    found = schedules(moto)
    assert sorted(found) == ["api-schedule", "api-schedule-2"]
    assert found["api-schedule"]["ScheduleExpressionTimezone"] == "America/New_York"
    assert "No changes" in project.fn("plan").stdout

    assert project.fn("remove", "--yes").exit_code == 0
    assert [g["Name"] for g in moto.client("scheduler").list_schedule_groups()["ScheduleGroups"]] == ["default"]
    assert not [r for r in iam.list_roles()["Roles"] if "schedulerRole" in r["RoleName"]]


def test_a_schedule_moved_from_a_rule_to_scheduler_leaves_no_rule_behind(moto, project):
    rule = "service: svc\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: handler.hello\n    events:\n"
    deploy(project, rule + "      - schedule: rate(1 hour)\n")
    moved = rule + "      - schedule:\n          method: scheduler\n          rate: rate(1 hour)\n"
    deploy(project, moved)
    assert moto.client("events").list_rules()["Rules"] == []
    assert list(schedules(moto)) == ["api-schedule"]
    # EventBridge's statement on the alias went with the rule (the last one: the alias has no policy left).
    lam = moto.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="svc-dev-api", Qualifier="live")


@pytest.fixture
def platform(moto, monkeypatch):
    """Lambda's durable and managed-instances APIs (which moto lacks) answered by a double that follows the Lambda
    API reference, in front of moto (tests/lambda_platform_double.py)."""
    from tests.lambda_platform_double import LambdaPlatformDouble

    served = LambdaPlatformDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    yield served
    served.stop()


def served_config(platform) -> dict:
    """The configuration of the version the alias serves, asked through the double (as fnship asks)."""
    from tests.conftest import Moto

    client = Moto(platform.endpoint).client("lambda")
    return client.get_function(FunctionName="svc-dev-api", Qualifier="live")["Configuration"]


DURABLE = """\
service: svc
provider:
  name: aws
  runtime: python3.13
functions:
  api:
    handler: handler.hello
    {durable}
"""


def test_a_durable_function_is_created_durable_changes_in_place_and_its_role_checkpoints(platform, moto, project):
    import json

    durable = "durableConfig: {executionTimeout: 3600, retentionPeriodInDays: 30}"
    deploy(project, DURABLE.format(durable=durable))
    function = served_config(platform)
    assert function["DurableConfig"] == {"ExecutionTimeout": 3600, "RetentionPeriodInDays": 30}
    policy = moto.client("iam").get_role_policy(RoleName=f"svc-dev-api-{REGION}-lambdaRole", PolicyName="fnship")
    statement = {
        "Effect": "Allow",
        "Action": ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"],
        "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:svc-dev-api:*",
    }
    assert statement in policy["PolicyDocument"]["Statement"], json.dumps(policy["PolicyDocument"])
    assert moto.mutating_calls_during(lambda: deploy(project, DURABLE.format(durable=durable))) == []

    longer = "durableConfig: {executionTimeout: 86400, retentionPeriodInDays: 30}"
    project.write("serverless.yml", DURABLE.format(durable=longer))
    plan = project.fn("plan", "--no-color")
    assert '"execution_timeout": 3600' in plan.stdout and '"execution_timeout": 86400' in plan.stdout, plan.stdout
    assert "-/+" not in plan.stdout
    deploy(project, DURABLE.format(durable=longer))
    served = served_config(platform)
    assert served["DurableConfig"]["ExecutionTimeout"] == 86400  # the new version carries it

    # An unqualified invoke is refused before any call, with the reason.
    refused = project.fn("invoke", "-f", "api", "-q", "$LATEST")
    assert refused.exit_code == 2 and "durable" in refused.stderr and "unqualified" in refused.stderr

    assert project.fn("remove", "--yes").exit_code == 0


def test_turning_durable_execution_on_or_off_replaces_the_function_as_the_plan_says(platform, moto, project):
    """Lambda enables durable execution only when it creates a function
    (https://docs.aws.amazon.com/lambda/latest/dg/durable-configuration.html): the plan shows the replacement, naming
    the field that forces it, and the deploy applies it, with the alias and the role's grants made anew."""
    deploy(project, DURABLE.format(durable=""))
    durable = "durableConfig: {executionTimeout: 3600}"
    project.write("serverless.yml", DURABLE.format(durable=durable))
    plan = project.fn("plan", "--no-color")
    assert plan.exit_code == 0, plan.stderr
    assert "-/+ function.api" in plan.stdout, plan.stdout
    assert "durable_execution: null -> true  # forces replacement" in plan.stdout, plan.stdout
    assert "+ alias.api.live" in plan.stdout, plan.stdout  # DeleteFunction takes the alias with it
    deployed = project.fn("deploy", "--yes", "--no-color")
    assert deployed.exit_code == 0, deployed.stderr
    served = served_config(platform)
    assert served["DurableConfig"]["ExecutionTimeout"] == 3600
    assert "No changes" in project.fn("plan").stdout
    assert moto.mutating_calls_during(lambda: deploy(project, DURABLE.format(durable=durable))) == []

    # And back: a durable function cannot stop being one either.
    project.write("serverless.yml", DURABLE.format(durable=""))
    plan = project.fn("plan", "--no-color")
    assert "-/+ function.api" in plan.stdout and "durable_execution: true -> null  # forces replacement" in (
        plan.stdout
    ), plan.stdout
    deployed = project.fn("deploy", "--yes", "--no-color")
    assert deployed.exit_code == 0, deployed.stderr
    assert "DurableConfig" not in served_config(platform)
    assert "No changes" in project.fn("plan").stdout
    assert project.fn("remove", "--yes").exit_code == 0


MANAGED = """\
service: svc
provider:
  name: aws
  runtime: python3.13
  vpc:
    subnetIds: [subnet-1, subnet-2]
    securityGroupIds: [sg-1]
  capacityProviders:
    fleet:
      scaling:
        mode: manual
        maxVCpuCount: {vcpus}
        policies: [{{predefinedMetricType: LambdaCapacityProviderAverageCPUUtilization, targetValue: 70}}]
      instanceRequirements: {{architectures: [arm64], allowedInstanceTypes: [m7g.large]}}
functions:
  api:
    handler: handler.hello
    memorySize: 4096
    capacityProvider:
      name: fleet
      memoryPerVCpu: 4
      maxConcurrency: 10
      scaling: {{min: {low}, max: 10}}
"""


def test_a_capacity_provider_and_its_function_are_planned_applied_and_removed(platform, moto, project):
    text = MANAGED.format(vcpus=100, low=2)
    deploy(project, text)
    provider = platform.providers["svc-dev-fleet"]
    role = f"arn:aws:iam::{ACCOUNT}:role/fnship/svc/dev/svc-dev-fleet-{REGION}-operatorRole"
    assert provider["PermissionsConfig"] == {"CapacityProviderOperatorRoleArn": role}
    assert provider["VpcConfig"] == {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
    assert provider["InstanceRequirements"] == {"Architectures": ["arm64"], "AllowedInstanceTypes": ["m7g.large"]}
    assert provider["CapacityProviderScalingConfig"]["MaxVCpuCount"] == 100
    assert provider["Tags"] == {"fnship:service": "svc", "fnship:stage": "dev"}
    function = served_config(platform)
    assert function["CapacityProviderConfig"] == {
        "LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": provider["CapacityProviderArn"],
            "ExecutionEnvironmentMemoryGiBPerVCpu": 4.0,
            "PerExecutionEnvironmentMaxConcurrency": 10,
        }
    }
    # The scaling is set on the version the alias serves, after it is published.
    assert platform.scaling == {("svc-dev-api", function["Version"]): {"MinExecutionEnvironments": 2,
                                                                       "MaxExecutionEnvironments": 10}}  # fmt: skip
    operator = moto.client("iam").get_role_policy(RoleName=f"svc-dev-fleet-{REGION}-operatorRole", PolicyName="fnship")
    launch = [s for s in operator["PolicyDocument"]["Statement"] if "ec2:CreateNetworkInterface" in s["Action"]]
    assert launch[0]["Resource"] == [
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-1",
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-2",
    ]
    assert moto.mutating_calls_during(lambda: deploy(project, text)) == []
    assert "No changes" in project.fn("plan").stdout

    changed = MANAGED.format(vcpus=200, low=4)
    project.write("serverless.yml", changed)
    plan = project.fn("plan", "--no-color")
    assert "~ capacity_provider.fleet" in plan.stdout and "max_vcpu: 100 -> 200" in plan.stdout, plan.stdout
    assert "~ function_scaling.api" in plan.stdout and "min_environments: 2 -> 4" in plan.stdout
    platform.calls.clear()
    deploy(project, changed)
    assert sorted(platform.calls) == [f"PutFunctionScalingConfig {function['Version']}", "UpdateCapacityProvider"]
    assert "No changes" in project.fn("plan").stdout

    assert project.fn("remove", "--yes").exit_code == 0
    assert platform.providers == {}
    roles = moto.client("iam").list_roles(PathPrefix="/fnship/svc/dev/")["Roles"]
    assert roles == []


def test_moving_a_function_onto_a_capacity_provider_replaces_it_as_the_plan_says(platform, moto, project):
    """A function's compute type (a capacity provider or Lambda's own fleet) is set when Lambda creates it: it
    "can't be added or removed after the function resource has been created"
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-capacityproviderconfig.html)."""
    managed = MANAGED.format(vcpus=100, low=2)
    on_lambda = managed.replace(managed[managed.index("    capacityProvider:") :], "")
    deploy(project, on_lambda)
    assert "CapacityProviderConfig" not in served_config(platform)

    project.write("serverless.yml", managed)
    plan = project.fn("plan", "--no-color")
    assert plan.exit_code == 0, plan.stderr
    assert "-/+ function.api" in plan.stdout, plan.stdout
    assert "managed_instances: null -> true  # forces replacement" in plan.stdout, plan.stdout
    deployed = project.fn("deploy", "--yes", "--no-color")
    assert deployed.exit_code == 0, deployed.stderr
    function = served_config(platform)
    config = function["CapacityProviderConfig"]["LambdaManagedInstancesCapacityProviderConfig"]
    assert config["CapacityProviderArn"] == platform.providers["svc-dev-fleet"]["CapacityProviderArn"]
    assert platform.scaling == {("svc-dev-api", function["Version"]): {"MinExecutionEnvironments": 2,
                                                                       "MaxExecutionEnvironments": 10}}  # fmt: skip
    assert "No changes" in project.fn("plan").stdout

    project.write("serverless.yml", on_lambda)
    plan = project.fn("plan", "--no-color")
    assert "-/+ function.api" in plan.stdout and "managed_instances: true -> null  # forces replacement" in (
        plan.stdout
    ), plan.stdout
    deployed = project.fn("deploy", "--yes", "--no-color")
    assert deployed.exit_code == 0, deployed.stderr
    assert "CapacityProviderConfig" not in served_config(platform)
    assert "No changes" in project.fn("plan").stdout
    assert project.fn("remove", "--yes").exit_code == 0
    assert platform.providers == {}
