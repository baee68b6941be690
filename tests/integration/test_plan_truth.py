"""What the plan shows and the apply does about live state fnship owns but did not put there, against the moto
server: a removed plain environment variable's value, an inline policy added to an owned role by hand, the
per-version errors alarm a killed shift left, an owned bucket that still holds objects."""

from __future__ import annotations

from tests.conftest import HELLO_HANDLER

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python3.12
functions:
  api:
    handler: handler.hello
    environment:
      MODE: fast
      TOKEN: ${ssm:/demo/token}
"""


def _deploy(project, *args: str) -> None:
    result = project.fn("deploy", "--yes", *args)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_removed_plain_variable_shows_its_value_and_a_removed_secret_stays_hidden(moto, project):
    moto.client("ssm").put_parameter(Name="/demo/token", Value="s3cr3t-value", Type="SecureString")
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    _deploy(project)

    project.write(
        "serverless.yml", SERVICE.replace("      MODE: fast\n      TOKEN: ${ssm:/demo/token}\n", "      KEEP: x\n")
    )
    plan = project.fn("plan")
    assert plan.exit_code == 0, plan.stderr
    assert 'environment.MODE: "fast" -> null' in plan.stdout
    assert "environment.TOKEN: (sensitive) -> null" in plan.stdout
    document = project.fn("plan", "--json").json
    fields = {f["path"]: f for c in document["plan"]["changes"] for f in c["fields"]}
    assert fields["environment.MODE"]["before"] == "fast"
    assert fields["environment.TOKEN"]["before"] == "(sensitive)"
    assert "s3cr3t-value" not in plan.stdout + plan.stderr + str(document)


def test_a_secret_that_becomes_plain_does_not_show_its_old_value(moto, project):
    moto.client("ssm").put_parameter(Name="/demo/token", Value="s3cr3t-value", Type="SecureString")
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    _deploy(project)
    project.write("serverless.yml", SERVICE.replace("${ssm:/demo/token}", "now-plain"))
    plan = project.fn("plan")
    assert 'environment.TOKEN: (sensitive) -> "now-plain"' in plan.stdout
    assert "s3cr3t-value" not in plan.stdout + plan.stderr


HELLO = """\
service: demo
provider:
  name: aws
functions:
  api:
    handler: handler.hello
"""

HAND_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


def test_an_inline_policy_added_outside_fnship_is_planned_for_removal_and_removed(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", HELLO)
    _deploy(project)
    iam = moto.client("iam")
    role = "demo-dev-api-us-east-1-lambdaRole"
    iam.put_role_policy(RoleName=role, PolicyName="added-by-hand", PolicyDocument=HAND_POLICY)

    plan = project.fn("plan")
    assert "~ role.api" in plan.stdout
    assert "other_inline_policies.added-by-hand:" in plan.stdout and '"s3:*"' in plan.stdout
    _deploy(project)
    assert "added-by-hand" not in iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert "No changes" in project.fn("plan").stdout


def test_remove_deletes_the_errors_alarm_a_killed_shift_left(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", HELLO)
    _deploy(project)
    _deploy(project, "--stage", "other")
    cloudwatch = moto.client("cloudwatch")

    def left_alarm(name: str, stage: str) -> None:
        # What a SIGKILL mid-shift leaves: the alarm fnship made for the new version, with the service's tags.
        cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
            Tags=[{"Key": "fnship:service", "Value": "demo"}, {"Key": "fnship:stage", "Value": stage},
                  {"Key": "fnship:function", "Value": "api"}],
        )  # fmt: skip

    left_alarm("fnship-demo-dev-api-live-v2-errors", "dev")
    left_alarm("fnship-demo-other-api-live-v2-errors", "other")
    cloudwatch.put_metric_alarm(
        AlarmName="api-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip

    plan = project.fn("remove", "--json", "--yes")
    assert plan.exit_code == 0, plan.stderr
    assert "alarm.fnship-demo-dev-api-live-v2-errors" in {c["address"] for c in plan.json["plan"]["changes"]}
    names = sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"])
    assert names == ["api-errors", "fnship-demo-other-api-live-v2-errors"]


BUCKET_SERVICE = """\
service: demo
provider:
  name: aws
functions:
  api:
    handler: handler.hello
    events:
      - s3: {bucket}
"""


def test_renaming_an_owned_bucket_that_holds_objects_leaves_it_disowned_and_deploys(moto, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", BUCKET_SERVICE.format(bucket="demo-uploads-old"))
    _deploy(project)
    s3 = moto.client("s3")
    s3.put_object(Bucket="demo-uploads-old", Key="data.csv", Body=b"user data")

    project.write("serverless.yml", BUCKET_SERVICE.format(bucket="demo-uploads-new"))
    plan = project.fn("plan")
    assert plan.exit_code == 0, plan.stderr
    assert "bucket demo-uploads-old still holds objects, so destroying it would fail" in plan.stdout
    assert "- bucket.demo-uploads-old" not in plan.stdout
    assert 'tags.fnship:service: "demo" -> null' in plan.stdout

    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "demo-uploads-old" in result.stdout  # the warning names it
    assert s3.get_object(Bucket="demo-uploads-old", Key="data.csv")["Body"].read() == b"user data"
    tags = s3.get_bucket_tagging(Bucket="demo-uploads-old")["TagSet"] if _has_tags(s3, "demo-uploads-old") else []
    assert not [t for t in tags if t["Key"].startswith("fnship:")]
    assert (
        s3.get_bucket_notification_configuration(Bucket="demo-uploads-old").get("LambdaFunctionConfigurations") is None
    )
    new = s3.get_bucket_notification_configuration(Bucket="demo-uploads-new")["LambdaFunctionConfigurations"]
    assert len(new) == 1
    again = project.fn("plan", "--exit-code")
    assert again.exit_code == 0, again.stdout
    removed = project.fn("remove", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert s3.head_bucket(Bucket="demo-uploads-old")


def _has_tags(s3, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.get_bucket_tagging(Bucket=bucket)
    except ClientError:
        return False
    return True
