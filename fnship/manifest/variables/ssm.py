"""`${ssm:/path}` and `${ssm(region):/path}`: an SSM parameter via the injected lookups. A SecureString becomes a
`Secret`, never printed.

`${ssm:/aws/reference/secretsmanager/<secret>}` reads a Secrets Manager secret through Parameter Store (AWS answers
it as a SecureString: https://docs.aws.amazon.com/systems-manager/latest/userguide/integration-ps-secretsmanager.html).
As in Serverless v3 (sources/instance-dependent/get-ssm.js), a SecureString whose text is a JSON object becomes that
object (its values secrets too), unless `raw` is given: `${ssm(raw):/aws/reference/secretsmanager/db}`.

Asked lazily (only when a manifest value uses it) and once per parameter name and region.
"""

from __future__ import annotations

import json

from fnship.jsonvalue import Json
from fnship.manifest import schema
from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError
from fnship.secret import Secret


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    raw, region = _params(reference)
    name = reference.address.strip()
    # `~true` / `~false` is the Serverless v1 "decrypt" suffix; SecureStrings are always decrypted now.
    for suffix in ("~true", "~false"):
        name = name.removesuffix(suffix)
    if not name:
        raise VariableError("${ssm:} needs a parameter name, e.g. ${ssm:/my/param}")
    where = resolver.aws_where()
    if region:
        where = {**where, "region": region}
    key = (name, where["region"])
    if key not in resolver.ssm_parameters:
        lookups = resolver.need_lookups(reference)
        try:
            resolver.ssm_parameters[key] = resolver.call_lookup(reference, lambda: lookups.ssm(name, **where))
        except KeyError:
            resolver.ssm_parameters[key] = None
    found = resolver.ssm_parameters[key]
    if found is None:
        raise Missing(f"SSM parameter {name} does not exist", "create it, or give a default: ${ssm:/name, 'value'}")
    value, secure = found
    if not secure:
        return value
    if not raw and value.startswith("{"):
        try:
            return _secret_tree(json.loads(value))
        except ValueError:
            pass  # not JSON after all: the text, as v3 keeps it
    return Secret(value)


def _params(reference: Reference) -> tuple[bool, str | None]:
    """(raw, region) from `ssm(raw, eu-west-1)`."""
    raw, region = False, None
    for param in (part.strip().strip("'\"") for part in (reference.param or "").split(",")):
        if not param:
            continue
        if param == "raw":
            raw = True
        elif param == "noDecrypt":
            raise VariableError(
                f"{reference}: noDecrypt is not supported: fnship reads SecureStrings decrypted and keeps them secret",
                "remove noDecrypt",
            )
        elif schema.REGION_NAME.match(param):
            region = param
        else:
            raise VariableError(
                f"{reference}: '{param}' is not a region, raw or noDecrypt", "e.g. ${ssm(eu-west-1):/x}"
            )
    return raw, region


def _secret_tree(value: Json) -> Value:
    """A secret's JSON: every value in it is secret too (`${self:custom.db.password}` stays hidden)."""
    if isinstance(value, dict):
        return {str(key): _secret_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_secret_tree(item) for item in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return Secret("true" if value else "false")
    return Secret(value if isinstance(value, str) else json.dumps(value))
