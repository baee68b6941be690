"""`${ssm:/path}`: an SSM parameter via the injected lookups. A SecureString becomes a `Secret`.

Asked lazily (only when a manifest value uses it) and once per parameter name.
"""

from __future__ import annotations

from typing import Any

from fnship.manifest.types import KeyPath
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError
from fnship.secret import Secret


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Any:
    if reference.param is not None:
        raise VariableError(
            f"{reference}: a region for ssm is not supported", "read the parameter from the deployment region"
        )
    name = reference.address.strip()
    # `~true` / `~false` is the Serverless v1 "decrypt" suffix; SecureStrings are always decrypted now.
    for suffix in ("~true", "~false"):
        name = name.removesuffix(suffix)
    if not name:
        raise VariableError("${ssm:} needs a parameter name, e.g. ${ssm:/my/param}")
    key = ("ssm", name)
    if key not in resolver.cache:
        lookups = resolver.need_lookups(reference)
        try:
            resolver.cache[key] = resolver.call_lookup(reference, lambda: lookups.ssm(name, **resolver.aws_where()))
        except KeyError:
            resolver.cache[key] = None
    found = resolver.cache[key]
    if found is None:
        raise Missing(f"SSM parameter {name} does not exist", "create it, or give a default: ${ssm:/name, 'value'}")
    value, secure = found
    return Secret(value) if secure else value
