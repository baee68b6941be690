"""Lambda: functions, versions, aliases, concurrency, tags, and what triggers need on the alias (resource-policy
statements, event source mappings, function URLs, async invoke config). Waiters and IAM-propagation retries
live here."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal, TypedDict, TypeVar

from fnship.aws.calls import aws_call, call_or_none, describe, error_code, error_message, paged, paged_or_none
from fnship.errors import AwsError
from fnship.jsonvalue import JsonMapping, JsonValue

if TYPE_CHECKING:  # AWS's answers as boto3-stubs types them
    from botocore.waiter import SingleWaiterConfig
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_lambda.type_defs import (
        AliasConfigurationResponseTypeDef as AliasAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        AliasConfigurationTypeDef as AliasConfiguration,
    )
    from mypy_boto3_lambda.type_defs import (
        CapacityProviderPermissionsConfigTypeDef,
        CapacityProviderScalingConfigUnionTypeDef,
        CapacityProviderTelemetryConfigTypeDef,
        CapacityProviderTypeDef,
        CapacityProviderVpcConfigUnionTypeDef,
        InstanceRequirementsUnionTypeDef,
        PropagateTagsUnionTypeDef,
    )
    from mypy_boto3_lambda.type_defs import (
        CreateFunctionUrlConfigResponseTypeDef as CreatedUrlAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        EventSourceMappingConfigurationResponseTypeDef as MappingAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        EventSourceMappingConfigurationTypeDef as MappingConfiguration,
    )
    from mypy_boto3_lambda.type_defs import (
        FunctionConfigurationResponseTypeDef as FunctionConfigurationAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        FunctionConfigurationTypeDef as FunctionConfiguration,
    )
    from mypy_boto3_lambda.type_defs import (
        FunctionEventInvokeConfigResponseTypeDef as EventInvokeConfigAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        FunctionScalingConfigTypeDef as FunctionScaling,
    )
    from mypy_boto3_lambda.type_defs import (
        GetFunctionResponseTypeDef as FunctionAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        GetFunctionUrlConfigResponseTypeDef as FunctionUrlAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        GetProvisionedConcurrencyConfigResponseTypeDef as ProvisionedConcurrencyAnswer,
    )
    from mypy_boto3_lambda.type_defs import (
        ProvisionedConcurrencyConfigListItemTypeDef as ProvisionedConcurrencyItem,
    )
    from mypy_boto3_lambda.type_defs import (
        UpdateFunctionUrlConfigResponseTypeDef as UpdatedUrlAnswer,
    )

    class CapacityProvider(CapacityProviderTypeDef):
        """GetCapacityProvider's `CapacityProvider` with its tags (for mypy only: it is the answer as a dict)."""

        Tags: dict[str, str]


T = TypeVar("T")


class CapacityProviderChange(TypedDict, total=False):
    """What UpdateCapacityProvider can change (the rest is fixed at creation)."""

    CapacityProviderScalingConfig: CapacityProviderScalingConfigUnionTypeDef
    PropagateTags: PropagateTagsUnionTypeDef
    TelemetryConfig: CapacityProviderTelemetryConfigTypeDef


class _NewCapacityProviderRequired(TypedDict):
    VpcConfig: CapacityProviderVpcConfigUnionTypeDef
    PermissionsConfig: CapacityProviderPermissionsConfigTypeDef


class NewCapacityProvider(_NewCapacityProviderRequired, CapacityProviderChange, total=False):
    """CreateCapacityProvider's request but its name."""

    InstanceRequirements: InstanceRequirementsUnionTypeDef
    KmsKeyArn: str
    Tags: Mapping[str, str]


class PolicyStatement(TypedDict, total=False):
    """One statement of a function's resource-based policy (GetPolicy's `Policy`, a JSON document) as Lambda
    writes the ones AddPermission makes."""

    Sid: str
    Effect: str
    Principal: JsonValue  # {"Service": ...} or {"AWS": ...}
    Action: str | list[str]
    Resource: str
    Condition: dict[str, dict[str, str]]  # {"ArnLike": {"AWS:SourceArn": ...}, ...}


class Invocation(TypedDict):
    """What `invoke` answers: Invoke's answer with the payload read and the log tail decoded."""

    StatusCode: int | None
    FunctionError: str | None
    ExecutedVersion: str | None
    Payload: bytes
    LogResult: str | None


class StreamEnd(TypedDict):
    """InvokeWithResponseStream's InvokeComplete event, the log tail decoded, with the version that ran."""

    ErrorCode: str | None
    ErrorDetails: str | None
    LogResult: str | None
    ExecutedVersion: str | None


class StreamEvent(TypedDict, total=False):
    """One event of `invoke_stream`: a chunk of the response, or its end."""

    chunk: bytes
    done: StreamEnd


# A role created seconds ago may not be assumable by Lambda yet (IAM is eventually consistent):
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
ROLE_NOT_READY_HINTS = (
    "cannot be assumed by Lambda",
    "role defined for the function cannot be assumed",
    # CreateEventSourceMapping checks the role's policy, which may not have propagated yet.
    "execution role does not have permissions",
)
# An event source mapping changes state asynchronously; updating or deleting it mid-change is refused
# (ResourceInUseException). https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
MAPPING_SETTLED = ("Enabled", "Disabled")
MAPPING_WAIT_POLLS = 120
ROLE_RETRY_DELAYS = (1, 2, 3, 4, 5, 5, 5, 5)


class LambdaApi:
    def __init__(self, client: LambdaClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._sleep = sleep

    def get_function_or_none(self, name: str, *, qualifier: str | None = None) -> FunctionAnswer | None:
        """`GetFunction`: Configuration, Code, Tags and Concurrency, or None when the function does not exist."""
        kwargs: dict[str, object] = {"FunctionName": name}
        if qualifier:
            kwargs["Qualifier"] = qualifier
        return call_or_none(f"function {name}", "GetFunction", self._client.get_function, **kwargs)

    def get_alias_or_none(self, function: str, alias: str) -> AliasAnswer | None:
        return call_or_none(
            f"alias {function}:{alias}", "GetAlias", self._client.get_alias, FunctionName=function, Name=alias
        )

    def invoke(
        self,
        name: str,
        *,
        payload: bytes,
        qualifier: str | None = None,
        log_tail: bool = False,
        tenant_id: str | None = None,
    ) -> Invocation:
        """`Invoke` synchronously (RequestResponse). Returns StatusCode, FunctionError (absent on success),
        ExecutedVersion, the payload bytes, and LogResult decoded (the last 4 KB of the log) when `log_tail`.
        `tenant_id`: the tenant a tenant-isolated function runs the invocation for (TenantId)."""
        import base64

        kwargs: dict[str, object] = {
            "FunctionName": name,
            "InvocationType": "RequestResponse",
            "LogType": "Tail" if log_tail else "None",
            "Payload": payload,
        }
        if qualifier:
            kwargs["Qualifier"] = qualifier
        if tenant_id:
            kwargs["TenantId"] = tenant_id
        target = f"function {name}:{qualifier}" if qualifier else f"function {name}"
        response = aws_call(target, "Invoke", self._client.invoke, **kwargs)
        body = response.get("Payload")
        log = response.get("LogResult")
        return {
            "StatusCode": response.get("StatusCode"),
            "FunctionError": response.get("FunctionError"),
            "ExecutedVersion": response.get("ExecutedVersion"),
            "Payload": body.read() if body is not None else b"",
            "LogResult": base64.b64decode(log).decode("utf-8", "replace") if log else None,
        }

    def invoke_stream(
        self,
        name: str,
        *,
        payload: bytes,
        qualifier: str | None = None,
        log_tail: bool = False,
        tenant_id: str | None = None,
    ) -> Iterator[StreamEvent]:
        """`InvokeWithResponseStream`: the response as it arrives, one event at a time: {"chunk": bytes} for each
        PayloadChunk, then one {"done": ...} with ErrorCode/ErrorDetails (a function error) and LogResult decoded.
        https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html"""
        import base64

        from botocore.exceptions import BotoCoreError, ClientError

        kwargs: dict[str, object] = {
            "FunctionName": name,
            "Payload": payload,
            "LogType": "Tail" if log_tail else "None",
        }
        if qualifier:
            kwargs["Qualifier"] = qualifier
        if tenant_id:
            kwargs["TenantId"] = tenant_id
        target = f"function {name}:{qualifier}" if qualifier else f"function {name}"
        response = aws_call(target, "InvokeWithResponseStream", self._client.invoke_with_response_stream, **kwargs)
        try:
            for event in response["EventStream"]:
                if "PayloadChunk" in event:
                    yield {"chunk": event["PayloadChunk"].get("Payload") or b""}
                elif "InvokeComplete" in event:
                    complete = event["InvokeComplete"]
                    log = complete.get("LogResult")
                    yield {
                        "done": {
                            "ErrorCode": complete.get("ErrorCode"),
                            "ErrorDetails": complete.get("ErrorDetails"),
                            "LogResult": base64.b64decode(log).decode("utf-8", "replace") if log else None,
                            "ExecutedVersion": response.get("ExecutedVersion"),
                        }
                    }
        except (ClientError, BotoCoreError) as exc:  # the stream broke off: said like every other failed call
            raise describe(exc, resource=target, action="InvokeWithResponseStream", client=self._client) from exc

    def set_recursion(self, name: str, recursive_loop: str) -> None:
        """`PutFunctionRecursionConfig` (Allow | Terminate).
        https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html"""
        aws_call(f"function {name}", "PutFunctionRecursionConfig", self._client.put_function_recursion_config,
                 FunctionName=name, RecursiveLoop=recursive_loop)  # fmt: skip

    def get_recursion(self, name: str) -> str:
        answer = aws_call(f"function {name}", "GetFunctionRecursionConfig",
                          self._client.get_function_recursion_config, FunctionName=name)  # fmt: skip
        return str(answer.get("RecursiveLoop") or "Terminate")

    def set_runtime_management(self, name: str, *, mode: str, runtime_version_arn: str | None = None) -> None:
        """`PutRuntimeManagementConfig` on $LATEST (versions published afterwards keep it).
        https://docs.aws.amazon.com/lambda/latest/api/API_PutRuntimeManagementConfig.html"""
        kwargs: dict[str, object] = {"FunctionName": name, "UpdateRuntimeOn": mode}
        if runtime_version_arn:
            kwargs["RuntimeVersionArn"] = runtime_version_arn
        aws_call(f"function {name}", "PutRuntimeManagementConfig", self._client.put_runtime_management_config,
                 **kwargs)  # fmt: skip

    def get_runtime_management(self, name: str) -> tuple[str, str | None]:
        """(UpdateRuntimeOn, RuntimeVersionArn: Manual mode only)."""
        answer = aws_call(f"function {name}", "GetRuntimeManagementConfig",
                          self._client.get_runtime_management_config, FunctionName=name)  # fmt: skip
        return str(answer.get("UpdateRuntimeOn") or "Auto"), answer.get("RuntimeVersionArn") or None

    def create_function(
        self, name: str, *, config: JsonMapping, code: Mapping[str, object], tags: Mapping[str, str]
    ) -> FunctionConfigurationAnswer:
        request = {"FunctionName": name, **config, "Code": dict(code), "Tags": dict(tags), "Publish": False}
        created = self._retry_role_propagation(
            f"function {name}", "CreateFunction", self._client.create_function, request
        )
        self.wait_ready(name, answered=created)
        return created

    def update_code(self, name: str, *, code: Mapping[str, object], architecture: str) -> FunctionConfigurationAnswer:
        updated = aws_call(
            f"function {name}",
            "UpdateFunctionCode",
            self._client.update_function_code,
            FunctionName=name,
            Architectures=[architecture],
            **code,
        )
        self.wait_updated(name, answered=updated)
        return updated

    def update_configuration(self, name: str, *, config: JsonMapping) -> FunctionConfigurationAnswer:
        request = {"FunctionName": name, **config}
        updated = self._retry_role_propagation(
            f"function {name}", "UpdateFunctionConfiguration", self._client.update_function_configuration, request
        )
        self.wait_updated(name, answered=updated)
        return updated

    def publish_version(self, name: str, *, description: str, code_sha256: str | None = None) -> str:
        kwargs: dict[str, object] = {"FunctionName": name, "Description": description}
        if code_sha256:
            kwargs["CodeSha256"] = code_sha256
        published = aws_call(f"function {name}", "PublishVersion", self._client.publish_version, **kwargs)
        return str(published["Version"])

    def publish_version_detail(self, name: str, *, description: str) -> FunctionConfigurationAnswer:
        """`PublishVersion`'s whole answer. When code and configuration equal the newest version's, Lambda publishes
        nothing and answers with that version (its own Description tells it apart).
        https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html"""
        return aws_call(
            f"function {name}",
            "PublishVersion",
            self._client.publish_version,
            FunctionName=name,
            Description=description,
        )

    def wait_version_ready(self, name: str, version: str | None) -> None:
        """Wait until a published version is Active (a SnapStart version takes a while to snapshot)."""
        for _attempt in range(300):
            config = aws_call(
                f"function {name}:{version}",
                "GetFunctionConfiguration",
                self._client.get_function_configuration,
                FunctionName=name,
                Qualifier=version,
            )
            state = config.get("State") or "Active"
            if state == "Failed":
                reason = config.get("StateReason") or "unknown reason"
                raise AwsError(resource=f"function {name}:{version}", action="PublishVersion", code="Failed",
                               detail=reason)  # fmt: skip
            if state == "Active":
                return
            self._sleep(1)
        raise AwsError(
            resource=f"function {name}:{version}",
            action="PublishVersion",
            code="Timeout",
            detail="the version did not become active within 300 s",
        )

    def create_alias(self, function: str, alias: str, *, version: str, description: str = "") -> AliasAnswer:
        return aws_call(
            f"alias {function}:{alias}",
            "CreateAlias",
            self._client.create_alias,
            FunctionName=function,
            Name=alias,
            FunctionVersion=version,
            Description=description,
        )

    def set_alias_version(
        self,
        function: str,
        alias: str,
        *,
        version: str,
        weights: Mapping[str, float] | None = None,
        revision_id: str | None = None,
        description: str | None = None,
    ) -> AliasAnswer:
        """Point the alias at `version`, with `weights` for at most one additional version (empty: none).
        `description` None leaves the alias's description as it is."""
        kwargs: dict[str, object] = {
            "FunctionName": function,
            "Name": alias,
            "FunctionVersion": version,
            "RoutingConfig": {"AdditionalVersionWeights": dict(weights or {})},
        }
        if revision_id:
            kwargs["RevisionId"] = revision_id
        if description is not None:
            kwargs["Description"] = description
        try:
            return aws_call(f"alias {function}:{alias}", "UpdateAlias", self._client.update_alias, **kwargs)
        except AwsError as exc:
            # RevisionId is the alias's optimistic lock: someone else moved it since we read it.
            # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html
            if exc.code == "PreconditionFailedException":
                exc.hint = "another deploy or rollback moved this alias; check `fn info` and run again"
            raise

    def list_versions(self, name: str) -> list[FunctionConfiguration]:
        return paged(self._client, "list_versions_by_function", f"function {name}", "Versions", FunctionName=name)

    def list_aliases(self, name: str) -> list[AliasConfiguration]:
        return self.list_aliases_or_none(name) or []

    def list_aliases_or_none(self, name: str) -> list[AliasConfiguration] | None:
        """Every alias of the function with its version, weights, description and revision (what GetAlias
        answers, for all of them in one call); None when the function does not exist."""
        return paged_or_none(self._client, "list_aliases", f"function {name}", "Aliases", FunctionName=name)

    def set_reserved_concurrency(self, name: str, reserved: int | None) -> None:
        if reserved is None:
            aws_call(
                f"function {name}",
                "DeleteFunctionConcurrency",
                self._client.delete_function_concurrency,
                FunctionName=name,
            )
        else:
            aws_call(
                f"function {name}",
                "PutFunctionConcurrency",
                self._client.put_function_concurrency,
                FunctionName=name,
                ReservedConcurrentExecutions=reserved,
            )

    def set_tags(self, arn: str, *, add: Mapping[str, str], remove: list[str]) -> None:
        if remove:
            aws_call(arn, "UntagResource", self._client.untag_resource, Resource=arn, TagKeys=list(remove))
        if add:
            aws_call(arn, "TagResource", self._client.tag_resource, Resource=arn, Tags=dict(add))

    def delete_function(self, name: str) -> None:
        call_or_none(f"function {name}", "DeleteFunction", self._client.delete_function, FunctionName=name)

    def delete_alias(self, function: str, alias: str) -> None:
        call_or_none(
            f"alias {function}:{alias}", "DeleteAlias", self._client.delete_alias, FunctionName=function, Name=alias
        )

    def delete_version(self, name: str, version: str) -> None:
        call_or_none(
            f"function {name}:{version}",
            "DeleteFunction",
            self._client.delete_function,
            FunctionName=name,
            Qualifier=version,
        )

    # -- resource-based policy statements (on an alias) ------------------------------------------------------
    def get_policy_statements(self, name: str, *, qualifier: str) -> list[PolicyStatement]:
        """The statements of the alias's resource policy; [] when it has none."""
        found = call_or_none(
            f"policy of {name}:{qualifier}",
            "GetPolicy",
            self._client.get_policy,
            FunctionName=name,
            Qualifier=qualifier,
        )
        if not found:
            return []
        # The policy document enters here and is parsed at once: its statements are what AddPermission wrote.
        statements: PolicyStatement | list[PolicyStatement] = json.loads(found["Policy"]).get("Statement", [])
        return [statements] if isinstance(statements, dict) else list(statements)

    def add_permission(self, name: str, *, qualifier: str, sid: str, request: JsonMapping) -> None:
        """Add one statement; `request` holds Action, Principal and the optional conditions."""
        aws_call(
            f"permission {sid} on {name}:{qualifier}",
            "AddPermission",
            self._client.add_permission,
            FunctionName=name,
            Qualifier=qualifier,
            StatementId=sid,
            **request,
        )

    def remove_permission(self, name: str, *, qualifier: str, sid: str) -> None:
        call_or_none(
            f"permission {sid} on {name}:{qualifier}",
            "RemovePermission",
            self._client.remove_permission,
            FunctionName=name,
            Qualifier=qualifier,
            StatementId=sid,
        )

    # -- event source mappings ----------------------------------------------------------------------------------
    def list_event_source_mappings(self, function_arn: str) -> list[MappingConfiguration]:
        """The mappings whose target is exactly `function_arn` (an alias ARN: the target we create)."""
        return paged(
            self._client,
            "list_event_source_mappings",
            f"event source mappings of {function_arn}",
            "EventSourceMappings",
            FunctionName=function_arn,
        )

    def create_event_source_mapping(self, request: JsonMapping) -> MappingAnswer:
        resource = f"event source mapping {request['EventSourceArn']} -> {request['FunctionName']}"
        return self._retry_role_propagation(
            resource, "CreateEventSourceMapping", self._client.create_event_source_mapping, dict(request)
        )

    def update_event_source_mapping(self, uuid: str, request: JsonMapping) -> MappingAnswer:
        self._wait_mapping(uuid)
        return aws_call(
            f"event source mapping {uuid}",
            "UpdateEventSourceMapping",
            self._client.update_event_source_mapping,
            UUID=uuid,
            **request,
        )

    def delete_event_source_mapping(self, uuid: str) -> None:
        if self._wait_mapping(uuid):
            call_or_none(
                f"event source mapping {uuid}",
                "DeleteEventSourceMapping",
                self._client.delete_event_source_mapping,
                UUID=uuid,
            )

    def _wait_mapping(self, uuid: str) -> bool:
        """Wait until the mapping is Enabled or Disabled; False when it is gone."""
        for _attempt in range(MAPPING_WAIT_POLLS):
            found = call_or_none(
                f"event source mapping {uuid}",
                "GetEventSourceMapping",
                self._client.get_event_source_mapping,
                UUID=uuid,
            )
            if found is None:
                return False
            if found.get("State") in MAPPING_SETTLED or not found.get("State"):
                return True
            self._sleep(1)
        raise AwsError(
            resource=f"event source mapping {uuid}",
            action="GetEventSourceMapping",
            code="Timeout",
            detail=f"the mapping did not settle within {MAPPING_WAIT_POLLS} s",
        )

    # -- function URLs --------------------------------------------------------------------------------------------
    def get_function_url_or_none(self, name: str, *, qualifier: str) -> FunctionUrlAnswer | None:
        return call_or_none(
            f"function URL of {name}:{qualifier}",
            "GetFunctionUrlConfig",
            self._client.get_function_url_config,
            FunctionName=name,
            Qualifier=qualifier,
        )

    def create_function_url(self, name: str, *, qualifier: str, config: JsonMapping) -> CreatedUrlAnswer:
        return aws_call(
            f"function URL of {name}:{qualifier}",
            "CreateFunctionUrlConfig",
            self._client.create_function_url_config,
            FunctionName=name,
            Qualifier=qualifier,
            **config,
        )

    def update_function_url(self, name: str, *, qualifier: str, config: JsonMapping) -> UpdatedUrlAnswer:
        return aws_call(
            f"function URL of {name}:{qualifier}",
            "UpdateFunctionUrlConfig",
            self._client.update_function_url_config,
            FunctionName=name,
            Qualifier=qualifier,
            **config,
        )

    def delete_function_url(self, name: str, *, qualifier: str) -> None:
        call_or_none(
            f"function URL of {name}:{qualifier}",
            "DeleteFunctionUrlConfig",
            self._client.delete_function_url_config,
            FunctionName=name,
            Qualifier=qualifier,
        )

    # -- asynchronous invocation ----------------------------------------------------------------------------------
    def get_event_invoke_config_or_none(self, name: str, *, qualifier: str) -> EventInvokeConfigAnswer | None:
        return call_or_none(
            f"async invoke config of {name}:{qualifier}",
            "GetFunctionEventInvokeConfig",
            self._client.get_function_event_invoke_config,
            FunctionName=name,
            Qualifier=qualifier,
        )

    def put_event_invoke_config(self, name: str, *, qualifier: str, config: JsonMapping) -> None:
        """Replace the whole configuration (PutFunctionEventInvokeConfig overwrites; unset values reset)."""
        aws_call(
            f"async invoke config of {name}:{qualifier}",
            "PutFunctionEventInvokeConfig",
            self._client.put_function_event_invoke_config,
            FunctionName=name,
            Qualifier=qualifier,
            **config,
        )

    def delete_event_invoke_config(self, name: str, *, qualifier: str) -> None:
        call_or_none(
            f"async invoke config of {name}:{qualifier}",
            "DeleteFunctionEventInvokeConfig",
            self._client.delete_function_event_invoke_config,
            FunctionName=name,
            Qualifier=qualifier,
        )

    def wait_ready(self, name: str, *, answered: FunctionConfigurationAnswer | None = None) -> None:
        self._wait(name, "function_active_v2", answered=answered)

    def wait_updated(self, name: str, *, answered: FunctionConfigurationAnswer | None = None) -> None:
        self._wait(name, "function_updated_v2", answered=answered)

    def _wait(
        self,
        name: str,
        waiter_name: Literal["function_active_v2", "function_updated_v2"],
        *,
        answered: FunctionConfigurationAnswer | None = None,
    ) -> None:
        """Poll as botocore's waiter `waiter_name` says (its operation, delay, attempts and acceptors: what
        counts as done, failed or still going), sleeping through the injected `sleep`. `answered` is the
        FunctionConfiguration the create or update call answered: when it already says done (State Active,
        LastUpdateStatus Successful), nothing is polled (one round trip saved).

        Configuration and code updates are asynchronous; the next update fails with ResourceConflictException
        until LastUpdateStatus leaves InProgress. https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
        """
        from botocore import xform_name

        waiter: SingleWaiterConfig = self._client.get_waiter(waiter_name).config  # type: ignore[assignment]  # botocore-stubs say a dict; botocore makes a SingleWaiterConfig
        operation = getattr(self._client, xform_name(waiter.operation))
        for attempt in range(waiter.max_attempts):
            if attempt == 0 and answered is not None:
                # The waiter reads GetFunction's answer, whose `Configuration` is what create/update answer.
                config: Mapping[str, object] = answered
            else:
                polled: FunctionAnswer = aws_call(f"function {name}", waiter.operation, operation, FunctionName=name)
                config = polled.get("Configuration") or {}
            state = next((a.state for a in waiter.acceptors if a.matcher_func({"Configuration": config})), None)
            if state == "success":
                return
            if state == "failure":
                reason = str(config.get("LastUpdateStatusReason") or config.get("StateReason") or "unknown reason")
                raise AwsError(resource=f"function {name}", action=waiter_name, code="Failed", detail=reason)
            if attempt == 0 and answered is not None:
                continue  # not done yet: poll at once (the answer was not a poll)
            self._sleep(waiter.delay)
        raise AwsError(
            resource=f"function {name}",
            action=waiter_name,
            code="Timeout",
            detail=f"the function did not become ready within {waiter.max_attempts * waiter.delay} s",
        )

    def _retry_role_propagation(
        self, resource: str, action: str, fn: Callable[..., T], request: Mapping[str, object]
    ) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        for delay in (*ROLE_RETRY_DELAYS, None):
            try:
                return fn(**request)
            except ClientError as exc:
                message = error_message(exc)
                retryable = error_code(exc) == "InvalidParameterValueException" and any(
                    hint in message for hint in ROLE_NOT_READY_HINTS
                )
                if retryable and delay is not None:
                    self._sleep(delay)
                    continue
                raise AwsError(resource=resource, action=action, code=error_code(exc), detail=message) from exc
            except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
                raise describe(exc, resource=resource, action=action, client=self._client) from exc
        raise AssertionError("unreachable")

    # -- releases: hooks and provisioned concurrency ---------------------------------------------------------

    def invoke_sync(self, name: str, payload: bytes) -> tuple[str | None, bytes]:
        """Invoke and wait: (FunctionError or None, the response payload)."""
        answer = aws_call(
            f"function {name}",
            "Invoke",
            self._client.invoke,
            FunctionName=name,
            InvocationType="RequestResponse",
            Payload=payload,
        )
        return answer.get("FunctionError"), answer["Payload"].read()

    def get_provisioned_concurrency_or_none(self, function: str, qualifier: str) -> ProvisionedConcurrencyAnswer | None:
        from botocore.exceptions import BotoCoreError, ClientError

        # No config answers ProvisionedConcurrencyConfigNotFoundException (HTTP 404).
        # https://docs.aws.amazon.com/lambda/latest/api/API_GetProvisionedConcurrencyConfig.html
        try:
            return self._client.get_provisioned_concurrency_config(FunctionName=function, Qualifier=qualifier)
        except BotoCoreError as exc:  # the network lost, a timeout: said as every other call says it
            resource, action = f"alias {function}:{qualifier}", "GetProvisionedConcurrencyConfig"
            raise describe(exc, resource=resource, action=action, client=self._client) from exc
        except ClientError as exc:
            if error_code(exc) == "ProvisionedConcurrencyConfigNotFoundException":
                return None
            raise AwsError(
                resource=f"alias {function}:{qualifier}",
                action="GetProvisionedConcurrencyConfig",
                code=error_code(exc),
                detail=error_message(exc),
            ) from exc

    def provisioned_concurrency_configs(self, function: str) -> list[ProvisionedConcurrencyItem]:
        """Every alias's and version's provisioned concurrency of `function` (ListProvisionedConcurrencyConfigs):
        `FunctionArn` ends in the qualifier; `AllocatedProvisionedConcurrentExecutions` is what Lambda bills.
        https://docs.aws.amazon.com/lambda/latest/api/API_ListProvisionedConcurrencyConfigs.html"""
        return paged(
            self._client,
            "list_provisioned_concurrency_configs",
            f"function {function}",
            "ProvisionedConcurrencyConfigs",
            FunctionName=function,
        )

    def put_provisioned_concurrency(self, function: str, qualifier: str, count: int) -> None:
        aws_call(
            f"alias {function}:{qualifier}",
            "PutProvisionedConcurrencyConfig",
            self._client.put_provisioned_concurrency_config,
            FunctionName=function,
            Qualifier=qualifier,
            ProvisionedConcurrentExecutions=count,
        )

    def delete_provisioned_concurrency(self, function: str, qualifier: str) -> None:
        call_or_none(
            f"alias {function}:{qualifier}",
            "DeleteProvisionedConcurrencyConfig",
            self._client.delete_provisioned_concurrency_config,
            FunctionName=function,
            Qualifier=qualifier,
        )

    def set_alias_description(self, function: str, alias: str, description: str) -> None:
        aws_call(
            f"alias {function}:{alias}",
            "UpdateAlias",
            self._client.update_alias,
            FunctionName=function,
            Name=alias,
            Description=description,
        )

    # -- Lambda Managed Instances: capacity providers, and the execution environments a version keeps --------------
    # https://docs.aws.amazon.com/lambda/latest/api/API_CreateCapacityProvider.html (and Get/Update/Delete)
    def get_capacity_provider_or_none(self, name: str) -> CapacityProvider | None:
        """GetCapacityProvider's `CapacityProvider` with its tags (`Tags`), or None when there is no such provider."""
        found = call_or_none(
            f"capacity provider {name}",
            "GetCapacityProvider",
            self._client.get_capacity_provider,
            CapacityProviderName=name,
        )
        if found is None:
            return None
        provider = found["CapacityProvider"]
        tags = aws_call(
            f"capacity provider {name}", "ListTags", self._client.list_tags, Resource=provider["CapacityProviderArn"]
        )
        return {**provider, "Tags": dict(tags.get("Tags") or {})}

    def create_capacity_provider(self, name: str, request: NewCapacityProvider) -> str:
        created = aws_call(
            f"capacity provider {name}",
            "CreateCapacityProvider",
            self._client.create_capacity_provider,
            CapacityProviderName=name,
            **request,
        )
        return str(created["CapacityProvider"]["CapacityProviderArn"])

    def update_capacity_provider(self, name: str, request: CapacityProviderChange) -> None:
        aws_call(
            f"capacity provider {name}",
            "UpdateCapacityProvider",
            self._client.update_capacity_provider,
            CapacityProviderName=name,
            **request,
        )

    def delete_capacity_provider(self, name: str) -> None:
        call_or_none(
            f"capacity provider {name}",
            "DeleteCapacityProvider",
            self._client.delete_capacity_provider,
            CapacityProviderName=name,
        )

    def get_function_scaling_or_none(self, name: str, *, qualifier: str) -> FunctionScaling | None:
        """The execution environments asked of a published version (`RequestedFunctionScalingConfig`), or None."""
        found = call_or_none(
            f"function {name}:{qualifier}",
            "GetFunctionScalingConfig",
            self._client.get_function_scaling_config,
            FunctionName=name,
            Qualifier=qualifier,
        )
        return None if found is None else found.get("RequestedFunctionScalingConfig") or {}

    def put_function_scaling(self, name: str, *, qualifier: str, config: Mapping[str, int]) -> None:
        """https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionScalingConfig.html"""
        aws_call(
            f"function {name}:{qualifier}",
            "PutFunctionScalingConfig",
            self._client.put_function_scaling_config,
            FunctionName=name,
            Qualifier=qualifier,
            FunctionScalingConfig=dict(config),
        )
