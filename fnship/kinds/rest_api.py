"""The REST API kinds: `rest_api` (one per service and stage, with its path tree and CORS preflights), each
function's methods (`rest_method`, a Lambda proxy integration to the alias) and the stage (`rest_stage`): a
change to a REST API is live only once deployed, so the stage deploys after every method change, deletions too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from fnship.errors import AwsError
from fnship.jsonvalue import JsonMapping, JsonValue
from fnship.kinds.base import (
    Context,
    Kind,
    api_id_of,
    compact_json,
    function_scoped,
    known,
    reading_owner,
    service_api,
    tag_delta,
)
from fnship.model.address import Address
from fnship.model.resources import Found, Resource, Spec
from fnship.plan.diff import Step
from fnship.plan.reads import OnAlias, owned, source_arn

if TYPE_CHECKING:
    from mypy_boto3_apigateway.type_defs import (
        DeploymentResponseTypeDef,
        MethodTypeDef,
        ResourceTypeDef,
        RestApiResponseTypeDef,
        StageResponseTypeDef,
    )

    from fnship.plan.reads import Reads

REST_API = Address.rest_api()
REVISION_PREFIX = "fnship revision "
Preflight = Mapping[str, str]  # an OPTIONS mock integration's response headers, as API Gateway stores them
# A preflight's response template, kept among its headers under this key (no header is named so): the template that
# answers a request's own Origin when it is one of several allowed (triggers/rest.py `origin_template`).
PREFLIGHT_RESPONSE_TEMPLATE = "$template"


@dataclass(frozen=True, kw_only=True)
class RestApi(Spec):
    """The service's REST API (its name is the resource's name) with its path tree and CORS preflights."""

    kind: ClassVar[str] = "rest_api"
    endpoint_type: str  # EDGE | REGIONAL | PRIVATE
    paths: Mapping[str, Preflight | None]  # every path but `/`, sorted, with its preflight (None: none)
    tags: Mapping[str, str]
    title: str | None = None  # its name (`{stage}-{service}`, or `{service}-{stage}`): renamed in place
    description: str | None = None
    binary_media_types: tuple[str, ...] = ()  # sorted
    minimum_compression_size: int | None = None  # None: compression off
    policy: str | None = None  # the resource policy (compact JSON)
    # provider.apiGateway.restApiId: an existing API (fnship adds the paths its methods need, and neither changes
    # the API's settings nor deletes the API or a path), its root resource and the paths v3 is told it has.
    existing_id: str | None = None
    root_id: str | None = field(default=None, compare=False)
    known_ids: Mapping[str, str] = field(default_factory=dict, compare=False)
    # Assigned by API Gateway: live only.
    id: str | None = field(default=None, compare=False)
    resource_ids: Mapping[str, str] = field(default_factory=dict, compare=False)  # path -> resource id


def preflight_of(found: tuple[dict[str, str], str | None] | None) -> dict[str, str] | None:
    """GetIntegrationResponse's headers and template of a preflight as the Preflight compared."""
    if found is None:
        return None
    headers, template = found
    return {**headers, PREFLIGHT_RESPONSE_TEMPLATE: template} if template else headers


def rest_api_from_aws(
    found: RestApiResponseTypeDef, items: Sequence[ResourceTypeDef], preflights: Mapping[str, Preflight | None]
) -> RestApi:
    """GetRestApi's answer, its GetResources items and the preflight headers of each resource that has an
    OPTIONS method (by resource id) as the spec."""
    paths = {
        item["path"]: dict(sorted(preflight.items())) if (preflight := preflights.get(item["id"])) else None
        for item in items
        if item["path"] != "/"
    }
    return RestApi(
        endpoint_type=((found.get("endpointConfiguration") or {}).get("types") or ["EDGE"])[0],
        paths=dict(sorted(paths.items())),
        tags=dict(found.get("tags") or {}),
        title=found.get("name"),
        description=found.get("description") or None,
        binary_media_types=tuple(sorted(found.get("binaryMediaTypes") or [])),
        minimum_compression_size=found.get("minimumCompressionSize"),
        policy=stored_policy(found.get("policy")),
        id=found["id"],
        resource_ids={item["path"]: item["id"] for item in items},
    )


def stored_policy(text: str | None) -> str | None:
    """The resource policy GetRestApi answers in the model's spelling (compact JSON, sorted keys). AWS answers it
    with its quotes escaped (`{\\"Version\\": ...}`), which is not JSON until they are unescaped."""
    if not text:
        return None
    escaped = '\\"' in text
    return compact_json(text.replace('\\"', '"') if escaped else text)


def api_settings_patch(want: RestApi, have: RestApi) -> list[dict[str, str]]:
    """UpdateRestApi's patch operations from `have` to `want` (name, description, compression, policy, binary
    media types: each added or removed by its own path, `/` written `~1`).
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html"""
    operations = []
    for key, path in (("title", "/name"), ("description", "/description"), ("policy", "/policy")):
        if getattr(want, key) != getattr(have, key):
            operations.append({"op": "replace", "path": path, "value": getattr(want, key) or ""})
    if want.minimum_compression_size != have.minimum_compression_size:
        value = "" if want.minimum_compression_size is None else str(want.minimum_compression_size)
        operations.append({"op": "replace", "path": "/minimumCompressionSize", "value": value})
    for kind in sorted(set(want.binary_media_types) - set(have.binary_media_types)):
        operations.append({"op": "add", "path": "/binaryMediaTypes/" + kind.replace("/", "~1")})
    for kind in sorted(set(have.binary_media_types) - set(want.binary_media_types)):
        operations.append({"op": "remove", "path": "/binaryMediaTypes/" + kind.replace("/", "~1")})
    return operations


def sync_paths(context: Context, api_id: str, want: Mapping[str, Preflight | None],
               have: Mapping[str, Preflight | None], ids: dict[str, str]) -> None:  # fmt: skip
    """Create the missing paths (parents first) and their preflights; remove the paths no method needs
    (deepest first: deleting a resource deletes its children too)."""
    api = context.aws.rest_apis
    for path in sorted(want, key=lambda p: p.count("/")):
        if path not in ids:
            parent, _, part = path.rpartition("/")
            ids[path] = api.create_resource(api_id, parent_id=ids[parent or "/"], path_part=part)
        preflight = want[path]
        if preflight != have.get(path):
            if preflight:
                headers = {name: value for name, value in preflight.items() if name != PREFLIGHT_RESPONSE_TEMPLATE}
                api.put_preflight(
                    api_id, ids[path], headers=headers, template=preflight.get(PREFLIGHT_RESPONSE_TEMPLATE)
                )
            elif have.get(path):
                api.delete_method(api_id, ids[path], method="OPTIONS")
    for path in sorted(set(have) - set(want), key=lambda p: -p.count("/")):
        if path in ids:
            api.delete_resource(api_id, ids.pop(path))


def existing_api_ids(api_id: str, spec: RestApi, items: Sequence[ResourceTypeDef]) -> dict[str, str]:
    """Path -> resource id on an existing API: what it has, the root and paths the manifest names included."""
    ids = {item["path"]: item["id"] for item in items}
    ids.update(spec.known_ids)
    if spec.root_id:
        ids["/"] = spec.root_id
    return ids


def rest_api_create(context: Context, step: Step) -> None:
    resource = context.desired(step)
    spec, api = resource.spec_as(RestApi), context.aws.rest_apis
    if spec.existing_id:  # the methods go on it: only the paths they need are added
        ids = existing_api_ids(spec.existing_id, spec, api.get_resources(spec.existing_id))
        sync_paths(context, spec.existing_id, spec.paths, {}, ids)
        context.outputs[step.address] = {"id": spec.existing_id, "resource_ids": ids}
        return
    settings: dict[str, JsonValue] = {"description": spec.description, "policy": spec.policy,
                                "minimumCompressionSize": spec.minimum_compression_size,
                                "binaryMediaTypes": list(spec.binary_media_types) or None}  # fmt: skip
    created = api.create_api(resource.name, endpoint_type=spec.endpoint_type, tags=spec.tags,
                             settings={k: v for k, v in settings.items() if v is not None})  # fmt: skip
    api_id = created["id"]
    ids = {item["path"]: item["id"] for item in api.get_resources(api_id)}
    sync_paths(context, api_id, spec.paths, {}, ids)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_update(context: Context, step: Step) -> None:
    spec, live = context.desired_spec(step, RestApi), context.live_spec(step, RestApi)
    api_id = known(live.id, f"the id of {step.address}")
    ids = dict(live.resource_ids)
    if spec.existing_id:  # never its settings, tags or other paths (`live.paths` holds only the desired ones)
        sync_paths(context, api_id, spec.paths, live.paths, ids)
        context.outputs[step.address] = {"id": api_id, "resource_ids": ids}
        return
    operations = api_settings_patch(replace(spec, title=spec.title or live.title), live)
    if operations:
        context.aws.rest_apis.update_api(api_id, operations=operations)
    sync_paths(context, api_id, spec.paths, live.paths, ids)
    add, remove = tag_delta(live.tags, spec.tags)
    if add or remove:
        context.aws.rest_apis.set_tags(api_id, add=add, remove=remove)
    context.outputs[step.address] = {"id": api_id, "resource_ids": ids}


def rest_api_delete(context: Context, step: Step) -> None:
    if context.live_spec(step, RestApi).existing_id:
        return  # not ours to delete (discovery never plans it; a manifest switching to its own API may)
    context.aws.rest_apis.delete_api(known(context.live_spec(step, RestApi).id, f"the id of {step.address}"))


def resource_id(context: Context, path: str) -> str:
    made = context.outputs.get(REST_API, {}).get("resource_ids")
    live = context.plan.live.get(REST_API)
    ids = made if isinstance(made, Mapping) and made else (live.spec_as(RestApi).resource_ids if live else None) or {}
    if path not in ids:
        raise AwsError(resource=f"REST API path {path}", action="lookup", code="NotFound", detail="no such resource")
    return str(ids[path])


@dataclass(frozen=True, kw_only=True)
class RestMethod(Spec):
    """A method of the service's REST API (`GET /items/{id}` is its name) with its integration to the alias: the
    Lambda proxy (`AWS_PROXY`) or, for `integration: lambda`, a Lambda integration (`AWS`) with request templates
    and one response per status code; its authorization, API key and request parameters."""

    kind: ClassVar[str] = "rest_method"
    method: str
    path: str
    integration: str | None  # AWS_PROXY | AWS
    target: str | None  # the alias ARN the integration invokes
    authorization: str = "NONE"  # NONE | AWS_IAM | CUSTOM | COGNITO_USER_POOLS
    authorizer: str | None = None  # the name of the API's authorizer (rest_api.authorizer.<name>)
    scopes: tuple[str, ...] = ()  # sorted
    api_key_required: bool = False
    request_parameters: Mapping[str, bool] = field(default_factory=dict)  # method.request.<where>.<name> -> required
    request_models: Mapping[str, str] = field(default_factory=dict)  # content type -> model name (request.schemas)
    validated: bool = False  # checked by the API's request validator (body and parameters)
    request_templates: Mapping[str, str] = field(default_factory=dict)  # AWS only: content type -> template
    pass_through: str | None = None  # AWS only: NEVER | WHEN_NO_MATCH | WHEN_NO_TEMPLATES
    # AWS only: status code -> {"pattern": selection pattern, "templates": {...}, "headers": {header: value}}
    responses: Mapping[str, JsonMapping] = field(default_factory=dict)
    transfer_mode: str = "BUFFERED"  # STREAM: invoked with InvokeWithResponseStream, the answer streamed
    # Assigned by API Gateway: live only.
    api_id: str | None = field(default=None, compare=False)
    resource_id: str | None = field(default=None, compare=False)


def method_from_aws(found: MethodTypeDef, *, path: str, authorizer: str | None, api_id: str,
                    resource_id: str) -> RestMethod:  # fmt: skip
    """A GetResources item's embedded method as the spec; `authorizer` is the name of its authorizer."""
    integration = found.get("methodIntegration") or {}
    lambda_integration = integration.get("type") == "AWS"
    responses: dict[str, JsonMapping] = {
        status: {
            "pattern": response.get("selectionPattern") or "",
            "templates": dict(sorted((response.get("responseTemplates") or {}).items())),
            "headers": {
                name.removeprefix(HEADER_PARAMETER): value
                for name, value in sorted((response.get("responseParameters") or {}).items())
            },
        }
        for status, response in sorted((integration.get("integrationResponses") or {}).items())
    }
    return RestMethod(
        method=found.get("httpMethod", ""),
        path=path,
        integration=integration.get("type"),
        target=integration_target(integration.get("uri")),
        authorization=found.get("authorizationType") or "NONE",
        authorizer=authorizer,
        scopes=tuple(sorted(found.get("authorizationScopes") or [])),
        api_key_required=bool(found.get("apiKeyRequired")),
        request_parameters=dict(sorted((found.get("requestParameters") or {}).items())),
        request_models=dict(sorted((found.get("requestModels") or {}).items())),
        validated=bool(found.get("requestValidatorId")),
        request_templates=dict(sorted((integration.get("requestTemplates") or {}).items())) if lambda_integration
        else {},
        pass_through=integration.get("passthroughBehavior") if lambda_integration else None,
        responses=responses if lambda_integration else {},
        transfer_mode=integration.get("responseTransferMode") or "BUFFERED",
        api_id=api_id,
        resource_id=resource_id,
    )  # fmt: skip


HEADER_PARAMETER = "method.response.header."


def rest_method_put(context: Context, step: Step) -> None:
    """The method made whole (a method's settings change by making it anew: what a REST API serves changes only
    with the stage's next deployment, which follows every method change)."""
    spec = context.desired_spec(step, RestMethod)
    target = known(spec.target, f"the target of {step.address}")
    settings: dict[str, JsonValue] = {
        "authorizationType": spec.authorization,
        "apiKeyRequired": spec.api_key_required,
        "requestParameters": dict(spec.request_parameters),
    }
    if spec.authorizer:
        settings["authorizerId"] = context.require(Address.rest_authorizer(spec.authorizer), "authorizer_id")
    if spec.scopes:
        settings["authorizationScopes"] = list(spec.scopes)
    if spec.request_models:
        settings["requestModels"] = dict(spec.request_models)
    if spec.validated:
        settings["requestValidatorId"] = context.require(Address.rest_validator())
    integration: dict[str, JsonValue] = {"type": spec.integration or "AWS_PROXY"}
    if spec.integration == "AWS":
        integration.update(requestTemplates=dict(spec.request_templates), passthroughBehavior=spec.pass_through)
    responses: list[JsonMapping] = []
    for status, response in spec.responses.items():
        templates, headers = response["templates"], response["headers"]
        assert isinstance(templates, Mapping) and isinstance(headers, Mapping)  # (the model makes both mappings)
        responses.append({
            "statusCode": status,
            "selectionPattern": response["pattern"],
            "responseTemplates": dict(templates),
            "responseParameters": {HEADER_PARAMETER + name: value for name, value in headers.items()},
        })  # fmt: skip
    context.aws.rest_apis.replace_method(
        context.require(REST_API), resource_id(context, spec.path), method=spec.method, settings=settings,
        target_arn=target, integration=integration, responses=responses, transfer_mode=spec.transfer_mode,
    )  # fmt: skip


def rest_method_delete(context: Context, step: Step) -> None:
    live = context.live_spec(step, RestMethod)
    api_id = known(live.api_id, f"the API id of {step.address}")
    method_resource = known(live.resource_id, f"the resource id of {step.address}")
    context.aws.rest_apis.delete_method(api_id, method_resource, method=live.method)


@dataclass(frozen=True, kw_only=True)
class RestStage(Spec):
    """The REST API's stage (named after the service's stage), compared by the revision its deployment carries."""

    kind: ClassVar[str] = "rest_stage"
    revision: str | None  # a digest of every method and path (triggers/rest.py); None: not deployed by fnship
    tracing: bool = False  # X-Ray tracing (provider.tracing.apiGateway)
    # Method settings path (`*/*` for the stage, `~1items~1{id}/GET` for a method) -> [burstLimit, rateLimit]:
    # only those that differ from what they inherit (see `effective_throttling`).
    throttling: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    # provider.logs.restApi: access logs (the log group's ARN, the line format) and execution logs (level, full data)
    access_log: tuple[str, str] | None = None
    logging_level: str = "OFF"  # OFF | INFO | ERROR
    data_trace: bool = False
    api_id: str | None = field(default=None, compare=False)  # assigned by API Gateway: live only


# API Gateway's own throttle of a stage that sets none (burstLimit, rateLimit).
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
DEFAULT_THROTTLE = (5000, 10000.0)


def effective_throttling(settings: Mapping[str, tuple[int, float]]) -> dict[str, tuple[int, float]]:
    """Method settings' throttles as compared: the stage's (`*/*`) unless it is API Gateway's default, and each
    method's unless it is what the method inherits from the stage (so a removed override, set back to the stage's
    values, compares equal to none)."""
    stage = tuple(settings.get("*/*", DEFAULT_THROTTLE))
    out: dict[str, tuple[int, float]] = {}
    for key, (burst, rate) in sorted(settings.items()):
        value = (int(burst), float(rate))
        if value != (DEFAULT_THROTTLE if key == "*/*" else stage):
            out[key] = value
    return out


def throttling_patch(want: RestStage, have: RestStage) -> list[dict[str, str]]:
    """UpdateStage's patch operations from `have`'s throttles to `want`'s (a removed one set back to what it
    inherits)."""
    stage = want.throttling.get("*/*", DEFAULT_THROTTLE)
    operations = []
    for key in sorted(set(want.throttling) | set(have.throttling)):
        value = want.throttling.get(key, DEFAULT_THROTTLE if key == "*/*" else stage)
        if value != have.throttling.get(key):
            operations.append({"op": "replace", "path": f"/{key}/throttling/burstLimit", "value": str(value[0])})
            operations.append({"op": "replace", "path": f"/{key}/throttling/rateLimit", "value": str(value[1])})
    return operations


def logging_patch(want: RestStage, have: RestStage) -> list[dict[str, str]]:
    """UpdateStage's patch operations for the stage's access log settings and its execution logging (`*/*`).
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateStage-Patch"""
    operations = []
    if want.access_log != have.access_log:
        if want.access_log is None:
            operations.append({"op": "remove", "path": "/accessLogSettings"})
        else:
            destination, line_format = want.access_log
            operations.append({"op": "replace", "path": "/accessLogSettings/destinationArn", "value": destination})
            operations.append({"op": "replace", "path": "/accessLogSettings/format", "value": line_format})
    if want.logging_level != have.logging_level:
        operations.append({"op": "replace", "path": "/*/*/logging/loglevel", "value": want.logging_level})
    if want.data_trace != have.data_trace:
        operations.append({"op": "replace", "path": "/*/*/logging/dataTrace", "value": str(want.data_trace).lower()})
    return operations


def stage_from_aws(
    deployment: DeploymentResponseTypeDef | None, *, api_id: str, stage: StageResponseTypeDef | None = None
) -> RestStage:
    """GetDeployment's answer for the stage's deployment, and GetStage's, as the spec (our revision is in the
    deployment's description)."""
    description = (deployment.get("description") if deployment else None) or ""
    revision = description.removeprefix(REVISION_PREFIX) if description.startswith(REVISION_PREFIX) else None
    settings = stage.get("methodSettings") or {} if stage is not None else {}
    throttles = {
        key: (int(found["throttlingBurstLimit"]), float(found["throttlingRateLimit"]))
        for key, found in settings.items()
        if "throttlingBurstLimit" in found and "throttlingRateLimit" in found
    }
    access = stage.get("accessLogSettings") if stage is not None else None
    destination = access.get("destinationArn") if access is not None else None
    everything = settings.get("*/*")
    return RestStage(
        revision=revision,
        tracing=bool(stage.get("tracingEnabled")) if stage is not None else False,
        throttling=effective_throttling(throttles),
        access_log=(destination, access.get("format", "")) if destination and access is not None else None,
        logging_level=(everything.get("loggingLevel") if everything else None) or "OFF",
        data_trace=bool(everything.get("dataTraceEnabled")) if everything else False,
        api_id=api_id,
    )


def rest_stage_deploy(context: Context, step: Step) -> None:
    """A new deployment on the stage when what it serves changed (or the stage is new), then the stage's own
    settings patched where they differ."""
    resource = context.desired(step)
    spec = resource.spec_as(RestStage)
    live = context.plan.live.get(step.address)
    have = live.spec_as(RestStage) if live is not None else RestStage(revision=None)
    api_id = context.require(REST_API)
    if live is None or spec.revision != have.revision:
        deployment = context.aws.rest_apis.deploy(
            api_id, stage=resource.name, description=f"{REVISION_PREFIX}{spec.revision}"
        )
        context.outputs[step.address] = {"deployment": deployment}
    operations = [*throttling_patch(spec, have), *logging_patch(spec, have)]
    if spec.tracing != have.tracing:
        operations.append({"op": "replace", "path": "/tracingEnabled", "value": str(spec.tracing).lower()})
    if operations:
        context.aws.rest_apis.update_stage(api_id, resource.name, operations=operations)


def rest_stage_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    context.aws.rest_apis.delete_stage(known(live.spec_as(RestStage).api_id, f"the API of {step.address}"), live.name)


def method_authorizer(resource: Resource) -> tuple[str, ...]:
    """The authorizer, models and validator a method uses: made before it, deleted after it (API Gateway refuses
    to delete one a method uses)."""
    if resource.spec is None:
        return ()
    spec = resource.spec_as(RestMethod)
    return (
        *([Address.rest_authorizer(spec.authorizer)] if spec.authorizer else []),
        *(Address.rest_model(name) for name in sorted(set(spec.request_models.values()))),
        *([Address.rest_validator()] if spec.validated else []),
    )


def part_of_api(_resource: Resource) -> str:
    return REST_API


# -- reading live state (read-only) ------------------------------------------------------------------------------


def existing_rest_api(resources: Sequence[Resource]) -> str | None:
    """The existing REST API (provider.apiGateway.restApiId) the desired resources put methods on, if any."""
    for resource in resources:
        if resource.kind == "rest_api" and resource.spec is not None:
            return resource.spec_as(RestApi).existing_id
    return None


def find_rest_api(aws: Reads, name: str, owner: tuple[str, str]) -> RestApiResponseTypeDef | None:
    """Our REST API: the existing one the manifest names (provider.apiGateway.restApiId), else one of the ids
    the service's tags and statements name (plan/reads.py `api_ids`), read by id, with our name and our
    ownership tags."""
    from fnship.model.triggers.api import api_name  # (fnship.model.triggers imports the kind modules)

    if aws.existing_rest_api:
        existing = aws.existing_rest_api
        return aws.once(("rest_api", existing), partial(aws.rest_apis.get_api_or_none, existing))
    service, stage = owner
    # Either name Serverless gives it (`provider.apiGateway.shouldStartNameWithService` renames it in place).
    names = {name, api_name(service=service, stage=stage), f"{service}-{stage}"}
    for api_id in sorted(aws.api_ids().get("restapis", ())):
        found = aws.once(("rest_api", api_id), partial(aws.rest_apis.get_api_or_none, api_id))
        if found is not None and found.get("name") in names and owned(found.get("tags"), owner):
            return found
    return None


def rest_api_id(aws: Reads, stub: Resource) -> str | None:
    return api_id_of(aws, stub, find_rest_api, lambda api: api["id"])


def rest_resources(aws: Reads, api_id: str) -> list[ResourceTypeDef]:
    return aws.once(("rest_resources", api_id), lambda: aws.rest_apis.get_resources(api_id))


def integration_target(uri: str | None) -> str | None:
    """`arn:<partition>:apigateway:...:lambda:path/2015-03-31/functions/<function ARN>/invocations` (or a streamed
    integration's `.../2021-11-15/functions/<function ARN>/response-streaming-invocations`) -> the function ARN."""
    if not uri or "/functions/" not in uri:
        return uri
    return uri.split("/functions/", 1)[1].removesuffix("/invocations").removesuffix("/response-streaming-invocations")


def read_rest_api(aws: Reads, stub: Resource) -> list[Resource]:
    found = find_rest_api(aws, stub.name, reading_owner(aws))
    if found is None:
        return []
    api_id = found["id"]
    items = rest_resources(aws, api_id)
    desired = stub.spec_as(RestApi) if isinstance(stub.spec, RestApi) else None
    if desired is not None and desired.existing_id:
        # Someone else's API: only the paths the methods need are compared (the others are not ours to remove).
        items = [item for item in items if item["path"] in desired.paths]
    preflights = {
        item["id"]: preflight_of(aws.rest_apis.get_preflight(api_id, item["id"]))
        for item in items
        if item["path"] != "/" and "OPTIONS" in (item.get("resourceMethods") or {})
    }
    live = rest_api_from_aws(found, items, preflights)
    if desired is not None and desired.existing_id:
        live = replace(desired, paths=live.paths, id=api_id,
                       resource_ids=existing_api_ids(api_id, desired, rest_resources(aws, api_id)))  # fmt: skip
    return [Resource.of(stub.address, stub.name, live)]


def owned_rest_api(aws: Reads) -> tuple[str, RestApiResponseTypeDef] | None:
    """The service's REST API when fnship made it, so that all it holds is ours (not an existing API's)."""
    return None if aws.existing_rest_api else service_api(aws, find_rest_api)


def read_rest_method(aws: Reads, stub: Resource) -> list[Resource]:
    from fnship.model.triggers import api as api_model  # (fnship.model.triggers imports the kind modules)

    api_id = rest_api_id(aws, stub)
    if api_id is None:
        return []
    for item in rest_resources(aws, api_id):
        for method, spec in (item.get("resourceMethods") or {}).items():
            integration = spec.get("methodIntegration") or {}
            target = integration_target(integration.get("uri"))
            name = f"{method} {item['path']}"
            if stub.name:
                if name != stub.name:
                    continue
            elif target != stub.in_scope().alias_arn or (
                api_model.route_name(method, item["path"]) != stub.in_scope().trigger_name
            ):
                continue
            authorizer = None
            if spec.get("authorizerId"):
                from fnship.kinds.rest_authorizer import authorizer_names  # (it builds on this module)

                authorizer = authorizer_names(aws, api_id).get(spec["authorizerId"], spec["authorizerId"])
            found = method_from_aws(spec, path=item["path"], authorizer=authorizer, api_id=api_id,
                                    resource_id=item["id"])  # fmt: skip
            return [Resource.of(stub.address, name, found, scope=stub.scope)]
    return []


def read_rest_stage(aws: Reads, stub: Resource) -> list[Resource]:
    api_id = rest_api_id(aws, stub)
    if api_id is None:
        return []
    stage = aws.rest_apis.get_stage_or_none(api_id, stub.name)
    if stage is None:
        return []
    deployment = aws.rest_apis.get_deployment_or_none(api_id, stage.get("deploymentId", ""))
    return [Resource.of(stub.address, stub.name, stage_from_aws(deployment, api_id=api_id, stage=stage))]


def discover_rest_api(aws: Reads) -> list[Resource]:
    """The service's REST API (its name, and our ownership tags on it)."""
    found = owned_rest_api(aws)
    return [Resource(REST_API, "rest_api", found[0])] if found is not None else []


def discover_rest_stage(aws: Reads) -> list[Resource]:
    """The service's REST API's stage (named after the stage)."""
    if owned_rest_api(aws) is None:
        return []
    stage = reading_owner(aws)[1]
    return [Resource(Address.rest_stage(stage), "rest_stage", stage)]


def discover_methods(aws: Reads, on: OnAlias) -> list[Resource]:
    """Methods integrated with the alias, from the statements of `http` events on its policy."""
    target = on.target
    stubs = []
    for event_type, name, statement in on.statements(aws):
        source = source_arn(statement)
        if event_type == "http" and source:
            api_id = source.split(":", 5)[5].split("/", 1)[0]
            address = Address.trigger(on.function_key, event_type, name)
            stubs.append(Resource(address, "rest_method", "", scope=target.scope(event_type, name),
                                  found=Found(api_id=api_id)))  # fmt: skip
    return stubs


REST_API_KIND = Kind(
    name="rest_api",
    handlers={
        "rest_api.create": rest_api_create,
        "rest_api.update": rest_api_update,
        "rest_api.delete": rest_api_delete,
    },
    # A path no method needs is removed by the API's update: the methods on it go first.
    after_deletes_of=frozenset({"rest_method"}),
    serial=lambda _resource: REST_API,
    stable_outputs=frozenset({"id"}),
    read=read_rest_api,
    discover=discover_rest_api,
)
METHOD_KIND = Kind(
    name="rest_method",
    handlers={
        "rest_method.create": rest_method_put,
        "rest_method.update": rest_method_put,
        "rest_method.delete": rest_method_delete,
    },  # fmt: skip
    depends=lambda resource: (REST_API, *function_scoped(resource), *method_authorizer(resource)),
    parent=part_of_api,
    serial=lambda _resource: REST_API,
    read=read_rest_method,
    discover_on_alias=discover_methods,
)
STAGE_KIND = Kind(
    name="rest_stage",
    handlers={
        "rest_stage.create": rest_stage_deploy,
        "rest_stage.update": rest_stage_deploy,
        "rest_stage.delete": rest_stage_delete,
    },  # fmt: skip
    depends=lambda _resource: (REST_API,),
    parent=part_of_api,
    after_deletes_of=frozenset({"rest_method"}),
    serial=lambda _resource: REST_API,
    read=read_rest_stage,
    discover=discover_rest_stage,
)
