"""What an `http` event says beyond its method and path, parsed with Serverless v3's keys and meaning: its
`authorizer`, `private`, `request` (parameters, templates, passThrough) and, for `integration: lambda`, its
`response` (headers, template, statusCodes); and `provider.apiGateway`. Pure.

Serverless v3 reference: lib/plugins/aws/package/compile/events/apiGateway/lib/validate.js (getAuthorizer,
getRequestParameters, getResponse and its default status codes), method/integration.js (the Lambda integration's
request templates and integration responses), method/authorization.js.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import arn_parts, flag, json_value, want_bounded
from fnship.manifest.types import ApiKeySpec, KeyPath, RequestSchema, UsagePlanSpec, Value, ValueMap
from fnship.secret import Secret, reveal

AUTHORIZER_KEYS = frozenset(
    {"name", "arn", "type", "identitySource", "resultTtlInSeconds", "identityValidationExpression", "scopes",
     "claims", "authorizerId", "managedExternally"}
)  # fmt: skip
REQUEST_KEYS = frozenset({"parameters", "template", "passThrough", "schemas", "contentHandling"})
PARAMETER_LOCATIONS = {"querystrings": "querystring", "paths": "path", "headers": "header"}
PASS_THROUGH = ("NEVER", "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES")
RESPONSE_KEYS = frozenset({"headers", "template", "statusCodes", "contentHandling"})
STATUS_CODE_KEYS = frozenset({"pattern", "template", "headers", "contentHandling"})
# https://docs.aws.amazon.com/apigateway/latest/api/API_CreateAuthorizer.html: authorizerResultTtlInSeconds
AUTHORIZER_TTL_S = (0, 3600)

# Serverless v3's status codes for `integration: lambda` without `response.statusCodes`: the function fails with
# an error whose message holds `[404]` and API Gateway answers 404 (validate.js DEFAULT_STATUS_CODES).
DEFAULT_STATUS_PATTERNS = (
    ("200", ""),
    ("400", r"[\s\S]*\[400\][\s\S]*"),
    ("401", r"[\s\S]*\[401\][\s\S]*"),
    ("403", r"[\s\S]*\[403\][\s\S]*"),
    ("404", r"[\s\S]*\[404\][\s\S]*"),
    ("422", r"[\s\S]*\[422\][\s\S]*"),
    ("500", r"[\s\S]*(Process\s?exited\s?before\s?completing\s?request|\[500\])[\s\S]*"),
    ("502", r"[\s\S]*\[502\][\s\S]*"),
    ("504", r"([\s\S]*\[504\][\s\S]*)|(.*Task timed out after \d+\.\d+ seconds$)"),
)

# The request templates Serverless v3 gives a Lambda (non-proxy) integration: the function receives `body`,
# `method`, `principalId`, `stage`, `cognitoPoolClaims`, `enhancedAuthContext`, `headers`, `query`, `path`,
# `identity`, `stageVariables` and `requestPath` (method/integration.js). `{claims}` is where an authorizer's
# `claims` are added to cognitoPoolClaims.
_MAP_MACRO = """#define( $loop )
  {
  #foreach($key in $map.keySet())
    #set( $k = $util.escapeJavaScript($key) )
    #set( $v = $util.escapeJavaScript($map.get($key)).replaceAll("\\\\'", "'") )
    "$k": "$v"#if( $foreach.hasNext ), #end
  #end
  }
#end
"""
_COMMON_TEMPLATE = (
    _MAP_MACRO
    + """{
  "body": $body,
  "method": "$context.httpMethod",
  "principalId": "$context.authorizer.principalId",
  "stage": "$context.stage",
  "cognitoPoolClaims": {{claims}"sub": "$context.authorizer.claims.sub"},
  #set( $map = $context.authorizer )
  "enhancedAuthContext": $loop,
  #set( $map = $input.params().header )
  "headers": $loop,
  #set( $map = $input.params().querystring )
  "query": $loop,
  #set( $map = $input.params().path )
  "path": $loop,
  #set( $map = $context.identity )
  "identity": $loop,
  #set( $map = $stageVariables )
  "stageVariables": $loop,
  "requestPath": "$context.resourcePath"
}
"""
)
JSON_REQUEST_TEMPLATE = '#set( $body = $input.json("$") )\n' + _COMMON_TEMPLATE
FORM_REQUEST_TEMPLATE = (
    """#define( $body )
  {
  #foreach( $token in $input.path('$').split('&') )
    #set( $keyVal = $token.split('=') )
    #set( $keyValSize = $keyVal.size() )
    #if( $keyValSize >= 1 )
      #set( $key = $util.escapeJavaScript($util.urlDecode($keyVal[0])) )
      #if( $keyValSize >= 2 )
        #set( $val = $util.escapeJavaScript($util.urlDecode($keyVal[1])).replaceAll("\\\\'", "'") )
      #else
        #set( $val = '' )
      #end
      "$key": "$val"#if($foreach.hasNext),#end
    #end
  #end
  }
#end
"""
    + _COMMON_TEMPLATE
)


@dataclass(frozen=True)
class RestAuthorizerRef:
    """An `http` event's `authorizer`: AWS_IAM, or a named authorizer of the API (a Lambda function of this
    service or by ARN, TOKEN or REQUEST; a Cognito user pool by ARN), with the scopes the method asks for."""

    type: str  # AWS_IAM | TOKEN | REQUEST | COGNITO_USER_POOLS
    name: str | None = None  # the API's authorizer (None for AWS_IAM)
    function_key: str | None = None  # a Lambda authorizer of this service
    arn: str | None = None  # a Lambda authorizer's function ARN, or a Cognito user pool's ARN
    identity_source: str | None = None
    ttl: int = 300
    validation_expression: str | None = None
    scopes: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()  # Cognito claims added to a Lambda integration's `cognitoPoolClaims`
    # A Lambda authorizer by ARN: its statement for API Gateway is someone else's to make (v3's managedExternally).
    managed_externally: bool = False

    @property
    def authorization_type(self) -> str:
        """The method's authorizationType."""
        return {"TOKEN": "CUSTOM", "REQUEST": "CUSTOM"}.get(self.type, self.type)


@dataclass(frozen=True)
class RestResponse:
    """One status code of a Lambda (non-proxy) integration: the method response and the integration response
    whose selection pattern (a regex on the error message) picks it."""

    status: str
    pattern: str
    templates: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # header -> value as API Gateway writes it ('x')


@dataclass(frozen=True)
class RestRequest:
    """`request:` of an `http` event (proxy: parameters and schemas only; lambda: templates and passThrough too)."""

    parameters: Mapping[str, bool] = field(default_factory=dict)  # method.request.<where>.<name> -> required
    templates: Mapping[str, str] = field(default_factory=dict)  # content type -> mapping template
    pass_through: str | None = None
    schemas: Mapping[str, RequestSchema] = field(default_factory=dict)  # content type -> its model


def parse_authorizer(
    value: object, path: KeyPath, check: Checker, *, function_keys: frozenset[str], integration: str
) -> RestAuthorizerRef | None:
    """`authorizer: aws_iam | <function of this service> | <ARN>` or its mapping, as Serverless v3 reads it."""
    if isinstance(value, str):
        if value.upper() == "AWS_IAM":
            return RestAuthorizerRef("AWS_IAM")
        return _authorizer_target({}, value, path, check, function_keys=function_keys)
    raw = check.want_mapping(value, path, what="aws_iam, a function name, an ARN or a mapping (name, arn, ...)")
    if raw is None:
        return None
    check.keys(raw, path, AUTHORIZER_KEYS)
    if raw.get("authorizerId") is not None:
        check.error((*path, "authorizerId"), "authorizerId is not supported: fnship creates the API's authorizers "
                    "itself", "name the authorizer's function or ARN instead")  # fmt: skip
    kind = str(raw.get("type") or "").upper()
    if kind == "AWS_IAM":
        return RestAuthorizerRef("AWS_IAM")
    target = raw.get("arn") if raw.get("arn") is not None else raw.get("name")
    if target is None:
        check.error(path, "an authorizer needs `name` (a function of this service) or `arn`", at_key=True)
        return None
    ref = _authorizer_target(raw, target, (*path, "arn" if raw.get("arn") is not None else "name"), check,
                             function_keys=function_keys)  # fmt: skip
    if ref is None:
        return None
    if kind and kind not in ("TOKEN", "REQUEST", "COGNITO_USER_POOLS"):
        check.error((*path, "type"), f"{show(raw['type'])} is not an authorizer type",
                    "write token, request, cognito_user_pools or aws_iam")  # fmt: skip
        return None
    if kind == "COGNITO_USER_POOLS" and ref.type != "COGNITO_USER_POOLS":
        check.error((*path, "arn"), "a COGNITO_USER_POOLS authorizer takes a user pool ARN (arn:aws:cognito-idp:...)")
        return None
    authorizer_type = ref.type if ref.type == "COGNITO_USER_POOLS" else (kind or "TOKEN")
    ttl = 300
    if raw.get("resultTtlInSeconds") is not None:
        ttl = want_bounded(raw["resultTtlInSeconds"], (*path, "resultTtlInSeconds"), check, AUTHORIZER_TTL_S,
                           unit="seconds") or 0  # fmt: skip
    source = "method.request.header.Authorization"
    if raw.get("identitySource") is not None:
        source = check.want_str(raw["identitySource"], (*path, "identitySource")) or source
    elif authorizer_type == "REQUEST" and ttl == 0:
        source = ""  # a REQUEST authorizer without caching may go without an identity source
    for part in filter(None, (s.strip() for s in source.split(","))):
        if not re.match(r"^(method\.request\.(header|querystring)\.[^\s.]+|stageVariables\.\S+|context\.\S+)$",
                        part):  # fmt: skip
            check.error((*path, "identitySource"), f"{show(part)} is not an identity source",
                        "write method.request.header.<name> (or .querystring.<name>)")  # fmt: skip
    if authorizer_type == "REQUEST" and ttl > 0 and not source:
        check.error((*path, "identitySource"), "a REQUEST authorizer that caches (resultTtlInSeconds > 0) needs an "
                    "identitySource: it is the cache key")  # fmt: skip
    validation = None
    if raw.get("identityValidationExpression") is not None:
        validation = check.want_str(raw["identityValidationExpression"], (*path, "identityValidationExpression"))
        if authorizer_type == "REQUEST":
            check.error((*path, "identityValidationExpression"),
                        "API Gateway applies identityValidationExpression to TOKEN authorizers only")  # fmt: skip
    scopes = tuple(check.want_str_list(raw["scopes"], (*path, "scopes")) or []) if raw.get("scopes") else ()
    if scopes and authorizer_type != "COGNITO_USER_POOLS":
        check.error((*path, "scopes"), "scopes are checked by a Cognito user pool authorizer only")
    claims = tuple(check.want_str_list(raw["claims"], (*path, "claims")) or []) if raw.get("claims") else ()
    if claims and (authorizer_type != "COGNITO_USER_POOLS" or integration != "AWS"):
        check.error((*path, "claims"), "Cognito claims can only be filtered when using the lambda integration type")
    name = ref.name
    if raw.get("name") is not None and raw.get("arn") is not None:
        name = check.want_str(raw["name"], (*path, "name")) or name
    return RestAuthorizerRef(
        type=authorizer_type,
        name=name,
        function_key=ref.function_key,
        arn=ref.arn,
        identity_source=source or None,
        ttl=ttl,
        validation_expression=validation,
        scopes=tuple(sorted(scopes)),
        claims=claims,
        managed_externally=flag(raw, "managedExternally", path, check, False),
    )


def _authorizer_target(
    raw: Mapping[str, Value], value: object, path: KeyPath, check: Checker, *, function_keys: frozenset[str]
) -> RestAuthorizerRef | None:
    text = check.want_str(value, path)
    if text is None:
        return None
    if ":" not in text:
        if text not in function_keys:
            known = ", ".join(sorted(function_keys))
            check.error(path, f"authorizer {show(text)} is not a function of this service (functions: {known})",
                        "name a function under `functions:` or give the authorizer's ARN")  # fmt: skip
            return None
        return RestAuthorizerRef("TOKEN", name=text, function_key=text)
    parts = arn_parts(text)
    if parts is None or parts["service"] not in ("lambda", "cognito-idp"):
        check.error(path, f"{show(text)} is not a Lambda function or Cognito user pool ARN")
        return None
    if parts["service"] == "cognito-idp":
        # Serverless names an authorizer by ARN after the ARN's last part: the user pool id, the function name.
        return RestAuthorizerRef("COGNITO_USER_POOLS", name=_arn_name(text), arn=text)
    return RestAuthorizerRef("TOKEN", name=_arn_name(text), arn=text)


def _arn_name(arn: str) -> str:
    last = re.split(r"[:/]", arn)[-1] if not arn.split(":")[-1].isdigit() else arn.split(":")[-2]
    return re.sub(r"[^A-Za-z0-9_-]", "", last) or "authorizer"


def parse_request(
    value: object,
    path: KeyPath,
    check: Checker,
    *,
    integration: str,
    models: Mapping[str, RequestSchema] | None = None,
    model_prefix: str = "",
) -> RestRequest:
    """`request:`; a schema given by key is the provider's model of that key (`models`); an inline one without a
    name is named `model_prefix` + its content type (`PostItemsApplicationJsonModel`)."""
    raw = check.want_mapping(value, path, what="a mapping (parameters, template, passThrough)")
    if raw is None:
        return RestRequest()
    check.keys(raw, path, REQUEST_KEYS)
    if raw.get("contentHandling") is not None:
        check.error((*path, "contentHandling"), "request.contentHandling is not supported by fnship yet",
                    "remove it (see the README's REST API section)")  # fmt: skip
    schemas: dict[str, RequestSchema] = {}
    if raw.get("schemas") is not None:
        found = check.want_mapping(raw["schemas"], (*path, "schemas"), what="content type -> schema") or {}
        for content_type, value in found.items():
            where = (*path, "schemas", content_type)
            schema = parse_schema(value, where, check, inline_ok=True)
            if schema is not None and schema.ref is not None:
                known = (models or {}).get(schema.ref)
                if known is None:
                    defined = ", ".join(models or {}) or "(none)"
                    check.error(where, f"schema {show(schema.ref)} is not defined in provider.apiGateway.request."
                                f"schemas (defined: {defined})")  # fmt: skip
                    continue
                schema = known
            elif schema is not None and schema.name is None:
                schema = RequestSchema(name=model_prefix + camel(content_type) + "Model", schema=schema.schema,
                                       description=schema.description)  # fmt: skip
            if schema is not None:
                schemas[content_type] = schema
    parameters: dict[str, bool] = {}
    if raw.get("parameters") is not None:
        found = check.want_mapping(raw["parameters"], (*path, "parameters"),
                                   what="a mapping (querystrings, paths, headers)") or {}  # fmt: skip
        check.keys(found, (*path, "parameters"), PARAMETER_LOCATIONS)
        for plural, singular in PARAMETER_LOCATIONS.items():
            where = (*path, "parameters", plural)
            names = check.want_mapping(found[plural], where) if found.get(plural) is not None else None
            for name, required in (names or {}).items():
                if isinstance(required, dict):
                    check.keys(required, (*where, name), {"required"})
                    required = required.get("required", False)
                flag = check.want_bool(required, (*where, name))
                parameters[f"method.request.{singular}.{name}"] = bool(flag)
    templates: dict[str, str] = {}
    pass_through = None
    for key in ("template", "passThrough"):
        if raw.get(key) is not None and integration != "AWS":
            check.error((*path, key), f"request.{key} applies to `integration: lambda` only",
                        "Serverless v3 drops it with the Lambda proxy integration: remove it")  # fmt: skip
    if integration == "AWS":
        if raw.get("template") is not None:
            found = check.want_mapping(raw["template"], (*path, "template"), what="content type -> template") or {}
            for content_type, text in found.items():
                template = check.want_str(text, (*path, "template", content_type))
                if template is not None:
                    templates[content_type] = template
        if raw.get("passThrough") is not None:
            pass_through = check.want_choice(raw["passThrough"], (*path, "passThrough"), PASS_THROUGH,
                                             what="a passThrough behaviour")  # fmt: skip
    return RestRequest(dict(sorted(parameters.items())), templates, pass_through, schemas)


SCHEMA_KEYS = frozenset({"name", "description", "schema"})


def camel(text: str) -> str:
    """`/items/{id}` -> `ItemsId`, `application/json` -> `ApplicationJson`: a part of a model's name."""
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def parse_schema(value: object, path: KeyPath, check: Checker, *, inline_ok: bool) -> RequestSchema | None:
    """A JSON schema (a mapping), `{name, description, schema}`, or (in an event) the key of one under
    `provider.apiGateway.request.schemas`."""
    if isinstance(value, str) and inline_ok:
        return RequestSchema(ref=value)
    raw = check.want_mapping(value, path, what="a JSON schema or a mapping (name, description, schema)")
    if raw is None:
        return None
    if "schema" not in raw:
        text = json_value(raw, path, check)
        return RequestSchema(schema=text) if text is not None else None
    check.keys(raw, path, SCHEMA_KEYS)
    name = check.want_str(raw["name"], (*path, "name")) if raw.get("name") is not None else None
    if name is not None and not re.match(r"^[A-Za-z0-9]+$", name):
        check.error((*path, "name"), f"{show(name)} is not a model name: API Gateway allows letters and digits only")
        return None
    if isinstance(raw["schema"], str):
        check.error((*path, "schema"), "give the schema itself (a mapping); a schema file needs ${file(...)}")
        return None
    schema_raw = check.want_mapping(raw["schema"], (*path, "schema"), what="a JSON schema")
    text = json_value(schema_raw, (*path, "schema"), check) if schema_raw is not None else None
    if text is None:
        return None
    description = check.want_str(raw["description"], (*path, "description")) if raw.get("description") else None
    return RequestSchema(name=name, schema=text, description=description)


def parse_provider_schemas(value: object, path: KeyPath, check: Checker) -> dict[str, RequestSchema]:
    """`provider.apiGateway.request.schemas`: key -> its model (named by `name`, else by the key)."""
    found = check.want_mapping(value, path, what="a mapping (key -> {name, description, schema})") or {}
    out = {}
    for key, entry in found.items():
        schema = parse_schema(entry, (*path, key), check, inline_ok=False)
        if schema is None:
            continue
        name = schema.name or str(key)
        if not re.match(r"^[A-Za-z0-9]+$", name):
            check.error((*path, key), f"{show(name)} is not a model name: API Gateway allows letters and digits "
                        "only", "give it a `name:`", at_key=True)  # fmt: skip
            continue
        out[str(key)] = RequestSchema(name=name, schema=schema.schema, description=schema.description)
    return out


def lambda_request_templates(request: RestRequest | None, claims: tuple[str, ...]) -> dict[str, str]:
    """A Lambda (non-proxy) integration's request templates: Serverless v3's two defaults (with the Cognito claims
    the authorizer names), then the event's own, which win per content type."""
    extra = "".join(f'"{claim}": "$context.authorizer.claims.{claim}", ' for claim in claims)
    templates = {
        "application/json": JSON_REQUEST_TEMPLATE.replace("{claims}", extra),
        "application/x-www-form-urlencoded": FORM_REQUEST_TEMPLATE.replace("{claims}", extra),
    }
    if request is not None:
        templates.update(request.templates)
    return dict(sorted(templates.items()))


def parse_response(value: object, path: KeyPath, check: Checker, *, cors_origin: str | None,
                   cors_credentials: bool) -> tuple[RestResponse, ...]:  # fmt: skip
    """`response:` of an `integration: lambda` event (or None: v3's default status codes) -> one entry per status
    code, each with the CORS origin header when the event has `cors` (as v3 adds it)."""
    headers: dict[str, str] = {}
    if cors_origin is not None:
        headers["Access-Control-Allow-Origin"] = f"'{cors_origin}'"
        if cors_credentials:
            headers["Access-Control-Allow-Credentials"] = "'true'"
    raw: ValueMap = {}
    if value is not None:
        raw = check.want_mapping(value, path, what="a mapping (headers, template, statusCodes)") or {}
        check.keys(raw, path, RESPONSE_KEYS)
        if raw.get("contentHandling") is not None:
            check.error((*path, "contentHandling"), "response.contentHandling is not supported by fnship yet")
        if raw.get("headers") is not None:
            for name, text in (check.want_mapping(raw["headers"], (*path, "headers")) or {}).items():
                header = check.want_str(text, (*path, "headers", name))
                if header is not None:
                    headers[name] = header
    template = check.want_str(raw["template"], (*path, "template")) if raw.get("template") is not None else None
    codes: list[tuple[str, ValueMap, KeyPath]] = []
    if raw.get("statusCodes") is not None:
        found = check.want_mapping(raw["statusCodes"], (*path, "statusCodes")) or {}
        for code, config in found.items():
            where = (*path, "statusCodes", code)
            if not re.match(r"^[1-5]\d\d$", str(code)):
                check.error(where, f"{show(code)} is not an HTTP status code", at_key=True)
                continue
            entry = check.want_mapping(config, where, what="a mapping (pattern, template, headers)") or {}
            check.keys(entry, where, STATUS_CODE_KEYS)
            if entry.get("contentHandling") is not None:
                check.error((*where, "contentHandling"), "contentHandling is not supported by fnship yet")
            codes.append((str(code), entry, where))
        if not any((entry.get("pattern") or "") == "" for _code, entry, _where in codes):
            codes.append(("200", {"pattern": ""}, path))  # v3 adds the default 200 when no code matches everything
    else:
        codes = [(code, {"pattern": pattern}, path) for code, pattern in DEFAULT_STATUS_PATTERNS]
    out = []
    for code, entry, where in codes:
        pattern = check.want_str(entry.get("pattern") or "", (*where, "pattern")) or ""
        templates = {"application/json": template} if template is not None else {}
        if entry.get("template") is not None:
            if isinstance(entry["template"], str):
                templates["application/json"] = entry["template"]
            else:
                for content_type, text in (check.want_mapping(entry["template"], (*where, "template")) or {}).items():
                    templates[content_type] = check.want_str(text, (*where, "template", content_type)) or ""
        code_headers = dict(headers)
        for name, text in (check.want_mapping(entry["headers"], (*where, "headers")) or {}).items() \
                if entry.get("headers") is not None else ():  # fmt: skip
            code_headers[name] = check.want_str(text, (*where, "headers", name)) or ""
        out.append(RestResponse(code, pattern, dict(sorted(templates.items())), dict(sorted(code_headers.items()))))
    return tuple(sorted(out, key=lambda r: r.status))


def policy_json(value: object, path: KeyPath, check: Checker) -> str | None:
    """`provider.apiGateway.resourcePolicy` (a list of statements) as the policy document AWS stores."""
    statements = check.want_list(value, path)
    if statements is None:
        return None
    return json_value({"Version": "2012-10-17", "Statement": statements}, path, check)


API_KEY_KEYS = frozenset({"name", "value", "description", "customerId", "enabled"})
PLAN_KEYS = frozenset({"quota", "throttle"})
QUOTA_KEYS = frozenset({"limit", "offset", "period"})
THROTTLE_KEYS = frozenset({"burstLimit", "rateLimit"})
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")
API_KEY_MIN_LENGTH = 20  # https://docs.aws.amazon.com/apigateway/latest/api/API_CreateApiKey.html: value


def parse_usage_plans(
    plans_value: Value, keys_value: Value, path: KeyPath, check: Checker
) -> tuple[tuple[UsagePlanSpec, ...], tuple[ApiKeySpec, ...]]:
    """`provider.apiGateway.usagePlan` (a mapping: one plan; a list of `{name: {quota, throttle}}`: several) and
    `apiKeys` (names or mappings; with several plans, grouped as `{plan name: [keys]}`), as Serverless v3 reads
    them: API keys without `usagePlan` get one plan without limits."""
    plans: list[UsagePlanSpec] = []
    if isinstance(plans_value, list):
        for index, item in enumerate(plans_value):
            where = (*path, "usagePlan", index)
            entry = check.want_mapping(item, where, what="{plan name: {quota, throttle}}")
            if entry is None or len(entry) != 1:
                if entry is not None:
                    check.error(where, "each usagePlan entry is one plan: {plan name: {quota, throttle}}")
                continue
            name, config = next(iter(entry.items()))
            if not re.match(r"^[A-Za-z0-9_-]+$", str(name)):
                check.error(where, f"{show(name)} is not a usage plan name (letters, digits, - and _)", at_key=True)
                continue
            plans.append(_plan(str(name), config, (*where, name), check))
    elif plans_value is not None:
        plans.append(_plan("", plans_value, (*path, "usagePlan"), check))
    keys: list[ApiKeySpec] = []
    if keys_value is not None:
        named = {plan.name for plan in plans}
        for index, item in enumerate(check.want_list(keys_value, (*path, "apiKeys")) or []):
            where = (*path, "apiKeys", index)
            if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in named - {""}:
                plan, group = next(iter(item.items()))
                for sub, key in enumerate(check.want_list(group, (*where, plan)) or []):
                    found = _api_key(key, (*where, plan, sub), check, plans=(plan,))
                    if found is not None:
                        keys.append(found)
                continue
            if len(named) > 1 or named - {""}:
                check.error(where, "with several usage plans, each API key is listed under its plan's name",
                            f"write `- {sorted(named - {''})[0]}: [<key>]`")  # fmt: skip
                continue
            found = _api_key(item, where, check, plans=("",))
            if found is not None:
                keys.append(found)
        if not plans:
            plans.append(UsagePlanSpec(""))
    seen: set[str] = set()
    for api_key in keys:
        if api_key.name in seen:
            check.error((*path, "apiKeys"), f"API key {api_key.name} is listed twice")
        seen.add(api_key.name)
    return tuple(plans), tuple(keys)


def _plan(name: str, value: object, path: KeyPath, check: Checker) -> UsagePlanSpec:
    raw = check.want_mapping(value, path, what="a mapping (quota, throttle)") or {}
    check.keys(raw, path, PLAN_KEYS)
    quota = None
    if raw.get("quota") is not None:
        found = check.want_mapping(raw["quota"], (*path, "quota"), what="a mapping (limit, offset, period)") or {}
        check.keys(found, (*path, "quota"), QUOTA_KEYS)
        limit = check.want_int(found.get("limit"), (*path, "quota", "limit"), minimum=0)
        offset = check.want_int(found["offset"], (*path, "quota", "offset"), minimum=0) if found.get("offset") else 0
        period = check.want_choice(str(found.get("period") or "").upper(), (*path, "quota", "period"),
                                   QUOTA_PERIODS, what="a quota period")  # fmt: skip
        if limit is not None and period is not None:
            quota = (limit, offset or 0, period)
    throttle = None
    if raw.get("throttle") is not None:
        limits = check.want_mapping(raw["throttle"], (*path, "throttle"), what="a mapping (burstLimit, rateLimit)")
        limits = limits or {}
        check.keys(limits, (*path, "throttle"), THROTTLE_KEYS)
        burst = check.want_int(limits.get("burstLimit"), (*path, "throttle", "burstLimit"), minimum=0)
        rate = limits.get("rateLimit")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate < 0:
            check.error((*path, "throttle", "rateLimit"), f"{show(rate)} is not a rate (requests per second)")
        elif burst is not None:
            throttle = (burst, float(rate))
    return UsagePlanSpec(name, quota, throttle)


def _api_key(value: object, path: KeyPath, check: Checker, *, plans: tuple[str, ...]) -> ApiKeySpec | None:
    if isinstance(value, str):
        return ApiKeySpec(value, plans=plans)
    raw = check.want_mapping(value, path, what="a key name or a mapping (name, value, description, ...)")
    if raw is None:
        return None
    check.keys(raw, path, API_KEY_KEYS)
    name = check.want_str(raw.get("name"), (*path, "name"))
    if name is None:
        return None
    key_value: Secret | None = None  # a key is a credential: plans print it as (sensitive)
    if raw.get("value") is not None:
        written = raw["value"]
        text = written if isinstance(written, Secret) else check.want_str(written, (*path, "value"))
        if text is not None and len(str(reveal(text))) < API_KEY_MIN_LENGTH:
            check.error((*path, "value"), f"an API key value has at least {API_KEY_MIN_LENGTH} characters")
        elif text is not None:
            key_value = text if isinstance(text, Secret) else Secret(text)
    return ApiKeySpec(
        name=name,
        value=key_value,
        description=check.want_str(raw["description"], (*path, "description")) if raw.get("description") else None,
        customer_id=check.want_str(raw["customerId"], (*path, "customerId")) if raw.get("customerId") else None,
        enabled=flag(raw, "enabled", path, check, True),
        plans=plans,
    )


THROTTLING_KEYS = frozenset({"maxRequestsPerSecond", "maxConcurrentRequests", "disabled"})
# serverless-api-gateway-throttling's `disabled: true`: -1 for both limits turns a method's throttling off.
DISABLED = (-1, -1.0)


def parse_throttle(value: object, path: KeyPath, check: Checker) -> tuple[int, float] | None:
    """serverless-api-gateway-throttling's settings (`maxRequestsPerSecond`, `maxConcurrentRequests`, an event's
    `disabled`) as (burstLimit, rateLimit); a limit not given is API Gateway's default (10000/s, 5000)."""
    raw = check.want_mapping(value, path, what="a mapping (maxRequestsPerSecond, maxConcurrentRequests)")
    if raw is None:
        return None
    check.keys(raw, path, THROTTLING_KEYS)
    if flag(raw, "disabled", path, check, False):
        return DISABLED
    burst = 5000
    if raw.get("maxConcurrentRequests") is not None:
        burst = check.want_int(raw["maxConcurrentRequests"], (*path, "maxConcurrentRequests"), minimum=0) or 0
    rate = raw.get("maxRequestsPerSecond", 10000)
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or rate < 0:
        check.error((*path, "maxRequestsPerSecond"), f"{show(rate)} is not a rate (requests per second)")
        return None
    return (burst, float(rate))
