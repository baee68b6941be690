"""What the `httpApi` and `http` triggers (fnship/triggers/http_api.py, rest.py) and the readers of their APIs share:
the APIs' addresses and names, and a route's name. Pure.

One HTTP API and one REST API per service and stage, shared by every function's routes.
"""

from __future__ import annotations

from fnship.model.address import Address
from fnship.model.triggers.common import slug

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
