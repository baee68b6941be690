"""Where moto is not AWS, fixed inside fnship's own emulator process (never in tests' or users' other moto servers).

Applied once by fnship/local/emulator_app.py before it serves:
- Invoke runs the invoked version's code (fnship/local/function_host.py) instead of asking Docker: synchronous,
  asynchronous (`Event`: answered 202 at once, run in the background), `DryRun`, `LogType=Tail`, qualifiers;
  S3 and SNS notifications invoke the same way, asynchronously as AWS does.
- SQS event source mappings are polled by the emulator (fnship/local/pollers.py) instead of moto running the
  function inside SendMessage: batches of the mapping's size, partial batch failures.
- Version numbers are never reused after a version is deleted (moto counted the versions left).
- `UpdateFunctionCode` honours `Architectures` (moto ignored it, so every deploy saw a change).
- REST API tags: TagResource / UntagResource / GetTags on a REST API's ARN (moto knew stages only: 404), answered
  by the emulator's front with `rest_api_tags`.
- An HTTP API route set to `AuthorizationType: NONE` drops its authorizer id and scopes, as AWS does.
- EventBridge delivers an event matching a rule to the rule's Lambda targets (asynchronously, with the target's
  `Input`, `InputPath` or `InputTransformer`), as it delivers to SQS (moto raised NotImplementedError: 500).
- AddPermission's `FunctionUrlAuthType` and `InvokedViaFunctionUrl` become the statement's conditions, as AWS
  writes them (moto kept them as top-level keys, so a function URL's permissions re-planned on every deploy).
- SnapStart, LoggingConfig, TenancyConfig and DurableConfig are kept and answered, by the function and the versions
  published from it (moto dropped them, so every plan after a deploy saw them changed); a log group keeps its class;
  the recursion and runtime management configs and InvokeWithResponseStream are answered by the emulator's front
  (`function_config`, `stream_invoke`: moto answered 404); a REST integration keeps its `responseTransferMode`.
- A stack created or updated through a change set has the `Outputs` its template declares, as on AWS (moto 5.2
  kept the outputs of the template the stack was first made with: none for a stack made by a change set).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from fnship.jsonvalue import Json, JsonObject

if TYPE_CHECKING:
    from moto.apigatewayv2.models import Route
    from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, LambdaStorage
    from moto.awslambda.policy import Policy
    from moto.awslambda.responses import LambdaResponse
    from moto.dynamodb.models.table import Table
    from moto.events.models import Rule
    from moto.events.utils import EventMessageType
    from moto.kinesis.models import Stream

    from fnship.local.function_host import FunctionHost

_applied = False
# Where a stream mapping's starting positions wait for the stream poller (fnship/local/streams.py).
STARTS_ATTRIBUTE = "_fnship_starts"


def _patch(cls: type, method: str, replacement: Callable[..., object]) -> None:
    """Replace a method of one of moto's classes (mypy refuses assigning to a method; patching is the point)."""
    setattr(cls, method, replacement)


def apply(host: FunctionHost) -> None:
    """Patch moto's classes in this process (fnship's emulator)."""
    global _applied
    if _applied:
        return
    _applied = True
    _invoke_runs_code(host)
    _mappings_polled()
    _versions_never_reused()
    _architectures_on_code_update()
    _route_authorization_none()
    _eventbridge_lambda_targets()
    _function_url_conditions()
    _kept_function_settings()
    _integration_transfer_mode()
    change_set_outputs()


# -- Invoke --------------------------------------------------------------------------------------------------------
def _invoke_runs_code(host: FunctionHost) -> None:
    from moto.awslambda.models import LambdaFunction

    def invoke(
        self: LambdaFunction,
        body: str | bytes | None,
        request_headers: Mapping[str, str] | None,
        response_headers: dict[str, str],
    ) -> bytes:
        event = body.encode() if isinstance(body, str) else (body or b"")
        headers = {str(k).lower(): str(v) for k, v in dict(request_headers or {}).items()}
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        response_headers["x-amz-executed-version"] = str(self.version)
        if kind == "DryRun":
            return b""
        # moto's own callers (S3 and SNS notifications) pass no headers: those invocations are asynchronous on AWS.
        if kind == "Event" or not headers:
            threading.Thread(target=host.invoke, args=(self, event), daemon=True).start()
            return b""
        outcome = host.invoke(self, event)
        if outcome.error_type:
            response_headers["x-amz-function-error"] = "Unhandled"
        if headers.get("x-amz-log-type") == "Tail":
            response_headers["x-amz-log-result"] = outcome.tail()
        return outcome.payload

    _patch(LambdaFunction, "invoke", invoke)

    from moto.awslambda.responses import LambdaResponse

    original_response = LambdaResponse.invoke

    def invoke_response(self: LambdaResponse) -> tuple[int, dict[str, str], str | bytes]:
        # boto3 sends `?Qualifier=`; moto read only `qualifier` and so ran $LATEST for every version and alias.
        if self.querystring.get("Qualifier") and not self.querystring.get("qualifier"):
            self.querystring["qualifier"] = self.querystring["Qualifier"]
        return original_response(self)

    _patch(LambdaResponse, "invoke", invoke_response)


# -- SQS event source mappings ------------------------------------------------------------------------------------
def _mappings_polled() -> None:
    """moto hands a new message to the mapped function inside SendMessage (and deletes the whole batch whatever
    the function answered), and every stream write to the function at once, one at a time (and still after the
    mapping is deleted); the emulator's pollers read queues and streams as Lambda does instead
    (fnship/local/pollers.py, fnship/local/streams.py)."""
    from moto.awslambda.models import LambdaBackend

    from fnship.local import streams

    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: LambdaBackend, spec: JsonObject) -> EventSourceMapping:
        arn = str(spec.get("EventSourceArn") or "")
        # A LATEST mapping reads what is written after it exists: the shards' ends now.
        starts = streams.stream_ends(self.account_id, self.region_name, arn) if streams.is_stream(arn) else None
        esm = original(self, spec)
        if ":sqs:" in esm.event_source_arn:
            from moto.sqs.models import sqs_backends

            for queue in sqs_backends[self.account_id][self.region_name].queues.values():
                if queue.queue_arn == esm.event_source_arn:
                    queue.lambda_event_source_mappings.clear()
        elif streams.is_stream(arn):
            # Where the stream poller (fnship/local/streams.py) starts reading each shard.
            setattr(esm, STARTS_ATTRIBUTE, starts if esm.starting_position == "LATEST" else {})
            _unhook_stream(self.account_id, self.region_name, arn, esm)
        return esm

    _patch(LambdaBackend, "create_event_source_mapping", create_event_source_mapping)


def _unhook_stream(account: str, region: str, arn: str, esm: EventSourceMapping) -> None:
    """Take the mapping off moto's table or stream, which would push each write to the function itself."""
    from fnship.local import streams

    owner: Stream | Table
    if ":kinesis:" in arn:
        owner = streams._kinesis_stream(account, region, arn)
    else:
        owner = streams._dynamodb_table(account, region, arn)
    hooks = owner.lambda_event_source_mappings
    for key in [key for key, value in hooks.items() if value is esm]:
        hooks.pop(key, None)


# -- versions --------------------------------------------------------------------------------------------------------
def _versions_never_reused() -> None:
    """AWS numbers a function's versions once: after deleting version 11, the next is 12, not 11 again.
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html"""
    from moto.awslambda.models import LambdaStorage

    lock = threading.Lock()

    def highest(storage: LambdaStorage) -> dict[str, int]:
        """Function name -> the highest number ever published, kept on the storage itself: a moto reset makes a
        new storage, and a table keyed by id() would hand a new storage at a reused address the old numbers."""
        table: dict[str, int] = storage.__dict__.setdefault("_fnship_highest_version", {})
        return table

    original_publish = LambdaStorage.publish_version
    original_delete = LambdaStorage.del_function

    def publish_version(self: LambdaStorage, name_or_arn: str, description: str = "") -> LambdaFunction | None:
        with lock:
            function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
            name = function.function_name
            versions = self._functions.get(name, {}).get("versions", [])
            before = {id(v) for v in versions}
            floor = max([highest(self).get(name, 0), *(int(v.version) for v in versions)])
            published = original_publish(self, name_or_arn, description)
            if published is not None and id(published) not in before and int(published.version) <= floor:
                # moto numbered it len(versions) + 1: renumber past every number used before.
                self._arns.pop(published.function_arn, None)
                published.set_version(floor + 1)
                self._arns[published.function_arn] = published
            if published is not None:
                highest(self)[name] = max(highest(self).get(name, 0), int(published.version))
            return published

    def del_function(self: LambdaStorage, name_or_arn: str, qualifier: str | None = None) -> None:
        original_delete(self, name_or_arn, qualifier)
        whole = qualifier is None and ":" not in name_or_arn.split(":function:")[-1]
        if whole:
            with lock:
                name = name_or_arn.split(":function:")[-1]
                highest(self).pop(name, None)  # a new function of the same name starts at 1 again

    _patch(LambdaStorage, "publish_version", publish_version)
    _patch(LambdaStorage, "del_function", del_function)


def _architectures_on_code_update() -> None:
    """UpdateFunctionCode takes `Architectures`; moto kept the old value."""
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.update_function_code

    def update_function_code(self: LambdaFunction, updated_spec: JsonObject) -> JsonObject:
        architectures = updated_spec.get("Architectures")
        if isinstance(architectures, list) and architectures and not updated_spec.get("DryRun"):
            self.architectures = [str(architecture) for architecture in architectures]
        return original(self, updated_spec)

    _patch(LambdaFunction, "update_function_code", update_function_code)


# -- API Gateway ---------------------------------------------------------------------------------------------------
REST_API_TAGS = re.compile(r"^/tags/arn:aws[\w-]*:apigateway:(?P<region>[\w-]+)::/restapis/(?P<api_id>[^/]+)/?$")


def rest_api_tags(method: str, path: str, query: Mapping[str, list[str]], body: bytes) -> tuple[int, JsonObject] | None:
    """Tags of a REST API itself (`arn:aws:apigateway:REGION::/restapis/ID`): moto routes only stage ARNs there and
    answered 404. Called by the emulator's front (fnship/local/emulator_app.py); None when `path` is not one.
    https://docs.aws.amazon.com/apigateway/latest/api/API_TagResource.html"""
    match = REST_API_TAGS.match(path)
    if match is None:
        return None
    from moto.apigateway.models import apigateway_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = apigateway_backends[DEFAULT_ACCOUNT_ID][match["region"]]
    try:
        api = backend.get_rest_api(match["api_id"])
    except Exception:
        return 404, {"message": f"Invalid API identifier specified {match['api_id']}"}
    if method == "GET":
        tags: JsonObject = dict(api.tags or {})
        return 200, {"tags": tags}
    if method == "PUT":
        added: dict[str, str] = json.loads(body or b"{}").get("tags") or {}  # TagResource's body enters here
        api.tags = {**(api.tags or {}), **added}
        return 204, {}
    if method == "DELETE":
        removed = set(query.get("tagKeys", []))
        api.tags = {key: value for key, value in (api.tags or {}).items() if key not in removed}
        return 204, {}
    return 405, {"message": f"{method} is not allowed here"}


def _route_authorization_none() -> None:
    """A route updated to `AuthorizationType: NONE` has no authorizer and no scopes any more (moto kept both, so a
    removed JWT authorizer never left the plan)."""
    from moto.apigatewayv2.models import Route

    original: Callable[..., None] = Route.update  # (the arguments pass through as moto got them)

    def update(self: Route, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        if kwargs.get("authorization_scopes") == []:
            self.authorization_scopes = []  # an explicit empty list clears them (moto read it as "not given")
        if self.authorization_type == "NONE":
            self.authorizer_id = None
            self.authorization_scopes = []

    _patch(Route, "update", update)


# -- EventBridge -----------------------------------------------------------------------------------------------------
def target_event(target: Mapping[str, Json], event: EventMessageType) -> object:
    """What EventBridge hands a target: the event, or the target's constant `Input`, the part `InputPath` names
    (`$.detail.id`), or the `InputTransformer`'s template filled in.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html"""
    if target.get("Input"):
        constant: Json = json.loads(str(target["Input"]))
        return constant
    if target.get("InputPath"):
        value: object = event
        for part in str(target["InputPath"]).removeprefix("$").strip(".").split("."):
            value = value.get(part) if isinstance(value, dict) and part else value
        return value
    transformer = target.get("InputTransformer")
    if isinstance(transformer, dict) and transformer:
        from moto.events.models import EventTemplateParser

        paths = transformer.get("InputPathsMap")
        return EventTemplateParser.parse(
            input_template=str(transformer.get("InputTemplate")),
            input_paths_map=paths if isinstance(paths, dict) else {},
            event=event,
        )
    return event


def _eventbridge_lambda_targets() -> None:
    """A rule's Lambda targets get the matching event, invoked asynchronously as EventBridge invokes them
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html); the rule's other targets are moto's."""
    import copy

    from moto.awslambda.utils import get_backend
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: EventMessageType, transform_input: bool = True) -> None:
        lambdas = [t for t in self.targets if parse_arn(t["Arn"]).service == "lambda"]
        if lambdas and self.event_pattern.matches_event(original_event):
            for target in lambdas:
                arn = parse_arn(target["Arn"])
                event = target_event(target, original_event) if transform_input else original_event
                body = event if isinstance(event, str) else json.dumps(event)
                try:
                    get_backend(arn.account, arn.region).invoke(
                        function_name=target["Arn"],
                        qualifier=None,
                        body=body,
                        headers={"x-amz-invocation-type": "Event"},
                        response_headers={},
                    )
                except Exception as exc:  # a missing function: EventBridge drops the event (and counts it failed)
                    print(f"fnship emulator: EventBridge target {target['Arn']} failed: {exc!r}", flush=True)
        others = [t for t in self.targets if t not in lambdas]
        if others or not lambdas:
            rest = copy.copy(self)
            rest.targets = others
            original(rest, original_event, transform_input)

    _patch(Rule, "send_to_targets", send_to_targets)


# -- Resource policies -----------------------------------------------------------------------------------------------
def url_conditions(statement: JsonObject) -> JsonObject:
    """A statement as AWS stores it: AddPermission's `FunctionUrlAuthType` under `StringEquals` and
    `InvokedViaFunctionUrl` under `Bool` (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html)."""
    if "FunctionUrlAuthType" in statement:
        auth_type = statement.pop("FunctionUrlAuthType")
        _condition(statement, "StringEquals")["lambda:FunctionUrlAuthType"] = auth_type
    if "InvokedViaFunctionUrl" in statement:
        via = statement.pop("InvokedViaFunctionUrl")
        _condition(statement, "Bool")["lambda:InvokedViaFunctionUrl"] = str(via).lower()
    return statement


def _condition(statement: JsonObject, operator: str) -> JsonObject:
    """The statement's `Condition.<operator>` block, made when missing."""
    conditions = statement.setdefault("Condition", {})
    assert isinstance(conditions, dict), f"a policy statement's Condition is a mapping: {conditions!r}"
    block = conditions.setdefault(operator, {})
    assert isinstance(block, dict), f"a policy statement's {operator} condition is a mapping: {block!r}"
    return block


def _function_url_conditions() -> None:
    from moto.awslambda.policy import Policy

    original = Policy.decode_policy

    def decode_policy(self: Policy, obj: JsonObject) -> Policy:
        return original(self, url_conditions(obj))

    _patch(Policy, "decode_policy", decode_policy)


# -- Newer Lambda settings (issue 13) ----------------------------------------------------------------------------------
# moto 5.2.5 accepts SnapStart, LoggingConfig, TenancyConfig and DurableConfig and drops them, has no recursion,
# runtime management or response-streaming API, and drops a log group's class; the emulator keeps and answers them as
# AWS does.
KEPT_SETTINGS = ("SnapStart", "LoggingConfig", "TenancyConfig", "DurableConfig")
KEPT_ATTRIBUTE = "_fnship_kept"
CLASS_ATTRIBUTE = "_fnship_class"  # a log group's logGroupClass
TRANSFER_ATTRIBUTE = "_fnship_transfer"  # a REST integration's responseTransferMode
FUNCTION_CONFIG = re.compile(
    r"^/(?:2024-08-31|2021-07-20)/functions/(?P<name>[^/]+)/(?P<what>recursion-config|runtime-management-config)$"
)
STREAM_INVOKE = re.compile(r"^/2021-11-15/functions/(?P<name>[^/]+)/response-streaming-invocations$")
EMULATOR_ACCOUNT = "123456789012"
# (region, function name, what) -> the document Put*Config stored
_function_configs: dict[tuple[str, str, str], JsonObject] = {}


def settings_answer(sent: JsonObject, function_name: str, version: str) -> JsonObject:
    """SnapStart, LoggingConfig and TenancyConfig as GetFunctionConfiguration answers them, from what Create/Update
    sent: SnapStart with its OptimizationStatus (On for a published version that snapshots), LoggingConfig with the
    default group and, for JSON, INFO levels filled. https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html"""
    snap_start = sent.get("SnapStart")
    apply_on = (snap_start.get("ApplyOn") if isinstance(snap_start, dict) else None) or "None"
    published = version.isdigit()
    answer: JsonObject = {
        "SnapStart": {"ApplyOn": apply_on, "OptimizationStatus": "On" if apply_on != "None" and published else "Off"}
    }
    sent_logging = sent.get("LoggingConfig")
    logging: JsonObject = dict(sent_logging) if isinstance(sent_logging, dict) else {}
    logging["LogFormat"] = logging.get("LogFormat") or "Text"
    logging["LogGroup"] = logging.get("LogGroup") or f"/aws/lambda/{function_name}"
    if logging["LogFormat"] == "JSON":
        logging["ApplicationLogLevel"] = logging.get("ApplicationLogLevel") or "INFO"
        logging["SystemLogLevel"] = logging.get("SystemLogLevel") or "INFO"
    else:
        logging.pop("ApplicationLogLevel", None)
        logging.pop("SystemLogLevel", None)
    answer["LoggingConfig"] = logging
    tenancy = sent.get("TenancyConfig")
    if isinstance(tenancy, dict) and tenancy:
        answer["TenancyConfig"] = dict(tenancy)
    return answer


def _kept_function_settings() -> None:
    """CreateFunction's and UpdateFunctionConfiguration's KEPT_SETTINGS, answered in the function's configuration
    (SnapStart, LoggingConfig and TenancyConfig with Lambda's defaults filled in: `settings_answer`). A published
    version is a copy of the function: it keeps what the function had when it was published (an update replaces the
    kept mapping, never changes it in place). A function's recursion and runtime management configs go with it."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    init, configuration, update = LambdaFunction.__init__, LambdaFunction.get_configuration, \
        LambdaFunction.update_configuration  # fmt: skip
    original_delete = LambdaBackend.delete_function

    def __init__(self: LambdaFunction, account_id: str, spec: JsonObject, region: str, version: str | int = 1) -> None:
        init(self, account_id, spec, region, version)
        setattr(self, KEPT_ATTRIBUTE, {key: spec[key] for key in KEPT_SETTINGS if spec.get(key)})

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> JsonObject:
        kept: JsonObject = getattr(self, KEPT_ATTRIBUTE, {})
        answered = settings_answer(kept, self.function_name, str(self.version))
        return {**configuration(self, on_create), **kept, **answered}

    def update_configuration(self: LambdaFunction, config_updates: JsonObject) -> JsonObject:
        # (TenancyConfig and DurableExecution's turning on are create-only: UpdateFunctionConfiguration has no field)
        kept: JsonObject = dict(getattr(self, KEPT_ATTRIBUTE, {}))
        kept.update({key: config_updates[key] for key in KEPT_SETTINGS if config_updates.get(key)})
        setattr(self, KEPT_ATTRIBUTE, kept)
        return dict(update(self, config_updates))

    def delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
        original_delete(self, function_name, qualifier)
        if not qualifier:
            name = function_name.rsplit(":function:", 1)[-1].split(":")[0]
            for key in [key for key in _function_configs if key[:2] == (self.region_name, name)]:
                _function_configs.pop(key, None)

    _patch(LambdaFunction, "__init__", __init__)
    _patch(LambdaFunction, "get_configuration", get_configuration)
    _patch(LambdaFunction, "update_configuration", update_configuration)
    _patch(LambdaBackend, "delete_function", delete_function)
    _log_group_class()


def _log_group_class() -> None:
    """CreateLogGroup's `logGroupClass` kept, and DescribeLogGroups answering it (STANDARD when unset)."""
    from moto.logs.models import LogGroup
    from moto.logs.responses import LogsResponse

    original_create = LogsResponse.create_log_group

    def create_log_group(self: LogsResponse) -> str:
        answer = original_create(self)
        group = self.logs_backend.groups.get(self._get_param("logGroupName"))
        if group is not None:
            setattr(group, CLASS_ATTRIBUTE, self._get_param("logGroupClass") or "STANDARD")
        return answer

    original_describe = LogGroup.to_describe_dict

    def to_describe_dict(self: LogGroup) -> JsonObject:
        return {**original_describe(self), "logGroupClass": getattr(self, CLASS_ATTRIBUTE, "STANDARD")}

    _patch(LogsResponse, "create_log_group", create_log_group)
    _patch(LogGroup, "to_describe_dict", to_describe_dict)


def region_of(authorization: str) -> str:
    """The region a SigV4 `Authorization` header's credential scope names (`Credential=AKID/date/REGION/...`)."""
    match = re.search(r"Credential=[^/]+/\d+/([^/]+)/", authorization)
    return match.group(1) if match else "us-east-1"


def _function_or_none(region: str, name: str, qualifier: str | None = None) -> LambdaFunction | None:
    from moto.awslambda.models import lambda_backends

    try:
        return lambda_backends[EMULATOR_ACCOUNT][region].get_function(name, qualifier)
    except Exception:  # moto's UnknownFunctionException and its kin: the caller answers 404
        return None


def _not_found(name: str) -> tuple[int, JsonObject]:
    return 404, {"Type": "User", "message": f"Function not found: {name}", "__type": "ResourceNotFoundException"}


def function_config(method: str, path: str, region: str, body: bytes) -> tuple[int, JsonObject]:
    """Put/GetFunctionRecursionConfig (default Terminate) and Put/GetRuntimeManagementConfig (default Auto; the
    version ARN in Manual mode only).
    https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionRecursionConfig.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_PutRuntimeManagementConfig.html"""
    found = FUNCTION_CONFIG.match(path)
    assert found is not None
    name = urllib.parse.unquote(found["name"]).rsplit(":function:", 1)[-1].split(":")[0]
    function = _function_or_none(region, name)
    if function is None:
        return _not_found(name)
    key = (region, name, found["what"])
    if method == "PUT":
        parsed = json.loads(body or b"{}")
        sent: JsonObject = parsed if isinstance(parsed, dict) else {}
        if found["what"] == "recursion-config":
            _function_configs[key] = {"RecursiveLoop": sent.get("RecursiveLoop", "Terminate")}
        else:
            kept: JsonObject = {"UpdateRuntimeOn": sent.get("UpdateRuntimeOn", "Auto")}
            if kept["UpdateRuntimeOn"] == "Manual":
                kept["RuntimeVersionArn"] = sent.get("RuntimeVersionArn")
            _function_configs[key] = kept
    if found["what"] == "recursion-config":
        return 200, _function_configs.get(key, {"RecursiveLoop": "Terminate"})
    return 200, {**_function_configs.get(key, {"UpdateRuntimeOn": "Auto"}), "FunctionArn": function.function_arn}


def stream_invoke(
    host: FunctionHost, path: str, region: str, qualifier: str | None, body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """InvokeWithResponseStream: the handler runs as Invoke runs it, and its response is one PayloadChunk, then
    InvokeComplete (with ErrorCode and ErrorDetails for a function error). The local runner returns a handler's
    response whole, so it arrives in one piece here."""
    from fnship.local.eventstream import event_message

    found = STREAM_INVOKE.match(path)
    assert found is not None
    name = urllib.parse.unquote(found["name"]).rsplit(":function:", 1)[-1].split(":")[0]
    function = _function_or_none(region, name, qualifier)
    if function is None:
        status, document = _not_found(name)
        return status, {"Content-Type": "application/json"}, json.dumps(document).encode()
    outcome = host.invoke(function, body)
    complete: JsonObject = {}
    stream = b""
    if outcome.error_type:
        complete = {"ErrorCode": outcome.error_type, "ErrorDetails": outcome.payload.decode("utf-8", "replace")}
    else:
        stream += event_message("PayloadChunk", outcome.payload)
    stream += event_message("InvokeComplete", json.dumps(complete).encode(), content_type="application/json")
    headers = {"Content-Type": "application/vnd.amazon.eventstream", "X-Amz-Executed-Version": str(function.version)}
    return 200, headers, stream


def _integration_transfer_mode() -> None:
    """PutIntegration's `responseTransferMode` kept and answered (BUFFERED when unset), as API Gateway does:
    https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html"""
    from moto.apigateway.models import Integration
    from moto.apigateway.responses import APIGatewayResponse

    original_put = APIGatewayResponse.put_integration

    def put_integration(self: APIGatewayResponse) -> tuple[int, dict[str, object], str | bytes]:
        answer = original_put(self)
        parts = self.path.split("/")
        with contextlib.suppress(Exception):  # moto refused the request: its answer says why
            integration = self.backend.get_integration(parts[2], parts[4], parts[6])
            setattr(integration, TRANSFER_ATTRIBUTE, self._get_param("responseTransferMode") or "BUFFERED")
        return answer

    original_json = Integration.to_json

    def to_json(self: Integration) -> JsonObject:
        return {**original_json(self), "responseTransferMode": getattr(self, TRANSFER_ATTRIBUTE, "BUFFERED")}

    _patch(APIGatewayResponse, "put_integration", put_integration)
    _patch(Integration, "to_json", to_json)


# -- CloudFormation ----------------------------------------------------------------------------------------------
_change_set_outputs_applied = False


def change_set_outputs() -> None:
    """After ExecuteChangeSet, the stack's template and outputs are those of the change set's template (moto kept
    the ones it was made with). Applied by the emulator, and by the tests of the companion stack on their own moto
    server (tests/integration/test_companion_stack.py), which read outputs as AWS gives them."""
    global _change_set_outputs_applied
    if _change_set_outputs_applied:
        return
    _change_set_outputs_applied = True
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        original(self, change_set_name, stack_name)
        for change_set in self.change_sets.values():
            if change_set_name in (change_set.change_set_id, change_set.change_set_name):
                stack = self.stacks[change_set.stack_id]
                stack._parse_template()
                stack.output_map = stack._create_output_map()
                for export in stack.exports:  # (as CreateStack registers them: DeleteStack removes them)
                    self.exports[export.name] = export

    _patch(CloudFormationBackend, "execute_change_set", execute_change_set)
