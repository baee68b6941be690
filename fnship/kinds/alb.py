"""The `alb` event's kinds: `alb_target_group` (a lambda target group, its health check and multi-value headers)
and `alb_listener_rule` (the listener rule forwarding to it, with the alias registered in the group). ELB checks
that the load balancer may invoke the alias when it is registered, so the alias's permission (pinned to the target
group) is made between the two. A rule goes with its target group when the group is deleted.
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from fnship.aws.elbv2_api import forwarded_groups
from fnship.jsonvalue import JsonObject
from fnship.kinds.base import Context, Kind, function_scoped, known, reading_owner, tag_delta
from fnship.model.address import Address
from fnship.model.resources import Found, Ref, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, Reads, owned, source_arn
from fnship.secret import Secret, reveal

if TYPE_CHECKING:
    from fnship.aws.elbv2_api import TargetGroupAnswer

EVENT_TYPE = "alb"
MULTI_VALUE_HEADERS = "lambda.multi_value_headers.enabled"
# A condition's field -> the key of its configuration (CreateRule takes, and DescribeRules answers, this form).
CONDITION_CONFIGS = {
    "path-pattern": "PathPatternConfig",
    "host-header": "HostHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "http-header": "HttpHeaderConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}


@dataclass(frozen=True)
class HealthCheck:
    """An enabled health check of a lambda target group, with Serverless v3's defaults filled in."""

    path: str
    interval: int
    timeout: int
    healthy: int
    unhealthy: int
    matcher: str  # HTTP codes: "200", "200-299"


@dataclass(frozen=True, kw_only=True)
class AlbTargetGroup(Spec):
    """A lambda target group (its name is the resource's name)."""

    kind: ClassVar[str] = "alb_target_group"
    multi_value_headers: bool
    health_check: HealthCheck | None  # None: off (a lambda target group's default)
    tags: Mapping[str, str]
    arn: str | None = field(default=None, compare=False)  # assigned by ELB: live only


def health_request(check: HealthCheck | None) -> JsonObject:
    if check is None:
        return {"HealthCheckEnabled": False}
    return {
        "HealthCheckEnabled": True,
        "HealthCheckPath": check.path,
        "HealthCheckIntervalSeconds": check.interval,
        "HealthCheckTimeoutSeconds": check.timeout,
        "HealthyThresholdCount": check.healthy,
        "UnhealthyThresholdCount": check.unhealthy,
        "Matcher": {"HttpCode": check.matcher},
    }


def target_group_from_aws(found: TargetGroupAnswer) -> AlbTargetGroup:
    health = None
    if found.get("HealthCheckEnabled"):
        matcher = found.get("Matcher")
        health = HealthCheck(
            path=found.get("HealthCheckPath") or "/",
            interval=found.get("HealthCheckIntervalSeconds") or 0,
            timeout=found.get("HealthCheckTimeoutSeconds") or 0,
            healthy=found.get("HealthyThresholdCount") or 0,
            unhealthy=found.get("UnhealthyThresholdCount") or 0,
            matcher=(matcher.get("HttpCode") if matcher is not None else None) or "",
        )
    return AlbTargetGroup(
        multi_value_headers=found.get("Attributes", {}).get(MULTI_VALUE_HEADERS, "false").lower() == "true",
        health_check=health,
        tags=dict(found.get("Tags") or {}),
        arn=found.get("TargetGroupArn"),
    )


def alb_target_group_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, elb = resource.spec_as(AlbTargetGroup), context.aws.elbv2
    arn = elb.create_target_group(resource.name, health=health_request(spec.health_check), tags=spec.tags)
    if spec.multi_value_headers:
        elb.set_multi_value_headers(arn, True)
    context.outputs[step.address] = {"arn": arn}


def alb_target_group_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, AlbTargetGroup), context.live_spec(step, AlbTargetGroup)
    elb, arn = context.aws.elbv2, known(live.arn, f"the ARN of {step.address}")
    if spec.health_check != live.health_check:
        elb.modify_target_group(arn, health=health_request(spec.health_check))
    if spec.multi_value_headers != live.multi_value_headers:
        elb.set_multi_value_headers(arn, spec.multi_value_headers)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        elb.set_tags(arn, add=add, remove=remove)


def alb_target_group_delete(context: Context, step: Step) -> None:
    context.aws.elbv2.delete_target_group(
        known(context.live_spec(step, AlbTargetGroup).arn, f"the ARN of {step.address}")
    )


@dataclass(frozen=True, kw_only=True)
class AlbListenerRule(Spec):
    """A listener rule forwarding to the event's target group, in which the alias is registered."""

    kind: ClassVar[str] = "alb_listener_rule"
    listener_arn: str
    priority: int
    conditions: tuple[str, ...]  # each Condition as compact JSON, in its config form, values sorted
    target_group_name: str
    target_group: str | Ref  # its ARN (a Ref until the group exists)
    target: str | None  # the alias registered in the group (None: ours is not)
    # The authenticate actions before the forward (provider.alb.authorizers), each as compact JSON with ELB's
    # defaults filled in and without an OIDC client secret, which DescribeRules never answers.
    authenticate: tuple[str, ...] = ()
    client_secrets: tuple[Secret | None, ...] = field(default=(), compare=False)  # each action's OIDC secret
    rule_arn: str | None = field(default=None, compare=False)  # assigned by ELB: live only


# What ELB fills in when an authenticate action leaves it out (its answer carries them).
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateCognitoActionConfig.html
AUTHENTICATE_DEFAULTS: JsonObject = {
    "OnUnauthenticatedRequest": "authenticate",
    "Scope": "openid",
    "SessionCookieName": "AWSELBAuthSessionCookie",
    "SessionTimeout": 604800,
    "AuthenticationRequestExtraParams": {},
}
AUTHENTICATE_CONFIGS = {
    "authenticate-cognito": "AuthenticateCognitoConfig",
    "authenticate-oidc": "AuthenticateOidcConfig",
}


def json_object(value: object) -> JsonObject:
    """A mapping (an AWS answer's, the model's) as plain JSON: what a rule's parts are compared and sent as."""
    loaded = json.loads(json.dumps(value, default=str))
    return loaded if isinstance(loaded, dict) else {}


def normalize_authenticate(action: Mapping[str, object]) -> str:
    """An authenticate action as compared: its type and config with ELB's defaults, no client secret, no order."""
    data = json_object(action)
    kind = str(data.get("Type"))
    written = data.get(AUTHENTICATE_CONFIGS[kind])
    config: JsonObject = {**AUTHENTICATE_DEFAULTS, **(written if isinstance(written, dict) else {})}
    for key in ("ClientSecret", "UseExistingClientSecret"):
        config.pop(key, None)
    timeout = config.get("SessionTimeout")
    config["SessionTimeout"] = int(timeout) if isinstance(timeout, (int, float, str)) else 604800
    return json.dumps({"Type": kind, AUTHENTICATE_CONFIGS[kind]: config}, separators=(",", ":"), sort_keys=True)


def rule_actions(spec: AlbListenerRule, target_group_arn: str) -> list[JsonObject]:
    """The rule's actions in order: each authenticate action (its OIDC client secret put back, or ELB told to
    keep the one it has), then the forward to the target group."""
    actions: list[JsonObject] = []
    secrets = spec.client_secrets or (None,) * len(spec.authenticate)
    for order, (text, secret) in enumerate(zip(spec.authenticate, secrets, strict=True), start=1):
        action = json_object(json.loads(text))
        config = action.get("AuthenticateOidcConfig")
        if isinstance(config, dict):
            if secret is not None:
                config["ClientSecret"] = str(reveal(secret))
            else:
                config["UseExistingClientSecret"] = True
        actions.append({**action, "Order": order})
    forward: JsonObject = {"Type": "forward", "TargetGroupArn": target_group_arn}
    if actions:
        forward["Order"] = len(actions) + 1
    return [*actions, forward]


def normalize_condition(condition: Mapping[str, object]) -> str:
    """A Condition in its config form (`{"Field": ..., "<Field>Config": {...}}`), values sorted, as compact JSON:
    what the model writes and what DescribeRules' answer reads as."""
    data = json_object(condition)
    name = str(data.get("Field"))
    key = CONDITION_CONFIGS.get(name)
    written = data.get(key) if key else None
    config: JsonObject = dict(written) if isinstance(written, dict) else {}
    values = data.get("Values")
    if not config and isinstance(values, list) and values:
        config = {"Values": values}
    listed = config.get("Values")
    if isinstance(listed, list):
        config["Values"] = sorted(listed, key=lambda v: json.dumps(v, sort_keys=True))
    out: JsonObject = {"Field": name}
    if key:
        out[key] = config
    return json.dumps(out, separators=(",", ":"), sort_keys=True)


def alb_listener_rule_create(context: Context, step: Step) -> None:
    spec = context.resolved(context.desired_spec(step, AlbListenerRule))
    elb, group = context.aws.elbv2, str(spec.target_group)
    elb.register_target(group, known(spec.target, f"the target of {step.address}"))
    made = elb.create_rule(
        spec.listener_arn, priority=spec.priority, conditions=[json.loads(c) for c in spec.conditions],
        actions=rule_actions(spec, group),
    )  # fmt: skip
    context.outputs[step.address] = {"rule_arn": made}


def alb_listener_rule_update(context: Context, step: Step) -> None:
    spec = context.resolved(context.desired_spec(step, AlbListenerRule))
    live = context.live_spec(step, AlbListenerRule)
    elb, group = context.aws.elbv2, str(spec.target_group)
    if spec.target != live.target:  # the alias renamed (deployment.alias): the new one in, the old one out
        elb.register_target(group, known(spec.target, f"the target of {step.address}"))
        if live.target:
            elb.deregister_target(str(live.target_group), live.target)
    if (spec.conditions, spec.target_group, spec.authenticate) != (live.conditions, live.target_group,
                                                                   live.authenticate):  # fmt: skip
        elb.modify_rule(
            known(live.rule_arn, f"the ARN of {step.address}"), conditions=[json.loads(c) for c in spec.conditions],
            actions=rule_actions(spec, group),
        )  # fmt: skip


def alb_listener_rule_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, AlbListenerRule)
    elb = context.aws.elbv2
    elb.delete_rule(known(live.rule_arn, f"the ARN of {step.address}"))
    if live.target:
        elb.deregister_target(str(live.target_group), live.target)


def group_of(resource: Resource) -> str:
    scope = resource.in_scope()
    return Address.target_group(scope.function_key, scope.trigger_name)


def rule_depends(resource: Resource) -> tuple[str, ...]:
    scope = resource.in_scope()
    permission = Address.permission(scope.function_key, EVENT_TYPE, scope.trigger_name)
    return (*function_scoped(resource), group_of(resource), permission)


# -- reading live state (read-only) ------------------------------------------------------------------------------


def _group(aws: Reads, *, name: str | None = None, arn: str | None = None) -> TargetGroupAnswer | None:
    """Our target group by name or ARN (ours: it carries the reading's ownership tags)."""
    if arn:
        found = aws.once(("target_group", arn), lambda: aws.elbv2.get_target_group_or_none(arn))
    else:
        assert name is not None
        found = aws.once(("target_group_named", name), lambda: aws.elbv2.find_target_group_or_none(name))
    return found if found is not None and owned(found.get("Tags"), reading_owner(aws)) else None


def read_alb_target_group(aws: Reads, stub: Resource) -> list[Resource]:
    arn = stub.found.arn if stub.found is not None else None
    found = _group(aws, arn=arn) if arn else _group(aws, name=stub.name)
    if found is None:
        return []
    return [Resource.of(stub.address, str(found["TargetGroupName"]), target_group_from_aws(found), scope=stub.scope)]


def read_alb_listener_rule(aws: Reads, stub: Resource) -> list[Resource]:
    want = stub.spec_as(AlbListenerRule)
    rules = aws.once(("listener_rules", want.listener_arn), lambda: aws.elbv2.rules(want.listener_arn))
    marker = f":targetgroup/{want.target_group_name}/"
    for rule in rules:
        if str(rule.get("Priority")) != str(want.priority):
            continue
        groups = [g for g in forwarded_groups(rule) if marker in g]
        if not groups:
            return []  # another rule holds the priority: creating ours fails there, naming it
        found = _group(aws, arn=groups[0])
        scope = stub.in_scope()
        registered = (found or {}).get("Targets") or []
        spec = AlbListenerRule(
            listener_arn=want.listener_arn,
            priority=want.priority,
            conditions=tuple(sorted(normalize_condition(c) for c in rule.get("Conditions") or [])),
            target_group_name=want.target_group_name,
            target_group=groups[0],
            target=scope.alias_arn if scope.alias_arn in registered else (registered[0] if registered else None),
            authenticate=tuple(
                normalize_authenticate(action)
                for action in sorted(rule.get("Actions") or [], key=lambda a: int(a.get("Order") or 0))
                if action.get("Type") in AUTHENTICATE_CONFIGS
            ),
            rule_arn=rule["RuleArn"],
        )
        return [Resource.of(stub.address, stub.name, spec, scope=scope)]
    return []


def discover_target_groups(aws: Reads, on: OnAlias) -> list[Resource]:
    """Target groups holding the alias, from the statements of `alb` events on its policy (SourceArn: the group;
    the rules forwarding to one go when it is deleted)."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == EVENT_TYPE and source and ":targetgroup/" in source:
            group = source.split(":targetgroup/", 1)[1].split("/", 1)[0]
            stubs.append(Resource(Address.target_group(on.function_key, name), "alb_target_group", group,
                                  scope=target.scope(event_type, name), found=Found(arn=source)))  # fmt: skip
    return stubs


TARGET_GROUP_KIND = Kind(
    name="alb_target_group",
    handlers={
        "alb_target_group.create": alb_target_group_create,
        "alb_target_group.update": alb_target_group_update,
        "alb_target_group.delete": alb_target_group_delete,
    },
    replace_on=frozenset({"name"}),
    depends=function_scoped,
    stable_outputs=frozenset({"arn"}),
    read=read_alb_target_group,
    discover_on_alias=discover_target_groups,
)
LISTENER_RULE_KIND = Kind(
    name="alb_listener_rule",
    handlers={
        "alb_listener_rule.create": alb_listener_rule_create,
        "alb_listener_rule.update": alb_listener_rule_update,
        "alb_listener_rule.delete": alb_listener_rule_delete,
    },
    replace_on=frozenset({"listener_arn", "priority"}),
    depends=rule_depends,
    parent=group_of,
    read=read_alb_listener_rule,
)
