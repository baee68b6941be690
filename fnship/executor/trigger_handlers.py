"""Executor handlers for triggers, their permissions and the shared resources they use (the only code here
that mutates AWS for them). Each reads the desired/live resources from the plan and calls fnship.aws.

An id that only exists once something is created (an API's id, an authorizer's id) comes from the step that
created it (`context.outputs`) or from the live resource the planner read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fnship.errors import AwsError
from fnship.executor.handlers import Context, tag_delta
from fnship.model.resources import Resource, has_ref, resolve_refs
from fnship.plan.diff import Step
from fnship.plan.live_triggers import REVISION_PREFIX

SHARED_ID_ADDRESSES = ("http_api", "rest_api")


def _id(context: Context, address: str, key: str = "id") -> str | None:
    """An id of the resource at `address`: from the step that created it, else from its live state."""
    made = context.outputs.get(address, {}).get(key)
    if made:
        return str(made)
    live = context.plan.live.get(address)
    found = live.extras.get(key) if live else None
    return str(found) if found else None


def _require_id(context: Context, address: str, key: str = "id") -> str:
    found = _id(context, address, key)
    if found is None:
        raise AwsError(resource=address, action="lookup", code="NotFound", detail=f"{address} does not exist")
    return found


def _resolved(context: Context, value: Any) -> Any:
    ids = {address: found for address in SHARED_ID_ADDRESSES if (found := _id(context, address))}
    resolved = resolve_refs(value, ids)
    if has_ref(resolved):
        raise AwsError(resource="plan", action="resolve", code="Unresolved", detail=f"unresolved reference in {value}")
    return resolved


def _going_away(context: Context, address: str) -> bool:
    """True when the shared resource at `address` is deleted by this plan (its parts go with it)."""
    return context.plan.desired.get(address) is None


# Permissions ---------------------------------------------------------------------------------------------------


def permission_request(attrs: Mapping[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"Action": attrs["action"], "Principal": attrs["principal"]}
    if attrs.get("source_arn"):
        request["SourceArn"] = attrs["source_arn"]
    if attrs.get("source_account"):
        request["SourceAccount"] = attrs["source_account"]
    if attrs.get("function_url_auth_type"):
        request["FunctionUrlAuthType"] = attrs["function_url_auth_type"]
    if attrs.get("invoked_via_function_url"):
        request["InvokedViaFunctionUrl"] = True
    return request


def permission_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    extras = resource.extras
    request = permission_request(_resolved(context, resource.attrs))
    api = context.aws.lambda_
    try:
        api.add_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name, request=request)
    except AwsError as exc:
        if exc.code != "ResourceConflictException":
            raise
        # A statement with our id is already there (a run stopped half-way): replace it.
        api.remove_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name)
        api.add_permission(extras["function_name"], qualifier=extras["qualifier"], sid=resource.name, request=request)


def permission_update(context: Context, step: Step) -> None:
    """Lambda has no call to change a statement: remove it and add it again."""
    resource = context.desired(step)
    context.aws.lambda_.remove_permission(
        resource.extras["function_name"], qualifier=resource.extras["qualifier"], sid=resource.name
    )
    permission_create(context, step)


def permission_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.remove_permission(
        live.extras["function_name"], qualifier=live.extras["qualifier"], sid=live.name
    )


# HTTP API ------------------------------------------------------------------------------------------------------


def http_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api = context.aws.http_apis
    created = api.create_api(resource.name, cors=resource.attrs["cors"], tags=resource.attrs["tags"])
    api.ensure_default_stage(created["ApiId"])
    context.outputs[step.address] = {"id": created["ApiId"], "endpoint": created.get("ApiEndpoint")}


def http_api_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    api, api_id = context.aws.http_apis, live.extras["id"]
    if resource.attrs["cors"] != live.attrs["cors"]:
        api.set_cors(api_id, resource.attrs["cors"])
    if not live.attrs["default_stage"]:
        api.ensure_default_stage(api_id)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        api.set_tags(api_id, add=add, remove=remove)


def http_api_delete(context: Context, step: Step) -> None:
    context.aws.http_apis.delete_api(context.live(step).extras["id"])


def _jwt_config(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "IdentitySource": list(attrs["identity_source"]),
        "JwtConfiguration": {"Issuer": attrs["issuer"], "Audience": list(attrs["audience"])},
    }


def http_api_authorizer_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api_id = _require_id(context, "http_api")
    made = context.aws.http_apis.create_jwt_authorizer(api_id, name=resource.name, config=_jwt_config(resource.attrs))
    context.outputs[step.address] = {"authorizer_id": made}


def http_api_authorizer_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    context.aws.http_apis.update_jwt_authorizer(
        live.extras["api_id"], live.extras["authorizer_id"], config=_jwt_config(resource.attrs)
    )


def http_api_authorizer_delete(context: Context, step: Step) -> None:
    if _going_away(context, "http_api"):
        return
    live = context.live(step)
    context.aws.http_apis.delete_authorizer(live.extras["api_id"], live.extras["authorizer_id"])


def _route_settings(context: Context, attrs: Mapping[str, Any], integration_id: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"Target": f"integrations/{integration_id}", "AuthorizationType": "NONE"}
    if attrs["authorizer"]:
        settings.update(
            AuthorizationType="JWT",
            AuthorizerId=_require_id(context, f"http_api.authorizer.{attrs['authorizer']}", "authorizer_id"),
            AuthorizationScopes=list(attrs["scopes"]),
        )
    return settings


def http_api_route_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    api, api_id = context.aws.http_apis, _require_id(context, "http_api")
    integration = api.create_lambda_integration(
        api_id, target_arn=attrs["target"], payload_format=attrs["payload_format"]
    )
    api.create_route(api_id, route_key=attrs["route_key"], settings=_route_settings(context, attrs, integration))


def http_api_route_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    attrs, api = resource.attrs, context.aws.http_apis
    api_id, integration = live.extras["api_id"], live.extras["integration_id"]
    if integration is None:
        integration = api.create_lambda_integration(
            api_id, target_arn=attrs["target"], payload_format=attrs["payload_format"]
        )
    elif (attrs["target"], attrs["payload_format"]) != (live.attrs["target"], live.attrs["payload_format"]):
        api.update_lambda_integration(
            api_id, integration, target_arn=attrs["target"], payload_format=attrs["payload_format"]
        )
    api.update_route(api_id, live.extras["route_id"], settings=_route_settings(context, attrs, integration))


def http_api_route_delete(context: Context, step: Step) -> None:
    if _going_away(context, "http_api"):
        return
    live = context.live(step)
    api = context.aws.http_apis
    api.delete_route(live.extras["api_id"], live.extras["route_id"])
    if live.extras.get("integration_id"):
        api.delete_integration(live.extras["api_id"], live.extras["integration_id"])


# REST API --------------------------------------------------------------------------------------------------------


def _sync_paths(context: Context, api_id: str, want: Mapping[str, Any], have: Mapping[str, Any],
                ids: dict[str, str]) -> None:  # fmt: skip
    """Create the missing paths (parents first) and their preflights; remove the paths no method needs
    (deepest first: deleting a resource deletes its children too)."""
    api = context.aws.rest_apis
    for path in sorted(want, key=lambda p: p.count("/")):
        if path not in ids:
            parent, _, part = path.rpartition("/")
            ids[path] = api.create_resource(api_id, parent_id=ids[parent or "/"], path_part=part)
        if want[path] != have.get(path):
            if want[path]:
                api.put_preflight(api_id, ids[path], headers=want[path])
            elif have.get(path):
                api.delete_method(api_id, ids[path], method="OPTIONS")
    for path in sorted(set(have) - set(want), key=lambda p: -p.count("/")):
        if path in ids:
            api.delete_resource(api_id, ids.pop(path))


def rest_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    api = context.aws.rest_apis
    created = api.create_api(resource.name, endpoint_type=resource.attrs["endpoint_type"], tags=resource.attrs["tags"])
    api_id = created["id"]
    ids = {item["path"]: item["id"] for item in api.get_resources(api_id)}
    _sync_paths(context, api_id, resource.attrs["paths"], {}, ids)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    api_id = live.extras["id"]
    ids = dict(live.extras["resource_ids"])
    _sync_paths(context, api_id, resource.attrs["paths"], live.attrs["paths"], ids)
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.rest_apis.set_tags(api_id, add=add, remove=remove)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_delete(context: Context, step: Step) -> None:
    context.aws.rest_apis.delete_api(context.live(step).extras["id"])


def _resource_id(context: Context, path: str) -> str:
    made = context.outputs.get("rest_api", {}).get("resource_ids")
    live = context.plan.live.get("rest_api")
    ids = made or (live.extras.get("resource_ids") if live else None) or {}
    if path not in ids:
        raise AwsError(resource=f"REST API path {path}", action="lookup", code="NotFound", detail="no such resource")
    return str(ids[path])


def rest_method_put(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    context.aws.rest_apis.put_lambda_method(
        _require_id(context, "rest_api"),
        _resource_id(context, attrs["path"]),
        method=attrs["method"],
        target_arn=attrs["target"],
    )


def rest_method_delete(context: Context, step: Step) -> None:
    if _going_away(context, "rest_api"):
        return
    live = context.live(step)
    context.aws.rest_apis.delete_method(live.extras["api_id"], live.extras["resource_id"], method=live.attrs["method"])


def rest_stage_deploy(context: Context, step: Step) -> None:
    resource = context.desired(step)
    deployment = context.aws.rest_apis.deploy(
        _require_id(context, "rest_api"),
        stage=resource.name,
        description=f"{REVISION_PREFIX}{resource.attrs['revision']}",
    )
    context.outputs[step.address] = {"deployment": deployment}


def rest_stage_delete(context: Context, step: Step) -> None:
    if _going_away(context, "rest_api"):
        return
    live = context.live(step)
    context.aws.rest_apis.delete_stage(live.extras["api_id"], live.name)


# SNS -------------------------------------------------------------------------------------------------------------


def sns_topic_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    arn = context.aws.sns.create_topic(
        resource.name, display_name=resource.attrs["display_name"], tags=resource.attrs["tags"]
    )
    context.outputs[step.address] = {"arn": arn}


def sns_topic_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    arn = live.extras["arn"]
    if resource.attrs["display_name"] != live.attrs["display_name"]:
        context.aws.sns.set_display_name(arn, resource.attrs["display_name"])
    add, remove = tag_delta(live.attrs.get("tags"), resource.attrs["tags"])
    if add or remove:
        context.aws.sns.set_tags(arn, add=add, remove=remove)


def sns_topic_delete(context: Context, step: Step) -> None:
    context.aws.sns.delete_topic(context.live(step).extras["arn"])


def sns_subscription_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    attributes = {}
    if attrs["filter_policy"]:
        attributes = {"FilterPolicy": attrs["filter_policy"], "FilterPolicyScope": attrs["filter_policy_scope"]}
    context.aws.sns.subscribe_lambda(attrs["topic_arn"], attrs["endpoint"], attributes=attributes)


def sns_subscription_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    attrs, arn = resource.attrs, live.extras["subscription_arn"]
    if attrs["endpoint"] != live.attrs["endpoint"]:
        context.aws.sns.unsubscribe(arn)
        sns_subscription_create(context, step)
        return
    if attrs["filter_policy"]:
        context.aws.sns.set_subscription_attribute(arn, "FilterPolicyScope", attrs["filter_policy_scope"])
    # An empty policy removes the filter: https://docs.aws.amazon.com/sns/latest/dg/message-filtering-apply.html
    context.aws.sns.set_subscription_attribute(arn, "FilterPolicy", attrs["filter_policy"] or "{}")


def sns_subscription_delete(context: Context, step: Step) -> None:
    context.aws.sns.unsubscribe(context.live(step).extras["subscription_arn"])


# S3 --------------------------------------------------------------------------------------------------------------


def s3_bucket_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.create_bucket(resource.name, tags=resource.attrs["tags"])


def s3_bucket_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.s3.put_tags(resource.name, resource.attrs["tags"])


def s3_bucket_delete(context: Context, step: Step) -> None:
    context.aws.s3.delete_bucket(context.live(step).name)


def s3_bucket_disown(context: Context, step: Step) -> None:
    """A bucket left in place because it holds objects: its ownership tags go (the plan lists them)."""
    live = context.live(step)
    dropped = {field.path.split(".", 1)[1] for field in context.plan.change(step.address).fields}
    context.aws.s3.put_tags(live.name, {k: v for k, v in live.attrs["tags"].items() if k not in dropped})


def notification_entry(resource: Resource) -> dict[str, Any]:
    attrs = resource.attrs
    entry: dict[str, Any] = {"Id": resource.name, "LambdaFunctionArn": attrs["target"], "Events": list(attrs["events"])}
    if attrs["filter"]:
        rules = [{"Name": name, "Value": value} for name, value in sorted(attrs["filter"].items())]
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def final_notifications(
    configuration: Mapping[str, Any], *, put: list[dict[str, Any]], remove: list[str]
) -> dict[str, Any]:
    """A bucket's notification configuration after our changes: entries with the ids in `remove` (and the old
    copies of those in `put`) taken out, `put` added, every other entry (and topic and queue configuration) kept."""
    dropped = set(remove) | {entry["Id"] for entry in put}
    entries = [e for e in configuration.get("LambdaFunctionConfigurations", []) if e.get("Id") not in dropped]
    entries += put
    final = {key: value for key, value in configuration.items() if key != "LambdaFunctionConfigurations"}
    if entries:
        final["LambdaFunctionConfigurations"] = entries
    return final


def s3_notification_write(context: Context, step: Step) -> None:
    """One write of the bucket's whole configuration (see plan.steps._notification_steps)."""
    bucket = step.detail["bucket"]
    put = [notification_entry(context.plan.desired.get(address)) for address in step.detail["put"]]
    remove = [context.plan.live.get(address).name for address in step.detail["remove"]]
    s3 = context.aws.s3
    configuration = s3.get_notifications_or_none(bucket)
    if configuration is None:
        if not put:
            return  # the bucket is gone, and our entries with it
        raise AwsError(resource=f"bucket {bucket}", action="GetBucketNotificationConfiguration",
                       code="NoSuchBucket", detail="the bucket does not exist")  # fmt: skip
    s3.put_notifications(bucket, final_notifications(configuration, put=put, remove=remove))


# EventBridge ------------------------------------------------------------------------------------------------------


def event_rule_put(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    attrs, events = resource.attrs, context.aws.events
    settings: dict[str, Any] = {"State": attrs["state"], "Description": attrs["description"]}
    if attrs["schedule"]:
        settings["ScheduleExpression"] = attrs["schedule"]
    if attrs["pattern"]:
        settings["EventPattern"] = attrs["pattern"]
    arn = events.put_rule(resource.name, bus=attrs["event_bus"], settings=settings, tags=attrs["tags"])
    moved = live is not None and (live.name, live.attrs["event_bus"]) != (resource.name, attrs["event_bus"])
    if live is not None and not moved:
        # PutRule leaves an existing rule's tags as they are.
        add, remove = tag_delta(live.attrs.get("tags"), attrs["tags"])
        if add or remove:
            events.set_tags(arn, add=add, remove=remove)
    target = {"Id": attrs["target"]["id"], "Arn": attrs["target"]["arn"]}
    if attrs["target"]["input"] is not None:
        target["Input"] = attrs["target"]["input"]
    if attrs["target"]["input_path"] is not None:
        target["InputPath"] = attrs["target"]["input_path"]
    events.put_target(resource.name, bus=attrs["event_bus"], target=target)
    if moved:
        # A rule cannot change its bus or name: the new one is in place, so the old one goes.
        events.delete_rule(live.name, bus=live.attrs["event_bus"])


def event_rule_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.events.delete_rule(live.name, bus=live.attrs["event_bus"])


# Event source mappings -------------------------------------------------------------------------------------------

CREATE_ONLY_MAPPING_FIELDS = ("source_arn", "starting_position", "starting_position_timestamp")


def mapping_request(attrs: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The model's mapping attrs as Create/UpdateEventSourceMapping want them. On update, an unset value is sent
    empty so that removing it from the manifest removes it in AWS."""
    request: dict[str, Any] = {
        "BatchSize": attrs["batch_size"],
        "MaximumBatchingWindowInSeconds": attrs["maximum_batching_window"],
        "FunctionResponseTypes": list(attrs["function_response_types"]),
        "Enabled": attrs["enabled"],
    }
    if attrs["filter_patterns"] or not creating:
        request["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in attrs["filter_patterns"]]}
    if ":sqs:" in attrs["source_arn"]:
        if attrs["maximum_concurrency"] is not None:
            request["ScalingConfig"] = {"MaximumConcurrency": attrs["maximum_concurrency"]}
        elif not creating:
            request["ScalingConfig"] = {}
        return request
    request.update(
        BisectBatchOnFunctionError=attrs["bisect_batch_on_function_error"],
        MaximumRetryAttempts=attrs["maximum_retry_attempts"],
        MaximumRecordAgeInSeconds=attrs["maximum_record_age"],
        ParallelizationFactor=attrs["parallelization_factor"],
    )
    if attrs["tumbling_window"] is not None:
        request["TumblingWindowInSeconds"] = attrs["tumbling_window"]
    if attrs["on_failure"]:
        request["DestinationConfig"] = {"OnFailure": {"Destination": attrs["on_failure"]}}
    elif not creating:
        request["DestinationConfig"] = {"OnFailure": {}}
    if creating:
        request["StartingPosition"] = attrs["starting_position"]
        if attrs["starting_position_timestamp"] is not None:
            request["StartingPositionTimestamp"] = attrs["starting_position_timestamp"]
    return request


def event_source_mapping_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    request = {
        "FunctionName": resource.extras["alias_arn"],
        "EventSourceArn": resource.attrs["source_arn"],
        **mapping_request(resource.attrs, creating=True),
    }
    created = context.aws.lambda_.create_event_source_mapping(request)
    context.outputs[step.address] = {"uuid": created.get("UUID")}


def event_source_mapping_update(context: Context, step: Step) -> None:
    resource, live = context.desired(step), context.live(step)
    changed = {key for key in resource.attrs if resource.attrs[key] != live.attrs.get(key)}
    if changed & set(CREATE_ONLY_MAPPING_FIELDS):
        # Lambda cannot move a mapping to another source or starting position: replace it.
        context.aws.lambda_.delete_event_source_mapping(live.extras["uuid"])
        event_source_mapping_create(context, step)
        return
    request = mapping_request(resource.attrs, creating=False)
    if "function_arn" in changed:
        # Another alias (deployment.alias renamed): the mapping moves and keeps its place in the stream.
        request["FunctionName"] = resource.attrs["function_arn"]
    context.aws.lambda_.update_event_source_mapping(live.extras["uuid"], request)


def event_source_mapping_delete(context: Context, step: Step) -> None:
    context.aws.lambda_.delete_event_source_mapping(context.live(step).extras["uuid"])


# Function URLs and async invoke config ---------------------------------------------------------------------------


def _url_config(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {"AuthType": attrs["auth_type"], "Cors": dict(attrs["cors"] or {}), "InvokeMode": attrs["invoke_mode"]}


def function_url_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    created = context.aws.lambda_.create_function_url(
        resource.extras["function_name"], qualifier=resource.extras["qualifier"], config=_url_config(resource.attrs)
    )
    context.outputs[step.address] = {"url": created.get("FunctionUrl")}


def function_url_update(context: Context, step: Step) -> None:
    resource = context.desired(step)
    context.aws.lambda_.update_function_url(
        resource.extras["function_name"], qualifier=resource.extras["qualifier"], config=_url_config(resource.attrs)
    )


def function_url_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.delete_function_url(live.extras["function_name"], qualifier=live.extras["qualifier"])


def event_invoke_config_put(context: Context, step: Step) -> None:
    resource = context.desired(step)
    attrs = resource.attrs
    destinations = {}
    for key, field in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        if attrs[field]:
            destinations[key] = {"Destination": attrs[field]}
    context.aws.lambda_.put_event_invoke_config(
        resource.extras["function_name"],
        qualifier=resource.extras["qualifier"],
        config={
            "MaximumRetryAttempts": attrs["maximum_retry_attempts"],
            "MaximumEventAgeInSeconds": attrs["maximum_event_age"],
            "DestinationConfig": destinations,
        },
    )


def event_invoke_config_delete(context: Context, step: Step) -> None:
    live = context.live(step)
    context.aws.lambda_.delete_event_invoke_config(live.extras["function_name"], qualifier=live.extras["qualifier"])


HANDLERS: dict[str, Callable[[Context, Step], None]] = {
    "permission.create": permission_create,
    "permission.update": permission_update,
    "permission.delete": permission_delete,
    "http_api.create": http_api_create,
    "http_api.update": http_api_update,
    "http_api.delete": http_api_delete,
    "http_api_authorizer.create": http_api_authorizer_create,
    "http_api_authorizer.update": http_api_authorizer_update,
    "http_api_authorizer.delete": http_api_authorizer_delete,
    "http_api_route.create": http_api_route_create,
    "http_api_route.update": http_api_route_update,
    "http_api_route.delete": http_api_route_delete,
    "rest_api.create": rest_api_create,
    "rest_api.update": rest_api_update,
    "rest_api.delete": rest_api_delete,
    "rest_method.create": rest_method_put,
    "rest_method.update": rest_method_put,
    "rest_method.delete": rest_method_delete,
    "rest_stage.create": rest_stage_deploy,
    "rest_stage.update": rest_stage_deploy,
    "rest_stage.delete": rest_stage_delete,
    "sns_topic.create": sns_topic_create,
    "sns_topic.update": sns_topic_update,
    "sns_topic.delete": sns_topic_delete,
    "sns_subscription.create": sns_subscription_create,
    "sns_subscription.update": sns_subscription_update,
    "sns_subscription.delete": sns_subscription_delete,
    "s3_bucket.create": s3_bucket_create,
    "s3_bucket.update": s3_bucket_update,
    "s3_bucket.delete": s3_bucket_delete,
    "s3_bucket.disown": s3_bucket_disown,
    "s3_notification.write": s3_notification_write,
    "event_rule.create": event_rule_put,
    "event_rule.update": event_rule_put,
    "event_rule.delete": event_rule_delete,
    "event_source_mapping.create": event_source_mapping_create,
    "event_source_mapping.update": event_source_mapping_update,
    "event_source_mapping.delete": event_source_mapping_delete,
    "function_url.create": function_url_create,
    "function_url.update": function_url_update,
    "function_url.delete": function_url_delete,
    "event_invoke_config.create": event_invoke_config_put,
    "event_invoke_config.update": event_invoke_config_put,
    "event_invoke_config.delete": event_invoke_config_delete,
}
