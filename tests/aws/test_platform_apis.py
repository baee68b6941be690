"""The adapters of issue 13's APIs: EventBridge Scheduler against the moto server (which implements it), and
Lambda's capacity providers and function scaling against a double of Lambda's API reference in front of moto
(tests/lambda_platform_double.py: moto 5.2 answers 404 to both)."""

from __future__ import annotations

import pytest

from fnship.aws.lambda_api import LambdaApi
from fnship.aws.scheduler_api import SchedulerApi
from fnship.errors import AwsError


def test_a_schedule_group_and_its_schedules(moto):
    api = SchedulerApi(moto.client("scheduler"))
    assert api.get_group_or_none("svc-dev") is None
    assert not api.list_schedule_names("svc-dev")  # (AWS answers ResourceNotFound: None; moto lists nothing)
    arn = api.create_group("svc-dev", tags={"fnship:service": "svc"})
    assert api.get_group_or_none("svc-dev")["Tags"] == {"fnship:service": "svc"}
    api.set_tags(arn, add={"team": "a"}, remove=["fnship:service"])
    assert api.get_group_or_none("svc-dev")["Tags"] == {"team": "a"}
    target = {
        "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    }
    settings = {"ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}
    api.create_schedule("nightly", group="svc-dev", settings=settings)
    assert api.list_schedule_names("svc-dev") == ["nightly"]
    api.update_schedule("nightly", group="svc-dev", settings={**settings, "ScheduleExpression": "rate(2 hours)"})
    assert api.get_schedule_or_none("nightly", group="svc-dev")["ScheduleExpression"] == "rate(2 hours)"
    api.delete_schedule("nightly", group="svc-dev")
    assert api.get_schedule_or_none("nightly", group="svc-dev") is None
    api.delete_group("svc-dev")
    assert api.get_group_or_none("svc-dev") is None


@pytest.fixture
def double(moto):
    from tests.conftest import Moto
    from tests.lambda_platform_double import LambdaPlatformDouble

    served = LambdaPlatformDouble(moto.endpoint).start()
    yield served, Moto(served.endpoint)
    served.stop()


def test_capacity_providers_and_function_scaling(double):
    served, through = double
    api = LambdaApi(through.client("lambda", retries=1))
    assert api.get_capacity_provider_or_none("svc-dev-fleet") is None
    request = {
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": []},
        "PermissionsConfig": {"CapacityProviderOperatorRoleArn": "arn:aws:iam::123456789012:role/op"},
        "Tags": {"fnship:service": "svc"},
    }
    arn = api.create_capacity_provider("svc-dev-fleet", request)
    assert arn.endswith(":capacity-provider:svc-dev-fleet")
    found = api.get_capacity_provider_or_none("svc-dev-fleet")
    assert (found["Tags"], found["VpcConfig"]["SubnetIds"]) == ({"fnship:service": "svc"}, ["subnet-1"])
    api.update_capacity_provider("svc-dev-fleet", {"CapacityProviderScalingConfig": {"MaxVCpuCount": 50}})
    assert api.get_capacity_provider_or_none("svc-dev-fleet")["CapacityProviderScalingConfig"] == {"MaxVCpuCount": 50}
    with pytest.raises(AwsError) as missing:  # a function version that does not exist
        api.put_function_scaling("f", qualifier="1", config={"MinExecutionEnvironments": 1})
    assert "PutFunctionScalingConfig" in str(missing.value)
    assert api.get_function_scaling_or_none("f", qualifier="1") is None
    api.delete_capacity_provider("svc-dev-fleet")
    assert api.get_capacity_provider_or_none("svc-dev-fleet") is None
    api.delete_capacity_provider("svc-dev-fleet")  # already gone: nothing to do
