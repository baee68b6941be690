"""S3: the deployment bucket that carries code too large (or preferred) for a direct upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fnship.aws.calls import aws_call, call_or_none, error_code


class S3Api:
    def __init__(self, client: Any) -> None:
        self._client = client

    def object_exists(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            return aws_call(f"s3://{bucket}/{key}", "HeadObject", self._client.head_object, Bucket=bucket, Key=key)

    def upload_file(self, bucket: str, key: str, path: Path) -> None:
        with path.open("rb") as body:
            aws_call(f"s3://{bucket}/{key}", "PutObject", self._client.put_object, Bucket=bucket, Key=key, Body=body)

    def bucket_exists(self, bucket: str) -> bool:
        return call_or_none(f"bucket {bucket}", "HeadBucket", self._client.head_bucket, Bucket=bucket) is not None
