"""API Gateway's side of fn dev, pure: route precedence, events, response mapping, CORS, the JWT authorizer."""

from __future__ import annotations

import base64
import json
import time

import pytest

from fnship.local import gateway, jwt_auth
from fnship.local.gateway import Route
from fnship.manifest.types import Cors, JwtAuthorizer


def table(*routes: Route) -> gateway.RouteTable:
    routes_table = gateway.RouteTable(stage="dev")
    for route in routes:
        (routes_table.rest if route.kind == "http" else routes_table.http_api).append(route)
    return routes_table


HTTP_API = table(
    Route("httpApi", "a", "GET", "/pets/{id}"),
    Route("httpApi", "b", "GET", "/pets/dog"),
    Route("httpApi", "c", "ANY", "/pets/dog"),
    Route("httpApi", "d", "GET", "/pets/{proxy+}"),
    Route("httpApi", "e", "ANY", "*"),
    Route("httpApi", "f", "POST", "/{first}/cats"),
    Route("httpApi", "g", "POST", "/pets/{id}"),
)


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/pets/dog", "b", {}),  # literal and method
        ("PUT", "/pets/dog", "c", {}),  # literal, ANY
        ("GET", "/pets/7", "a", {"id": "7"}),  # parameter beats greedy
        ("GET", "/pets/7/toys", "d", {"proxy": "7/toys"}),  # greedy
        ("POST", "/pets/cats", "g", {"id": "cats"}),  # the leftmost segment decides: literal `pets` first
        ("POST", "/x/cats", "f", {"first": "x"}),
        ("DELETE", "/pets/7", "e", {}),  # no method match: $default
        ("GET", "/", "e", {}),
    ],
)
def test_http_api_precedence(method, path, function, params):
    match, surface = HTTP_API.resolve(method, path)
    assert surface == "httpApi"
    assert match is not None and match.route.function == function
    assert match.path_parameters == params


def test_greedy_needs_a_segment_and_rest_lives_under_the_stage():
    routes = table(Route("http", "r", "GET", "/{proxy+}", "1.0"), Route("httpApi", "h", "GET", "/dev/thing"))
    assert routes.resolve("GET", "/dev")[0] is None
    match, surface = routes.resolve("GET", "/dev/a/b")
    assert surface == "http" and match.raw_path == "/a/b" and match.path_parameters == {"proxy": "a/b"}
    assert routes.resolve("POST", "/dev/a")[1] == "http"  # a REST miss under the stage stays REST (403)


def request(**kw) -> gateway.HttpRequest:
    values = {"method": "GET", "path": "/p", "query_string": "", "headers": [], "body": b""}
    values.update(kw)
    return gateway.HttpRequest(**values)


def test_event_v1_keeps_every_value_v2_joins_them():
    http_request = request(query_string="a=1&a=2", headers=[("X-A", "1"), ("X-A", "2")], body=b"hi")
    match = gateway.Match(Route("http", "f", "GET", "/p", "1.0"), {}, "/p")
    v1 = gateway.event_v1(http_request, match, api_id="id", stage="dev", now=0)
    assert v1["headers"]["X-A"] == "2" and v1["multiValueHeaders"]["X-A"] == ["1", "2"]
    assert v1["queryStringParameters"] == {"a": "2"} and v1["pathParameters"] is None
    v2 = gateway.event_v2(http_request, gateway.Match(Route("httpApi", "f", "GET", "/p"), {}, "/p"), api_id="id", now=0)
    assert v2["headers"]["x-a"] == "1,2" and v2["queryStringParameters"] == {"a": "1,2"}
    assert v2["body"] == "hi" and v2["isBase64Encoded"] is False


def test_http_api_payload_1_as_api_gateway_sends_it():
    """An HTTP API route with payload 1.0: lowercase header names (repeats kept in multiValueHeaders), the body of a
    binary type base64, `resourceId` null, the JWT authorizer's claims and scopes as `{claims, scopes}`.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"""
    http_request = request(
        path="/pets/7", query_string="a=1&a=2", headers=[("X-A", "1"), ("X-A", "2"), ("Content-Type", "image/png")],
        body=b"\x89PNG", method="POST")  # fmt: skip
    match = gateway.Match(Route("httpApi", "f", "POST", "/pets/{id}", "1.0"), {"id": "7"}, "/pets/7")
    jwt = {"jwt": {"claims": {"sub": "u1"}, "scopes": ["read"]}}
    event = gateway.event_v1(http_request, match, api_id="id", stage="$default", now=0, authorizer=jwt)
    assert event["version"] == "1.0" and event["resource"] == "/pets/{id}" and event["path"] == "/pets/7"
    assert event["headers"]["x-a"] == "2" and event["multiValueHeaders"]["x-a"] == ["1", "2"]
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]} and event["pathParameters"] == {"id": "7"}
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG"
    context = event["requestContext"]
    assert context["authorizer"] == {"claims": {"sub": "u1"}, "scopes": ["read"]}
    assert context["resourceId"] is None and context["resourcePath"] == "/pets/{id}" and context["stage"] == "$default"
    assert context["path"] == "/pets/7" and context["httpMethod"] == "POST"
    no_auth = gateway.event_v1(http_request, match, api_id="id", stage="$default", now=0)
    assert no_auth["requestContext"]["authorizer"] == {"claims": None, "scopes": None}
    # A REST API's event keeps header names as sent.
    rest = gateway.event_v1(http_request, gateway.Match(Route("http", "f", "POST", "/pets/{id}", "1.0"), {"id": "7"},
                            "/pets/7"), api_id="id", stage="dev", now=0)  # fmt: skip
    assert "X-A" in rest["headers"] and rest["requestContext"]["path"] == "/dev/pets/7"


@pytest.mark.parametrize(
    ("payload", "version", "status", "body", "headers"),
    [
        ({"statusCode": 201, "body": "x", "headers": {"a": "b"}}, "2.0", 201, b"x", [("a", "b")]),
        ({"k": 1}, "2.0", 200, b'{"k": 1}', [("Content-Type", "application/json")]),
        ("text", "2.0", 200, b"text", [("Content-Type", "application/json")]),
        (None, "2.0", 200, b"null", [("Content-Type", "application/json")]),
        ({"k": 1}, "1.0", 500, None, None),  # an HTTP API's 1.0 route: no statusCode is a 500
        ({"statusCode": "x"}, "2.0", 502, None, None),
        ({"statusCode": 200, "body": base64.b64encode(b"\x00").decode(), "isBase64Encoded": True}, "1.0", 200,
         b"\x00", []),
        ({"statusCode": 200, "headers": {"a": "1"}, "multiValueHeaders": {"a": ["2", "3"]}}, "1.0", 200, b"",
         [("a", "2"), ("a", "3")]),
        ({"statusCode": 200, "cookies": ["c=1"], "headers": {"content-type": "text/plain"}}, "2.0", 200, b"",
         [("content-type", "text/plain"), ("Set-Cookie", "c=1")]),
    ],
)  # fmt: skip
def test_responses_mapped_as_api_gateway_does(payload, version, status, body, headers):
    response = gateway.map_response(json.dumps(payload).encode(), payload_version=version, kind="httpApi")
    assert response.status == status
    if body is not None:
        assert response.body == body
        assert response.headers == headers


def test_not_json_is_502():
    assert gateway.map_response(b"{oops", payload_version="2.0", kind="http").status == 502


CORS = Cors(allow_origins=("https://a.test",), allow_headers=("*",), allow_methods=("GET", "POST"),
            allow_credentials=True, expose_headers=("X-Id",), max_age=5)  # fmt: skip


def test_cors_preflight_and_response_headers():
    asked = request(
        method="OPTIONS",
        headers=[("Origin", "https://a.test"), ("Access-Control-Request-Method", "POST"),
                 ("Access-Control-Request-Headers", "x-custom")],
    )  # fmt: skip
    answer = dict(gateway.preflight(CORS, asked).headers)
    assert answer["Access-Control-Allow-Origin"] == "https://a.test"
    assert answer["Access-Control-Allow-Methods"] == "GET,POST"
    assert answer["Access-Control-Allow-Headers"] == "x-custom"
    assert answer["Access-Control-Allow-Credentials"] == "true" and answer["Access-Control-Max-Age"] == "5"
    base = gateway.HttpResponse(200, [("access-control-allow-origin", "*")], b"")
    decorated = dict(gateway.with_cors(base, CORS, request(headers=[("Origin", "https://a.test")])).headers)
    assert (
        decorated["Access-Control-Allow-Origin"] == "https://a.test" and "access-control-allow-origin" not in decorated
    )
    assert gateway.with_cors(base, CORS, request(headers=[("Origin", "https://b.test")])) is base


# -- JWT: the signature checked against the issuer's keys ----------------------------------------------------------
class KeysDouble:
    """The issuer's JWKS, as PyJWKClient serves it (get_signing_key_from_jwt(token).key)."""

    def __init__(self, public_key) -> None:
        self.public_key = public_key

    def client(self, issuer):
        keys = self

        class Client:
            def get_signing_key_from_jwt(self, token):
                return type("Key", (), {"key": keys.public_key})()

        return Client(), None

    def warn_once(self, issuer):
        raise AssertionError("keys were fetched: no warning")


def test_jwt_signature_checked_against_the_issuers_keys():
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    issuer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    config = JwtAuthorizer(
        issuer="https://issuer.test", audience=("api",), identity_source=("$request.header.Authorization",)
    )
    claims = {"iss": "https://issuer.test", "aud": "api", "exp": int(time.time()) + 60, "scope": "read"}
    keys = KeysDouble(issuer_key.public_key())

    def verdict(private_key):
        token = jwt.encode(claims, private_key, algorithm="RS256")
        http_request = request(headers=[("Authorization", f"Bearer {token}")])
        return jwt_auth.authorize(config, ["read"], http_request, now=time.time(), keys=keys)

    assert verdict(issuer_key).status is None
    assert verdict(forger_key).status == 401


def test_route_table_takes_each_http_api_routes_payload_format(tmp_path):
    """`provider.httpApi.payload: '1.0'` serves every HTTP API route in 1.0, except where a function's own
    `httpApi.payload` says otherwise (it wins, as in the Serverless Framework v3)."""
    from fnship.manifest import load_manifest

    (tmp_path / "handler.py").write_text("def main(event, context):\n    return 1\n")
    (tmp_path / "serverless.yml").write_text(
        "service: svc\nprovider:\n  name: aws\n  runtime: python3.12\n  httpApi:\n    payload: '1.0'\n"
        "functions:\n  old:\n    handler: handler.main\n    events:\n      - httpApi: GET /old\n"
        "  new:\n    handler: handler.main\n    httpApi:\n      payload: '2.0'\n    events:\n"
        "      - httpApi: GET /new\n"
    )
    routes = gateway.route_table(load_manifest(tmp_path / "serverless.yml"))
    assert {r.function: r.payload_version for r in routes.http_api} == {"old": "1.0", "new": "2.0"}
