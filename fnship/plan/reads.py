"""One reading of live state: the read session every kind's `read`/`discover` gets (see kinds/base.py `Kind`).

Read-only AWS calls: this module never mutates anything. Reads several kinds share (a function, an alias's
policy, the tagging answer) run once per reading through the memo; concurrent callers of the same read wait for
the one in flight. Which reads go out when is plan/live.py's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from fnship.arns import parse_arn
from fnship.model.resources import OWNER_SERVICE_TAG, OWNER_STAGE_TAG, ownership_tags

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.aws.apigateway_api import RestApis
    from fnship.aws.apigatewayv2_api import HttpApis
    from fnship.aws.buckets_api import BucketsApi
    from fnship.aws.cloudformation_api import CloudFormationApi
    from fnship.aws.cloudwatch_api import CloudWatchApi
    from fnship.aws.cognito_api import CognitoApi
    from fnship.aws.ecr_api import EcrApi
    from fnship.aws.elbv2_api import Elbv2Api
    from fnship.aws.events_api import EventsApi
    from fnship.aws.iam_api import IamApi
    from fnship.aws.iot_api import IotApi
    from fnship.aws.lambda_api import (
        AliasConfiguration,
        EventInvokeConfigAnswer,
        FunctionAnswer,
        FunctionUrlAnswer,
        LambdaApi,
        MappingConfiguration,
        PolicyStatement,
    )
    from fnship.aws.layers_api import LayersApi
    from fnship.aws.logs_api import LogGroupAnswer, LogsApi
    from fnship.aws.s3_api import S3Api
    from fnship.aws.scheduler_api import SchedulerApi
    from fnship.aws.sns_api import SnsApi
    from fnship.aws.sqs_api import SqsApi
    from fnship.aws.ssm_api import SsmApi
    from fnship.aws.websocket_api import WebsocketApis
    from fnship.model.triggers.common import Target

# (fnship.model.triggers imports the kind modules, which import this one: its helpers are imported where used.)

T = TypeVar("T")

# Event type -> the kind of API its statements' SourceArn names (as in the API's ARN: `/apis/ID`, `/restapis/ID`).
API_EVENTS = {"httpApi": "apis", "http": "restapis", "websocket": "apis"}


class Reads:
    """The AWS handle, plus a memo so a call several readers need runs once. Attribute access goes through to the
    AWS handle.

    `owner` is (service, stage) of the reading; `log_groups` the names read in one batch (see `log_group`)."""

    if TYPE_CHECKING:  # what readers use of the AWS handle (attribute access goes through to it: `__getattr__`)
        lambda_: LambdaApi
        iam: IamApi
        logs: LogsApi
        s3: S3Api
        http_apis: HttpApis
        websockets: WebsocketApis
        rest_apis: RestApis
        sns: SnsApi
        sqs: SqsApi
        events: EventsApi
        iot: IotApi
        elbv2: Elbv2Api
        cognito: CognitoApi
        scheduler: SchedulerApi
        cloudwatch: CloudWatchApi
        ssm: SsmApi
        layers: LayersApi
        ecr: EcrApi
        buckets: BucketsApi
        cloudformation: CloudFormationApi

    def __init__(self, aws: Aws, *, owner: tuple[str, str] | None = None) -> None:
        self.aws = aws
        self.owner = owner
        self.log_groups: frozenset[str] = frozenset()
        # API ids known without asking (an apply just made or read them): see `api_ids`.
        self.known_api_ids: dict[str, frozenset[str]] = {}
        # (function, alias) whose policy statements name the APIs, when known without listing aliases.
        self.api_aliases: list[tuple[str, str]] | None = None
        # Functions whose policies cannot name an API: the deploy record vouches that fnship put no API statement
        # on them (see plan/live.py); `api_ids` does not read them.
        self.without_api_statements: frozenset[str] = frozenset()
        # provider.apiGateway.restApiId: the existing REST API the desired methods go on (see kinds/rest_api.py).
        self.existing_rest_api: str | None = None
        # No deploy record at all (a first deploy, or after `fn remove`): what fnship would have made is most likely
        # not there, so a read that costs several calls asks first whether it exists (see kinds/role.py).
        self.nothing_recorded = False
        self._lock = threading.Lock()
        self._memo: dict[Hashable, Future[object]] = {}  # each key's future holds what its `fn` returns

    def __getattr__(self, name: str) -> object:
        return getattr(self.aws, name)

    def known(self, key: Hashable, value: object) -> None:
        """`value` is the answer of the read `key` (asked together with others in one call): `once(key, ...)`
        answers it without asking."""
        with self._lock:
            if key not in self._memo:
                future: Future[object] = Future()
                future.set_result(value)
                self._memo[key] = future

    def once(self, key: Hashable, fn: Callable[[], T]) -> T:
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = self._memo[key] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
        return cast(T, future.result())  # what `fn` returned: a key is only ever asked with the same read

    # -- reads several kinds share ----------------------------------------------------------------------------

    def function(self, name: str, qualifier: str | None = None) -> FunctionAnswer | None:
        """GetFunction (of $LATEST, or of what `qualifier`, a version or an alias, points at)."""
        return self.once(
            ("function", name, qualifier), lambda: self.aws.lambda_.get_function_or_none(name, qualifier=qualifier)
        )

    def aliases(self, name: str) -> dict[str, AliasConfiguration]:
        """Alias name -> alias, every alias of the function (one ListAliases serves discovery and reading)."""

        def listed() -> dict[str, AliasConfiguration]:
            return {alias["Name"]: alias for alias in self.aws.lambda_.list_aliases_or_none(name) or []}

        return self.once(("aliases", name), listed)

    def tagged(self, on_page: Callable[[dict[str, dict[str, str]]], None] | None = None) -> dict[str, dict[str, str]]:
        """ARN -> tags of everything carrying this reading's ownership tags (one paged Resource Groups call).
        `on_page` sees each page as it arrives, when this call is the one that asks."""
        assert self.owner is not None
        tags = ownership_tags(*self.owner)
        return self.once(("tagged", self.owner), lambda: self.aws.find_tagged(tags, on_page=on_page))

    def log_group(self, name: str) -> LogGroupAnswer | None:
        """A log group (name, ARN, retention). The names in `log_groups` are read in one DescribeLogGroups
        batch; any other name alone."""
        batch = self.log_groups if name in self.log_groups else frozenset({name})
        return self.once(("log_groups", batch), lambda: self.aws.logs.describe_log_groups(sorted(batch))).get(name)

    def api_ids(self) -> dict[str, frozenset[str]]:
        """`apis` (HTTP APIs) and `restapis` (REST APIs) -> the ids of the API Gateway APIs this service and stage
        may own, found by exact identity, never by listing the account's APIs: the ones carrying its ownership
        tags (the one tagging answer); when that names none, the ones its functions' policy statements name (the
        SourceArn of an `httpApi` or `http` event's statement: the emulator's tagging answer holds no APIs; a
        plan reads those policies anyway). Whoever reads an API by one of these ids checks its name and tags."""

        def found() -> dict[str, frozenset[str]]:
            from concurrent.futures import ThreadPoolExecutor

            from fnship.model.triggers.common import parse_sid

            ids: dict[str, set[str]] = {}
            functions = []
            for arn in self.tagged():
                parts = parse_arn(arn)
                kind, _, api_id = parts.resource.strip("/").partition("/") if parts else ("", "", "")
                if parts is not None and parts.service == "apigateway" and kind in API_EVENTS.values() and api_id:
                    ids.setdefault(kind, set()).add(api_id)
                elif parts is not None and parts.service == "lambda" and parts.resource.startswith("function:"):
                    function = parts.resource.split(":", 2)[1]
                    if function not in self.without_api_statements:
                        functions.append(function)

            if any(ids.values()):
                return {kind: frozenset(found) for kind, found in ids.items()}

            def statements(function: str) -> list[PolicyStatement]:
                return [st for alias in self.aliases(function) for st in self.alias_policy(function, alias)]

            def named(pair: tuple[str, str]) -> list[PolicyStatement]:
                return self.alias_policy(*pair)

            with ThreadPoolExecutor(max_workers=16) as pool:
                found_all = (
                    pool.map(statements, functions) if self.api_aliases is None else pool.map(named, self.api_aliases)
                )
                for found_statements in found_all:
                    for statement in found_statements:
                        parsed = parse_sid(str(statement.get("Sid", "")))
                        source = source_arn(statement)
                        if parsed is not None and parsed[0] in API_EVENTS and source and source.count(":") >= 5:
                            ids.setdefault(API_EVENTS[parsed[0]], set()).add(source.split(":", 5)[5].split("/", 1)[0])
            return {kind: frozenset(found) for kind, found in ids.items()}

        if self.known_api_ids:
            return self.known_api_ids
        return self.once(("api_ids",), found)

    def alias_policy(self, function: str, qualifier: str | None) -> list[PolicyStatement]:
        return self.once(
            ("policy", function, qualifier),
            lambda: self.aws.lambda_.get_policy_statements(function, qualifier=qualifier),
        )

    def alias_mappings(self, alias_arn: str) -> list[MappingConfiguration]:
        return self.once(("mappings", alias_arn), lambda: self.aws.lambda_.list_event_source_mappings(alias_arn))

    def alias_url(self, function: str, qualifier: str) -> FunctionUrlAnswer | None:
        return self.once(
            ("url", function, qualifier),
            lambda: self.aws.lambda_.get_function_url_or_none(function, qualifier=qualifier),
        )

    def alias_invoke_config(self, function: str, qualifier: str) -> EventInvokeConfigAnswer | None:
        return self.once(
            ("eic", function, qualifier),
            lambda: self.aws.lambda_.get_event_invoke_config_or_none(function, qualifier=qualifier),
        )


@dataclass(frozen=True)
class OnAlias:
    """One alias of a function this service owns: where discovery looks for what hangs on it (its policy's
    statements, its event source mappings, its URL and async config)."""

    service: str
    stage: str
    function_key: str
    function_arn: str  # without a qualifier
    alias: str

    @property
    def function_name(self) -> str:
        return self.function_arn.rsplit(":function:", 1)[1]

    @property
    def target(self) -> Target:
        from fnship.model.triggers.common import Target

        _arn, _partition, _service, region, account_id, _rest = self.function_arn.split(":", 5)
        return Target(self.service, self.stage, region, account_id, self.function_key, self.function_name,
                      self.alias, 0, {})  # fmt: skip

    def statements(self, aws: Reads) -> Iterator[tuple[str, str, PolicyStatement]]:
        """(event type, trigger name, statement) of each statement fnship put on the alias's policy (our statement
        ids, `fnship-<type>-<name>`, say which trigger each belongs to)."""
        from fnship.model.triggers.common import parse_sid

        for statement in aws.alias_policy(self.function_name, self.alias):
            parsed = parse_sid(str(statement.get("Sid", "")))
            if parsed is not None:
                yield parsed[0], parsed[1], statement


def owned(tags: Mapping[str, str] | None, owner: tuple[str, str]) -> bool:
    """Whether `tags` are this service's and stage's ownership tags."""
    tags = tags or {}
    service, stage = owner
    return tags.get(OWNER_SERVICE_TAG) == service and tags.get(OWNER_STAGE_TAG) == stage


def source_arn(statement: PolicyStatement) -> str | None:
    """The `AWS:SourceArn` condition of a policy statement: where the trigger it serves lives."""
    return ((statement.get("Condition") or {}).get("ArnLike") or {}).get("AWS:SourceArn")
