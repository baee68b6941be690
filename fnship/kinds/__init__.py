"""Every resource kind fnship manages, in one explicit table (no registration on import).

A kind's module owns its vocabulary: how it is compared, which fields force a replacement, which steps a change
needs and the handlers that carry them out, and what it depends on (see base.Kind). The planner (plan/steps.py)
and the executor read this table; nothing else keeps a per-kind list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fnship.kinds.base import Handler, Kind

    KINDS: dict[str, Kind]
    HANDLERS: dict[str, Handler]


def _kinds() -> dict[str, Kind]:
    """The table: kind name -> its module's Kind, in the order the planner creates them."""
    from fnship.kinds import (
        alarm,
        alb,
        alias,
        api_keys,
        apigateway_account,
        artifact_stores,
        authorizer_permission,
        capacity_provider,
        cognito,
        event_rule,
        event_source_mapping,
        function,
        function_url,
        http_api,
        image,
        invoke_config,
        iot_provisioning_template,
        iot_topic_rule,
        layer,
        log_group,
        permission,
        rest_api,
        rest_authorizer,
        rest_models,
        role,
        s3,
        scheduler,
        sns,
        stack,
        subscription_filter,
        websocket_api,
    )

    return {
        kind.name: kind
        for kind in (
            artifact_stores.DEPLOYMENT_BUCKET_KIND,
            artifact_stores.ECR_REPOSITORY_KIND,
            layer.KIND,
            image.KIND,
            stack.KIND,
            log_group.KIND,
            role.KIND,
            capacity_provider.CAPACITY_PROVIDER_KIND,
            function.KIND,
            alias.KIND,
            capacity_provider.FUNCTION_SCALING_KIND,
            invoke_config.KIND,
            permission.KIND,
            function_url.KIND,
            http_api.HTTP_API_KIND,
            http_api.AUTHORIZER_KIND,
            http_api.ROUTE_KIND,
            websocket_api.API_KIND,
            websocket_api.AUTHORIZER_KIND,
            websocket_api.ROUTE_KIND,
            apigateway_account.KIND,
            rest_api.REST_API_KIND,
            rest_authorizer.KIND,
            authorizer_permission.KIND,
            rest_models.MODEL_KIND,
            rest_models.VALIDATOR_KIND,
            rest_api.METHOD_KIND,
            rest_api.STAGE_KIND,
            api_keys.API_KEY_KIND,
            api_keys.USAGE_PLAN_KIND,
            sns.TOPIC_KIND,
            sns.SUBSCRIPTION_KIND,
            s3.BUCKET_KIND,
            s3.NOTIFICATION_KIND,
            event_rule.KIND,
            subscription_filter.KIND,
            iot_topic_rule.KIND,
            iot_provisioning_template.KIND,
            alb.TARGET_GROUP_KIND,
            alb.LISTENER_RULE_KIND,
            cognito.POOL_KIND,
            cognito.TRIGGER_KIND,
            scheduler.GROUP_KIND,
            scheduler.SCHEDULE_KIND,
            event_source_mapping.KIND,
            alarm.KIND,
        )
    }


def handlers(kinds: dict[str, Kind]) -> dict[str, Handler]:
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
            kinds = _kinds()
            globals().update(KINDS=kinds, HANDLERS=handlers(kinds))
            return globals()[name]
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
