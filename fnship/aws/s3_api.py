"""S3: the deployment bucket that carries code too large (or preferred) for a direct upload; buckets that
s3 triggers own, and the Lambda entries of a bucket's notification configuration."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fnship.aws.calls import aws_call, call_or_none, describe, error_code, error_message, tag_list
from fnship.errors import AwsError, FnError
from fnship.jsonvalue import JsonMapping, JsonValue

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

BUCKET_NOT_FOUND = ("NoSuchBucket", "404", "NotFound")
# S3 checks that it may invoke each Lambda destination when the configuration is written; a permission added
# seconds ago may not be visible to it yet ("Unable to validate the following destination configurations").
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
VALIDATION_RETRY_DELAYS = (1, 2, 3, 5, 5)


class S3Api:
    def __init__(
        self, client: S3Client, *, region: str = "us-east-1", sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._region = region
        self._sleep = sleep

    def object_exists(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            aws_call(f"s3://{bucket}/{key}", "HeadObject", self._client.head_object, Bucket=bucket, Key=key)
            return True  # (the same call failing again raises, naming the object)
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"s3://{bucket}/{key}", action="HeadObject", client=self._client) from exc

    def object_text(self, bucket: str, key: str, *, limit: int = 1024 * 1024) -> str | None:
        """The UTF-8 text of an object of at most `limit` bytes (`${s3:bucket/key}`); None when the key does not
        exist (NoSuchKey; a missing bucket is an error, as Serverless v3 has it)."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"s3://{bucket}/{key}"
        try:
            found = self._client.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) == "NoSuchKey":
                return None
            raise describe(exc, resource=where, action="GetObject", client=self._client) from exc
        except BotoCoreError as exc:
            raise describe(exc, resource=where, action="GetObject", client=self._client) from exc
        body = found["Body"].read(limit + 1)
        if len(body) > limit:
            raise FnError(f"{where} is larger than {limit // 1024} KiB", hint="a variable's value is small text")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise FnError(f"{where} is not UTF-8 text", hint="a variable's value is text") from None

    def upload_file(self, bucket: str, key: str, path: Path) -> None:
        with path.open("rb") as body:
            aws_call(f"s3://{bucket}/{key}", "PutObject", self._client.put_object, Bucket=bucket, Key=key, Body=body)

    def bucket_exists(self, bucket: str) -> bool:
        return call_or_none(f"bucket {bucket}", "HeadBucket", self._client.head_bucket, Bucket=bucket) is not None

    def get_bucket_tags_or_none(self, bucket: str) -> dict[str, str] | None:
        """The bucket's tags ({} when it has none), or None when the bucket does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._client.get_bucket_tagging(Bucket=bucket)
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"bucket {bucket}", action="GetBucketTagging", client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) in BUCKET_NOT_FOUND:
                return None
            if error_code(exc) == "NoSuchTagSet":
                return {}
            raise AwsError(
                resource=f"bucket {bucket}", action="GetBucketTagging", code=error_code(exc), detail=error_message(exc)
            ) from exc
        return {t["Key"]: t["Value"] for t in found.get("TagSet", [])}

    def create_bucket(self, bucket: str, *, tags: Mapping[str, str]) -> None:
        kwargs: dict[str, object] = {"Bucket": bucket}
        if self._region != "us-east-1":  # us-east-1 refuses a LocationConstraint naming itself
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        aws_call(f"bucket {bucket}", "CreateBucket", self._client.create_bucket, **kwargs)
        self.put_tags(bucket, tags)

    def holds_objects(self, bucket: str) -> bool:
        """Whether the bucket holds any object, object version or delete marker: S3 refuses to delete it then.
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html"""
        page = aws_call(
            f"bucket {bucket}", "ListObjectVersions", self._client.list_object_versions, Bucket=bucket, MaxKeys=1
        )
        return bool(page.get("Versions") or page.get("DeleteMarkers"))

    def put_tags(self, bucket: str, tags: Mapping[str, str]) -> None:
        """Replace the bucket's tags (S3 has no per-key tagging call); no tags deletes the tag set."""
        if not tags:
            aws_call(f"bucket {bucket}", "DeleteBucketTagging", self._client.delete_bucket_tagging, Bucket=bucket)
            return
        aws_call(
            f"bucket {bucket}",
            "PutBucketTagging",
            self._client.put_bucket_tagging,
            Bucket=bucket,
            Tagging={"TagSet": tag_list(tags)},
        )

    def delete_bucket(self, bucket: str) -> None:
        """Delete an owned bucket. S3 refuses when it still holds objects: those are the user's data, so fnship
        leaves that to them and says so."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.delete_bucket(Bucket=bucket)
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"bucket {bucket}", action="DeleteBucket", client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) in BUCKET_NOT_FOUND:
                return
            hint = "empty the bucket, then run the command again" if error_code(exc) == "BucketNotEmpty" else ""
            raise AwsError(
                resource=f"bucket {bucket}", action="DeleteBucket", code=error_code(exc), detail=error_message(exc),
                hint=hint,
            ) from exc  # fmt: skip

    def get_notifications_or_none(self, bucket: str) -> dict[str, JsonValue] | None:
        """The bucket's whole notification configuration, or None when the bucket does not exist: JSON-shaped
        data, kept whole to be written back with our entries changed."""
        found: Mapping[str, Any] | None = call_or_none(  # boto3's answer enters here
            f"bucket {bucket}",
            "GetBucketNotificationConfiguration",
            self._client.get_bucket_notification_configuration,
            Bucket=bucket,
        )
        if found is None:
            return None
        return {key: value for key, value in found.items() if key != "ResponseMetadata"}

    def put_notifications(self, bucket: str, configuration: JsonMapping) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for delay in (*VALIDATION_RETRY_DELAYS, None):
            try:
                # The configuration is the JSON read back from S3 with our entries changed: a document passed
                # through, which the stubs' request TypedDicts (literal event names) cannot describe.
                put: Callable[..., object] = self._client.put_bucket_notification_configuration
                put(Bucket=bucket, NotificationConfiguration=dict(configuration))
                return
            except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
                action = "PutBucketNotificationConfiguration"
                raise describe(exc, resource=f"bucket {bucket}", action=action, client=self._client) from exc
            except ClientError as exc:
                retryable = error_code(exc) == "InvalidArgument" and "validate" in error_message(exc)
                if retryable and delay is not None:
                    self._sleep(delay)
                    continue
                raise AwsError(
                    resource=f"bucket {bucket}",
                    action="PutBucketNotificationConfiguration",
                    code=error_code(exc),
                    detail=error_message(exc),
                ) from exc
