"""The only package that talks to AWS (boto3 is imported lazily, inside it).

`Aws` hands out one intent-named API object per service for one target (region, profile, endpoint).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.aws.calls import aws_call, call_or_none, pages
from fnship.aws.session import Clients, Target

if TYPE_CHECKING:  # (each service's module is imported when first used: `fn --help` stays fast)
    from fnship.aws.apigateway_api import RestApis
    from fnship.aws.apigatewayv2_api import HttpApis
    from fnship.aws.buckets_api import BucketsApi
    from fnship.aws.cloudformation_api import CloudFormationApi
    from fnship.aws.cloudwatch_api import CloudWatchApi
    from fnship.aws.ecr_api import EcrApi
    from fnship.aws.events_api import EventsApi
    from fnship.aws.iam_api import IamApi
    from fnship.aws.lambda_api import LambdaApi
    from fnship.aws.layers_api import LayersApi
    from fnship.aws.logs_api import LogsApi
    from fnship.aws.logs_read_api import LogsReadApi
    from fnship.aws.logs_write_api import LogsWriteApi
    from fnship.aws.pricing_api import PricingApi
    from fnship.aws.s3_api import S3Api
    from fnship.aws.scheduler_api import SchedulerApi
    from fnship.aws.sns_api import SnsApi
    from fnship.aws.sqs_api import SqsApi
    from fnship.aws.ssm_api import SsmApi

__all__ = ["Aws", "Target"]


def _accounts_file() -> Path:
    from fnship.paths import default_cache_dir

    return default_cache_dir() / "accounts.json"


def _remembered_accounts() -> dict[str, str]:
    import json

    try:
        found = json.loads(_accounts_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _remember_account(key: str | None, account: str) -> None:
    """Written when new (a cache: losing it, or a write racing another command's, costs one GetCallerIdentity)."""
    import json

    from fnship.paths import write_text_atomic

    if key is None:
        return
    known = _remembered_accounts()
    if known.get(key) == account:
        return
    with contextlib.suppress(OSError):  # (a read-only cache directory: the next command asks again)
        write_text_atomic(_accounts_file(), json.dumps({**known, key: account}, sort_keys=True))


class Aws:
    def __init__(self, target: Target, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.target = target
        self.clients = Clients(target)
        self.client = self.clients.client  # the typed client of a service, by its name
        self.sleep = sleep
        self._lock = threading.Lock()
        self._account_id: str | None = None

    @property
    def region(self) -> str:
        return self.target.region

    @functools.cached_property
    def lambda_(self) -> LambdaApi:
        from fnship.aws.lambda_api import LambdaApi

        return LambdaApi(self.client("lambda"), sleep=self.sleep)

    @functools.cached_property
    def iam(self) -> IamApi:
        from fnship.aws.iam_api import IamApi

        return IamApi(self.client("iam"))

    @functools.cached_property
    def logs(self) -> LogsApi:
        from fnship.aws.logs_api import LogsApi

        return LogsApi(self.client("logs"))

    @functools.cached_property
    def logs_read(self) -> LogsReadApi:
        from fnship.aws.logs_read_api import LogsReadApi

        return LogsReadApi(self.client("logs"), live_client=lambda: self.clients.streaming_client("logs"))

    @functools.cached_property
    def logs_write(self) -> LogsWriteApi:
        from fnship.aws.logs_write_api import LogsWriteApi

        return LogsWriteApi(self.client("logs"))

    @functools.cached_property
    def s3(self) -> S3Api:
        from fnship.aws.s3_api import S3Api

        return S3Api(self.client("s3"), region=self.region, sleep=self.sleep)

    @functools.cached_property
    def http_apis(self) -> HttpApis:
        from fnship.aws.apigatewayv2_api import HttpApis

        return HttpApis(self.client("apigatewayv2"), region=self.region)

    @functools.cached_property
    def rest_apis(self) -> RestApis:
        from fnship.aws.apigateway_api import RestApis

        return RestApis(self.client("apigateway"), region=self.region)

    @functools.cached_property
    def sns(self) -> SnsApi:
        from fnship.aws.sns_api import SnsApi

        return SnsApi(self.client("sns"))

    @functools.cached_property
    def sqs(self) -> SqsApi:
        from fnship.aws.sqs_api import SqsApi

        return SqsApi(self.client("sqs"))

    @functools.cached_property
    def events(self) -> EventsApi:
        from fnship.aws.events_api import EventsApi

        return EventsApi(self.client("events"))

    @functools.cached_property
    def scheduler(self) -> SchedulerApi:
        from fnship.aws.scheduler_api import SchedulerApi

        return SchedulerApi(self.client("scheduler"))

    @functools.cached_property
    def cloudformation(self) -> CloudFormationApi:
        from fnship.aws.cloudformation_api import CloudFormationApi

        return CloudFormationApi(self.client("cloudformation"), sleep=self.sleep)

    @functools.cached_property
    def cloudwatch(self) -> CloudWatchApi:
        from fnship.aws.cloudwatch_api import CloudWatchApi

        return CloudWatchApi(self.client("cloudwatch"))

    @functools.cached_property
    def ssm(self) -> SsmApi:
        from fnship.aws.ssm_api import SsmApi

        return SsmApi(self.client("ssm"), on_account=self.learn_account_id)

    @functools.cached_property
    def layers(self) -> LayersApi:
        from fnship.aws.layers_api import LayersApi

        return LayersApi(self.client("lambda"))

    @functools.cached_property
    def ecr(self) -> EcrApi:
        from fnship.aws.ecr_api import EcrApi

        return EcrApi(self.client("ecr"))

    @functools.cached_property
    def buckets(self) -> BucketsApi:
        from fnship.aws.buckets_api import BucketsApi

        return BucketsApi(self.client("s3"), region=self.region)

    @functools.cached_property
    def pricing(self) -> PricingApi:
        """The Price List API, asked in its own region whatever the target's, once and without retries: a
        missing answer (the emulator, no permission, offline) falls back to built-in prices at once."""
        from fnship.aws.pricing_api import PRICING_REGION, PricingApi

        target = Target(
            region=PRICING_REGION,
            profile=self.target.profile,
            endpoint_url=self.target.endpoint_url,
            local=self.target.local,
        )
        clients = Clients(target)
        return PricingApi(lambda: clients.one_shot_client("pricing"))

    def learn_account_id(self, account: str) -> None:
        """The account id, as the ARN of one of the account's own resources names it (fnship's parameters, read
        in a plan's first round): `account_id()` then needs no GetCallerIdentity."""
        with self._lock:
            if self._account_id is None:
                self._account_id = account
                _remember_account(self._credentials_key(), account)

    def known_account_id(self) -> str | None:
        """The account id if it is known without a call: asked or learnt from an ARN before, by this command or
        (`remembered`) by an earlier one with the same credentials on this machine."""
        return self._account_id

    def remembered_account_id(self) -> str | None:
        """The account id an earlier command with these credentials learnt (an access key belongs to one account
        for good), kept in fnship's cache directory; None when none did (then a first deploy asks
        GetCallerIdentity in its first round)."""
        with self._lock:
            if self._account_id is None:
                key = self._credentials_key()
                self._account_id = _remembered_accounts().get(key) if key is not None else None
            return self._account_id

    def account_id(self) -> str:
        with self._lock:
            if self._account_id is None:
                sts = self.client("sts")
                identity = aws_call("caller identity", "GetCallerIdentity", sts.get_caller_identity)
                self._account_id = str(identity["Account"])
                _remember_account(self._credentials_key(), self._account_id)
            return self._account_id

    def _credentials_key(self) -> str | None:
        """The remembered-accounts key of this target's credentials: a digest of the endpoint and access key id
        (the key itself is not written down); None without credentials to go by."""
        import hashlib
        import os

        access_key = self.clients.access_key()
        if not access_key:
            return None
        # (an emulator's dummy keys may be any emulator's: its endpoint is part of the key)
        endpoint = self.target.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or ""
        return hashlib.sha256(f"{endpoint}|{access_key}".encode()).hexdigest()[:32]

    def stack_outputs(self, name: str) -> dict[str, str] | None:
        """A CloudFormation stack's outputs (OutputKey -> OutputValue); None when there is no such stack."""
        return self.cloudformation.stack_outputs(name)

    def s3_object_text(self, bucket: str, key: str) -> str | None:
        """The UTF-8 text of an S3 object; None when the key does not exist."""
        return self.s3.object_text(bucket, key)

    def ssm_parameter(self, name: str) -> tuple[str, bool]:
        """(value, is_secure_string); KeyError when the parameter does not exist."""
        ssm = self.client("ssm")
        found = call_or_none(f"SSM parameter {name}", "GetParameter", ssm.get_parameter, Name=name, WithDecryption=True)
        if found is None:
            raise KeyError(name)
        parameter = found["Parameter"]
        return str(parameter["Value"]), parameter.get("Type") == "SecureString"

    def find_tagged(
        self, tags: dict[str, str], *, on_page: Callable[[dict[str, dict[str, str]]], None] | None = None
    ) -> dict[str, dict[str, str]]:
        """ARN -> tags of every resource in the region carrying every tag in `tags` (Resource Groups Tagging API).
        `on_page` is told each page's part as it arrives (reads that hang on it go out before the next page).

        Callers pick resource kinds by ARN: one unfiltered call serves them all, and the emulator does not
        honour every ResourceTypeFilters value (logs:log-group).
        """
        tagging = self.client("resourcegroupstaggingapi")
        filters = [{"Key": k, "Values": [v]} for k, v in sorted(tags.items())]
        found: dict[str, dict[str, str]] = {}
        # 100 a page, the most GetResources gives: each page is a round trip after the one before.
        for page in pages(
            tagging, "get_resources", "tagged resources", TagFilters=filters, PaginationConfig={"PageSize": 100}
        ):
            part = {
                item["ResourceARN"]: {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                for item in page.get("ResourceTagMappingList") or []
            }
            found.update(part)
            if on_page is not None:
                on_page(part)
        return found
