"""EventBridge: rules (schedule or pattern) on a bus, their one target (the alias), tags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, call_or_none, tag_list
from fnship.jsonvalue import JsonMapping

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_events.type_defs import DescribeRuleResponseTypeDef, TargetOutputTypeDef


class RuleAnswer(TypedDict):
    """A rule: DescribeRule's answer, its targets (ListTargetsByRule) and its tags."""

    Rule: DescribeRuleResponseTypeDef
    Targets: list[TargetOutputTypeDef]
    Tags: dict[str, str]


class EventsApi:
    def __init__(self, client: EventBridgeClient) -> None:
        self._client = client

    def get_rule_or_none(self, name: str, *, bus: str | None) -> RuleAnswer | None:
        """The rule with its targets and tags, or None when it does not exist."""
        kwargs: dict[str, object] = {"Name": name}
        if bus:
            kwargs["EventBusName"] = bus
        found = call_or_none(f"rule {name}", "DescribeRule", self._client.describe_rule, **kwargs)
        if found is None:
            return None
        targets_kwargs = {"Rule": name, **({"EventBusName": bus} if bus else {})}
        targets = aws_call(f"rule {name}", "ListTargetsByRule", self._client.list_targets_by_rule, **targets_kwargs)
        tags = aws_call(
            f"rule {name}", "ListTagsForResource", self._client.list_tags_for_resource, ResourceARN=found["Arn"]
        )
        return {
            "Rule": found,
            "Targets": targets.get("Targets", []),
            "Tags": {t["Key"]: t["Value"] for t in tags.get("Tags", [])},
        }

    def put_rule(self, name: str, *, bus: str | None, settings: JsonMapping, tags: Mapping[str, str]) -> str:
        """Create or update the rule (PutRule is an upsert); returns its ARN."""
        kwargs: dict[str, object] = {
            "Name": name,
            **settings,
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        if bus:
            kwargs["EventBusName"] = bus
        return str(aws_call(f"rule {name}", "PutRule", self._client.put_rule, **kwargs)["RuleArn"])

    def put_target(self, name: str, *, bus: str | None, target: Mapping[str, str]) -> None:
        kwargs: dict[str, object] = {"Rule": name, "Targets": [dict(target)]}
        if bus:
            kwargs["EventBusName"] = bus
        answer = aws_call(f"rule {name}", "PutTargets", self._client.put_targets, **kwargs)
        if answer.get("FailedEntryCount"):
            from fnship.errors import AwsError

            entry = answer["FailedEntries"][0]
            raise AwsError(
                resource=f"rule {name}", action="PutTargets", code=entry.get("ErrorCode", "Failed"),
                detail=entry.get("ErrorMessage", ""),
            )  # fmt: skip

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceARN=arn, TagKeys=list(remove))
        if add:
            aws_call(
                arn,
                "TagResource",
                self._client.tag_resource,
                ResourceARN=arn,
                Tags=tag_list(add),
            )

    def delete_rule(self, name: str, *, bus: str | None) -> None:
        """Remove the rule's targets, then the rule (EventBridge refuses to delete a rule with targets)."""
        bus_kwargs = {"EventBusName": bus} if bus else {}
        targets = call_or_none(f"rule {name}", "ListTargetsByRule", self._client.list_targets_by_rule, Rule=name,
                               **bus_kwargs)  # fmt: skip
        if targets is None:
            return
        ids = [t["Id"] for t in targets.get("Targets", [])]
        if ids:
            aws_call(f"rule {name}", "RemoveTargets", self._client.remove_targets, Rule=name, Ids=ids, **bus_kwargs)
        call_or_none(f"rule {name}", "DeleteRule", self._client.delete_rule, Name=name, **bus_kwargs)
