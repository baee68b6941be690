"""SNS: owned topics (create, tags, delete) and the alias's subscriptions with their filter policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from fnship.aws.calls import aws_call, call_or_none, pages, tag_list

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


class TopicAnswer(TypedDict):
    """A topic: GetTopicAttributes' attributes and its tags."""

    Attributes: dict[str, str]
    Tags: dict[str, str]


class SubscriptionAnswer(TypedDict):
    """A lambda subscription to a topic: its ARN and GetSubscriptionAttributes' attributes."""

    SubscriptionArn: str
    Attributes: dict[str, str]


class SnsApi:
    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def get_topic_or_none(self, arn: str) -> TopicAnswer | None:
        """The topic's attributes and tags, or None when it does not exist."""
        found = call_or_none(f"topic {arn}", "GetTopicAttributes", self._client.get_topic_attributes, TopicArn=arn)
        if found is None:
            return None
        tags = aws_call(f"topic {arn}", "ListTagsForResource", self._client.list_tags_for_resource, ResourceArn=arn)
        return {
            "Attributes": found.get("Attributes", {}),
            "Tags": {t["Key"]: t["Value"] for t in tags.get("Tags", [])},
        }

    def create_topic(self, name: str, *, display_name: str, tags: Mapping[str, str]) -> str:
        kwargs: dict[str, object] = {"Name": name, "Tags": tag_list(tags)}
        if display_name:
            kwargs["Attributes"] = {"DisplayName": display_name}
        created = aws_call(f"topic {name}", "CreateTopic", self._client.create_topic, **kwargs)
        return str(created["TopicArn"])

    def set_display_name(self, arn: str, display_name: str) -> None:
        aws_call(
            f"topic {arn}",
            "SetTopicAttributes",
            self._client.set_topic_attributes,
            TopicArn=arn,
            AttributeName="DisplayName",
            AttributeValue=display_name,
        )

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, ResourceArn=arn, TagKeys=list(remove))
        if add:
            aws_call(
                arn,
                "TagResource",
                self._client.tag_resource,
                ResourceArn=arn,
                Tags=tag_list(add),
            )

    def delete_topic(self, arn: str) -> None:
        call_or_none(f"topic {arn}", "DeleteTopic", self._client.delete_topic, TopicArn=arn)

    def find_subscription_or_none(self, topic_arn: str, endpoint: str) -> SubscriptionAnswer | None:
        """The subscription of `endpoint` (an alias ARN) to the topic, with its attributes."""
        subscriptions = pages(
            self._client, "list_subscriptions_by_topic", f"topic {topic_arn}", missing_ok=True, TopicArn=topic_arn
        )
        for page in subscriptions:  # a page at a time: the pages after the one that has it are not asked for
            for subscription in page.get("Subscriptions", []):
                if subscription.get("Endpoint") == endpoint and subscription.get("Protocol") == "lambda":
                    arn = subscription["SubscriptionArn"]
                    attributes = call_or_none(
                        f"subscription {arn}",
                        "GetSubscriptionAttributes",
                        self._client.get_subscription_attributes,
                        SubscriptionArn=arn,
                    )
                    found = attributes.get("Attributes", {}) if attributes else {}
                    return {"SubscriptionArn": arn, "Attributes": found}
        return None

    def subscribe_lambda(self, topic_arn: str, endpoint: str, *, attributes: Mapping[str, str]) -> str:
        created = aws_call(
            f"subscription of {endpoint} to {topic_arn}",
            "Subscribe",
            self._client.subscribe,
            TopicArn=topic_arn,
            Protocol="lambda",
            Endpoint=endpoint,
            Attributes=dict(attributes),
            ReturnSubscriptionArn=True,
        )
        return str(created["SubscriptionArn"])

    def set_subscription_attribute(self, arn: str, name: str, value: str) -> None:
        aws_call(
            f"subscription {arn}",
            "SetSubscriptionAttributes",
            self._client.set_subscription_attributes,
            SubscriptionArn=arn,
            AttributeName=name,
            AttributeValue=value,
        )

    def unsubscribe(self, arn: str) -> None:
        call_or_none(f"subscription {arn}", "Unsubscribe", self._client.unsubscribe, SubscriptionArn=arn)
