"""`http` events (methods of the service's API Gateway REST API, a Lambda proxy integration to the alias each), its
paths, CORS preflights and stage. Parse, render, sample event in one place. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

from fnship.arns import arn
from fnship.jsonvalue import JsonObject
from fnship.kinds.api_keys import ApiKey, UsagePlan
from fnship.kinds.apigateway_account import ApiGatewayAccount
from fnship.kinds.log_group import LogGroup
from fnship.kinds.rest_api import (
    PREFLIGHT_RESPONSE_TEMPLATE,
    Preflight,
    RestApi,
    RestMethod,
    RestStage,
    effective_throttling,
)
from fnship.kinds.rest_authorizer import RestAuthorizer
from fnship.kinds.rest_models import RestModel, RestValidator
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import (
    DEFAULT_CORS_HEADERS,
    EventContext,
    flag,
    http_method,
    http_path,
    http_route,
    text_of,
    want_arn,
    want_bounded,
)
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, RestApiLogs, RestApiSettings, Value, ValueMap
from fnship.model.address import Address
from fnship.model.resources import OWNER_API_TAG, Ref, Resource, plain
from fnship.model.triggers.api import APIGATEWAY, REST_API, api_name, external_authorizer_permission, route_name
from fnship.model.triggers.common import (
    Target,
    execute_api_arn,
    permission,
    slug,
    trigger_address,
)
from fnship.triggers.base import Shared, TriggerType
from fnship.triggers.rest_settings import (
    DISABLED,
    RestAuthorizerRef,
    RestRequest,
    RestResponse,
    camel,
    lambda_request_templates,
    parse_authorizer,
    parse_provider_schemas,
    parse_request,
    parse_response,
    parse_throttle,
    parse_usage_plans,
    policy_json,
)

HTTP_KEYS = frozenset(
    {"method", "path", "cors", "integration", "authorizer", "private", "request", "response", "throttling"}
)
REST_CORS_KEYS = frozenset({"origin", "origins", "headers", "methods", "allowCredentials", "maxAge", "cacheControl"})
# The event type of the statement that lets API Gateway invoke a Lambda authorizer of this service (its statement
# id is `fnship-httpAuthorizer-<name>`).
AUTHORIZER_EVENT = "httpAuthorizer"
# `integration:` as Serverless v3 spells it (upper-cased, `-` as `_`) -> the API Gateway integration type.
INTEGRATIONS = {"LAMBDA_PROXY": "AWS_PROXY", "AWS_PROXY": "AWS_PROXY", "LAMBDA": "AWS", "AWS": "AWS"}
TRANSFER_RESPONSE_KEYS = frozenset({"transferMode"})  # `response` of a Lambda proxy method
# https://docs.aws.amazon.com/apigateway/latest/api/API_PutIntegration.html (responseTransferMode)
TRANSFER_MODES = ("BUFFERED", "STREAM")


@dataclass(frozen=True)
class RestCors:
    """A REST API method's CORS (`cors: true` or its mapping): answered by a mock OPTIONS preflight."""

    origins: tuple[str, ...]
    headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None
    methods: tuple[str, ...] = ()  # besides OPTIONS and the event's own method
    cache_control: str | None = None


@dataclass(frozen=True)
class RestEvent(EventSettings):
    """A method of the service's REST API: a Lambda proxy integration (`AWS_PROXY`) or, for `integration: lambda`,
    a Lambda integration (`AWS`) with request templates and status codes; its authorizer, API key and request
    parameters."""

    method: str
    path: str
    cors: RestCors | None
    integration: str = "AWS_PROXY"
    authorizer: RestAuthorizerRef | None = None
    api_key_required: bool = False  # `private: true`
    request: RestRequest = field(default_factory=RestRequest)
    responses: tuple[RestResponse, ...] = ()  # `integration: lambda` only
    throttle: tuple[int, float] | None = None  # serverless-api-gateway-throttling's `throttling` (burst, rate)
    transfer_mode: str = "BUFFERED"  # `response.transferMode: STREAM`: API Gateway streams the function's answer


def parse_http(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[RestEvent]:
    check = ctx.check
    raw: ValueMap = {}
    if isinstance(value, str):
        route = http_route(value, path, check)
        if route is None:
            return []
        method_text, path_text = route
        where = path
    else:
        found = check.want_mapping(value, path, what="'METHOD /path' or a mapping (method, path, cors, ...)")
        if found is None:
            return []
        raw = found
        check.keys(raw, path, HTTP_KEYS)
        for key in ("method", "path"):
            if raw.get(key) is None:
                check.error(path, f"{key} is required", at_key=True)
                return []
        method_text = check.want_str(raw["method"], (*path, "method")) or "GET"
        path_text = check.want_str(raw["path"], (*path, "path")) or "/"
        where = (*path, "path")
    method = http_method(method_text, where if isinstance(value, str) else (*path, "method"), check)
    route_path = http_path(path_text if path_text.startswith("/") else "/" + path_text, where, check)
    if method is None or route_path is None:
        return []
    integration = "AWS_PROXY"
    if raw.get("integration") is not None:
        text = str(raw["integration"]).upper().replace("-", "_")
        if text not in INTEGRATIONS:
            check.error(
                (*path, "integration"),
                f"{show(raw['integration'])} is not supported: fnship integrates the function itself",
                "write lambda-proxy (the default) or lambda",
            )
        integration = INTEGRATIONS.get(text, "AWS_PROXY")
    cors = _rest_cors(raw.get("cors"), (*path, "cors"), check)
    authorizer = None
    if raw.get("authorizer") is not None:
        authorizer = parse_authorizer(raw["authorizer"], (*path, "authorizer"), check,
                                      function_keys=ctx.function_keys, integration=integration)  # fmt: skip
    request = RestRequest()
    if raw.get("request") is not None:
        request = parse_request(raw["request"], (*path, "request"), check, integration=integration,
                                models=ctx.rest_api.models,
                                model_prefix=camel(method.lower()) + camel(route_path))  # fmt: skip
    for name in request.parameters:
        if name.startswith("method.request.path.") and "{" + name.rsplit(".", 1)[1] not in route_path:
            check.error((*path, "request", "parameters", "paths"),
                        f"path parameter {name.rsplit('.', 1)[1]} is not in the path {route_path}")  # fmt: skip
    responses: tuple[RestResponse, ...] = ()
    if integration == "AWS":
        origin = ",".join(cors.origins) if cors else None
        responses = parse_response(raw.get("response"), (*path, "response"), check, cors_origin=origin,
                                   cors_credentials=bool(cors and cors.allow_credentials))  # fmt: skip
    transfer_mode = "BUFFERED"
    if integration != "AWS" and raw.get("response") is not None:
        transfer_mode = _transfer_mode(raw["response"], (*path, "response"), check)
    private = flag(raw, "private", path, check, False)
    throttle = None
    if raw.get("throttling") is not None:
        if not ctx.rest_api.throttling_plugin:
            check.error((*path, "throttling"), "throttling is a key of the serverless-api-gateway-throttling plugin",
                        "list the plugin under `plugins:` (fnship does what it does), or remove the key",
                        at_key=True)  # fmt: skip
        else:
            throttle = parse_throttle(raw["throttling"], (*path, "throttling"), check)
    return [RestEvent(method, route_path, cors, integration, authorizer, private, request, responses, throttle,
                      transfer_mode)]  # fmt: skip


def _transfer_mode(value: object, path: KeyPath, check: Checker) -> str:
    """`response: {transferMode: STREAM}`: API Gateway invokes the function with InvokeWithResponseStream and streams
    its answer to the client. https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html"""
    raw = check.want_mapping(value, path, what="a mapping like {transferMode: STREAM}")
    if raw is None:
        return "BUFFERED"
    for key in raw:
        if key not in TRANSFER_RESPONSE_KEYS:
            check.error((*path, key), f"response.{key} applies to `integration: lambda` only",
                        "with the Lambda proxy integration the function's answer is the response (only transferMode "
                        "applies)", at_key=True)  # fmt: skip
    if raw.get("transferMode") is None:
        return "BUFFERED"
    written = check.want_str(raw["transferMode"], (*path, "transferMode"))
    if written is None:
        return "BUFFERED"
    if written.upper() not in TRANSFER_MODES:
        check.error(
            (*path, "transferMode"), f"{show(written)} is not a response transfer mode; allowed: BUFFERED, STREAM"
        )
        return "BUFFERED"
    return written.upper()


def _rest_cors(value: object, path: KeyPath, check: Checker) -> RestCors | None:
    """`cors: true` or its mapping, as Serverless v3 reads it (validate.js getCors): `origin` or `origins`,
    `headers` (default: v3's list), `methods` (the event's own and OPTIONS are always added), `allowCredentials`,
    `maxAge`, `cacheControl`."""
    if value is None or value is False:
        return None
    if value is True:
        return RestCors(("*",), DEFAULT_CORS_HEADERS, False, None)
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
    methods: list[str] = []
    for index, text in enumerate(check.want_str_list(raw["methods"], (*path, "methods"), single_ok=True) or []
                                 if raw.get("methods") is not None else []):  # fmt: skip
        found = http_method(text, (*path, "methods", index), check)
        if found is not None:
            methods.append(found)
    max_age = None
    if raw.get("maxAge") is not None:
        max_age = want_bounded(raw["maxAge"], (*path, "maxAge"), check, (0, 86400), unit="seconds")
    cache_control = text_of(raw, "cacheControl", path, check)
    return RestCors(tuple(origins), tuple(headers), flag(raw, "allowCredentials", path, check, False), max_age,
                    tuple(methods), cache_control)  # fmt: skip


PROVIDER_API_GATEWAY_KEYS = frozenset(
    {"description", "binaryMediaTypes", "minimumCompressionSize", "resourcePolicy", "shouldStartNameWithService",
     "apiKeys", "usagePlan", "restApiId", "restApiRootResourceId", "restApiResources", "apiKeySourceType",
     "disableDefaultEndpoint", "metrics", "request", "websocketApiId", "timeoutInMillis"}
)  # fmt: skip
# Serverless v3 keys of provider.apiGateway that fnship does not deploy yet: refused, so no deploy half-does them.
API_GATEWAY_NOT_YET = ("apiKeySourceType", "disableDefaultEndpoint", "metrics", "websocketApiId",
                       "timeoutInMillis")  # fmt: skip
# https://docs.aws.amazon.com/apigateway/latest/api/API_CreateRestApi.html: minimumCompressionSize
COMPRESSION_BYTES = (0, 10485760)


def parse_provider_rest_api(
    provider: Mapping[str, Value], path: KeyPath, check: Checker, *, throttling: Value = None
) -> RestApiSettings:
    """`provider.apiGateway`, `provider.tracing.apiGateway` and `provider.logs` as the REST API's settings;
    `throttling`: custom.apiGatewayThrottling when serverless-api-gateway-throttling is listed (None otherwise)."""
    raw: ValueMap = {}
    where = (*path, "apiGateway")
    if provider.get("apiGateway") is not None:
        raw = check.want_mapping(provider["apiGateway"], where) or {}
        check.keys(raw, where, PROVIDER_API_GATEWAY_KEYS)
    for key in API_GATEWAY_NOT_YET:
        if raw.get(key) is not None:
            check.error((*where, key), f"provider.apiGateway.{key} is not supported by fnship yet",
                        "remove it (the README's REST API section lists what fnship deploys)", at_key=True)  # fmt: skip
    logs = _rest_api_logs(provider, path, check)
    binary: tuple[str, ...] = ()
    if raw.get("binaryMediaTypes") is not None:
        binary = tuple(check.want_str_list(raw["binaryMediaTypes"], (*where, "binaryMediaTypes"),
                                           single_ok=True) or [])  # fmt: skip
    compression = None
    if raw.get("minimumCompressionSize") is not None:
        compression = want_bounded(raw["minimumCompressionSize"], (*where, "minimumCompressionSize"), check,
                                   COMPRESSION_BYTES, unit="bytes")  # fmt: skip
    policy = None
    if raw.get("resourcePolicy") is not None:
        policy = policy_json(raw["resourcePolicy"], (*where, "resourcePolicy"), check)
    existing_id, root_id, existing_paths = _existing_rest_api(raw, where, check)
    tracing = False
    tracing_raw = provider.get("tracing")
    if isinstance(tracing_raw, dict) and tracing_raw.get("apiGateway") is not None:
        tracing = bool(check.want_bool(tracing_raw["apiGateway"], (*path, "tracing", "apiGateway")))
    plans, keys = parse_usage_plans(raw.get("usagePlan"), raw.get("apiKeys"), where, check)
    models = {}
    if raw.get("request") is not None:
        request = check.want_mapping(raw["request"], (*where, "request"), what="a mapping (schemas)") or {}
        check.keys(request, (*where, "request"), {"schemas"})
        if request.get("schemas") is not None:
            models = parse_provider_schemas(request["schemas"], (*where, "request", "schemas"), check)
    throttle = None
    if throttling is not None:
        throttle = parse_throttle(throttling, ("custom", "apiGatewayThrottling"), check)
    return RestApiSettings(
        throttling_plugin=throttling is not None,
        throttle=throttle if throttle != DISABLED else None,
        models=models,
        api_keys=keys,
        usage_plans=plans,
        description=text_of(raw, "description", where, check),
        binary_media_types=tuple(sorted(set(binary))),
        minimum_compression_size=compression,
        policy=policy,
        name_starts_with_service=flag(raw, "shouldStartNameWithService", where, check, False),
        tracing=tracing,
        existing_id=existing_id,
        logs=logs,
        root_resource_id=root_id,
        existing_paths=existing_paths,
    )


# Serverless v3's access log format when `provider.logs.restApi` sets none.
DEFAULT_ACCESS_LOG_FORMAT = (
    "requestId: $context.requestId, ip: $context.identity.sourceIp, caller: $context.identity.caller, "
    "user: $context.identity.user, requestTime: $context.requestTime, httpMethod: $context.httpMethod, "
    "resourcePath: $context.resourcePath, status: $context.status, protocol: $context.protocol, "
    "responseLength: $context.responseLength"
)
LOGS_NOT_YET = ("websocket", "httpApi", "frameworkLambda")  # Serverless v3's other provider.logs keys
REST_LOGS_KEYS = frozenset(
    {"accessLogging", "format", "executionLogging", "level", "fullExecutionData", "role", "roleManagedExternally"}
)


def _rest_api_logs(provider: Mapping[str, Value], path: KeyPath, check: Checker) -> RestApiLogs | None:
    """`provider.logs.restApi` (`true` or its settings) as Serverless v3 reads it: access logs in
    `/aws/api-gateway/{service}-{stage}` and INFO execution logs with full data unless told otherwise."""
    if provider.get("logs") is None:
        return None
    where = (*path, "logs")
    logs = check.want_mapping(provider["logs"], where) or {}
    for key in logs:
        if key in LOGS_NOT_YET:  # (`lambda` is manifest/lambda_settings.py's, which also reports unknown keys)
            hint = "remove it: fnship sets up the REST API's logs (provider.logs.restApi) and the functions' (lambda)"
            check.error((*where, key), f"provider.logs.{key} is not supported by fnship yet", hint, at_key=True)
    value = logs.get("restApi")
    if value is None or value is False:
        return None
    raw: Mapping[str, Value] = {}
    if value is not True:
        raw = (
            check.want_mapping(value, (*where, "restApi"), what="true or a mapping (accessLogging, format, ...)") or {}
        )
        check.keys(raw, (*where, "restApi"), REST_LOGS_KEYS)
    at = (*where, "restApi")
    level = "INFO"
    if raw.get("level") is not None:
        level = check.want_choice(raw["level"], (*at, "level"), ("INFO", "ERROR"), what="a log level") or "INFO"
    role = None
    if raw.get("role") is not None:
        role = want_arn(raw["role"], (*at, "role"), check, services=("iam",), what="IAM role")
    retention = provider.get("logRetentionInDays")
    return RestApiLogs(
        access_format=(text_of(raw, "format", at, check) or DEFAULT_ACCESS_LOG_FORMAT)
        if flag(raw, "accessLogging", at, check, True)
        else None,
        level=level if flag(raw, "executionLogging", at, check, True) else "OFF",
        full_data=flag(raw, "fullExecutionData", at, check, True),
        retention_days=retention if isinstance(retention, int) and not isinstance(retention, bool) else None,
        role=role,
        role_managed_externally=flag(raw, "roleManagedExternally", at, check, False),
    )


# What an existing REST API keeps as its owner set it: Serverless v3 does not apply these to it either.
EXISTING_API_SETTINGS = ("description", "binaryMediaTypes", "minimumCompressionSize", "resourcePolicy")


def _existing_rest_api(
    raw: Mapping[str, Value], where: KeyPath, check: Checker
) -> tuple[str | None, str | None, dict[str, str]]:
    """`restApiId`, `restApiRootResourceId` and `restApiResources` (path -> resource id of paths the API has)."""
    api_id = text_of(raw, "restApiId", where, check)
    root_id = text_of(raw, "restApiRootResourceId", where, check)
    paths: dict[str, str] = {}
    if raw.get("restApiResources") is not None:
        found = check.want_mapping(raw["restApiResources"], (*where, "restApiResources"),
                                   what="a mapping of path: resource id") or {}  # fmt: skip
        for key, value in found.items():
            resource = check.want_str(value, (*where, "restApiResources", key))
            if resource is not None:
                paths["/" + key.strip("/") if key.strip("/") else "/"] = resource
    if api_id is None:
        for key in ("restApiRootResourceId", "restApiResources"):
            if raw.get(key) is not None:
                check.error((*where, key), f"{key} needs provider.apiGateway.restApiId (the existing REST API)",
                            "add restApiId, or remove this key", at_key=True)  # fmt: skip
        return None, None, {}
    for key in EXISTING_API_SETTINGS:
        if raw.get(key) is not None:
            hint = "set it on the API itself, or remove restApiId to have fnship make the API"
            check.error((*where, key), f"cannot set {key} on an existing REST API (provider.apiGateway.restApiId)",
                        hint, at_key=True)  # fmt: skip
    return api_id, root_id, paths


def rest_method_name(event: EventSpec) -> str:
    settings = event.settings_as(RestEvent)
    return route_name(settings.method, settings.path)


def render_rest_method(target: Target, event: EventSpec, name: str) -> list[Resource]:
    settings = event.settings_as(RestEvent)
    authorizer = settings.authorizer
    spec = RestMethod(
        method=settings.method,
        path=settings.path,
        integration=settings.integration,
        target=target.alias_arn,
        authorization=authorizer.authorization_type if authorizer else "NONE",
        authorizer=authorizer.name if authorizer and authorizer.type != "AWS_IAM" else None,
        scopes=authorizer.scopes if authorizer else (),
        api_key_required=settings.api_key_required,
        request_parameters=dict(settings.request.parameters),
        request_models={content_type: str(schema.name) for content_type, schema in settings.request.schemas.items()},
        validated=bool(settings.request.schemas),
        request_templates=lambda_request_templates(settings.request, authorizer.claims if authorizer else ())
        if settings.integration == "AWS" else {},
        pass_through=(settings.request.pass_through or "NEVER") if settings.integration == "AWS" else None,
        responses={
            response.status: {"pattern": response.pattern, "templates": dict(response.templates),
                              "headers": dict(response.headers)}
            for response in settings.responses
        },
        transfer_mode=settings.transfer_mode,
    )  # fmt: skip
    method = Resource.of(
        trigger_address(target, "http", name),
        f"{settings.method} {settings.path}",
        spec,
        depends_on=(
            REST_API,
            target.alias_address,
            Address.permission(target.function_key, "http", name),
            *([Address.rest_authorizer(spec.authorizer)] if spec.authorizer else []),
            *(Address.rest_model(model) for model in sorted(set(spec.request_models.values()))),
            *([Address.rest_validator()] if spec.validated else []),
        ),
        scope=target.scope("http", name),
    )
    source = execute_api_arn(target, REST_API, settings.method, settings.path)
    return [permission(target, "http", name, principal=APIGATEWAY, source_arn=source), method]


def rest_authorizers(
    events: list[tuple[Target, EventSpec]], functions: Mapping[str, Target], *, service: str = "", stage: str = ""
) -> list[Resource]:
    """The API's authorizers the methods name (the first event that defines a name defines it, as in Serverless
    v3), and for a Lambda authorizer the statement that lets API Gateway invoke it for this API's authorizers only:
    on its alias for a function of this service, on the function the ARN names otherwise (unless
    `managedExternally`)."""
    seen: dict[str, RestAuthorizerRef] = {}
    for _target, event in events:
        ref = event.settings_as(RestEvent).authorizer
        if ref is not None and ref.name and ref.type != "AWS_IAM":
            seen.setdefault(ref.name, ref)
    out: list[Resource] = []
    for name, ref in sorted(seen.items()):
        function = functions.get(ref.function_key) if ref.function_key else None
        spec = RestAuthorizer(
            type=ref.type,
            function_arn=function.alias_arn if function else (ref.arn if ref.type != "COGNITO_USER_POOLS" else None),
            provider_arns=(ref.arn,) if ref.type == "COGNITO_USER_POOLS" and ref.arn else (),
            identity_source=ref.identity_source,
            ttl=ref.ttl,
            validation_expression=ref.validation_expression,
        )
        depends = [REST_API]
        if function is not None:
            source = Ref(REST_API, "id", arn("execute-api", "{value}/authorizers/*", region=function.region,
                                             account_id=function.account_id))  # fmt: skip
            out.append(permission(function, AUTHORIZER_EVENT, slug(name), principal=APIGATEWAY, source_arn=source))
            depends.append(Address.permission(function.function_key, AUTHORIZER_EVENT, slug(name)))
        elif ref.type in ("TOKEN", "REQUEST") and ref.arn and not ref.managed_externally:
            out.append(external_authorizer_permission(ref.arn, name, api=REST_API, api_kind="rest", service=service,
                                                      stage=stage))  # fmt: skip
            depends.append(Address.authorizer_permission(REST_API, slug(name)))
        out.append(Resource.of(Address.rest_authorizer(name), name, spec, depends_on=depends))
    return out


def rest_paths(methods: list[Resource], cors_by_path: Mapping[str, RestCors]) -> dict[str, Preflight | None]:
    """Every resource path the methods need (ancestors included), with the CORS preflight each answers."""
    paths: dict[str, Preflight | None] = {}
    for method in (m.spec_as(RestMethod) for m in methods):
        parts = [p for p in method.path.split("/") if p]
        for end in range(1, len(parts) + 1):
            paths.setdefault("/" + "/".join(parts[:end]), None)
    for path, cors in cors_by_path.items():
        paths[path] = rest_cors_headers(cors, sorted(set(cors.methods) | {"OPTIONS"}))
    return dict(sorted(paths.items()))


def merged_cors(events: list[tuple[Target, EventSpec]]) -> dict[str, RestCors]:
    """Path -> the CORS its preflight answers: Serverless v3 merges the `cors` of every event on a path (origins,
    headers and methods united, each event's own method added; credentials if any allows them; the last maxAge
    and cacheControl given win)."""
    merged: dict[str, RestCors] = {}
    for _target, event in events:
        method = event.settings_as(RestEvent)
        cors = method.cors
        if cors is None:
            continue
        own = (*cors.methods, method.method)
        before = merged.get(method.path)
        if before is None:
            merged[method.path] = replace(cors, methods=tuple(dict.fromkeys(own)))
            continue
        merged[method.path] = RestCors(
            origins=tuple(dict.fromkeys((*before.origins, *cors.origins))),
            headers=tuple(dict.fromkeys((*before.headers, *cors.headers))),
            allow_credentials=before.allow_credentials or cors.allow_credentials,
            max_age=cors.max_age if cors.max_age is not None else before.max_age,
            methods=tuple(dict.fromkeys((*before.methods, *own))),
            cache_control=cors.cache_control or before.cache_control,
        )
    return merged


def origin_template(origins: Sequence[str]) -> str | None:
    """The preflight's response template answering a request's own Origin when it matches one of several allowed
    origins (wildcards as `.*`), as Serverless v3 writes it; None for one literal origin or `*`."""
    if "*" in origins or (len(origins) == 1 and "*" not in origins[0]):
        return None
    patterns = "|".join(origin.replace(".", "\\.").replace("*", ".*") for origin in origins)
    return (
        '#set($origin = $input.params("Origin"))\n'
        '#if($origin == "") #set($origin = $input.params("origin")) #end\n'
        f'#if($origin.matches("{patterns}"))'
        " #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin) #end"
    )


def rest_cors_headers(cors: RestCors, methods: list[str]) -> dict[str, str]:
    """The preflight (OPTIONS, mock integration) response headers, as API Gateway stores them (quoted), and the
    response template choosing among several origins (under PREFLIGHT_RESPONSE_TEMPLATE)."""
    methods = ["*"] if "ANY" in methods else methods
    headers = {
        "Access-Control-Allow-Origin": ",".join(cors.origins),
        "Access-Control-Allow-Headers": ",".join(cors.headers),
        "Access-Control-Allow-Methods": ",".join(methods),
    }
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    if cors.max_age is not None:
        headers["Access-Control-Max-Age"] = str(cors.max_age)
    if cors.cache_control:
        headers["Cache-Control"] = cors.cache_control
    out = {f"method.response.header.{k}": f"'{v}'" for k, v in sorted(headers.items())}
    template = origin_template(cors.origins)
    if template is not None:
        out[PREFLIGHT_RESPONSE_TEMPLATE] = template
    return out


def shared_rest_api(
    *,
    service: str,
    stage: str,
    methods: list[Resource],
    cors_by_path: Mapping[str, RestCors],
    tags: Mapping[str, str],
    authorizers: Sequence[Resource] = (),
    settings: RestApiSettings | None = None,
    throttling: Mapping[str, tuple[int, float]] | None = None,
    region: str = "",
    account_id: str = "",
) -> list[Resource]:
    """The REST API with its path tree, its authorizers, and its stage. The stage's `revision` digests every
    method, path and authorizer, so any change to them plans one new deployment, made after every method change
    (see plan/steps.py)."""
    if not methods:
        return []
    paths = rest_paths(methods, cors_by_path)
    settings = settings or RestApiSettings()
    name = f"{service}-{stage}" if settings.name_starts_with_service else api_name(service=service, stage=stage)
    if settings.existing_id:  # provider.apiGateway.restApiId: only the paths go on it
        name = settings.existing_id
        spec = RestApi(endpoint_type="EDGE", paths=paths, tags={}, existing_id=settings.existing_id,
                       root_id=settings.root_resource_id, known_ids=settings.existing_paths)  # fmt: skip
    else:
        spec = RestApi(
            endpoint_type="EDGE",
            paths=paths,
            tags=dict(tags),
            title=name,
            description=settings.description,
            binary_media_types=settings.binary_media_types,
            minimum_compression_size=settings.minimum_compression_size,
            policy=settings.policy,
        )
    api = Resource.of(REST_API, name, spec)
    digest_source = {
        "paths": paths,
        # (a streamed method adds its mode: stages of services that stream nothing keep their revision)
        "methods": sorted(method_digest(r.spec_as(RestMethod)) for r in methods),
        "authorizers": sorted(
            json.dumps([r.kind, r.name, plain(r.spec.compared() if r.spec else {})], sort_keys=True, default=str)
            for r in authorizers
            if r.kind != "permission"
        ),  # fmt: skip
    }
    revision = hashlib.sha256(json.dumps(digest_source, sort_keys=True).encode()).hexdigest()[:16]
    logging = rest_logging(service=service, stage=stage, settings=settings, tags=tags)
    stage_resource = Resource.of(
        Address.rest_stage(stage),
        stage,
        RestStage(
            revision=revision,
            tracing=settings.tracing,
            throttling=effective_throttling(throttling or {}),
            **logging_settings(settings.logs, logging, region=region, account_id=account_id),
        ),  # fmt: skip
        depends_on=(
            REST_API,
            *(m.address for m in methods),
            *(r.address for r in authorizers),
            *(r.address for r in logging),
        ),  # fmt: skip
    )
    return [api, *authorizers, *logging, stage_resource,
            *usage_plans(service=service, stage=stage, settings=settings, tags=tags)]  # fmt: skip


def rest_logging(*, service: str, stage: str, settings: RestApiSettings, tags: Mapping[str, str]) -> list[Resource]:
    """provider.logs.restApi: the access log group `/aws/api-gateway/{service}-{stage}` (as v3 names it) and the
    account's CloudWatch role (unless `roleManagedExternally`)."""
    logs = settings.logs
    if logs is None:
        return []
    made: list[Resource] = []
    if logs.access_format is not None:
        group = LogGroup(retention_days=logs.retention_days, tags={**tags, OWNER_API_TAG: "rest_api"})
        made.append(Resource.of(Address.rest_log_group(), f"/aws/api-gateway/{service}-{stage}", group))
    if not logs.role_managed_externally and (logs.access_format is not None or logs.level != "OFF"):
        made.append(Resource.of(Address.apigateway_account(), "apigateway_account", ApiGatewayAccount(role=logs.role)))
    return made


class StageLogging(TypedDict, total=False):
    """RestStage's logging fields."""

    access_log: tuple[str, str] | None
    logging_level: str
    data_trace: bool


def logging_settings(
    logs: RestApiLogs | None, logging: list[Resource], *, region: str, account_id: str
) -> StageLogging:
    """The stage's logging fields for provider.logs.restApi: access logs to the log group (its ARN without `:*`,
    as API Gateway wants it), execution logs at the level asked, with full data unless `fullExecutionData: false`."""
    if logs is None:
        return {}
    group = next((r for r in logging if r.address == Address.rest_log_group()), None)
    access = None
    if group is not None and logs.access_format is not None:
        access = (arn("logs", f"log-group:{group.name}", region=region, account_id=account_id), logs.access_format)
    return {"access_log": access, "logging_level": logs.level, "data_trace": logs.full_data and logs.level != "OFF"}


def method_digest(method: RestMethod) -> str:
    """A method as the stage's revision digests it (a buffered method as before streaming existed)."""
    fields = {k: v for k, v in method.compared().items() if k != "transfer_mode" or v != "BUFFERED"}
    return json.dumps(plain(fields), sort_keys=True)


def request_validation(events: list[tuple[Target, EventSpec]], *, service: str, stage: str) -> list[Resource]:
    """The models the events' `request.schemas` name (the first event to define a name defines it) and, when any
    event has schemas, the API's one validator of request bodies and parameters, as Serverless v3 makes them."""
    models: dict[str, Resource] = {}
    for _target, event in events:
        for content_type, schema in event.settings_as(RestEvent).request.schemas.items():
            name = str(schema.name)
            spec = RestModel(content_type=content_type, schema=str(schema.schema), description=schema.description)
            models.setdefault(name, Resource.of(Address.rest_model(name), name, spec, depends_on=(REST_API,)))
    if not models:
        return []
    validator = RestValidator(validate_body=True, validate_parameters=True)
    name = f"{service}-{stage} | Validate request body and querystring parameters"
    return [*models.values(), Resource.of(Address.rest_validator(), name, validator, depends_on=(REST_API,))]


def usage_plans(*, service: str, stage: str, settings: RestApiSettings, tags: Mapping[str, str]) -> list[Resource]:
    """The API keys and the usage plans that hold them, on the REST API's stage, named as Serverless v3 names them
    (`{service}-{stage}`, `{service}-{plan}-{stage}`)."""
    keys = [
        Resource.of(Address.api_key(key.name), key.name, ApiKey(description=key.description,
                    customer_id=key.customer_id, enabled=key.enabled, value=key.value, tags=dict(tags)))
        for key in settings.api_keys
    ]  # fmt: skip
    plans = []
    for plan in settings.usage_plans:
        members = tuple(sorted(key.name for key in settings.api_keys if plan.name in key.plans))
        spec = UsagePlan(
            description=f'Usage plan "{plan.name}" for {service} {stage} stage' if plan.name
            else f"Usage plan for {service} {stage} stage",
            stage=stage,
            quota=dict(zip(("limit", "offset", "period"), plan.quota, strict=True)) if plan.quota else None,
            throttle=dict(zip(("burstLimit", "rateLimit"), plan.throttle, strict=True)) if plan.throttle else None,
            keys=members,
            tags=dict(tags),
        )  # fmt: skip
        name = f"{service}-{plan.name}-{stage}" if plan.name else f"{service}-{stage}"
        depends = (REST_API, Address.rest_stage(stage), *(Address.api_key(key) for key in members))
        plans.append(Resource.of(Address.usage_plan(plan.name or "default"), name, spec, depends_on=depends))
    return [*keys, *plans]


def http(where: Where) -> JsonObject:
    """Serverless's `http` event: API Gateway REST API, Lambda proxy integration (payload format 1.0).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html"""
    return {
        "resource": "/hello",
        "path": "/hello",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": f"example.execute-api.{where.region}.amazonaws.com"},
        "multiValueHeaders": {
            "Content-Type": ["application/json"],
            "Host": [f"example.execute-api.{where.region}.amazonaws.com"],
        },
        "queryStringParameters": {"name": "world"},
        "multiValueQueryStringParameters": {"name": ["world"]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": where.account_id,
            "apiId": "example",
            "resourcePath": "/hello",
            "httpMethod": "POST",
            "path": "/dev/hello",
            "stage": "dev",
            "requestId": stable_id("http-request"),
            "requestTimeEpoch": where.now_ms,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "curl/8.0"},
            "protocol": "HTTP/1.1",
        },
        "body": json.dumps({"hello": "world"}),
        "isBase64Encoded": False,
    }


def http_authorized(where: Where) -> JsonObject:
    """The `http` event of a method behind a Lambda authorizer: what the authorizer returned (its principalId and
    `context` keys, as strings, numbers or booleans) is in `requestContext.authorizer`, with `integrationLatency`.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html"""
    event = http(where)
    headers, multi, context = event["headers"], event["multiValueHeaders"], event["requestContext"]
    assert isinstance(headers, dict) and isinstance(multi, dict) and isinstance(context, dict)  # (http() makes them)
    headers["Authorization"] = "Bearer allow"
    multi["Authorization"] = ["Bearer allow"]
    context["authorizer"] = {
        "principalId": "user-123",
        "integrationLatency": 12,
        "tenant": "acme",
        "role": "admin",
        "verified": "true",
    }
    return event


def _method_arn(where: Where) -> str:
    return f"arn:aws:execute-api:{where.region}:{where.account_id}:example/dev/POST/hello"


def http_authorizer_token(where: Where) -> JsonObject:
    """What API Gateway sends a TOKEN Lambda authorizer: the identity source's value and the method's ARN.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html"""
    return {"type": "TOKEN", "authorizationToken": "Bearer allow", "methodArn": _method_arn(where)}


def http_authorizer_request(where: Where) -> JsonObject:
    """What API Gateway sends a REQUEST Lambda authorizer: the method's ARN and the request (no body).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html"""
    request = http(where)
    for key in ("body", "isBase64Encoded"):
        request.pop(key)
    return {"type": "REQUEST", "methodArn": _method_arn(where), **request}


def shared(events: list[tuple[Target, EventSpec]], rendered: list[Resource], context: Shared) -> list[Resource]:
    methods = [r for r in rendered if r.kind == "rest_method"]
    return shared_rest_api(service=context.service, stage=context.stage, methods=methods,
                           cors_by_path=merged_cors(events), tags=context.tags,
                           authorizers=[*rest_authorizers(events, context.functions, service=context.service,
                                                          stage=context.stage),
                                        *request_validation(events, service=context.service, stage=context.stage)],
                           settings=context.rest_api,
                           throttling=method_throttling(events, context.rest_api),
                           region=events[0][0].region if events else "",
                           account_id=events[0][0].account_id if events else "")  # fmt: skip


# serverless-api-gateway-throttling applies an `ANY` method's throttling to each of these.
ANY_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def method_throttling(
    events: list[tuple[Target, EventSpec]], settings: RestApiSettings
) -> dict[str, tuple[int, float]]:
    """The stage's throttle (`*/*`) and each method's own, keyed by their method settings path."""
    out: dict[str, tuple[int, float]] = {}
    if settings.throttle is not None:
        out["*/*"] = settings.throttle
    for _target, event in events:
        method = event.settings_as(RestEvent)
        if method.throttle is None:
            continue
        resource = method.path.replace("/", "~1")
        for verb in ANY_METHODS if method.method == "ANY" else (method.method,):
            out[f"{resource}/{verb}"] = method.throttle
    return out


TRIGGER = TriggerType(
    parse=parse_http,
    name=rest_method_name,
    render=render_rest_method,
    shared=shared,
    samples={
        "http": http,
        "http-authorized": http_authorized,
        "http-authorizer-token": http_authorizer_token,
        "http-authorizer-request": http_authorizer_request,
    },
    kinds=(
        "rest_method",
        "permission",
        "rest_api",
        "rest_authorizer",
        "rest_stage",
        "api_key",
        "usage_plan",
        "log_group",
        "apigateway_account",
    ),  # fmt: skip
)
