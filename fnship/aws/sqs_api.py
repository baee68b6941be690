"""SQS: read-only look-ups of the queues that triggers consume (fnship does not own queues yet)."""

from __future__ import annotations

from typing import Any

from fnship.aws.calls import call_or_none, describe


class SqsApi:
    def __init__(self, client: Any) -> None:
        self._client = client

    def visibility_timeout_or_none(self, queue_arn: str) -> int | None:
        """The queue's visibility timeout in seconds; None when the queue cannot be read."""
        _, _, _, _region, account, name = queue_arn.split(":", 5)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            url = self._client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        except ClientError:
            return None
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"queue {queue_arn}", action="GetQueueUrl", client=self._client) from exc
        found = call_or_none(
            f"queue {queue_arn}",
            "GetQueueAttributes",
            self._client.get_queue_attributes,
            QueueUrl=url,
            AttributeNames=["VisibilityTimeout"],
        )
        if not found:
            return None
        return int(found.get("Attributes", {}).get("VisibilityTimeout", 30))
