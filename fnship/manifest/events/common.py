"""What the event parsers share: the parse context, ARN and value checks, CORS, routes. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fnship.manifest.checks import Checker, show
from fnship.manifest.intrinsics import is_intrinsic
from fnship.manifest.types import Cors, EventSettings, EventSpec, HttpApiSpec, KeyPath, RestApiSettings, Value, ValueMap
from fnship.secret import Secret

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
CORS_KEYS = frozenset(
    {"allowedOrigins", "allowedHeaders", "allowedMethods", "allowCredentials", "exposedResponseHeaders", "maxAge"}
)
# The headers Serverless v3 allows for `cors: true` (and a cors mapping without headers) of `http` and `httpApi`
# events (lib/plugins/aws/package/compile/events/api-gateway/lib/validate.js `getCors`, http-api.js
# `defaultCors`): browser SDKs such as Amplify send X-Amz-User-Agent and X-Amzn-Trace-Id in the preflight.
DEFAULT_CORS_HEADERS = (
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "X-Amzn-Trace-Id",
)
BATCHING_WINDOW_S = (0, 300)
ARN = re.compile(r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<rest>.+)$")


@dataclass
class EventContext:
    """What a parser may need beyond its own value."""

    check: Checker
    function_key: str
    function_keys: frozenset[str]
    http_api: HttpApiSpec
    events: list[EventSpec] = field(default_factory=list)
    provider: Mapping[str, Value] = field(default_factory=dict)  # `provider:` as written (an event type's settings)
    rest_api: RestApiSettings = field(default_factory=RestApiSettings)  # provider.apiGateway


# (value, where, context, index under events:) -> the event specs it stands for (a schedule with two rates is two)
Parser = Callable[[Value, KeyPath, EventContext, int], Sequence[EventSettings]]


def arn_parts(text: str) -> re.Match[str] | None:
    return ARN.match(text)


def want_arn(value: object, path: KeyPath, check: Checker, *, services: tuple[str, ...], what: str) -> str | None:
    if is_intrinsic(value):  # `!GetAtt Queue.Arn`: the companion stack decides it (manifest/intrinsics.py)
        return check.stack_value(value, path)
    if isinstance(value, dict):
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


def want_bounded(
    value: object, path: KeyPath, check: Checker, bounds: tuple[int, int], *, unit: str = ""
) -> int | None:
    return check.want_int(value, path, minimum=bounds[0], maximum=bounds[1], unit=unit, limit="AWS")


def flag(raw: Mapping[str, object], key: str, path: KeyPath, check: Checker, default: bool) -> bool:
    if raw.get(key) is None:
        return default
    value = check.want_bool(raw[key], (*path, key))
    return default if value is None else value


def text_of(raw: Mapping[str, object], key: str, path: KeyPath, check: Checker) -> str | None:
    return check.want_str(raw[key], (*path, key)) if raw.get(key) is not None else None


def json_list(value: object, path: KeyPath, check: Checker, *, what: str) -> tuple[str, ...]:
    """A list of mappings (filter patterns) as compact JSON strings, the form AWS stores and returns."""
    if value is None:
        return ()
    items = check.want_list(value, path) or []
    out = []
    for index, item in enumerate(items):
        mapping = check.want_mapping(item, (*path, index), what=what)
        text = json_value(mapping, (*path, index), check) if mapping is not None else None
        if text is not None:
            out.append(text)
    return tuple(out)


def compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def json_value(value: object, path: KeyPath, check: Checker) -> str | None:
    """A mapping or list the user wrote (a pattern, a filter, an input) as compact JSON, or None if a secret is
    in it: AWS stores these in plain text and shows them to anyone who can read the rule or subscription."""
    clean = True

    def visit(item: object, where: KeyPath) -> None:
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


def http_route(text: str, path: KeyPath, check: Checker) -> tuple[str, str] | None:
    """`GET /todos/{id}` -> ("GET", "/todos/{id}")."""
    method, _, route = text.strip().partition(" ")
    route = route.strip()
    if not route:
        check.error(path, f"{show(text)} is not a route: write `METHOD /path`, like `GET /todos/{{id}}`")
        return None
    return method, route


def http_method(value: str, path: KeyPath, check: Checker) -> str | None:
    upper = "ANY" if value == "*" else value.upper()
    if upper not in HTTP_METHODS:
        check.error(path, f"{show(value)} is not an HTTP method; allowed: {', '.join(HTTP_METHODS)} or '*'")
        return None
    return upper


def http_path(value: str, path: KeyPath, check: Checker) -> str | None:
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


def parse_cors(value: object, path: KeyPath, check: Checker) -> Cors | None:
    """`cors: true` or a mapping (HTTP API and function URL spelling) -> our CORS settings, or None (off)."""
    if value is None or value is False:
        return None
    if value is True:
        return Cors(("*",), DEFAULT_CORS_HEADERS, ("*",), False, (), None)
    raw = check.want_mapping(value, path, what="true or a mapping (allowedOrigins, allowedHeaders, ...)")
    if raw is None:
        return None
    check.keys(raw, path, CORS_KEYS)

    def strings(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if raw.get(key) is None:
            return default
        return tuple(check.want_str_list(raw[key], (*path, key), single_ok=True) or default)

    max_age = None
    if raw.get("maxAge") is not None:
        max_age = want_bounded(raw["maxAge"], (*path, "maxAge"), check, (0, 86400), unit="seconds")
    return Cors(
        allow_origins=strings("allowedOrigins", ("*",)),
        allow_headers=strings("allowedHeaders", DEFAULT_CORS_HEADERS),
        allow_methods=strings("allowedMethods", ("*",)),
        allow_credentials=flag(raw, "allowCredentials", path, check, False),
        expose_headers=strings("exposedResponseHeaders", ()),
        max_age=max_age,
    )


def batch_limit(
    value: object, path: KeyPath, check: Checker, bounds: tuple[int, int], *, source: str, default: int
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


def response_types(raw: Mapping[str, object], path: KeyPath, check: Checker) -> tuple[str, ...]:
    """`functionResponseType` of a queue or stream mapping: what the function may answer (partial batch failures)."""
    if raw.get("functionResponseType") is None:
        return ()
    kind = check.want_choice(
        raw["functionResponseType"],
        (*path, "functionResponseType"),
        ("ReportBatchItemFailures",),
        what="a function response type",
    )
    return (kind,) if kind else ()


def filter_patterns(raw: Mapping[str, object], path: KeyPath, check: Checker) -> tuple[str, ...]:
    """`filterPatterns` of a queue or stream mapping, as the compact JSON AWS stores."""
    return json_list(raw.get("filterPatterns"), (*path, "filterPatterns"), check, what="a filter pattern")


def short_or_mapping(
    value: object, path: KeyPath, check: Checker, *, key: str, keys: frozenset[str], what: str
) -> tuple[ValueMap, KeyPath] | None:
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


# -- event source mappings' provisioned mode and metrics (sqs, and Kafka sources) ---------------------------------
@dataclass(frozen=True)
class PollerBounds:
    """The provisioned mode's limits for one kind of source.
    https://docs.aws.amazon.com/lambda/latest/api/API_ProvisionedPollerConfig.html"""

    source: str  # what the errors call it
    minimum: tuple[int, int]
    maximum: tuple[int, int]
    defaults: tuple[int, int]  # AWS's (minimum, maximum) when one is left out


# SQS: at least 2 pollers each way, up to 200 minimum and 10,000 maximum; Kafka (MSK and self-managed): 1-200, 1-2000.
SQS_POLLERS = PollerBounds("an SQS event source mapping", (2, 200), (2, 10000), (2, 200))
KAFKA_POLLERS = PollerBounds("a Kafka event source mapping", (1, 200), (1, 2000), (1, 200))
PROVISIONED_KEYS = frozenset({"mode", "minimumPollers", "maximumPollers"})  # Serverless v4's `provisioned`
# Serverless v4 writes `provisionedPollers: {min, max}` (Kafka, SQS); `minimum`/`maximum` are accepted too.
PROVISIONED_POLLERS_KEYS = frozenset({"min", "max", "minimum", "maximum"})
PROVISIONED_MODE = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-provisioned-mode"


def provisioned_pollers(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, bounds: PollerBounds
) -> tuple[int, int] | None:
    """(minimum, maximum) pollers of an event source mapping in provisioned mode, None in on-demand mode (AWS's
    default). Written as Serverless v4 writes it (`provisioned: {mode, minimumPollers, maximumPollers}`) or as
    `provisionedPollers: {min, max}` (or `minimum`, `maximum`); a bound left out is AWS's default for the source,
    so the plan compares what AWS reads back."""
    if raw.get("provisioned") is not None and raw.get("provisionedPollers") is not None:
        check.error(
            (*path, "provisionedPollers"), "give either provisioned or provisionedPollers, not both", at_key=True
        )
        return None
    if raw.get("provisioned") is not None:
        where = (*path, "provisioned")
        found = check.want_mapping(raw["provisioned"], where, what="a mapping (mode, minimumPollers, maximumPollers)")
        if found is None:
            return None
        check.keys(found, where, PROVISIONED_KEYS)
        mode = "PROVISIONED"
        if found.get("mode") is not None:
            mode = (
                check.want_choice(found["mode"], (*where, "mode"), ("PROVISIONED", "ON_DEMAND"), what="a mode") or mode
            )
        names = ("minimumPollers", "maximumPollers")
        if mode == "ON_DEMAND":
            for key in names:
                if found.get(key) is not None:
                    check.error((*where, key), "is only for mode PROVISIONED", at_key=True)
            return None
    elif raw.get("provisionedPollers") is not None:
        where = (*path, "provisionedPollers")
        found = check.want_mapping(raw["provisionedPollers"], where, what="a mapping (minimum, maximum)")
        if found is None:
            return None
        check.keys(found, where, PROVISIONED_POLLERS_KEYS)
        names = ("minimum" if "minimum" in found else "min", "maximum" if "maximum" in found else "max")
        for short, long in (("min", "minimum"), ("max", "maximum")):
            if short in found and long in found:
                check.error((*where, short), f"give either {short} or {long}, not both", at_key=True)
    else:
        return None
    low_key, high_key = names
    low = (
        want_bounded(found[low_key], (*where, low_key), check, bounds.minimum)
        if found.get(low_key) is not None
        else None
    )
    high = want_bounded(found[high_key], (*where, high_key), check, bounds.maximum) if found.get(high_key) is not None \
        else None  # fmt: skip
    low = bounds.defaults[0] if low is None else low
    high = bounds.defaults[1] if high is None else high
    if low > high:
        check.error((*where, low_key), f"a minimum of {low} pollers is above the maximum of {high}", PROVISIONED_MODE)
        return None
    return low, high


# Which metrics each source can produce: ErrorCount and KafkaMetrics are Kafka's only.
# https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingMetricsConfig.html
QUEUE_AND_STREAM_METRICS = ("EventCount",)
KAFKA_METRICS = ("EventCount", "ErrorCount", "KafkaMetrics")


def metrics_config(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, allowed: tuple[str, ...], *, source: str
) -> tuple[str, ...]:
    """`metricsConfig` of an event source mapping: the metrics it publishes (`{metrics: [EventCount]}`, or the list
    itself), sorted; () when unset (AWS publishes none)."""
    if raw.get("metricsConfig") is None:
        return ()
    where = (*path, "metricsConfig")
    value = raw["metricsConfig"]
    if isinstance(value, dict):
        check.keys(value, where, {"metrics"})
        if value.get("metrics") is None:
            check.error(where, "metrics is required (a list: EventCount, ...)", at_key=True)
            return ()
        value, where = value["metrics"], (*where, "metrics")
    items = check.want_str_list(value, where, single_ok=True) or []
    out: list[str] = []
    for index, item in enumerate(items):
        if item not in allowed:
            check.error(
                (*where, index) if isinstance(value, list) else where,
                f"{show(item)} is not a metric {source} can publish; allowed: {', '.join(allowed)}",
                "https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingMetricsConfig.html",
            )
        elif item not in out:
            out.append(item)
    return tuple(sorted(out))
