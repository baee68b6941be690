"""Read live triggers, permissions and the shared resources they use, normalized like the desired state; find
the ones the manifest no longer names; warn about sources set up against the function; list endpoints.

Read-only AWS calls: this module never mutates anything. `aws` is the planner's read session (see
plan/live.py `Reads`): calls several readers share (an alias's policy, an API's routes) run once per plan.

Discovery, so a removed or renamed event leaves nothing behind:
- by ownership tags where the service lists them: HTTP and REST APIs (their list calls return tags), SNS
  topics and S3 buckets (Resource Groups Tagging API);
- by the function's own configuration elsewhere: the alias's policy statements (our statement ids,
  `fnship-<type>-<name>`, say which trigger each belongs to, and their SourceArn where it lives), the
  alias's event source mappings, its function URL and its async invoke config.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from fnship.arns import parse_arn
from fnship.kinds import event_rule, event_source_mapping, function_url, invoke_config, permission, s3, sns
from fnship.kinds.base import normalize_cors
from fnship.kinds.rest_api import REVISION_PREFIX
from fnship.model.address import Address
from fnship.model.resources import OWNER_SERVICE_TAG, OWNER_STAGE_TAG, FunctionScope, Resource, State
from fnship.model.triggers import api as api_model
from fnship.model.triggers.buckets import notification_id
from fnship.model.triggers.common import Target, parse_sid, trigger_address
from fnship.model.triggers.sources import source_name

# -- shared reads (memoized per plan) -------------------------------------------------------------------------------


def alias_policy(aws: Any, function: str, qualifier: str) -> list[dict[str, Any]]:
    return aws.once(
        ("policy", function, qualifier), lambda: aws.lambda_.get_policy_statements(function, qualifier=qualifier)
    )


def alias_mappings(aws: Any, alias_arn: str) -> list[dict[str, Any]]:
    return aws.once(("mappings", alias_arn), lambda: aws.lambda_.list_event_source_mappings(alias_arn))


def alias_url(aws: Any, function: str, qualifier: str) -> dict[str, Any] | None:
    return aws.once(
        ("url", function, qualifier), lambda: aws.lambda_.get_function_url_or_none(function, qualifier=qualifier)
    )


def alias_invoke_config(aws: Any, function: str, qualifier: str) -> dict[str, Any] | None:
    return aws.once(
        ("eic", function, qualifier),
        lambda: aws.lambda_.get_event_invoke_config_or_none(function, qualifier=qualifier),
    )


def warm_shared(aws: Any) -> None:
    """Ask for the HTTP and REST APIs at once (discovery and the API readers then find them in the memo)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(aws.once, ("http_apis",), aws.http_apis.list_apis),
                     pool.submit(aws.once, ("rest_apis",), aws.rest_apis.list_apis)]:  # fmt: skip
            done.result()


def _owned(tags: Mapping[str, str] | None, service: str, stage: str) -> bool:
    tags = tags or {}
    return tags.get(OWNER_SERVICE_TAG) == service and tags.get(OWNER_STAGE_TAG) == stage


def _find_api(aws: Any, kind: str, name: str, owner: tuple[str, str]) -> dict[str, Any] | None:
    """Our HTTP or REST API by name, only when it carries our ownership tags (another API may share the name)."""
    if kind == "http":
        apis = aws.once(("http_apis",), aws.http_apis.list_apis)
        found = [a for a in apis if a.get("Name") == name and _owned(a.get("Tags"), *owner)]
    else:
        apis = aws.once(("rest_apis",), aws.rest_apis.list_apis)
        found = [a for a in apis if a.get("name") == name and _owned(a.get("tags"), *owner)]
    return found[0] if found else None


def _owner_of(resource: Resource) -> tuple[str, str]:
    return resource.extras["owner"]


def _http_api_id(aws: Any, resource: Resource) -> str | None:
    if resource.extras.get("api_id"):
        return str(resource.extras["api_id"])
    found = _find_api(aws, "http", resource.extras["api_name"], _owner_of(resource))
    return found["ApiId"] if found else None


def _rest_api_id(aws: Any, resource: Resource) -> str | None:
    if resource.extras.get("api_id"):
        return str(resource.extras["api_id"])
    found = _find_api(aws, "rest", resource.extras["api_name"], _owner_of(resource))
    return found["id"] if found else None


def _routes(aws: Any, api_id: str) -> list[dict[str, Any]]:
    return aws.once(("routes", api_id), lambda: aws.http_apis.get_routes(api_id))


def _integrations(aws: Any, api_id: str) -> dict[str, dict[str, Any]]:
    return aws.once(
        ("integrations", api_id),
        lambda: {i["IntegrationId"]: i for i in aws.http_apis.get_integrations(api_id)},
    )


def _authorizer(aws: Any, api_id: str, authorizer_id: str) -> dict[str, Any] | None:
    return aws.once(
        ("authorizer", api_id, authorizer_id), lambda: aws.http_apis.get_authorizer_or_none(api_id, authorizer_id)
    )


def _rest_resources(aws: Any, api_id: str) -> list[dict[str, Any]]:
    return aws.once(("rest_resources", api_id), lambda: aws.rest_apis.get_resources(api_id))


def _notifications(aws: Any, bucket: str) -> dict[str, Any] | None:
    return aws.once(("notifications", bucket), lambda: aws.s3.get_notifications_or_none(bucket))


# -- permissions --------------------------------------------------------------------------------------------------


def read_permission(aws: Any, resource: Resource) -> list[Resource]:
    scope = resource.in_scope()
    for statement in alias_policy(aws, scope.function_name, scope.alias):
        if statement.get("Sid") == resource.name:
            return [Resource.of(resource.address, resource.name, permission.from_aws(statement), scope=scope)]
    return []


# -- HTTP API -------------------------------------------------------------------------------------------------------


def read_http_api(aws: Any, resource: Resource) -> list[Resource]:
    found = _find_api(aws, "http", resource.name, _owner_of(resource))
    if found is None:
        return []
    api_id = found["ApiId"]
    attrs = {
        "cors": normalize_cors(found.get("CorsConfiguration")),
        "default_stage": aws.http_apis.has_default_stage(api_id),
        "tags": dict(found.get("Tags") or {}),
    }
    extras = {**resource.extras, "id": api_id, "endpoint": found.get("ApiEndpoint")}
    return [Resource(resource.address, "http_api", resource.name, attrs, extras=extras)]


def _authorizer_attrs(found: Mapping[str, Any]) -> dict[str, Any]:
    jwt = found.get("JwtConfiguration") or {}
    return {
        "type": found.get("AuthorizerType"),
        "identity_source": list(found.get("IdentitySource") or []),
        "issuer": jwt.get("Issuer"),
        "audience": sorted(jwt.get("Audience") or []),
    }


def _route_authorizers(aws: Any, api_id: str) -> dict[str, dict[str, Any]]:
    """Authorizer name -> authorizer, for every authorizer a route uses. (Routes are where we find them:
    GetAuthorizers is the other way, which the moto server does not implement.)"""
    found: dict[str, dict[str, Any]] = {}
    for route in _routes(aws, api_id):
        if route.get("AuthorizerId") and route.get("AuthorizationType") == "JWT":
            authorizer = _authorizer(aws, api_id, route["AuthorizerId"])
            if authorizer:
                found[authorizer["Name"]] = authorizer
    return found


def read_http_api_authorizer(aws: Any, resource: Resource) -> list[Resource]:
    api_id = _http_api_id(aws, resource)
    if api_id is None:
        return []
    found = _route_authorizers(aws, api_id).get(resource.name)
    if found is None:
        return []
    extras = {**resource.extras, "api_id": api_id, "authorizer_id": found["AuthorizerId"]}
    return [Resource(resource.address, "http_api_authorizer", resource.name, _authorizer_attrs(found), extras=extras)]


def read_http_api_route(aws: Any, resource: Resource) -> list[Resource]:
    api_id = _http_api_id(aws, resource)
    if api_id is None:
        return []
    integrations = _integrations(aws, api_id)
    for route in _routes(aws, api_id):
        integration = integrations.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
        if not _is_route(resource, route["RouteKey"], integration.get("IntegrationUri")):
            continue
        authorizer = None
        if route.get("AuthorizerId") and route.get("AuthorizationType") == "JWT":
            found = _authorizer(aws, api_id, route["AuthorizerId"])
            authorizer = found["Name"] if found else route["AuthorizerId"]
        attrs = {
            "route_key": route["RouteKey"],
            "target": integration.get("IntegrationUri"),
            "payload_format": integration.get("PayloadFormatVersion"),
            "authorizer": authorizer,
            "scopes": sorted(route.get("AuthorizationScopes") or []),
        }
        extras = {
            **resource.extras,
            "api_id": api_id,
            "route_id": route["RouteId"],
            "integration_id": integration.get("IntegrationId"),
        }
        return [Resource(resource.address, "http_api_route", route["RouteKey"], attrs, extras=extras)]
    return []


def _is_route(resource: Resource, route_key: str, target: str | None) -> bool:
    """A desired route is found by its key; a discovered one (its key unknown) by its name and its target."""
    if resource.name:
        return route_key == resource.name
    if target != resource.extras["alias_arn"]:
        return False
    if route_key == "$default":
        return resource.extras["trigger_name"] == "default"
    method, _, path = route_key.partition(" ")
    return api_model.route_name(method, path) == resource.extras["trigger_name"]


# -- REST API ---------------------------------------------------------------------------------------------------


def read_rest_api(aws: Any, resource: Resource) -> list[Resource]:
    found = _find_api(aws, "rest", resource.name, _owner_of(resource))
    if found is None:
        return []
    api_id = found["id"]
    paths: dict[str, Any] = {}
    ids: dict[str, str] = {}
    for item in _rest_resources(aws, api_id):
        ids[item["path"]] = item["id"]
        if item["path"] == "/":
            continue
        preflight = None
        if "OPTIONS" in (item.get("resourceMethods") or {}):
            preflight = aws.rest_apis.get_preflight_headers(api_id, item["id"])
        paths[item["path"]] = dict(sorted(preflight.items())) if preflight else None
    attrs = {
        "endpoint_type": ((found.get("endpointConfiguration") or {}).get("types") or ["EDGE"])[0],
        "paths": dict(sorted(paths.items())),
        "tags": dict(found.get("tags") or {}),
    }
    extras = {**resource.extras, "id": api_id, "resource_ids": ids}
    return [Resource(resource.address, "rest_api", resource.name, attrs, extras=extras)]


def _integration_target(uri: str | None) -> str | None:
    """`arn:<partition>:apigateway:...:lambda:path/2015-03-31/functions/<function ARN>/invocations` -> the
    function ARN."""
    if not uri or "/functions/" not in uri:
        return uri
    return uri.split("/functions/", 1)[1].removesuffix("/invocations")


def read_rest_method(aws: Any, resource: Resource) -> list[Resource]:
    api_id = _rest_api_id(aws, resource)
    if api_id is None:
        return []
    for item in _rest_resources(aws, api_id):
        for method, spec in (item.get("resourceMethods") or {}).items():
            integration = spec.get("methodIntegration") or {}
            target = _integration_target(integration.get("uri"))
            name = f"{method} {item['path']}"
            if resource.name:
                if name != resource.name:
                    continue
            elif target != resource.extras["alias_arn"] or (
                api_model.route_name(method, item["path"]) != resource.extras["trigger_name"]
            ):
                continue
            attrs = {"method": method, "path": item["path"], "integration": integration.get("type"), "target": target}
            extras = {**resource.extras, "api_id": api_id, "resource_id": item["id"]}
            return [Resource(resource.address, "rest_method", name, attrs, extras=extras)]
    return []


def read_rest_stage(aws: Any, resource: Resource) -> list[Resource]:
    api_id = _rest_api_id(aws, resource)
    if api_id is None:
        return []
    stage = aws.rest_apis.get_stage_or_none(api_id, resource.name)
    if stage is None:
        return []
    deployment = aws.rest_apis.get_deployment_or_none(api_id, stage.get("deploymentId", ""))
    description = (deployment or {}).get("description") or ""
    revision = description.removeprefix(REVISION_PREFIX) if description.startswith(REVISION_PREFIX) else None
    extras = {**resource.extras, "api_id": api_id}
    return [Resource(resource.address, "rest_stage", resource.name, {"revision": revision}, extras=extras)]


# -- SNS, S3, EventBridge ---------------------------------------------------------------------------------------------


def read_sns_topic(aws: Any, resource: Resource) -> list[Resource]:
    found = aws.sns.get_topic_or_none(resource.extras["arn"])
    if found is None:
        return []
    attrs = {"display_name": found["Attributes"].get("DisplayName", ""), "tags": found["Tags"]}
    return [Resource(resource.address, "sns_topic", resource.name, attrs, extras=resource.extras)]


def read_sns_subscription(aws: Any, resource: Resource) -> list[Resource]:
    scope = resource.in_scope()
    found = aws.sns.find_subscription_or_none(resource.name, scope.alias_arn)
    if found is None:
        return []
    spec = sns.subscription_from_aws(found, topic_arn=resource.name, endpoint=scope.alias_arn)
    return [Resource.of(resource.address, resource.name, spec, scope=scope)]


def read_s3_bucket(aws: Any, resource: Resource) -> list[Resource]:
    tags = aws.s3.get_bucket_tags_or_none(resource.name)
    if tags is None:
        return []
    if not _owned(tags, *_owner_of(resource)):
        from fnship.errors import FnError

        raise FnError(
            f"bucket {resource.name} exists and is not owned by this service and stage",
            hint="add `existing: true` to the s3 event to use the bucket as it is, or choose another bucket name",
        )
    return [Resource(resource.address, "s3_bucket", resource.name, {"tags": tags}, extras=resource.extras)]


def read_s3_notification(aws: Any, resource: Resource) -> list[Resource]:
    # A desired entry names its bucket; a discovered one was found by its permission's SourceArn.
    bucket = resource.spec_as(s3.Notification).bucket if resource.spec is not None else resource.extras["bucket"]
    configuration = _notifications(aws, bucket)
    for entry in (configuration or {}).get("LambdaFunctionConfigurations", []):
        if entry.get("Id") == resource.name:
            spec = s3.notification_from_aws(entry, bucket=bucket)
            return [Resource.of(resource.address, resource.name, spec, scope=resource.scope)]
    return []


def read_event_rule(aws: Any, resource: Resource) -> list[Resource]:
    # A desired rule names its bus; a discovered one was found by its permission's SourceArn.
    bus = (
        resource.spec_as(event_rule.EventRule).event_bus if resource.spec is not None else resource.extras["event_bus"]
    )
    found = aws.events.get_rule_or_none(resource.name, bus=bus)
    if found is None:
        return []
    return [Resource.of(resource.address, resource.name, event_rule.from_aws(found), scope=resource.scope)]


# -- on the function: mappings, URL, async config ----------------------------------------------------------------------


def read_event_source_mapping(aws: Any, resource: Resource) -> list[Resource]:
    scope = resource.in_scope()
    for mapping in alias_mappings(aws, scope.alias_arn):
        if mapping.get("EventSourceArn") == resource.name:
            spec = event_source_mapping.from_aws(mapping, function_arn=scope.alias_arn)
            return [Resource.of(resource.address, resource.name, spec, scope=scope)]
    return []


def read_function_url(aws: Any, resource: Resource) -> list[Resource]:
    scope = resource.in_scope()
    found = alias_url(aws, scope.function_name, scope.alias)
    if found is None:
        return []
    return [Resource.of(resource.address, resource.name, function_url.from_aws(found), scope=scope)]


def read_event_invoke_config(aws: Any, resource: Resource) -> list[Resource]:
    scope = resource.in_scope()
    found = alias_invoke_config(aws, scope.function_name, scope.alias)
    if found is None:
        return []
    return [Resource.of(resource.address, resource.name, invoke_config.from_aws(found), scope=scope)]


READERS: dict[str, Callable[[Any, Resource], list[Resource]]] = {
    "permission": read_permission,
    "http_api": read_http_api,
    "http_api_authorizer": read_http_api_authorizer,
    "http_api_route": read_http_api_route,
    "rest_api": read_rest_api,
    "rest_method": read_rest_method,
    "rest_stage": read_rest_stage,
    "sns_topic": read_sns_topic,
    "sns_subscription": read_sns_subscription,
    "s3_bucket": read_s3_bucket,
    "s3_notification": read_s3_notification,
    "event_rule": read_event_rule,
    "event_source_mapping": read_event_source_mapping,
    "function_url": read_function_url,
    "event_invoke_config": read_event_invoke_config,
}


# -- discovery ----------------------------------------------------------------------------------------------------


def discover_function(aws: Any, *, service: str, stage: str, key: str, function_arn: str, alias: str) -> list[Resource]:
    """Stubs for every trigger, permission and async config found on one alias of an owned function."""
    _arn, _partition, _service, region, account_id, rest = function_arn.split(":", 5)
    function_name = rest.removeprefix("function:")
    target = Target(service, stage, region, account_id, key, function_name, alias, 0, {})
    stubs: list[Resource] = []

    def stub(address: str, kind: str, name: str, scope: FunctionScope, **extras: Any) -> None:
        stubs.append(Resource(address, kind, name, {}, extras=extras, scope=scope))

    for statement in alias_policy(aws, function_name, alias):
        parsed = parse_sid(str(statement.get("Sid", "")))
        if parsed is None:
            continue
        event_type, name = parsed
        scope = target.scope(event_type, name)
        stub(Address.permission(key, event_type, name), "permission", statement["Sid"], scope)
        source = permission.from_aws(statement).source_arn
        trigger = _trigger_from_source(event_type, str(source or ""), service=service, stage=stage, key=key, name=name)
        if trigger is not None:
            kind, physical, extras = trigger
            stub(trigger_address(target, event_type, name), kind, physical, scope,
                 **target.extras(event_type, name), **extras)  # fmt: skip
    for mapping in alias_mappings(aws, target.alias_arn):
        source = mapping["EventSourceArn"]
        event_type = "sqs" if ":sqs:" in source else "stream"
        name = source_name(source)
        stub(trigger_address(target, event_type, name), "event_source_mapping", source, target.scope(event_type, name))
    if alias_url(aws, function_name, alias) is not None:
        stub(trigger_address(target, "url", alias), "function_url", alias, target.scope("url", alias))
    if alias_invoke_config(aws, function_name, alias) is not None:
        stub(Address.invoke_config(key), "event_invoke_config", alias, target.scope())
    return stubs


def _trigger_from_source(
    event_type: str, source: str | None, *, service: str, stage: str, key: str, name: str
) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, physical name, reader extras) of the trigger a permission statement serves, from its SourceArn."""
    if not source:
        return None
    if event_type in ("httpApi", "http"):
        api_id = source.split(":", 5)[5].split("/", 1)[0]
        kind = "http_api_route" if event_type == "httpApi" else "rest_method"
        return kind, "", {"api_id": api_id}
    if event_type == "sns":
        return "sns_subscription", source, {}
    if event_type == "s3":
        bucket = source.split(":::", 1)[1]
        entry = notification_id(service=service, stage=stage, function_key=key, name=name)
        return "s3_notification", entry, {"bucket": bucket}
    if event_type in ("schedule", "eventBridge"):
        path = source.split(":rule/", 1)[1]
        bus, _, rule = path.rpartition("/")
        return "event_rule", rule, {"event_bus": bus or None}
    return None


def discover_shared(aws: Any, *, service: str, stage: str, tagged: Mapping[str, Mapping[str, str]]) -> list[Resource]:
    """Stubs for the owned HTTP API (and the authorizers its routes use), REST API and its stage, SNS topics and
    S3 buckets."""
    owner = (service, stage)
    name = api_model.api_name(service=service, stage=stage)
    stubs: list[Resource] = []
    http = _find_api(aws, "http", name, owner)
    if http is not None:
        stubs.append(Resource(api_model.HTTP_API, "http_api", name, {}, extras={"owner": owner, "api_name": name}))
        for authorizer in _route_authorizers(aws, http["ApiId"]):
            stubs.append(
                Resource(Address.http_api_authorizer(authorizer), "http_api_authorizer", authorizer, {},
                         extras={"owner": owner, "api_name": name, "api_id": http["ApiId"]})
            )  # fmt: skip
    rest = _find_api(aws, "rest", name, owner)
    if rest is not None:
        extras = {"owner": owner, "api_name": name}
        stubs.append(Resource(api_model.REST_API, "rest_api", name, {}, extras=extras))
        stubs.append(Resource(Address.rest_stage(stage), "rest_stage", stage, {}, extras=extras))
    for arn in tagged:
        parts = parse_arn(arn)
        if parts is None:
            continue
        if parts.service == "sns":
            topic = parts.resource
            stubs.append(Resource(Address.topic(topic), "sns_topic", topic, {}, extras={"arn": arn}))
        elif parts.service == "s3" and "/" not in parts.resource:
            bucket = parts.resource
            stubs.append(Resource(Address.bucket(bucket), "s3_bucket", bucket, {}, extras={"owner": owner}))
    return stubs


# -- warnings ---------------------------------------------------------------------------------------------------------

SOURCE_READ_WORKERS = 16
VISIBILITY_FACTOR = 6  # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html


def source_warnings(aws: Any, desired: State) -> list[str]:
    """Problems with sources we use but do not own, worth a warning before deploying. The queues are asked
    concurrently (their URL, then their visibility timeout: two rounds whatever their number)."""
    from concurrent.futures import ThreadPoolExecutor

    queues = [r for r in desired.of_kind("event_source_mapping") if ":sqs:" in r.name]

    def visibility(resource: Resource) -> int | None:
        return aws.once(("visibility", resource.name), lambda: aws.sqs.visibility_timeout_or_none(resource.name))

    with ThreadPoolExecutor(max_workers=SOURCE_READ_WORKERS) as pool:
        timeouts = list(pool.map(visibility, queues))
    warnings = []
    for resource, visibility_s in zip(queues, timeouts, strict=True):
        function = desired.get(Address.function(resource.in_scope().function_key))
        timeout = function.attrs["timeout"] if function else None
        if timeout and visibility_s is not None and visibility_s < VISIBILITY_FACTOR * timeout:
            warnings.append(
                f"{resource.address}: queue {resource.name.rsplit(':', 1)[1]} has a visibility timeout of "
                f"{visibility_s} s, below six times the function timeout ({VISIBILITY_FACTOR} x {timeout} s = "
                f"{VISIBILITY_FACTOR * timeout} s): messages may be handled twice "
                "(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html)"
            )
    return warnings


# -- endpoints ---------------------------------------------------------------------------------------------------------


def read_endpoints(
    aws: Any,
    *,
    service: str,
    stage: str,
    region: str,
    functions: list[tuple[str, str, str]],
    apis: Collection[str] = ("http_api", "rest_api"),
    urls: Collection[str] | None = None,
) -> dict[str, Any]:
    """Every way in: the HTTP API's URL and routes, the REST API's URL and methods, each function URL.
    `functions` are (key, physical name, alias); `apis` the kinds of API to look for, `urls` the keys of the
    functions to ask for a URL (all when None)."""
    owner = (service, stage)
    name = api_model.api_name(service=service, stage=stage)
    by_alias = {f"{fname}:{alias}": key for key, fname, alias in functions}
    result: dict[str, Any] = {"http_api": None, "rest_api": None, "function_urls": {}}
    http = _find_api(aws, "http", name, owner) if "http_api" in apis else None
    if http is not None:
        integrations = _integrations(aws, http["ApiId"])
        routes = []
        for route in sorted(_routes(aws, http["ApiId"]), key=lambda r: r["RouteKey"]):
            target = integrations.get(str(route.get("Target", "")).removeprefix("integrations/"), {})
            uri = str(target.get("IntegrationUri", ""))
            routes.append({"route": route["RouteKey"], "function": by_alias.get(_function_alias(uri))})
        endpoint = http.get("ApiEndpoint") or f"https://{http['ApiId']}.execute-api.{region}.amazonaws.com"
        result["http_api"] = {"id": http["ApiId"], "url": endpoint, "routes": routes}
    rest = _find_api(aws, "rest", name, owner) if "rest_api" in apis else None
    if rest is not None:
        methods = []
        for item in sorted(_rest_resources(aws, rest["id"]), key=lambda r: r["path"]):
            for method, spec in sorted((item.get("resourceMethods") or {}).items()):
                integration = _integration_target((spec.get("methodIntegration") or {}).get("uri"))
                if method == "OPTIONS" and not integration:
                    continue
                function = by_alias.get(_function_alias(integration))
                methods.append({"route": f"{method} {item['path']}", "function": function})
        result["rest_api"] = {
            "id": rest["id"],
            "url": f"https://{rest['id']}.execute-api.{region}.amazonaws.com/{stage}",
            "routes": methods,
        }
    for key, fname, alias in functions:
        if urls is not None and key not in urls:
            continue
        found = alias_url(aws, fname, alias)
        if found is not None:
            result["function_urls"][key] = found.get("FunctionUrl")
    return result


def _function_alias(arn: str | None) -> str:
    """`arn:<partition>:lambda:r:a:function:NAME:ALIAS` -> `NAME:ALIAS`."""
    if not arn or ":function:" not in arn:
        return ""
    return arn.split(":function:", 1)[1]
