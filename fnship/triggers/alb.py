"""`alb` events: a lambda target group holding the alias, the statement that lets the load balancer invoke it
(pinned to the group), and a rule on an existing listener forwarding matching requests to the group. Parse,
render, sample event in one place. Pure.

https://www.serverless.com/framework/docs/providers/aws/events/alb
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.jsonvalue import Json, JsonMapping, JsonObject
from fnship.kinds.alb import AlbListenerRule, AlbTargetGroup, HealthCheck, normalize_authenticate, normalize_condition
from fnship.local.events import Where
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, text_of, want_arn, want_bounded
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource
from fnship.model.triggers.common import Target, permission, trigger_address
from fnship.secret import Secret
from fnship.triggers.base import TriggerType

ALB_KEYS = frozenset(
    {"listenerArn", "priority", "conditions", "healthCheck", "multiValueHeaders", "targetGroupName", "authorizer"}
)
# provider.alb.authorizers, as Serverless v3 reads them: an authenticate-cognito or authenticate-oidc action.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html
COMMON_AUTHORIZER_KEYS = frozenset(
    {"type", "onUnauthenticatedRequest", "allowUnauthenticated", "requestExtraParams", "scope", "sessionCookieName",
     "sessionTimeout"}
)  # fmt: skip
COGNITO_KEYS = COMMON_AUTHORIZER_KEYS | {"userPoolArn", "userPoolClientId", "userPoolDomain"}
OIDC_KEYS = COMMON_AUTHORIZER_KEYS | {
    "authorizationEndpoint", "clientId", "clientSecret", "useExistingClientSecret", "issuer", "tokenEndpoint",
    "userInfoEndpoint",
}  # fmt: skip
UNAUTHENTICATED = ("deny", "allow", "authenticate")
EXTRA_PARAMS_MAX = 10
CONDITION_KEYS = frozenset({"path", "method", "host", "header", "query", "ip"})
HEADER_KEYS = frozenset({"name", "values"})
HEALTH_KEYS = frozenset(
    {"path", "intervalSeconds", "timeoutSeconds", "healthyThresholdCount", "unhealthyThresholdCount", "matcher"}
)
LISTENER = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/app/[^/]+/[0-9a-f]+/[0-9a-f]+$")
PRIORITY = (1, 50000)
# Serverless v3's patterns: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#rule-condition-types
PATH = re.compile(r"^([A-Za-z0-9*?_.$/~\"'@:+-]|&amp;){1,128}$")
HOST = re.compile(r"^[A-Za-z0-9*?.-]{1,128}$")
METHOD = re.compile(r"^[A-Z_-]{1,40}$")
TARGET_GROUP_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
TARGET_GROUP_NAME_MAX = 32
# Serverless v3's defaults once `healthCheck` is given (a lambda target group's check is off otherwise).
HEALTH_DEFAULTS = HealthCheck(path="/", interval=35, timeout=30, healthy=5, unhealthy=5, matcher="200")
ELB = "elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True)
class AlbEvent(EventSettings):
    """A listener rule forwarding to a target group of the function's alias."""

    listener_arn: str
    priority: int
    conditions: tuple[str, ...]  # each as compact JSON in its config form (kinds.alb.normalize_condition)
    health_check: HealthCheck | None
    multi_value_headers: bool
    target_group_name: str | None
    authenticate: tuple[str, ...] = ()  # the authorizers' actions, in the event's order (kinds.alb)
    client_secrets: tuple[Secret | None, ...] = ()  # each one's OIDC client secret


def parse_authorizer(value: object, path: KeyPath, check: Checker) -> tuple[str, Secret | None] | None:
    """One of provider.alb.authorizers -> (its authenticate action as compared, its OIDC client secret)."""
    raw = check.want_mapping(value, path, what="a mapping (type: cognito or oidc, ...)")
    if raw is None:
        return None
    kind = check.want_choice(raw.get("type"), (*path, "type"), ("cognito", "oidc"), what="an ALB authorizer type")
    if kind is None:
        return None
    check.keys(raw, path, COGNITO_KEYS if kind == "cognito" else OIDC_KEYS)
    config: dict[str, Json] = {}
    required: tuple[tuple[str, str], ...]
    if kind == "cognito":
        required = (("userPoolArn", "UserPoolArn"), ("userPoolClientId", "UserPoolClientId"),
                    ("userPoolDomain", "UserPoolDomain"))  # fmt: skip
    else:
        required = (("authorizationEndpoint", "AuthorizationEndpoint"), ("clientId", "ClientId"), ("issuer", "Issuer"),
                    ("tokenEndpoint", "TokenEndpoint"), ("userInfoEndpoint", "UserInfoEndpoint"))  # fmt: skip
    for key, field_name in required:
        if raw.get(key) is None:
            check.error(path, f"{key} is required for {'an oidc' if kind == 'oidc' else 'a cognito'} authorizer",
                        at_key=True)  # fmt: skip
        else:
            config[field_name] = text_of(raw, key, path, check)
    pool = config.get("UserPoolArn")
    if isinstance(pool, str):
        want_arn(pool, (*path, "userPoolArn"), check, services=("cognito-idp",), what="Cognito user pool")
    secret: Secret | None = None
    if kind == "oidc":
        written = raw.get("clientSecret")
        if isinstance(written, Secret):
            secret = written
        elif written is not None:
            text = check.want_str(written, (*path, "clientSecret"))
            secret = Secret(text) if text is not None else None
        elif not flag(raw, "useExistingClientSecret", path, check, False):
            check.error(path, "clientSecret is required for an oidc authorizer (or useExistingClientSecret: true on "
                        "a rule that has one)", at_key=True)  # fmt: skip
    unauthenticated = "deny"  # Serverless v3's default (ELB's own is authenticate)
    if raw.get("onUnauthenticatedRequest") is not None:
        where = (*path, "onUnauthenticatedRequest")
        written_action = check.want_choice(raw["onUnauthenticatedRequest"], where, UNAUTHENTICATED,
                                           what="an unauthenticated request action")  # fmt: skip
        unauthenticated = written_action or unauthenticated
    elif flag(raw, "allowUnauthenticated", path, check, False):
        unauthenticated = "allow"
    config["OnUnauthenticatedRequest"] = unauthenticated
    if raw.get("requestExtraParams") is not None:
        params = check.want_mapping(raw["requestExtraParams"], (*path, "requestExtraParams")) or {}
        if len(params) > EXTRA_PARAMS_MAX:
            check.error((*path, "requestExtraParams"), f"at most {EXTRA_PARAMS_MAX} parameters (ELB's limit)")
        # (v3 writes `redirect: false`: ELB takes strings)
        config["AuthenticationRequestExtraParams"] = {
            str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()
        }
    for key, field_name in (("scope", "Scope"), ("sessionCookieName", "SessionCookieName")):
        if raw.get(key) is not None:
            config[field_name] = text_of(raw, key, path, check)
    if raw.get("sessionTimeout") is not None:
        config["SessionTimeout"] = check.want_int(raw["sessionTimeout"], (*path, "sessionTimeout"), minimum=1,
                                                  maximum=604800, unit="seconds")  # fmt: skip
    if kind == "cognito":
        return normalize_authenticate({"Type": "authenticate-cognito", "AuthenticateCognitoConfig": config}), None
    return normalize_authenticate({"Type": "authenticate-oidc", "AuthenticateOidcConfig": config}), secret


def _alb_authorizers(provider: Mapping[str, Value]) -> Mapping[str, Value]:
    alb = provider.get("alb")
    found = alb.get("authorizers") if isinstance(alb, dict) else None
    return found if isinstance(found, dict) else {}


def _event_authorizers(
    value: object, path: KeyPath, ctx: EventContext
) -> tuple[tuple[str, ...], tuple[Secret | None, ...]]:
    """An event's `authorizer` (a name or a list of names of provider.alb.authorizers) -> their actions, in order.
    The definitions themselves are checked once, for the service (check_service)."""
    check = ctx.check
    names_given = check.want_str_list(value, path, single_ok=True) or []
    defined = _alb_authorizers(ctx.provider)
    quiet = Checker(file=check.file, locations=check.locations, key_locations=check.key_locations)
    actions: list[str] = []
    secrets: list[Secret | None] = []
    for index, name_given in enumerate(names_given):
        if name_given not in defined:
            where = path if isinstance(value, str) else (*path, index)
            known_names = f"; defined: {', '.join(defined)}" if defined else ""
            check.error(where, f"{show(name_given)} is not an authorizer of provider.alb.authorizers",
                        f"define it there (type: cognito or oidc){known_names}")  # fmt: skip
            continue
        parsed = parse_authorizer(defined[name_given], ("provider", "alb", "authorizers", name_given), quiet)
        if parsed is not None:
            actions.append(parsed[0])
            secrets.append(parsed[1])
    return tuple(actions), tuple(secrets)


def _strings(value: object, path: KeyPath, check: Checker, pattern: re.Pattern[str], what: str) -> list[str]:
    found = check.want_str_list(value, path, single_ok=True) or []
    for index, item in enumerate(found):
        if not pattern.match(item):
            check.error(path if isinstance(value, str) else (*path, index), f"{show(item)} is not {what}")
    return found


def _conditions(value: object, path: KeyPath, check: Checker) -> tuple[str, ...]:
    raw = check.want_mapping(value, path, what="a mapping (path, method, host, header, query, ip)")
    if raw is None:
        return ()
    check.keys(raw, path, CONDITION_KEYS)
    if raw.get("path") is None:
        check.error(path, "path is required (a path pattern such as /users/*)", at_key=True)
    out: list[JsonMapping] = []  # (read-only: its lists are the checked strings as they are)
    if raw.get("path") is not None:
        values = _strings(raw["path"], (*path, "path"), check, PATH, "a path pattern")
        out.append({"Field": "path-pattern", "PathPatternConfig": {"Values": values}})
    if raw.get("host") is not None:
        values = _strings(raw["host"], (*path, "host"), check, HOST, "a host name pattern")
        out.append({"Field": "host-header", "HostHeaderConfig": {"Values": values}})
    if raw.get("method") is not None:
        values = [m.upper() for m in check.want_str_list(raw["method"], (*path, "method"), single_ok=True) or []]
        for method in values:
            if not METHOD.match(method):
                check.error((*path, "method"), f"{show(method)} is not an HTTP method")
        out.append({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": values}})
    if raw.get("header") is not None:
        header = check.want_mapping(raw["header"], (*path, "header"), what="a mapping (name, values)")
        if header is not None:
            check.keys(header, (*path, "header"), HEADER_KEYS)
            name = text_of(header, "name", (*path, "header"), check)
            values = check.want_str_list(header.get("values"), (*path, "header", "values"), single_ok=True) or []
            if not name or not values:
                check.error((*path, "header"), "name and values are both required", at_key=True)
            else:
                out.append({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": name, "Values": values}})
    if raw.get("query") is not None:
        query = check.want_mapping(raw["query"], (*path, "query"), what="a mapping of parameter: value")
        if query:
            pairs = [{"Key": str(k), "Value": check.want_str(v, (*path, "query", k)) or ""} for k, v in query.items()]
            out.append({"Field": "query-string", "QueryStringConfig": {"Values": pairs}})
    if raw.get("ip") is not None:
        values = check.want_str_list(raw["ip"], (*path, "ip"), single_ok=True) or []
        for ip in values:
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError:
                check.error((*path, "ip"), f"{show(ip)} is not an IP address or CIDR block")
        out.append({"Field": "source-ip", "SourceIpConfig": {"Values": values}})
    return tuple(sorted(normalize_condition(c) for c in out))


def _health_check(value: object, path: KeyPath, check: Checker) -> HealthCheck | None:
    if isinstance(value, bool):
        return HEALTH_DEFAULTS if value else None
    raw = check.want_mapping(value, path, what="true, false or a mapping (path, intervalSeconds, ...)")
    if raw is None:
        return None
    check.keys(raw, path, HEALTH_KEYS)

    def number(key: str, bounds: tuple[int, int], default: int) -> int:
        found = want_bounded(raw[key], (*path, key), check, bounds) if raw.get(key) is not None else None
        return default if found is None else found

    matcher = HEALTH_DEFAULTS.matcher
    if raw.get("matcher") is not None:
        found = check.want_mapping(raw["matcher"], (*path, "matcher"), what="a mapping (httpCode)")
        if found is not None:
            check.keys(found, (*path, "matcher"), {"httpCode"})
            matcher = text_of(found, "httpCode", (*path, "matcher"), check) or matcher
    health = HealthCheck(
        path=text_of(raw, "path", path, check) or HEALTH_DEFAULTS.path,
        interval=number("intervalSeconds", (5, 300), HEALTH_DEFAULTS.interval),
        timeout=number("timeoutSeconds", (2, 120), HEALTH_DEFAULTS.timeout),
        healthy=number("healthyThresholdCount", (2, 10), HEALTH_DEFAULTS.healthy),
        unhealthy=number("unhealthyThresholdCount", (2, 10), HEALTH_DEFAULTS.unhealthy),
        matcher=matcher,
    )
    if health.timeout >= health.interval:
        check.error(path, f"timeoutSeconds ({health.timeout}) must be less than intervalSeconds ({health.interval})",
                    at_key=True)  # fmt: skip
    return health


def parse_alb(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[AlbEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (listenerArn, priority, conditions, ...)")
    if raw is None:
        return []
    check.keys(raw, path, ALB_KEYS)
    for key in ("listenerArn", "priority", "conditions"):
        if raw.get(key) is None:
            check.error(path, f"{key} is required", at_key=True)
    listener = text_of(raw, "listenerArn", path, check) if raw.get("listenerArn") is not None else None
    if listener is not None and not LISTENER.match(listener):
        check.error((*path, "listenerArn"), f"{show(listener)} is not an Application Load Balancer listener ARN")
        listener = None
    priority = None
    if raw.get("priority") is not None:
        priority = want_bounded(raw["priority"], (*path, "priority"), check, PRIORITY)
    conditions: tuple[str, ...] = ()
    if raw.get("conditions") is not None:
        conditions = _conditions(raw["conditions"], (*path, "conditions"), check)
    health = _health_check(raw["healthCheck"], (*path, "healthCheck"), check) if "healthCheck" in raw else None
    group = text_of(raw, "targetGroupName", path, check)
    if group is not None and not TARGET_GROUP_NAME.match(group):
        check.error((*path, "targetGroupName"), f"{show(group)} is not a target group name: 1-32 letters, digits, '-'")
        group = None
    actions: tuple[str, ...] = ()
    secrets: tuple[Secret | None, ...] = ()
    if raw.get("authorizer") is not None:
        actions, secrets = _event_authorizers(raw["authorizer"], (*path, "authorizer"), ctx)
    if listener is None or priority is None or not conditions:
        return []
    return [
        AlbEvent(
            listener_arn=listener,
            priority=priority,
            conditions=conditions,
            health_check=health,
            multi_value_headers=flag(raw, "multiValueHeaders", path, check, False),
            target_group_name=group,
            authenticate=actions,
            client_secrets=secrets,
        )
    ]


def check_service(events: list[tuple[str, EventSpec]], check: Checker, provider: Mapping[str, Value]) -> None:
    """A priority is one rule's on a listener: ELB refuses a second (PriorityInUse). provider.alb.authorizers
    are checked here, once."""
    alb = provider.get("alb")
    if alb is not None:
        settings = check.want_mapping(alb, ("provider", "alb"), what="a mapping (authorizers)") or {}
        check.keys(settings, ("provider", "alb"), {"authorizers"})
        found = check.want_mapping(settings.get("authorizers") or {}, ("provider", "alb", "authorizers")) or {}
        for authorizer, definition in found.items():
            parse_authorizer(definition, ("provider", "alb", "authorizers", authorizer), check)
    seen: dict[tuple[str, int], str] = {}
    for key, event in events:
        s = event.settings_as(AlbEvent)
        where = ("functions", key, "events", event.index, "alb", "priority")
        taken = seen.get((s.listener_arn, s.priority))
        if taken is not None:
            check.error(where, f"priority {s.priority} is already used on this listener by {taken}",
                        "give each alb event on a listener its own priority")  # fmt: skip
        seen.setdefault((s.listener_arn, s.priority), f"functions.{key}.events.{event.index}")


def name(event: EventSpec) -> str:
    return str(event.settings_as(AlbEvent).priority)


def target_group_name(target: Target, event: EventSpec, name: str) -> str:
    """The name given, else one made of the function's name and the rule's priority (1-32 letters, digits, '-')."""
    if event.settings_as(AlbEvent).target_group_name:
        return str(event.settings_as(AlbEvent).target_group_name)
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", f"{target.function_name}-{name}").strip("-")
    return names.shorten(cleaned, TARGET_GROUP_NAME_MAX)


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(AlbEvent)
    group_address = Address.target_group(target.function_key, name)
    group_name = target_group_name(target, event, name)
    group = Resource.of(
        group_address,
        group_name,
        AlbTargetGroup(multi_value_headers=s.multi_value_headers, health_check=s.health_check, tags=dict(target.tags)),
        depends_on=(target.alias_address,),
        scope=target.scope("alb", name),
    )
    group_arn = Ref(group_address, "arn")
    statement = permission(target, "alb", name, principal=ELB, source_arn=group_arn)
    rule = Resource.of(
        trigger_address(target, "alb", name),
        f"{s.listener_arn}#{s.priority}",
        AlbListenerRule(
            listener_arn=s.listener_arn,
            priority=s.priority,
            conditions=s.conditions,
            target_group_name=group_name,
            target_group=group_arn,
            target=target.alias_arn,
            authenticate=s.authenticate,
            client_secrets=s.client_secrets,
        ),
        depends_on=(target.alias_address, group_address, statement.address),
        scope=target.scope("alb", name),
    )
    return [group, statement, rule]


def alb(where: Where) -> JsonObject:
    """What a load balancer sends a lambda target (multi-value headers off).
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html#receive-event-from-load-balancer"""
    group = f"arn:aws:elasticloadbalancing:{where.region}:{where.account_id}:targetgroup/example/0123456789abcdef"
    return {
        "requestContext": {"elb": {"targetGroupArn": group}},
        "httpMethod": "GET",
        "path": "/users/42",
        "queryStringParameters": {"verbose": "true"},
        "headers": {
            "accept": "application/json",
            "host": f"example-1234567890.{where.region}.elb.amazonaws.com",
            "user-agent": "curl/8.0",
            "x-amzn-trace-id": "Root=1-655400a0-0123456789abcdef01234567",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http",
        },
        "body": "",
        "isBase64Encoded": False,
    }


TRIGGER = TriggerType(
    parse=parse_alb,
    name=name,
    render=render,
    samples={"alb": alb},
    kinds=("alb_target_group", "permission", "alb_listener_rule"),
    check_service=check_service,
)
