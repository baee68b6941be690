"""Elastic Load Balancing v2 (`alb` events): lambda target groups (health check, attributes, the alias registered),
listener rules forwarding to them, tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, call_or_none, paged, tag_list
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client
    from mypy_boto3_elbv2.type_defs import RuleTypeDef, TargetGroupTypeDef

    class TargetGroupAnswer(TargetGroupTypeDef, total=False):
        """DescribeTargetGroups' item with what the other reads of a group say."""

        Attributes: dict[str, str]  # DescribeTargetGroupAttributes, as a mapping
        Targets: list[str]  # the registered targets' ids (DescribeTargetHealth)
        Tags: dict[str, str]  # DescribeTags


MULTI_VALUE_HEADERS = "lambda.multi_value_headers.enabled"


class Elbv2Api:
    def __init__(self, client: ElasticLoadBalancingv2Client) -> None:
        self._client = client

    # -- target groups --------------------------------------------------------------------------------------------
    def get_target_group_or_none(self, arn: str) -> TargetGroupAnswer | None:
        """DescribeTargetGroups' item with the group's `Attributes` (a mapping), registered `Targets` (ids) and
        `Tags`, or None when it does not exist."""
        found = call_or_none(
            f"target group {arn}", "DescribeTargetGroups", self._client.describe_target_groups, TargetGroupArns=[arn]
        )
        groups = found.get("TargetGroups") if found is not None else None
        return self._detail(groups[0]) if groups else None

    def find_target_group_or_none(self, name: str) -> TargetGroupAnswer | None:
        """The target group named `name` (names are unique per account and region), as get_target_group_or_none."""
        found = call_or_none(
            f"target group {name}", "DescribeTargetGroups", self._client.describe_target_groups, Names=[name]
        )
        groups = found.get("TargetGroups") if found is not None else None
        return self._detail(groups[0]) if groups else None

    def _detail(self, group: TargetGroupTypeDef) -> TargetGroupAnswer:
        arn = group.get("TargetGroupArn", "")
        attributes = aws_call(
            f"target group {arn}", "DescribeTargetGroupAttributes", self._client.describe_target_group_attributes,
            TargetGroupArn=arn,
        )  # fmt: skip
        health = aws_call(
            f"target group {arn}", "DescribeTargetHealth", self._client.describe_target_health, TargetGroupArn=arn
        )
        tags = aws_call(f"target group {arn}", "DescribeTags", self._client.describe_tags, ResourceArns=[arn])
        return {
            **group,
            "Attributes": {a["Key"]: a["Value"] for a in attributes.get("Attributes") or []},
            "Targets": sorted(d["Target"]["Id"] for d in health.get("TargetHealthDescriptions") or []),
            "Tags": {t["Key"]: t["Value"] for d in tags.get("TagDescriptions") or [] for t in d.get("Tags") or []},
        }

    def create_target_group(self, name: str, *, health: JsonMapping, tags: Mapping[str, str]) -> str:
        created = aws_call(
            f"target group {name}",
            "CreateTargetGroup",
            self._client.create_target_group,
            Name=name,
            TargetType="lambda",
            Tags=tag_list(tags),
            **health,
        )
        return str(created["TargetGroups"][0]["TargetGroupArn"])

    def modify_target_group(self, arn: str, *, health: JsonMapping) -> None:
        aws_call(f"target group {arn}", "ModifyTargetGroup", self._client.modify_target_group, TargetGroupArn=arn,
                 **health)  # fmt: skip

    def set_multi_value_headers(self, arn: str, enabled: bool) -> None:
        aws_call(
            f"target group {arn}",
            "ModifyTargetGroupAttributes",
            self._client.modify_target_group_attributes,
            TargetGroupArn=arn,
            Attributes=[{"Key": MULTI_VALUE_HEADERS, "Value": "true" if enabled else "false"}],
        )

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "RemoveTags", self._client.remove_tags, ResourceArns=[arn], TagKeys=list(remove))
        if add:
            aws_call(arn, "AddTags", self._client.add_tags, ResourceArns=[arn], Tags=tag_list(add))

    def register_target(self, arn: str, target: str) -> None:
        """Lambda checks that the load balancer may invoke `target` (the alias's permission must exist first)."""
        aws_call(f"target group {arn}", "RegisterTargets", self._client.register_targets, TargetGroupArn=arn,
                 Targets=[{"Id": target}])  # fmt: skip

    def deregister_target(self, arn: str, target: str) -> None:
        call_or_none(f"target group {arn}", "DeregisterTargets", self._client.deregister_targets, TargetGroupArn=arn,
                     Targets=[{"Id": target}])  # fmt: skip

    def delete_target_group(self, arn: str) -> None:
        """ELB refuses to delete a group a rule still forwards to: those rules go first."""
        group = call_or_none(
            f"target group {arn}", "DescribeTargetGroups", self._client.describe_target_groups, TargetGroupArns=[arn]
        )
        for found in (group.get("TargetGroups") if group is not None else None) or []:
            for balancer in found.get("LoadBalancerArns") or []:
                for listener in paged(self._client, "describe_listeners", f"load balancer {balancer}", "Listeners",
                                      LoadBalancerArn=balancer):  # fmt: skip
                    for rule in self.rules(listener["ListenerArn"]):
                        if arn in forwarded_groups(rule) and not rule.get("IsDefault"):
                            self.delete_rule(rule["RuleArn"])
        call_or_none(f"target group {arn}", "DeleteTargetGroup", self._client.delete_target_group, TargetGroupArn=arn)

    # -- listener rules -------------------------------------------------------------------------------------------
    def rules(self, listener_arn: str) -> list[RuleTypeDef]:
        return paged(self._client, "describe_rules", f"listener {listener_arn}", "Rules", ListenerArn=listener_arn)

    def create_rule(
        self, listener_arn: str, *, priority: int, conditions: Sequence[JsonMapping], actions: Sequence[JsonMapping]
    ) -> str:
        """A rule with its actions in order (authenticate actions, then the forward to a target group)."""
        created = aws_call(
            f"listener {listener_arn} rule {priority}",
            "CreateRule",
            self._client.create_rule,
            ListenerArn=listener_arn,
            Priority=priority,
            Conditions=conditions,
            Actions=actions,
        )
        return str(created["Rules"][0]["RuleArn"])

    def modify_rule(self, rule_arn: str, *, conditions: Sequence[JsonMapping], actions: Sequence[JsonMapping]) -> None:
        aws_call(
            f"listener rule {rule_arn}",
            "ModifyRule",
            self._client.modify_rule,
            RuleArn=rule_arn,
            Conditions=conditions,
            Actions=actions,
        )

    def delete_rule(self, rule_arn: str) -> None:
        call_or_none(f"listener rule {rule_arn}", "DeleteRule", self._client.delete_rule, RuleArn=rule_arn)


def forwarded_groups(rule: RuleTypeDef) -> list[str]:
    """The target groups a rule's forward actions send to."""
    found = []
    for action in rule.get("Actions") or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            found.append(str(action["TargetGroupArn"]))
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            found.append(str(group["TargetGroupArn"]))
    return sorted(set(found))
