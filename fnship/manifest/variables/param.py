"""`${param:name}`: `params.<stage>.name`, else `params.default.name`. Pure."""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    name = reference.address
    stage = resolver.stage()
    for section in (stage, "default"):
        try:
            return resolver.lookup(["params", section, name], what=f"params.{section}.{name}")
        except Missing:
            continue
    raise Missing(
        f"no parameter '{name}' for stage '{stage}' (looked in params.{stage} and params.default)",
        f"add it under params.{stage} or params.default",
    )
