"""The deployment bucket fnship creates when none is configured: one per account and region, private,
encrypted, tagged; it carries zips over Lambda's 50 MB direct-upload limit and doubles as a shared build cache.
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, describe, error_code, tag_list

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CreateBucketConfigurationTypeDef, CreateBucketRequestTypeDef

CACHE_PREFIX = "fnship/cache/"


class BucketsApi:
    def __init__(self, client: S3Client, *, region: str) -> None:
        self._client = client
        self._region = region

    def exists(self, bucket: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=bucket)
            return True
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"bucket {bucket}", action="HeadBucket", client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchBucket", "NotFound"):  # HeadBucket has no body: just the status
                return False
            aws_call(f"bucket {bucket}", "HeadBucket", self._client.head_bucket, Bucket=bucket)
            return True

    def ensure(self, bucket: str, *, tags: Mapping[str, str]) -> None:
        """Create the bucket once: public access blocked, default encryption (SSE-S3), our tags."""
        if self.exists(bucket):
            return
        kwargs: CreateBucketRequestTypeDef = {"Bucket": bucket}
        if self._region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
            location: CreateBucketConfigurationTypeDef = {"LocationConstraint": self._region}  # type: ignore[typeddict-item]  # any region: the stubs list only those known when they were made
            kwargs["CreateBucketConfiguration"] = location
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.create_bucket(**kwargs)
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            raise describe(exc, resource=f"bucket {bucket}", action="CreateBucket", client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) not in ("BucketAlreadyOwnedByYou",):
                aws_call(f"bucket {bucket}", "CreateBucket", self._client.create_bucket, **kwargs)
        aws_call(
            f"bucket {bucket}", "PutPublicAccessBlock", self._client.put_public_access_block, Bucket=bucket,
            PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                            "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        )  # fmt: skip
        aws_call(
            f"bucket {bucket}", "PutBucketEncryption", self._client.put_bucket_encryption, Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault":
                                                          {"SSEAlgorithm": "AES256"}}]},
        )  # fmt: skip
        aws_call(
            f"bucket {bucket}", "PutBucketTagging", self._client.put_bucket_tagging, Bucket=bucket,
            Tagging={"TagSet": tag_list(tags)},
        )  # fmt: skip


class S3ArtifactCache:
    """The packaging stage's remote cache (packaging.cache.RemoteCache) on the deployment bucket.

    The zip itself is stored once, where a deploy uploads it (`{prefix}{CodeSha256}.zip`, so the deploy then finds
    it there and uploads nothing); `fnship/cache/<input key>.json` points at it. Best effort: a cache failure never
    fails a build.
    """

    def __init__(self, client: S3Client, bucket: str, *, prefix: str, read_only: bool = False) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._read_only = read_only  # `fn plan` reads the cache but never writes to it

    def object_key(self, code_sha256: str) -> str:
        return f"{self._prefix}{code_sha256.replace('/', '_')}.zip"

    def fetch(self, key: str, dest: Path) -> bool:
        try:
            pointer = self._client.get_object(Bucket=self._bucket, Key=f"{CACHE_PREFIX}{key}.json")
            target = json.loads(pointer["Body"].read())["object"]
            _download(self._client, self._bucket, target, dest)
            return True
        except Exception:  # noqa: BLE001 -- a miss (or an unreadable cache) means: build it
            return False

    def store(self, key: str, path: Path, *, code_sha256: str) -> None:
        if self._read_only:
            return
        target = self.object_key(code_sha256)
        try:
            try:
                self._client.head_object(Bucket=self._bucket, Key=target)
            except Exception:  # noqa: BLE001 -- not there yet
                with path.open("rb") as body:
                    self._client.put_object(Bucket=self._bucket, Key=target, Body=body)
            self._client.put_object(
                Bucket=self._bucket, Key=f"{CACHE_PREFIX}{key}.json", Body=json.dumps({"object": target}).encode()
            )
        except Exception:  # noqa: BLE001 -- a cache write is best effort
            return


def _download(client: S3Client, bucket: str, key: str, dest: Path) -> None:
    """An object into `dest`, streamed, replacing it only once whole."""
    import shutil

    from fnship.paths import temp_sibling

    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    partial = temp_sibling(dest)
    try:
        with partial.open("wb") as out:
            shutil.copyfileobj(body, out, 1024 * 1024)
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
