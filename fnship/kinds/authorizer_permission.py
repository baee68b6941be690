"""The `authorizer_permission` kind: the statement on a Lambda authorizer given by ARN (a function this service
does not deploy) that lets one API of the service invoke it for its authorizers, as Serverless v3 adds it unless
the authorizer says `managedExternally: true`. The statement goes on the function (or the version or alias the ARN
names) and is found again through the authorizers of the service's REST API, which name the function.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

from fnship.arns import parse_arn
from fnship.errors import AwsError
from fnship.kinds.base import Context, Kind
from fnship.kinds.permission import STATEMENT_FIELDS, Permission, from_aws, permission_request
from fnship.model.address import Address
from fnship.model.resources import Found, Resource
from fnship.plan.diff import Step

if TYPE_CHECKING:
    from fnship.plan.reads import Reads

SID_PREFIX = "fnshipauth-"  # not `fnship-`: that prefix is read as a trigger's statement on our own aliases


def statement_id(*, api: str, service: str, stage: str, name: str) -> str:
    """Unique per service, stage, API and authorizer, since other services may use the same function."""
    return f"{SID_PREFIX}{service}-{stage}-{api}-{name}"[:100]


@dataclass(frozen=True, kw_only=True)
class AuthorizerPermission(Permission):
    """A statement (its id is the resource's name) on `function`, a function ARN with or without a qualifier."""

    kind: ClassVar[str] = "authorizer_permission"
    function: str


def function_and_qualifier(function_arn: str) -> tuple[str, str | None]:
    """`arn:...:function:name[:qualifier]` -> (the unqualified ARN, the qualifier or None)."""
    parts = parse_arn(function_arn)
    resource = parts.resource.split(":") if parts else []
    if len(resource) == 3:
        return function_arn.rsplit(":", 1)[0], resource[2]
    return function_arn, None


def authorizer_permission_create(context: Context, step: Step) -> None:
    resource = context.desired_at(step.address)
    spec = context.resolved(resource.spec_as(AuthorizerPermission))
    function, qualifier = function_and_qualifier(spec.function)
    request = permission_request(spec)
    api = context.aws.lambda_
    try:
        api.add_permission(function, qualifier=qualifier, sid=resource.name, request=request)
    except AwsError as exc:
        if exc.code != "ResourceConflictException":
            raise
        # A statement with our id is already there (a run stopped half-way): replace it.
        api.remove_permission(function, qualifier=qualifier, sid=resource.name)
        api.add_permission(function, qualifier=qualifier, sid=resource.name, request=request)


def authorizer_permission_delete(context: Context, step: Step) -> None:
    live = context.live_at(step.address)
    function, qualifier = function_and_qualifier(live.spec_as(AuthorizerPermission).function)
    context.aws.lambda_.remove_permission(function, qualifier=qualifier, sid=live.name)


def policy_of(resource: Resource) -> str | None:
    if resource.spec is None:
        return None
    function, qualifier = function_and_qualifier(resource.spec_as(AuthorizerPermission).function)
    return f"policy:{function}:{qualifier}"


# -- reading live state (read-only) ------------------------------------------------------------------------------


def read_authorizer_permission(aws: Reads, stub: Resource) -> list[Resource]:
    if stub.spec is not None:
        function_arn: str | None = stub.spec_as(AuthorizerPermission).function
    else:
        function_arn = stub.found.arn if stub.found is not None else None
    if not function_arn:
        return []
    function, qualifier = function_and_qualifier(function_arn)
    for statement in aws.alias_policy(function, qualifier):
        if statement.get("Sid") == stub.name:
            found = from_aws(statement)
            spec = AuthorizerPermission(
                **{f.name: getattr(found, f.name) for f in fields(found) if f.name in STATEMENT_FIELDS},
                function=function_arn,
            )
            return [Resource.of(stub.address, stub.name, spec)]
    return []


def discover_authorizer_permissions(aws: Reads) -> list[Resource]:
    """Our statements on the functions the authorizers of the service's APIs name: its REST API's (all of them),
    its HTTP and WebSocket APIs' (those a route uses): for the authorizers the manifest no longer has, and
    `fn remove`."""
    from fnship.kinds.base import reading_owner, service_api
    from fnship.kinds.http_api import find_http_api
    from fnship.kinds.http_api import route_authorizers as http_route_authorizers
    from fnship.kinds.rest_api import integration_target, owned_rest_api
    from fnship.kinds.rest_authorizer import authorizers
    from fnship.kinds.websocket_api import function_of_uri, service_websocket_api
    from fnship.kinds.websocket_api import route_authorizers as websocket_route_authorizers

    service, stage = reading_owner(aws)
    functions: dict[tuple[str, Address], set[str]] = {}
    rest = owned_rest_api(aws)
    if rest is not None:
        found = {integration_target(item.get("authorizerUri")) for item in authorizers(aws, rest[1]["id"])}
        functions[("rest", Address.rest_api())] = {arn for arn in found if arn}
    http = service_api(aws, find_http_api)
    if http is not None:
        used = http_route_authorizers(aws, http[1]["ApiId"]).values()
        functions[("http", Address.http_api())] = {a for u in used if (a := integration_target(u.get("AuthorizerUri")))}
    websocket = service_websocket_api(aws)
    if websocket is not None:
        used = websocket_route_authorizers(aws, websocket["ApiId"]).values()
        functions[("ws", Address.websocket_api())] = {a for u in used if (a := function_of_uri(u.get("AuthorizerUri")))}
    stubs = []
    for (api_kind, api), arns in functions.items():
        prefix = statement_id(api=api_kind, service=service, stage=stage, name="")
        for function_arn in sorted(arns):
            function, qualifier = function_and_qualifier(function_arn)
            try:
                statements = aws.alias_policy(function, qualifier)
            except AwsError as exc:
                if exc.code not in ("AccessDeniedException", "AccessDenied"):
                    raise
                continue  # another account's function, which the manifest leaves to it (managedExternally)
            for statement in statements:
                sid = str(statement.get("Sid", ""))
                if sid.startswith(prefix):
                    address = Address.authorizer_permission(api, sid.removeprefix(prefix))
                    stubs.append(Resource(address, "authorizer_permission", sid, found=Found(arn=function_arn)))
    return stubs


KIND = Kind(
    name="authorizer_permission",
    handlers={
        "authorizer_permission.create": authorizer_permission_create,
        "authorizer_permission.delete": authorizer_permission_delete,
    },
    replace_on=STATEMENT_FIELDS | {"function"},
    serial=policy_of,
    read=read_authorizer_permission,
    discover=discover_authorizer_permissions,
)
