"""The `apigateway_account` kind: the CloudWatch role of API Gateway's account settings, which a REST API stage
needs before it may log (provider.logs.restApi). The setting is the region's, shared by every API: as Serverless
v3 does, fnship gives it a role only when none is set, and never takes it away.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.jsonvalue import JsonMapping
from fnship.kinds.base import Context, Kind
from fnship.model.resources import Resource, Spec
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from fnship.plan.reads import Reads

# The role Serverless v3 makes when `provider.logs.restApi` names none (a service moved from v3 reuses it). Its
# policy is what AWS's managed AmazonAPIGatewayPushToCloudWatchLogs allows, written inline: the role is the region's,
# writing for every API and stage (execution log groups are named by API Gateway), so its resource is `*`.
V3_ROLE_NAME = "serverlessApiGatewayCloudWatchRole"
PUSH_TO_LOGS: JsonMapping = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
            ],
            "Resource": "*",
        }
    ],
}
APIGATEWAY_TRUST: JsonMapping = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass(frozen=True, kw_only=True)
class ApiGatewayAccount(Spec):
    """Whether the account's settings name a CloudWatch role; `role` is the one to give them when they name none
    (None: Serverless v3's, made if missing)."""

    kind: ClassVar[str] = "apigateway_account"
    has_role: bool = True
    role: str | None = field(default=None, compare=False)


def account_role_set(context: Context, step: Step) -> None:
    spec = context.desired_spec(step, ApiGatewayAccount)
    role = spec.role
    if role is None:
        iam = context.aws.iam
        role = iam.role_arn_or_none(V3_ROLE_NAME)
        if role is None:
            role = iam.create_role(V3_ROLE_NAME, path="/", trust_policy=APIGATEWAY_TRUST, tags={},
                                   permissions_boundary=None,
                                   description="API Gateway writes REST API logs to CloudWatch Logs")  # fmt: skip
            iam.put_inline_policy(V3_ROLE_NAME, "push-to-cloudwatch-logs", PUSH_TO_LOGS)
    context.aws.rest_apis.set_cloudwatch_role(role)


def account_role_kept(_context: Context, _step: Step) -> None:
    """The region's setting, shared by every API: not taken away when a service stops logging."""


def read_account(aws: Reads, stub: Resource) -> list[Resource]:
    role = aws.once(("apigateway_account",), aws.rest_apis.cloudwatch_role)
    return [Resource.of(stub.address, stub.name, ApiGatewayAccount(has_role=role is not None))]


KIND = Kind(
    name="apigateway_account",
    handlers={
        "apigateway_account.create": account_role_set,
        "apigateway_account.update": account_role_set,
        "apigateway_account.delete": account_role_kept,
    },
    read=read_account,
)
