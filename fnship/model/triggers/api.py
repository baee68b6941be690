"""What the `httpApi` and `http` triggers (fnship/triggers/http_api.py, rest.py) and the readers of their APIs share:
the APIs' addresses and names, and a route's name. Pure.

One HTTP API and one REST API per service and stage, shared by every function's routes.
"""

from __future__ import annotations

from fnship.arns import arn, parse_arn
from fnship.kinds.authorizer_permission import AuthorizerPermission, statement_id
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource
from fnship.model.triggers.common import INVOKE, slug

HTTP_API = Address.http_api()
REST_API = Address.rest_api()
APIGATEWAY = "apigateway.amazonaws.com"


def api_name(*, service: str, stage: str) -> str:
    """Serverless names both APIs `{stage}-{service}`."""
    return f"{stage}-{service}"


def route_name(method: str, path: str) -> str:
    """`GET /todos/{id}` -> `get-todos-id`; the catch-all `$default` route -> `default`."""
    if path == "*":
        return "default"
    return slug(f"{method} {path}") if path != "/" else slug(f"{method} root")


def external_authorizer_permission(
    function_arn: str, name: str, *, api: Address, api_kind: str, service: str, stage: str
) -> Resource:
    """The statement on a Lambda authorizer given by ARN (a function this service does not deploy) letting the
    service's `api` invoke it for its authorizers only, pinned to the function's account; `api_kind` (rest, http,
    ws) keeps the statement ids of the service's APIs apart. As Serverless v3 adds it unless `managedExternally`."""
    parts = parse_arn(function_arn)
    region, account_id = (parts.region, parts.account_id) if parts else ("", "")
    source = Ref(api, "id", arn("execute-api", "{value}/authorizers/*", region=region, account_id=account_id))
    spec = AuthorizerPermission(
        function=function_arn,
        action=INVOKE,
        principal=APIGATEWAY,
        source_arn=source,
        source_account=account_id or None,
        function_url_auth_type=None,
        invoked_via_function_url=False,
    )
    sid = statement_id(api=api_kind, service=service, stage=stage, name=slug(name))
    return Resource.of(Address.authorizer_permission(api, slug(name)), sid, spec, depends_on=(api,))
