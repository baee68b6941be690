"""SQS: read-only look-ups of the queues that triggers consume (fnship does not own queues yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fnship.aws.calls import describe

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class SqsApi:
    def __init__(self, client: SQSClient) -> None:
        self._client = client

    def visibility_timeout_or_none(self, queue_arn: str) -> int | None:
        """The queue's visibility timeout in seconds; None when the queue cannot be read.

        A queue's URL is the regional SQS endpoint, the owner's account and the queue's name
        (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html),
        all in its ARN: one call instead of GetQueueUrl first (a round trip per queue saved)."""
        _, _, _, _region, account, name = queue_arn.split(":", 5)
        url = f"{self._client.meta.endpoint_url.rstrip('/')}/{account}/{name}"
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(
                exc, resource=f"queue {queue_arn}", action="GetQueueAttributes", client=self._client
            ) from exc
        except ClientError:  # missing, or not ours to read (another account's queue): no warning to give
            return None
        return int(found.get("Attributes", {}).get("VisibilityTimeout", 30))
