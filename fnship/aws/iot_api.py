"""AWS IoT: topic rules invoking the alias (`iot` events)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from fnship.aws.calls import aws_call, call_or_none


class IotApi:
    def __init__(self, client: Any) -> None:
        self._client = client

    # -- topic rules --------------------------------------------------------------------------------------------
    def get_topic_rule_or_none(self, name: str) -> dict[str, Any] | None:
        """GetTopicRule's `rule` with its `ruleArn`, or None when there is no such rule.
        https://docs.aws.amazon.com/iot/latest/apireference/API_GetTopicRule.html"""
        found = call_or_none(f"IoT topic rule {name}", "GetTopicRule", self._client.get_topic_rule, ruleName=name)
        if found is None:
            return None
        return {**found["rule"], "ruleArn": found.get("ruleArn")}

    def create_topic_rule(self, name: str, payload: Mapping[str, Any], *, tags: Mapping[str, str]) -> None:
        """`tags` go as CreateTopicRule wants them: one URL query string (`k1=v1&k2=v2`)."""
        aws_call(
            f"IoT topic rule {name}",
            "CreateTopicRule",
            self._client.create_topic_rule,
            ruleName=name,
            topicRulePayload=dict(payload),
            tags=urllib.parse.urlencode(sorted(tags.items())),
        )

    def replace_topic_rule(self, name: str, payload: Mapping[str, Any]) -> None:
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
