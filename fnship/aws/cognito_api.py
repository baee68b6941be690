"""Amazon Cognito user pools (`cognitoUserPool` events): pools found by name, created and owned when the event
does not say `existing: true`, and their Lambda triggers (LambdaConfig)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fnship.aws.calls import aws_call, call_or_none, paged

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

# What UpdateUserPool takes of DescribeUserPool's answer: UpdateUserPool resets every setting it is not given to
# its default, so a change of the Lambda triggers sends all of them back as they are.
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPool.html
UPDATABLE = (
    "Policies",
    "DeletionProtection",
    "AutoVerifiedAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "AccountRecoverySetting",
)


SENDERS = ("CustomSMSSender", "CustomEmailSender")  # LambdaConfig's custom sender triggers


class CognitoApi:
    def __init__(self, client: CognitoIdentityProviderClient) -> None:
        self._client = client

    def pool_ids_named(self, name: str) -> list[str]:
        """The ids of the user pools named `name` (Cognito does not keep names unique): ListUserPools is the only
        way from a name to a pool, as Serverless v3 finds an `existing` one."""
        pools = paged(self._client, "list_user_pools", f"user pool {name}", "UserPools", MaxResults=60)
        return sorted(str(p["Id"]) for p in pools if p.get("Name") == name)

    def get_pool_or_none(self, pool_id: str) -> UserPoolTypeTypeDef | None:
        """DescribeUserPool's `UserPool` (Id, Name, Arn, LambdaConfig, UserPoolTags, ...), or None."""
        found = call_or_none(
            f"user pool {pool_id}", "DescribeUserPool", self._client.describe_user_pool, UserPoolId=pool_id
        )
        return found.get("UserPool") if found else None

    def create_pool(self, name: str, *, tags: Mapping[str, str]) -> UserPoolTypeTypeDef:
        created = aws_call(
            f"user pool {name}", "CreateUserPool", self._client.create_user_pool, PoolName=name, UserPoolTags=dict(tags)
        )
        return created["UserPool"]

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceArn=arn, TagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, ResourceArn=arn, Tags=dict(add))

    def set_lambda_trigger(
        self, pool_id: str, trigger: str, function_arn: str | None, *, kms_key: str | None = None
    ) -> None:
        """Point one of the pool's Lambda triggers at `function_arn` (None: remove it), leaving every other
        setting of the pool as it is. A custom sender (CustomSMSSender, CustomEmailSender) is written
        `{LambdaVersion, LambdaArn}` with the pool's `KMSKeyID`, which goes when no sender is left."""
        pool = self.get_pool_or_none(pool_id)
        if pool is None:
            from fnship.errors import AwsError

            raise AwsError(resource=f"user pool {pool_id}", action="DescribeUserPool", code="NotFound",
                           detail="the user pool does not exist")  # fmt: skip
        described: dict[str, Any] = dict(pool)  # (its settings go back as they are: sent by name, below)
        settings = {key: described[key] for key in UPDATABLE if described.get(key) is not None}
        admin = dict(settings.get("AdminCreateUserConfig") or {})
        admin.pop("UnusedAccountValidityDays", None)  # deprecated: refused beside the password policy's
        if admin:
            settings["AdminCreateUserConfig"] = admin
        config: dict[str, Any] = dict(pool.get("LambdaConfig") or {})
        if function_arn is None:
            config.pop(trigger, None)
        elif trigger in SENDERS:
            config[trigger] = {"LambdaVersion": "V1_0", "LambdaArn": function_arn}
            config["KMSKeyID"] = kms_key
        else:
            config[trigger] = function_arn
        if not any(sender in config for sender in SENDERS):
            config.pop("KMSKeyID", None)
        aws_call(f"user pool {pool_id}", "UpdateUserPool", self._client.update_user_pool, UserPoolId=pool_id,
                 LambdaConfig=config, **settings)  # fmt: skip

    def delete_pool(self, pool_id: str) -> None:
        call_or_none(f"user pool {pool_id}", "DeleteUserPool", self._client.delete_user_pool, UserPoolId=pool_id)
