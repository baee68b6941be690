"""An HTTP API JWT authorizer, as API Gateway runs it, for `fn dev`. Uses PyJWT (the `local` extra).

The token (from the identity source, `Bearer ` optional) must be a JWT whose `iss` is the issuer, whose `aud` (or
`client_id`) is one of the audiences, that is not expired or early, and signed by one of the issuer's keys (its
OpenID configuration's jwks_uri). When those keys cannot be fetched (offline, a made-up issuer) the signature is
not checked and a warning says so, once per issuer. A route's scopes need one of them in the token's `scope` or
`scp` claim. Missing or invalid: 401; valid without a scope the route needs: 403.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fnship.jsonvalue import Json, JsonObject

if TYPE_CHECKING:
    from jwt import PyJWKClient

    from fnship.local.gateway import HttpRequest
    from fnship.manifest.types import JwtAuthorizer

FETCH_TIMEOUT_S = 3.0


@dataclass
class Verdict:
    status: int | None = None  # None: allowed
    message: str = ""
    context: JsonObject = field(default_factory=dict)  # requestContext.authorizer when allowed
    warning: str | None = None


class _Keys:
    """Each issuer's signing keys, fetched once (a failure is remembered too, so it is warned about once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, PyJWKClient] = {}
        self._failures: dict[str, str] = {}
        self._warned: set[str] = set()

    def client(self, issuer: str) -> tuple[PyJWKClient | None, str | None]:
        import jwt

        with self._lock:
            if issuer in self._clients:
                return self._clients[issuer], None
            if issuer in self._failures:
                return None, self._failures[issuer]
            url = issuer.rstrip("/") + "/.well-known/openid-configuration"
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):  # an issuer is a URL, never file:
                self._failures[issuer] = f"the issuer {issuer!r} is not an http(s) URL"
                return None, self._failures[issuer]
            try:
                # bandit B310 waived: the scheme is http(s), checked above.
                with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # nosec B310
                    jwks_uri = json.loads(response.read())["jwks_uri"]
                client = jwt.PyJWKClient(jwks_uri, timeout=int(FETCH_TIMEOUT_S))
                client.get_jwk_set()
            except Exception as exc:  # any failure to fetch means: cannot check the signature here
                self._failures[issuer] = f"{type(exc).__name__}: {exc}"
                return None, self._failures[issuer]
            self._clients[issuer] = client
            return client, None

    def warn_once(self, issuer: str) -> bool:
        with self._lock:
            if issuer in self._warned:
                return False
            self._warned.add(issuer)
            return True


KEYS = _Keys()


def _token(config: JwtAuthorizer, request: HttpRequest) -> str | None:
    source = (config.identity_source or ("$request.header.Authorization",))[0]
    value = None
    if source.startswith("$request.header."):
        value = request.header(source.removeprefix("$request.header."))
    elif source.startswith("$request.querystring."):
        from urllib.parse import parse_qs

        found = parse_qs(request.query_string).get(source.removeprefix("$request.querystring."))
        value = found[0] if found else None
    if not value:
        return None
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


def _claim_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, dict) else str(value)


def authorize(
    config: JwtAuthorizer, scopes: Sequence[str], request: HttpRequest, *, now: float, keys: _Keys = KEYS
) -> Verdict:
    try:
        import jwt
    except ImportError:
        return Verdict(500, "Internal Server Error", warning="JWT authorizers need PyJWT: pip install 'fnship[local]'")
    unauthorized = Verdict(401, "Unauthorized")
    token = _token(config, request)
    if not token:
        return unauthorized
    issuer = config.issuer
    audiences = list(config.audience)
    warning = None
    try:
        header = jwt.get_unverified_header(token)
        client, problem = keys.client(issuer)
        if client is None:
            if keys.warn_once(issuer):
                warning = f"cannot fetch the signing keys of {issuer} ({problem}): JWT signatures are not checked"
            # Without the signature PyJWT checks nothing else unless told: the issuer is checked here.
            claims = jwt.decode(
                token,
                options={"verify_aud": False, "require": ["exp", "iss"], "verify_signature": False,
                         "verify_exp": False, "verify_iss": True},
                issuer=issuer,
            )  # fmt: skip
            leeway = 0
            if "exp" in claims and float(claims["exp"]) < now - leeway:
                return Verdict(401, "Unauthorized", warning=warning)
            if "nbf" in claims and float(claims["nbf"]) > now + leeway:
                return Verdict(401, "Unauthorized", warning=warning)
        else:
            key = client.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=[header.get("alg", "RS256")],
                options={"verify_aud": False, "require": ["exp", "iss"]},
                issuer=issuer,
            )
    except jwt.PyJWTError:
        return Verdict(401, "Unauthorized", warning=warning)
    token_audiences = claims.get("aud")
    token_audiences = [token_audiences] if isinstance(token_audiences, str) else list(token_audiences or [])
    if claims.get("client_id"):
        token_audiences.append(str(claims["client_id"]))
    if not set(token_audiences) & set(audiences):
        return Verdict(401, "Unauthorized", warning=warning)
    granted = claims.get("scope") or claims.get("scp") or ""
    granted_list = granted.split() if isinstance(granted, str) else [str(scope) for scope in granted]
    if scopes and not set(scopes) & set(granted_list):
        return Verdict(403, "Forbidden", warning=warning)
    claim_texts: JsonObject = {name: _claim_text(value) for name, value in claims.items()}
    granted_scopes: list[Json] = list(granted_list)
    context: JsonObject = {"jwt": {"claims": claim_texts, "scopes": granted_scopes or None}}
    return Verdict(None, "", context=context, warning=warning)
