"""`functions.<key>.events`, `url:`, `provider.httpApi` and the trigger-related function settings -> typed,
validated data (EventSpec, FunctionSettings, HttpApiSpec). Pure: no AWS, no filesystem.

One parser per event type in EVENT_PARSERS (an explicit table: an unknown type is a diagnostic). Each parser
checks its keys and values against AWS's limits and returns the event's settings in the model's vocabulary,
with AWS's defaults filled in so the planner compares like with like.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fnship.manifest.checks import Checker, show
from fnship.manifest.schedule import check_expression
from fnship.manifest.types import EventSpec, FunctionSettings, HttpApiSpec, KeyPath
from fnship.secret import Secret

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
HTTP_API_KEYS = frozenset({"method", "path", "authorizer"})
HTTP_API_AUTHORIZER_KEYS = frozenset({"name", "scopes"})
PROVIDER_HTTP_API_KEYS = frozenset({"cors", "authorizers", "payload"})
AUTHORIZER_KEYS = frozenset({"type", "identitySource", "issuerUrl", "audience"})
HTTP_KEYS = frozenset({"method", "path", "cors", "integration"})
REST_CORS_KEYS = frozenset({"origin", "origins", "headers", "allowCredentials", "maxAge"})
CORS_KEYS = frozenset(
    {"allowedOrigins", "allowedHeaders", "allowedMethods", "allowCredentials", "exposedResponseHeaders", "maxAge"}
)
URL_KEYS = frozenset({"authorizer", "cors", "invokeMode"})
SQS_KEYS = frozenset(
    {
        "arn",
        "batchSize",
        "maximumBatchingWindow",
        "functionResponseType",
        "maximumConcurrency",
        "enabled",
        "filterPatterns",
    }
)
SNS_KEYS = frozenset({"arn", "topicName", "displayName", "filterPolicy", "filterPolicyScope"})
S3_KEYS = frozenset({"bucket", "event", "rules", "existing", "forceDeploy"})
SCHEDULE_KEYS = frozenset({"rate", "enabled", "input", "inputPath", "name", "description"})
EVENT_BRIDGE_KEYS = frozenset(
    {"pattern", "schedule", "eventBus", "input", "inputPath", "name", "description", "enabled"}
)
STREAM_KEYS = frozenset(
    {
        "arn",
        "type",
        "batchSize",
        "startingPosition",
        "startingPositionTimestamp",
        "bisectBatchOnFunctionError",
        "maximumRetryAttempts",
        "maximumRecordAgeInSeconds",
        "parallelizationFactor",
        "batchWindow",
        "destinations",
        "filterPatterns",
        "enabled",
        "functionResponseType",
        "tumblingWindowInSeconds",
    }
)
VPC_KEYS = frozenset({"securityGroupIds", "subnetIds"})
DESTINATION_KEYS = frozenset({"onSuccess", "onFailure"})

# The Serverless defaults for `cors: true`.
DEFAULT_CORS_HEADERS = ("Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token")

# https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
SQS_BATCH = (1, 10000)
SQS_FIFO_BATCH_MAX = 10
SQS_UNBATCHED_MAX = 10  # a batch size above 10 needs a batching window of at least 1 s
BATCHING_WINDOW_S = (0, 300)
MAX_CONCURRENCY = (2, 1000)
STREAM_BATCH = {"dynamodb": (1, 10000), "kinesis": (1, 10000)}
STREAM_POSITIONS = {"dynamodb": ("LATEST", "TRIM_HORIZON"), "kinesis": ("LATEST", "TRIM_HORIZON", "AT_TIMESTAMP")}
STREAM_RETRIES = (-1, 10000)
RECORD_AGE_S = (60, 604800)  # or -1: infinite
PARALLELIZATION = (1, 10)
TUMBLING_WINDOW_S = (0, 900)
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
ASYNC_RETRIES = (0, 2)
ASYNC_EVENT_AGE_S = (60, 21600)
RULE_NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
RULE_DESCRIPTION_MAX = 512
TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
S3_EVENTS = (
    "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
    "s3:Replication:*", "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition", "s3:IntelligentTiering",
    "s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
)  # fmt: skip
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")
ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<rest>.+)$")


@dataclass
class EventContext:
    """What a parser may need beyond its own value."""

    check: Checker
    function_key: str
    function_keys: frozenset[str]
    http_api: HttpApiSpec
    events: list[EventSpec] = field(default_factory=list)


Parser = Callable[[Any, KeyPath, EventContext, int], list[dict[str, Any]]]


# -- helpers ------------------------------------------------------------------------------------------------------
def arn_parts(text: str) -> re.Match[str] | None:
    return ARN.match(text)


def _arn(value: Any, path: KeyPath, check: Checker, *, services: tuple[str, ...], what: str) -> str | None:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value or "Ref" in value:
            check.error(
                path,
                f"{what} given as a CloudFormation reference: fnship does not create {what}s yet",
                f"write the {what}'s ARN; ${{aws:region}} and ${{aws:accountId}} can help",
            )
        else:
            check.error(path, f"must be the {what}'s ARN, got a mapping")
        return None
    text = check.want_str(value, path)
    if text is None:
        return None
    parts = arn_parts(text)
    if parts is None or parts["service"] not in services:
        check.error(path, f"{show(text)} is not an {what} ARN (arn:aws:{services[0]}:<region>:<account>:...)")
        return None
    return text


def _int(value: Any, path: KeyPath, check: Checker, bounds: tuple[int, int], *, unit: str = "") -> int | None:
    return check.want_int(value, path, minimum=bounds[0], maximum=bounds[1], unit=unit, limit="AWS")


def _bool(raw: Mapping[str, Any], key: str, path: KeyPath, check: Checker, default: bool) -> bool:
    if raw.get(key) is None:
        return default
    value = check.want_bool(raw[key], (*path, key))
    return default if value is None else value


def _text(raw: Mapping[str, Any], key: str, path: KeyPath, check: Checker) -> str | None:
    return check.want_str(raw[key], (*path, key)) if raw.get(key) is not None else None


def _json_list(value: Any, path: KeyPath, check: Checker, *, what: str) -> tuple[str, ...]:
    """A list of mappings (filter patterns) as compact JSON strings, the form AWS stores and returns."""
    if value is None:
        return ()
    items = check.want_list(value, path) or []
    out = []
    for index, item in enumerate(items):
        mapping = check.want_mapping(item, (*path, index), what=what)
        text = _json_value(mapping, (*path, index), check) if mapping is not None else None
        if text is not None:
            out.append(text)
    return tuple(out)


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _json_value(value: Any, path: KeyPath, check: Checker) -> str | None:
    """A mapping or list the user wrote (a pattern, a filter, an input) as compact JSON, or None if a secret is
    in it: AWS stores these in plain text and shows them to anyone who can read the rule or subscription."""
    clean = True

    def visit(item: Any, where: KeyPath) -> None:
        nonlocal clean
        if isinstance(item, Secret):
            clean = False
            check.want_str(item, where)  # reports it the way every other non-environment key does
        elif isinstance(item, dict):
            for key, sub in item.items():
                visit(sub, (*where, key))
        elif isinstance(item, list):
            for index, sub in enumerate(item):
                visit(sub, (*where, index))

    visit(value, path)
    return compact_json(value) if clean else None


def _input(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> dict[str, Any]:
    """`input` (a mapping sent as JSON, or a string) and `inputPath`: at most one of them."""
    out: dict[str, Any] = {"input": None, "input_path": None}
    if raw.get("input") is not None and raw.get("inputPath") is not None:
        check.error((*path, "inputPath"), "give either input or inputPath, not both", at_key=True)
    value = raw.get("input")
    if isinstance(value, (dict, list)):
        out["input"] = _json_value(value, (*path, "input"), check)
    elif value is not None:
        out["input"] = check.want_str(value, (*path, "input"))
    if raw.get("inputPath") is not None:
        out["input_path"] = check.want_str(raw["inputPath"], (*path, "inputPath"))
    return out


def _rule_name(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> str | None:
    name = _text(raw, "name", path, check)
    if name is not None and not RULE_NAME.match(name):
        check.error(
            (*path, "name"), f"{show(name)} is not a rule name: 1-64 letters, digits, '.', '-' or '_'", at_key=False
        )
        return None
    return name


def _description(raw: Mapping[str, Any], path: KeyPath, check: Checker) -> str:
    text = _text(raw, "description", path, check) or ""
    if len(text) > RULE_DESCRIPTION_MAX:
        check.error((*path, "description"), f"is {len(text)} characters; EventBridge allows {RULE_DESCRIPTION_MAX}")
    return text


def _http_route(text: str, path: KeyPath, check: Checker) -> tuple[str, str] | None:
    """`GET /todos/{id}` -> ("GET", "/todos/{id}")."""
    method, _, route = text.strip().partition(" ")
    route = route.strip()
    if not route:
        check.error(path, f"{show(text)} is not a route: write `METHOD /path`, like `GET /todos/{{id}}`")
        return None
    return method, route


def _method(value: str, path: KeyPath, check: Checker) -> str | None:
    upper = "ANY" if value == "*" else value.upper()
    if upper not in HTTP_METHODS:
        check.error(path, f"{show(value)} is not an HTTP method; allowed: {', '.join(HTTP_METHODS)} or '*'")
        return None
    return upper


def _path(value: str, path: KeyPath, check: Checker) -> str | None:
    if not value.startswith("/"):
        check.error(path, f"{show(value)} must start with '/'")
        return None
    segments = [s for s in value.split("/") if s]
    for index, segment in enumerate(segments):
        greedy = segment.startswith("{") and segment.endswith("+}")
        if greedy and index != len(segments) - 1:
            check.error(path, f"{show(value)}: a greedy parameter ({segment}) must be the last path segment")
            return None
        if not re.match(r"^(\{[A-Za-z0-9_.-]+\+?\}|[A-Za-z0-9_.:~@!$&'()*,;=-]+)$", segment):
            check.error(path, f"{show(value)}: the path segment {show(segment)} is not valid")
            return None
    return "/" + "/".join(segments)


def _cors(value: Any, path: KeyPath, check: Checker) -> dict[str, Any] | None:
    """`cors: true` or a mapping (HTTP API and function URL spelling) -> our CORS settings, or None (off)."""
    if value is None or value is False:
        return None
    if value is True:
        return {
            "allow_origins": ["*"],
            "allow_headers": list(DEFAULT_CORS_HEADERS),
            "allow_methods": ["*"],
            "allow_credentials": False,
            "expose_headers": [],
            "max_age": None,
        }
    raw = check.want_mapping(value, path, what="true or a mapping (allowedOrigins, allowedHeaders, ...)")
    if raw is None:
        return None
    check.keys(raw, path, CORS_KEYS)

    def strings(key: str, default: list[str]) -> list[str]:
        if raw.get(key) is None:
            return default
        return check.want_str_list(raw[key], (*path, key), single_ok=True) or default

    max_age = None
    if raw.get("maxAge") is not None:
        max_age = _int(raw["maxAge"], (*path, "maxAge"), check, (0, 86400), unit="seconds")
    return {
        "allow_origins": strings("allowedOrigins", ["*"]),
        "allow_headers": strings("allowedHeaders", list(DEFAULT_CORS_HEADERS)),
        "allow_methods": strings("allowedMethods", ["*"]),
        "allow_credentials": _bool(raw, "allowCredentials", path, check, False),
        "expose_headers": strings("exposedResponseHeaders", []),
        "max_age": max_age,
    }


def _batch_limit(
    value: Any, path: KeyPath, check: Checker, bounds: tuple[int, int], *, source: str, default: int
) -> int:
    if value is None:
        return default
    size = check.want_int(value, path)
    if size is None:
        return default
    low, high = bounds
    if not low <= size <= high:
        check.error(path, f"{size} is out of range for {source}: batchSize must be between {low} and {high}")
        return default
    return size


def _short_or_mapping(
    value: Any, path: KeyPath, check: Checker, *, key: str, keys: frozenset[str], what: str
) -> tuple[dict[str, Any], KeyPath] | None:
    """An event written short (`sqs: <arn>`: the value of `key`) or as a mapping with its allowed keys.
    Returns the mapping and where `key`'s value is written, or None after reporting what is wrong."""
    if isinstance(value, str):
        return {key: value}, path
    raw = check.want_mapping(value, path, what=what)
    if raw is None:
        return None
    check.keys(raw, path, keys)
    if raw.get(key) is None:
        check.error(path, f"{key} is required", at_key=True)
        return None
    return raw, (*path, key)


# -- event types --------------------------------------------------------------------------------------------------
def parse_http_api(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    authorizer: str | None = None
    scopes: list[str] = []
    if isinstance(value, str):
        if value.strip() == "*":
            return [{"route_key": "$default", "method": "ANY", "path": "*", "authorizer": None, "scopes": []}]
        route = _http_route(value, path, check)
        if route is None:
            return []
        method_text, path_text = route
        where = path
    else:
        raw = check.want_mapping(value, path, what="'METHOD /path', '*' or a mapping (method, path)")
        if raw is None:
            return []
        check.keys(raw, path, HTTP_API_KEYS)
        method_text = check.want_str(raw.get("method", "*"), (*path, "method")) or "*"
        if raw.get("path") is None:
            check.error(path, "path is required (or write the event as `httpApi: '*'`)", at_key=True)
            return []
        path_text = check.want_str(raw["path"], (*path, "path")) or "/"
        where = (*path, "path")
        if raw.get("authorizer") is not None:
            authorizer, scopes = _http_api_authorizer(raw["authorizer"], (*path, "authorizer"), ctx)
    if method_text == "*" and path_text == "*":
        return [{"route_key": "$default", "method": "ANY", "path": "*", "authorizer": authorizer, "scopes": scopes}]
    method = _method(method_text, where, check)
    route_path = _path(path_text, where, check)
    if method is None or route_path is None:
        return []
    return [
        {
            "route_key": f"{method} {route_path}",
            "method": method,
            "path": route_path,
            "authorizer": authorizer,
            "scopes": scopes,
        }
    ]


def _http_api_authorizer(value: Any, path: KeyPath, ctx: EventContext) -> tuple[str | None, list[str]]:
    check = ctx.check
    if isinstance(value, str):
        name, scopes = value, []
    else:
        raw = check.want_mapping(value, path, what="an authorizer name or a mapping (name, scopes)")
        if raw is None:
            return None, []
        check.keys(raw, path, HTTP_API_AUTHORIZER_KEYS)
        name = check.want_str(raw.get("name"), (*path, "name")) or ""
        scopes = check.want_str_list(raw["scopes"], (*path, "scopes")) or [] if raw.get("scopes") is not None else []
        path = (*path, "name")
    if name and name not in ctx.http_api.authorizers:
        known = ", ".join(ctx.http_api.authorizers) or "(none)"
        check.error(path, f"authorizer {show(name)} is not defined in provider.httpApi.authorizers (defined: {known})")
        return None, []
    return name or None, sorted(scopes)


def parse_http(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    cors_value: Any = None
    if isinstance(value, str):
        route = _http_route(value, path, check)
        if route is None:
            return []
        method_text, path_text = route
        where = path
    else:
        raw = check.want_mapping(value, path, what="'METHOD /path' or a mapping (method, path, cors)")
        if raw is None:
            return []
        check.keys(raw, path, HTTP_KEYS)
        for key in ("method", "path"):
            if raw.get(key) is None:
                check.error(path, f"{key} is required", at_key=True)
                return []
        method_text = check.want_str(raw["method"], (*path, "method")) or "GET"
        path_text = check.want_str(raw["path"], (*path, "path")) or "/"
        where = (*path, "path")
        integration = raw.get("integration")
        if integration is not None and str(integration).lower() not in ("lambda-proxy", "aws_proxy", "lambda_proxy"):
            check.error(
                (*path, "integration"),
                f"{show(integration)} is not supported: fnship uses the Lambda proxy integration",
                "remove `integration:` (lambda-proxy is the default)",
            )
        cors_value = raw.get("cors")
    method = _method(method_text, where if isinstance(value, str) else (*path, "method"), check)
    route_path = _path(path_text if path_text.startswith("/") else "/" + path_text, where, check)
    if method is None or route_path is None:
        return []
    return [{"method": method, "path": route_path, "cors": _rest_cors(cors_value, (*path, "cors"), check)}]


def _rest_cors(value: Any, path: KeyPath, check: Checker) -> dict[str, Any] | None:
    if value is None or value is False:
        return None
    if value is True:
        return {"origins": ["*"], "headers": list(DEFAULT_CORS_HEADERS), "allow_credentials": False, "max_age": None}
    raw = check.want_mapping(value, path, what="true or a mapping (origins, headers, allowCredentials, maxAge)")
    if raw is None:
        return None
    check.keys(raw, path, REST_CORS_KEYS)
    origins = ["*"]
    for key in ("origin", "origins"):
        if raw.get(key) is not None:
            origins = check.want_str_list(raw[key], (*path, key), single_ok=True) or origins
    headers = list(DEFAULT_CORS_HEADERS)
    if raw.get("headers") is not None:
        headers = check.want_str_list(raw["headers"], (*path, "headers"), single_ok=True) or headers
    max_age = None
    if raw.get("maxAge") is not None:
        max_age = _int(raw["maxAge"], (*path, "maxAge"), check, (0, 86400), unit="seconds")
    return {
        "origins": origins,
        "headers": headers,
        "allow_credentials": _bool(raw, "allowCredentials", path, check, False),
        "max_age": max_age,
    }


def parse_sqs(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    if isinstance(value, dict) and ("Fn::GetAtt" in value or "Ref" in value):
        raw, arn_path = {"arn": value}, path  # `sqs: {Fn::GetAtt: ...}`: reported as unsupported below
    else:
        found = _short_or_mapping(
            value, path, check, key="arn", keys=SQS_KEYS, what="a queue ARN or a mapping (arn, batchSize, ...)"
        )
        if found is None:
            return []
        raw, arn_path = found
    arn = _arn(raw["arn"], arn_path, check, services=("sqs",), what="SQS queue")
    fifo = bool(arn and arn.endswith(".fifo"))
    window = 0
    if raw.get("maximumBatchingWindow") is not None:
        window = _int(raw["maximumBatchingWindow"], (*path, "maximumBatchingWindow"), check, BATCHING_WINDOW_S) or 0
        if fifo and window:
            # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
            check.error(
                (*path, "maximumBatchingWindow"),
                "a FIFO queue takes no batching window (AWS refuses it)",
                "remove maximumBatchingWindow, or set it to 0",
            )
            window = 0
    bounds = (SQS_BATCH[0], SQS_FIFO_BATCH_MAX) if fifo else SQS_BATCH
    source = "a FIFO SQS queue" if fifo else "SQS"
    batch = _batch_limit(raw.get("batchSize"), (*path, "batchSize"), check, bounds, source=source, default=10)
    if batch > SQS_UNBATCHED_MAX and window < 1:
        check.error(
            (*path, "batchSize"),
            f"a batchSize of {batch} (above {SQS_UNBATCHED_MAX}) needs maximumBatchingWindow of at least 1 second",
        )
    response_types: list[str] = []
    if raw.get("functionResponseType") is not None:
        kind = check.want_choice(
            raw["functionResponseType"],
            (*path, "functionResponseType"),
            ("ReportBatchItemFailures",),
            what="a function response type",
        )
        response_types = [kind] if kind else []
    concurrency = None
    if raw.get("maximumConcurrency") is not None:
        concurrency = _int(raw["maximumConcurrency"], (*path, "maximumConcurrency"), check, MAX_CONCURRENCY)
    if arn is None:
        return []
    return [
        {
            "arn": arn,
            "batch_size": batch,
            "maximum_batching_window": window,
            "function_response_types": response_types,
            "maximum_concurrency": concurrency,
            "enabled": _bool(raw, "enabled", path, check, True),
            "filter_patterns": list(
                _json_list(raw.get("filterPatterns"), (*path, "filterPatterns"), check, what="a filter pattern")
            ),
        }
    ]


def parse_sns(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    if isinstance(value, str):
        raw: dict[str, Any] = {"arn": value} if value.startswith("arn:") else {"topicName": value}
        key_path = {"arn": path, "topicName": path}
    else:
        raw = check.want_mapping(value, path, what="a topic name, a topic ARN or a mapping (topicName, arn, ...)")
        if raw is None:
            return []
        check.keys(raw, path, SNS_KEYS)
        key_path = {"arn": (*path, "arn"), "topicName": (*path, "topicName")}
    arn = None
    if raw.get("arn") is not None:
        arn = _arn(raw["arn"], key_path["arn"], check, services=("sns",), what="SNS topic")
    name = _text(raw, "topicName", path, check) if isinstance(value, dict) else raw.get("topicName")
    if arn is None and name is None:
        if raw.get("arn") is None:
            check.error(path, "topicName or arn is required", at_key=True)
        return []
    if arn is not None:
        name = arn.rsplit(":", 1)[1]
    elif not TOPIC_NAME.match(name or ""):
        check.error(key_path["topicName"], f"{show(name)} is not an SNS topic name: letters, digits, '-' and '_'")
        return []
    filter_policy = None
    if raw.get("filterPolicy") is not None:
        policy = check.want_mapping(raw["filterPolicy"], (*path, "filterPolicy"))
        filter_policy = _json_value(policy, (*path, "filterPolicy"), check) if policy is not None else None
    scope = None
    if raw.get("filterPolicyScope") is not None:
        scope = check.want_choice(
            raw["filterPolicyScope"], (*path, "filterPolicyScope"), FILTER_POLICY_SCOPES, what="a filter policy scope"
        )
    return [
        {
            "topic_name": name,
            "topic_arn": arn,  # None: the topic is created and owned by this service
            "display_name": (_text(raw, "displayName", path, check) or "") if isinstance(value, dict) else "",
            "filter_policy": filter_policy,
            "filter_policy_scope": (scope or "MessageAttributes") if filter_policy else None,
        }
    ]


def parse_s3(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    found = _short_or_mapping(
        value,
        path,
        check,
        key="bucket",
        keys=S3_KEYS,
        what="a bucket name or a mapping (bucket, event, rules, existing)",
    )
    if found is None:
        return []
    raw, bucket_path = found
    bucket = check.want_str(raw["bucket"], bucket_path)
    if bucket is not None and not BUCKET_NAME.match(bucket):
        check.error(bucket_path, f"{show(bucket)} is not an S3 bucket name (3-63 lowercase letters, digits, . and -)")
        bucket = None
    event = "s3:ObjectCreated:*"
    if raw.get("event") is not None:
        event = check.want_choice(raw["event"], (*path, "event"), S3_EVENTS, what="an S3 event type") or event
    prefix = suffix = None
    if raw.get("rules") is not None:
        for rule_index, rule in enumerate(check.want_list(raw["rules"], (*path, "rules")) or []):
            rule_path = (*path, "rules", rule_index)
            rule = check.want_mapping(rule, rule_path, what="a mapping with prefix: or suffix:")
            if rule is None:
                continue
            check.keys(rule, rule_path, {"prefix", "suffix"})
            if rule.get("prefix") is not None:
                prefix = check.want_str(rule["prefix"], (*rule_path, "prefix"))
            if rule.get("suffix") is not None:
                suffix = check.want_str(rule["suffix"], (*rule_path, "suffix"))
    if bucket is None:
        return []
    return [
        {
            "bucket": bucket,
            "events": [event],
            "prefix": prefix,
            "suffix": suffix,
            "existing": _bool(raw, "existing", path, check, False) if isinstance(value, dict) else False,
        }
    ]


def parse_schedule(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    found = _short_or_mapping(
        value, path, check, key="rate", keys=SCHEDULE_KEYS, what="a rate()/cron() expression or a mapping (rate, ...)"
    )
    if found is None:
        return []
    raw, rate_path = found
    rates = raw["rate"] if isinstance(raw["rate"], list) else [raw["rate"]]
    expressions = []
    for rate_index, rate in enumerate(rates):
        where = (*rate_path, rate_index) if isinstance(raw["rate"], list) else rate_path
        text = check.want_str(rate, where)
        if text is None:
            continue
        problem = check_expression(text.strip())
        if problem:
            check.error(
                where,
                f"{show(text)} is not a valid schedule expression: {problem}",
                "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
            )
            continue
        expressions.append(text.strip())
    name = _rule_name(raw, path, check)
    if name and len(rates) > 1:
        check.error((*path, "name"), "a name cannot be given to a schedule with several rates", at_key=True)
    common = {
        "enabled": _bool(raw, "enabled", path, check, True),
        "description": _description(raw, path, check),
        **_input(raw, path, check),
    }
    return [{"schedule": expression, "pattern": None, "event_bus": None, "name": name, **common}
            for expression in expressions]  # fmt: skip


def parse_event_bridge(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (pattern, eventBus, input, ...)")
    if raw is None:
        return []
    check.keys(raw, path, EVENT_BRIDGE_KEYS)
    pattern = None
    if raw.get("pattern") is not None:
        found = check.want_mapping(raw["pattern"], (*path, "pattern"), what="an event pattern (a mapping)")
        pattern = _json_value(found, (*path, "pattern"), check) if found is not None else None
    schedule = None
    if raw.get("schedule") is not None:
        text = check.want_str(raw["schedule"], (*path, "schedule"))
        problem = check_expression(text.strip()) if text else None
        if problem:
            check.error((*path, "schedule"), f"{show(text)} is not a valid schedule expression: {problem}")
        elif text:
            schedule = text.strip()
    if raw.get("pattern") is None and raw.get("schedule") is None:
        check.error(path, "pattern (or schedule) is required", at_key=True)
    bus = None
    if raw.get("eventBus") is not None:
        bus_value = raw["eventBus"]
        if isinstance(bus_value, dict):
            check.error((*path, "eventBus"), "give the event bus's name or ARN; fnship does not create event buses")
        else:
            bus = check.want_str(bus_value, (*path, "eventBus"))
            if bus and bus.startswith("arn:") and ":event-bus/" not in bus:
                check.error((*path, "eventBus"), f"{show(bus)} is not an event bus ARN")
                bus = None
    if bus and bus.startswith("arn:"):
        bus = bus.split(":event-bus/", 1)[1]
    return [
        {
            "schedule": schedule,
            "pattern": pattern,
            "event_bus": None if bus in (None, "default") else bus,
            "name": _rule_name(raw, path, check),
            "enabled": _bool(raw, "enabled", path, check, True),
            "description": _description(raw, path, check),
            **_input(raw, path, check),
        }
    ]


def parse_stream(value: Any, path: KeyPath, ctx: EventContext, index: int) -> list[dict[str, Any]]:
    check = ctx.check
    found = _short_or_mapping(
        value, path, check, key="arn", keys=STREAM_KEYS, what="a stream ARN or a mapping (arn, batchSize, ...)"
    )
    if found is None:
        return []
    raw, arn_path = found
    arn = _arn(raw["arn"], arn_path, check, services=("dynamodb", "kinesis"), what="DynamoDB or Kinesis stream")
    if arn is None:
        return []
    source = "kinesis" if ":kinesis:" in arn else "dynamodb"
    if source == "dynamodb" and "/stream/" not in arn:
        check.error(arn_path, f"{show(arn)} is a table ARN; give its stream's ARN (…:table/NAME/stream/LABEL)")
        return []
    if raw.get("type") is not None:
        declared = check.want_choice(raw["type"], (*path, "type"), ("dynamodb", "kinesis"), what="a stream type")
        if declared and declared != source:
            check.error((*path, "type"), f"type {declared} does not match the ARN, which is a {source} stream")
    label = "a DynamoDB stream" if source == "dynamodb" else "a Kinesis stream"
    batch = _batch_limit(
        raw.get("batchSize"), (*path, "batchSize"), check, STREAM_BATCH[source], source=label, default=100
    )
    position = "TRIM_HORIZON"
    if raw.get("startingPosition") is not None:
        position = (
            check.want_choice(
                raw["startingPosition"],
                (*path, "startingPosition"),
                STREAM_POSITIONS[source],
                what=f"a starting position for {label}",
            )
            or position
        )
    timestamp = None
    if position == "AT_TIMESTAMP":
        if raw.get("startingPositionTimestamp") is None:
            check.error(path, "startingPositionTimestamp is required with startingPosition AT_TIMESTAMP", at_key=True)
        else:
            timestamp = check.want_int(raw["startingPositionTimestamp"], (*path, "startingPositionTimestamp"))
    retries = -1
    if raw.get("maximumRetryAttempts") is not None:
        retries = _int(raw["maximumRetryAttempts"], (*path, "maximumRetryAttempts"), check, STREAM_RETRIES)
        retries = -1 if retries is None else retries
    age = -1
    if raw.get("maximumRecordAgeInSeconds") is not None:
        age_path = (*path, "maximumRecordAgeInSeconds")
        found = check.want_int(raw["maximumRecordAgeInSeconds"], age_path)
        if found is not None and found != -1 and not RECORD_AGE_S[0] <= found <= RECORD_AGE_S[1]:
            check.error(age_path, f"{found} must be -1 (no limit) or between {RECORD_AGE_S[0]} and {RECORD_AGE_S[1]}")
        elif found is not None:
            age = found
    on_failure = None
    if raw.get("destinations") is not None:
        destinations = check.want_mapping(raw["destinations"], (*path, "destinations"))
        if destinations is not None:
            check.keys(destinations, (*path, "destinations"), {"onFailure"})
            if destinations.get("onFailure") is not None:
                target = destinations["onFailure"]
                target_path = (*path, "destinations", "onFailure")
                if isinstance(target, dict) and "arn" in target:
                    target, target_path = target["arn"], (*target_path, "arn")
                on_failure = _arn(target, target_path, check, services=("sqs", "sns"), what="SQS queue or SNS topic")
    response_types: list[str] = []
    if raw.get("functionResponseType") is not None:
        kind = check.want_choice(
            raw["functionResponseType"],
            (*path, "functionResponseType"),
            ("ReportBatchItemFailures",),
            what="a function response type",
        )
        response_types = [kind] if kind else []

    def optional(key: str, bounds: tuple[int, int], default: int | None) -> int | None:
        if raw.get(key) is None:
            return default
        found = _int(raw[key], (*path, key), check, bounds)
        return default if found is None else found

    return [
        {
            "arn": arn,
            "source": source,
            "batch_size": batch,
            "starting_position": position,
            "starting_position_timestamp": timestamp,
            "bisect_batch_on_function_error": _bool(raw, "bisectBatchOnFunctionError", path, check, False),
            "maximum_retry_attempts": retries,
            "maximum_record_age": age,
            "parallelization_factor": optional("parallelizationFactor", PARALLELIZATION, 1),
            "maximum_batching_window": optional("batchWindow", BATCHING_WINDOW_S, 0),
            "tumbling_window": optional("tumblingWindowInSeconds", TUMBLING_WINDOW_S, None),
            "on_failure": on_failure,
            "function_response_types": response_types,
            "enabled": _bool(raw, "enabled", path, check, True),
            "filter_patterns": list(
                _json_list(raw.get("filterPatterns"), (*path, "filterPatterns"), check, what="a filter pattern")
            ),
        }
    ]


EVENT_PARSERS: dict[str, Parser] = {
    "httpApi": parse_http_api,
    "http": parse_http,
    "sqs": parse_sqs,
    "sns": parse_sns,
    "s3": parse_s3,
    "schedule": parse_schedule,
    "eventBridge": parse_event_bridge,
    "stream": parse_stream,
}
# Serverless event types fnship does not deploy (yet): named so the message says so instead of "unknown".
UNSUPPORTED_EVENTS = frozenset(
    {"websocket", "alb", "alexaSkill", "alexaSmartHome", "iot", "iotFleetProvisioning", "cloudwatchEvent",
     "cloudwatchLog", "cognitoUserPool", "msk", "activemq", "rabbitmq", "kafka"}
)  # fmt: skip


# -- the function's events ------------------------------------------------------------------------------------------
def parse_events(raw: Mapping[str, Any], path: KeyPath, ctx: EventContext) -> tuple[EventSpec, ...]:
    """Every event under `functions.<key>.events`, plus `url:`, validated and normalized."""
    check = ctx.check
    specs: list[EventSpec] = []
    events = raw.get("events")
    if events is not None and (items := check.want_list(events, (*path, "events"))) is not None:
        for index, event in enumerate(items):
            where = (*path, "events", index)
            if not (isinstance(event, dict) and len(event) == 1):
                check.error(
                    where,
                    f"an event must be a mapping with one key (its type, e.g. `- sqs: ...`), got {show(event)}",
                )
                continue
            kind, value = next(iter(event.items()))
            parser = EVENT_PARSERS.get(kind)
            if parser is None:
                _unknown_event(kind, (*where, kind), check)
                continue
            for settings in parser(value, (*where, kind), ctx, index):
                specs.append(EventSpec(kind, index, settings))
    if raw.get("url") not in (None, False):
        url = parse_url(raw["url"], (*path, "url"), check)
        if url is not None:
            specs.append(EventSpec("url", -1, url))
    _check_duplicates(specs, path, check)
    return tuple(specs)


def _unknown_event(kind: str, path: KeyPath, check: Checker) -> None:
    if kind == "url":
        check.error(path, "url is a function setting, not an event", "write `url: true` under the function")
    elif kind in UNSUPPORTED_EVENTS:
        check.error(
            path,
            f"event type '{kind}' is not supported by fnship",
            "supported: " + ", ".join(EVENT_PARSERS),
            at_key=True,
        )
    else:
        import difflib

        close = difflib.get_close_matches(kind, list(EVENT_PARSERS), n=1)
        check.error(
            path,
            f"unknown event type '{kind}'" + (f"; did you mean '{close[0]}'?" if close else ""),
            "supported: " + ", ".join(EVENT_PARSERS),
            at_key=True,
        )


def _check_duplicates(specs: list[EventSpec], path: KeyPath, check: Checker) -> None:
    """AWS refuses a second mapping of the same queue or stream to one function."""
    seen: dict[str, int] = {}
    for spec in specs:
        if spec.type in ("sqs", "stream"):
            arn = spec.settings["arn"]
            if arn in seen:
                check.error(
                    (*path, "events", spec.index),
                    f"{arn} is already mapped to this function by event {seen[arn]}",
                    "Lambda allows one event source mapping per queue or stream and function",
                )
            seen.setdefault(arn, spec.index)


def parse_url(value: Any, path: KeyPath, check: Checker) -> dict[str, Any] | None:
    if value is True:
        return {"auth_type": "NONE", "cors": None, "invoke_mode": "BUFFERED"}
    raw = check.want_mapping(value, path, what="true or a mapping (authorizer, cors, invokeMode)")
    if raw is None:
        return None
    check.keys(raw, path, URL_KEYS)
    auth = "NONE"
    if raw.get("authorizer") is not None:
        chosen = check.want_choice(
            raw["authorizer"], (*path, "authorizer"), ("aws_iam",), what="a function URL authorizer"
        )
        auth = "AWS_IAM" if chosen else auth
    mode = "BUFFERED"
    if raw.get("invokeMode") is not None:
        mode = check.want_choice(raw["invokeMode"], (*path, "invokeMode"), INVOKE_MODES, what="an invoke mode") or mode
    return {"auth_type": auth, "cors": _cors(raw.get("cors"), (*path, "cors"), check), "invoke_mode": mode}


# -- provider.httpApi -----------------------------------------------------------------------------------------------
def parse_provider_http_api(value: Any, path: KeyPath, check: Checker) -> HttpApiSpec:
    if value is None:
        return HttpApiSpec()
    raw = check.want_mapping(value, path)
    if raw is None:
        return HttpApiSpec()
    check.keys(raw, path, PROVIDER_HTTP_API_KEYS)
    if raw.get("payload") is not None and str(raw["payload"]) != "2.0":
        check.error((*path, "payload"), f"{show(raw['payload'])} is not supported: fnship uses payload format 2.0")
    authorizers: dict[str, dict[str, Any]] = {}
    if raw.get("authorizers") is not None:
        found = check.want_mapping(raw["authorizers"], (*path, "authorizers")) or {}
        for name, spec in found.items():
            parsed = _jwt_authorizer(spec, (*path, "authorizers", name), check)
            if parsed is not None:
                authorizers[name] = parsed
    return HttpApiSpec(cors=_cors(raw.get("cors"), (*path, "cors"), check), authorizers=authorizers)


def _jwt_authorizer(value: Any, path: KeyPath, check: Checker) -> dict[str, Any] | None:
    raw = check.want_mapping(value, path, what="a mapping (identitySource, issuerUrl, audience)")
    if raw is None:
        return None
    check.keys(raw, path, AUTHORIZER_KEYS)
    if raw.get("type") is not None and str(raw["type"]).lower() != "jwt":
        check.error((*path, "type"), f"{show(raw['type'])} is not supported: fnship creates JWT authorizers only")
        return None
    issuer = _text(raw, "issuerUrl", path, check)
    if issuer is None:
        check.error(path, "issuerUrl is required for a JWT authorizer", at_key=True)
    elif not issuer.startswith("https://"):
        check.error((*path, "issuerUrl"), f"{show(issuer)} must be an https:// URL")
    audience = check.want_str_list(raw.get("audience"), (*path, "audience"), single_ok=True)
    if raw.get("audience") is None:
        check.error(path, "audience is required for a JWT authorizer", at_key=True)
    source = "$request.header.Authorization"
    if raw.get("identitySource") is not None:
        source = check.want_str(raw["identitySource"], (*path, "identitySource")) or source
    if issuer is None or audience is None:
        return None
    return {"identity_source": [source], "issuer": issuer, "audience": sorted(audience)}


# -- function settings that come with triggers ---------------------------------------------------------------------
def parse_settings(
    raw: Mapping[str, Any],
    provider_raw: Mapping[str, Any],
    path: KeyPath,
    check: Checker,
    *,
    function_keys: frozenset[str],
) -> FunctionSettings:
    subnets: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    vpc_value, vpc_path = (
        (raw["vpc"], (*path, "vpc")) if "vpc" in raw else (provider_raw.get("vpc"), ("provider", "vpc"))
    )
    if vpc_value:
        vpc = check.want_mapping(vpc_value, vpc_path, what="a mapping (subnetIds, securityGroupIds)")
        if vpc is not None:
            check.keys(vpc, vpc_path, VPC_KEYS)
            if vpc.get("subnetIds") is not None:
                subnets = tuple(sorted(check.want_str_list(vpc["subnetIds"], (*vpc_path, "subnetIds")) or []))
            if vpc.get("securityGroupIds") is not None:
                found = check.want_str_list(vpc["securityGroupIds"], (*vpc_path, "securityGroupIds"))
                groups = tuple(sorted(found or []))
            if not subnets or not groups:
                check.error(vpc_path, "a VPC needs at least one subnetIds and one securityGroupIds entry")
    tracing = _tracing(raw, provider_raw, path, check)

    dead_letter = None
    if raw.get("onError") is not None:
        dead_letter = _arn(raw["onError"], (*path, "onError"), check, services=("sns", "sqs"),
                           what="SNS topic or SQS queue")  # fmt: skip
    on_success = on_failure = None
    if raw.get("destinations") is not None:
        destinations = check.want_mapping(raw["destinations"], (*path, "destinations")) or {}
        check.keys(destinations, (*path, "destinations"), DESTINATION_KEYS)
        on_success = _destination(destinations.get("onSuccess"), (*path, "destinations", "onSuccess"), check,
                                  function_keys=function_keys)  # fmt: skip
        on_failure = _destination(destinations.get("onFailure"), (*path, "destinations", "onFailure"), check,
                                  function_keys=function_keys)  # fmt: skip
    retries = None
    if raw.get("maximumRetryAttempts") is not None:
        retries = _int(raw["maximumRetryAttempts"], (*path, "maximumRetryAttempts"), check, ASYNC_RETRIES)
    age = None
    if raw.get("maximumEventAge") is not None:
        age = _int(raw["maximumEventAge"], (*path, "maximumEventAge"), check, ASYNC_EVENT_AGE_S, unit="seconds")
    kms = None
    kms_value, kms_path = (
        (raw["kmsKeyArn"], (*path, "kmsKeyArn")) if raw.get("kmsKeyArn") is not None
        else (provider_raw.get("kmsKeyArn"), ("provider", "kmsKeyArn"))
    )  # fmt: skip
    if kms_value is not None:
        kms = _arn(kms_value, kms_path, check, services=("kms",), what="KMS key")
    return FunctionSettings(
        subnet_ids=subnets,
        security_group_ids=groups,
        tracing=tracing,
        dead_letter_arn=dead_letter,
        on_success=on_success,
        on_failure=on_failure,
        maximum_retry_attempts=retries,
        maximum_event_age=age,
        kms_key_arn=kms,
    )


def _tracing(raw: Mapping[str, Any], provider_raw: Mapping[str, Any], path: KeyPath, check: Checker) -> str | None:
    if raw.get("tracing") is not None:
        value, where = raw["tracing"], (*path, "tracing")
    else:
        provider_tracing = provider_raw.get("tracing")
        if provider_tracing is None:
            return None
        section = check.want_mapping(provider_tracing, ("provider", "tracing"), what="a mapping (lambda: true)")
        if section is None:
            return None
        check.keys(section, ("provider", "tracing"), {"lambda", "apiGateway"})
        if section.get("lambda") is None:
            return None
        value, where = section["lambda"], ("provider", "tracing", "lambda")
    if value is True:
        return "Active"
    if value is False:
        return "PassThrough"
    return check.want_choice(value, where, ("Active", "PassThrough"), what="a tracing mode (or true/false)")


def _destination(value: Any, path: KeyPath, check: Checker, *, function_keys: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        check.keys(value, path, {"arn", "type"})
        value, path = value.get("arn"), (*path, "arn")
    text = check.want_str(value, path)
    if text is None:
        return None
    if not text.startswith("arn:"):
        if text in function_keys:
            return f"function:{text}"
        check.error(path, f"{show(text)} is neither an ARN nor a function of this service")
        return None
    return _arn(text, path, check, services=("sqs", "sns", "lambda", "events"),
                what="SQS queue, SNS topic, Lambda function or event bus")  # fmt: skip
