"""Every resource kind fnship manages, in one explicit table (no registration on import).

A kind's module owns its vocabulary: how it is compared, which fields force a replacement, which steps a change
needs and the handlers that carry them out, and what it depends on (see base.Kind). The planner (plan/steps.py)
and the executor read this table; nothing else keeps a per-kind list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fnship.kinds.base import Handler, Kind

    KINDS: Mapping[str, Kind]
    HANDLERS: dict[str, Handler]


# Kind name -> where its Kind is (`module:attribute` in this package), in the order the planner creates them.
TABLE: tuple[tuple[str, str], ...] = (
    ("deployment_bucket", "artifact_stores:DEPLOYMENT_BUCKET_KIND"),
    ("ecr_repository", "artifact_stores:ECR_REPOSITORY_KIND"),
    ("layer", "layer:KIND"),
    ("image", "image:KIND"),
    ("stack", "stack:KIND"),
    ("log_group", "log_group:KIND"),
    ("role", "role:KIND"),
    ("capacity_provider", "capacity_provider:CAPACITY_PROVIDER_KIND"),
    ("function", "function:KIND"),
    ("alias", "alias:KIND"),
    ("function_scaling", "capacity_provider:FUNCTION_SCALING_KIND"),
    ("event_invoke_config", "invoke_config:KIND"),
    ("permission", "permission:KIND"),
    ("function_url", "function_url:KIND"),
    ("http_api", "http_api:HTTP_API_KIND"),
    ("http_api_authorizer", "http_api:AUTHORIZER_KIND"),
    ("http_api_route", "http_api:ROUTE_KIND"),
    ("websocket_api", "websocket_api:API_KIND"),
    ("websocket_authorizer", "websocket_api:AUTHORIZER_KIND"),
    ("websocket_route", "websocket_api:ROUTE_KIND"),
    ("apigateway_account", "apigateway_account:KIND"),
    ("rest_api", "rest_api:REST_API_KIND"),
    ("rest_authorizer", "rest_authorizer:KIND"),
    ("authorizer_permission", "authorizer_permission:KIND"),
    ("rest_model", "rest_models:MODEL_KIND"),
    ("rest_validator", "rest_models:VALIDATOR_KIND"),
    ("rest_method", "rest_api:METHOD_KIND"),
    ("rest_stage", "rest_api:STAGE_KIND"),
    ("api_key", "api_keys:API_KEY_KIND"),
    ("usage_plan", "api_keys:USAGE_PLAN_KIND"),
    ("sns_topic", "sns:TOPIC_KIND"),
    ("sns_subscription", "sns:SUBSCRIPTION_KIND"),
    ("s3_bucket", "s3:BUCKET_KIND"),
    ("s3_notification", "s3:NOTIFICATION_KIND"),
    ("event_rule", "event_rule:KIND"),
    ("subscription_filter", "subscription_filter:KIND"),
    ("iot_topic_rule", "iot_topic_rule:KIND"),
    ("iot_provisioning_template", "iot_provisioning_template:KIND"),
    ("alb_target_group", "alb:TARGET_GROUP_KIND"),
    ("alb_listener_rule", "alb:LISTENER_RULE_KIND"),
    ("cognito_user_pool", "cognito:POOL_KIND"),
    ("cognito_trigger", "cognito:TRIGGER_KIND"),
    ("schedule_group", "scheduler:GROUP_KIND"),
    ("schedule", "scheduler:SCHEDULE_KIND"),
    ("event_source_mapping", "event_source_mapping:KIND"),
    ("alarm", "alarm:KIND"),
)


class Kinds(Mapping[str, "Kind"]):
    """The table as a read-only mapping whose entries import their module when first asked for: a plan imports
    the kinds its resources are of (a one-function service: some eight of 46), not every kind (~50 ms); iterating
    the values (discovery, every kind's lookups) imports them all."""

    def __init__(self, table: tuple[tuple[str, str], ...]) -> None:
        self._where = dict(table)
        self._loaded: dict[str, Kind] = {}

    def __getitem__(self, name: str) -> Kind:
        kind = self._loaded.get(name)
        if kind is None:
            import importlib

            module, _, attribute = self._where[name].partition(":")
            kind = getattr(importlib.import_module(f"fnship.kinds.{module}"), attribute)
            assert kind.name == name, f"kinds table: {name} is {kind.name} in fnship.kinds.{module}"
            self._loaded[name] = kind
        return kind

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def handlers(kinds: Mapping[str, Kind]) -> dict[str, Handler]:
    """Step type -> handler, over every kind; a step type claimed twice is a programming error."""
    table: dict[str, Handler] = {}
    for kind in kinds.values():
        for step_type, handler in kind.handlers.items():
            assert step_type not in table, f"step type {step_type} has two handlers"
            table[step_type] = handler
    return table


if not TYPE_CHECKING:  # the type checker reads KINDS and HANDLERS above; any other name stays an error to it

    def __getattr__(name: str) -> object:
        """KINDS and HANDLERS, built on first use (PEP 562): importing one kind's module (as the triggers do) runs
        this package's __init__ first, and the kinds' modules import the model, the planner's helpers and the
        release strategies, which loading a manifest and packaging never need (bench/bench_startup.py)."""
        if name in ("KINDS", "HANDLERS"):
            if name == "KINDS":
                globals()["KINDS"] = Kinds(TABLE)
            else:
                globals()["HANDLERS"] = handlers(__getattr__("KINDS"))
            return globals()[name]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
