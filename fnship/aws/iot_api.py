"""AWS IoT: topic rules invoking the alias (`iot` events)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, call_or_none
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_iot.client import IoTClient
    from mypy_boto3_iot.type_defs import DescribeProvisioningTemplateResponseTypeDef, TopicRuleTypeDef

# The pre-provisioning hook payload AWS IoT documents (its only version).
HOOK_PAYLOAD_VERSION = "2020-04-01"


class IotApi:
    def __init__(self, client: IoTClient) -> None:
        self._client = client

    # -- topic rules --------------------------------------------------------------------------------------------
    def get_topic_rule_or_none(self, name: str) -> TopicRuleTypeDef | None:
        """GetTopicRule's `rule`, or None when there is no such rule.
        https://docs.aws.amazon.com/iot/latest/apireference/API_GetTopicRule.html"""
        found = call_or_none(f"IoT topic rule {name}", "GetTopicRule", self._client.get_topic_rule, ruleName=name)
        return found.get("rule") if found is not None else None

    def create_topic_rule(self, name: str, payload: JsonMapping, *, tags: Mapping[str, str]) -> None:
        """`tags` go as CreateTopicRule wants them: one URL query string (`k1=v1&k2=v2`)."""
        aws_call(
            f"IoT topic rule {name}",
            "CreateTopicRule",
            self._client.create_topic_rule,
            ruleName=name,
            topicRulePayload=dict(payload),
            tags=urllib.parse.urlencode(sorted(tags.items())),
        )

    def replace_topic_rule(self, name: str, payload: JsonMapping) -> None:
        """The whole rule is replaced (its SQL, actions, state and description)."""
        aws_call(
            f"IoT topic rule {name}",
            "ReplaceTopicRule",
            self._client.replace_topic_rule,
            ruleName=name,
            topicRulePayload=dict(payload),
        )

    def delete_topic_rule(self, name: str) -> None:
        call_or_none(f"IoT topic rule {name}", "DeleteTopicRule", self._client.delete_topic_rule, ruleName=name)

    # -- fleet provisioning templates -------------------------------------------------------------------------------
    def get_provisioning_template_or_none(self, name: str) -> DescribeProvisioningTemplateResponseTypeDef | None:
        """DescribeProvisioningTemplate's answer, or None when there is no such template.
        https://docs.aws.amazon.com/iot/latest/apireference/API_DescribeProvisioningTemplate.html"""
        return call_or_none(
            f"provisioning template {name}", "DescribeProvisioningTemplate",
            self._client.describe_provisioning_template, templateName=name,
        )  # fmt: skip

    def create_provisioning_template(
        self, name: str, *, body: str, role_arn: str, enabled: bool, hook_arn: str, tags: Mapping[str, str]
    ) -> str:
        created = aws_call(
            f"provisioning template {name}",
            "CreateProvisioningTemplate",
            self._client.create_provisioning_template,
            templateName=name,
            templateBody=body,
            enabled=enabled,
            provisioningRoleArn=role_arn,
            preProvisioningHook={"targetArn": hook_arn, "payloadVersion": HOOK_PAYLOAD_VERSION},
            tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )
        return str(created["templateArn"])

    def update_provisioning_template(self, name: str, *, role_arn: str, enabled: bool, hook_arn: str) -> None:
        aws_call(
            f"provisioning template {name}",
            "UpdateProvisioningTemplate",
            self._client.update_provisioning_template,
            templateName=name,
            enabled=enabled,
            provisioningRoleArn=role_arn,
            preProvisioningHook={"targetArn": hook_arn, "payloadVersion": HOOK_PAYLOAD_VERSION},
        )

    def set_provisioning_template_body(self, name: str, body: str) -> None:
        """A template's body changes by a new version made the default (UpdateProvisioningTemplate has no body)."""
        aws_call(
            f"provisioning template {name}",
            "CreateProvisioningTemplateVersion",
            self._client.create_provisioning_template_version,
            templateName=name,
            templateBody=body,
            setAsDefault=True,
        )

    def delete_provisioning_template(self, name: str) -> None:
        call_or_none(
            f"provisioning template {name}", "DeleteProvisioningTemplate",
            self._client.delete_provisioning_template, templateName=name,
        )  # fmt: skip
