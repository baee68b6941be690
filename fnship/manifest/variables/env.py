"""`${env:NAME}`: an environment variable of the fnship process (injected, never read here directly)."""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    name = reference.address
    if name in resolver.env:
        return resolver.env[name]
    raise Missing(f"environment variable {name} is not set", f"set {name}, or give a default: ${{env:{name}, 'value'}}")
