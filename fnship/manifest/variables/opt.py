"""`${opt:name}`: a command-line option (`--stage`, `--region`, any other). Pure."""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    name = reference.address
    if name in resolver.options:
        return resolver.options[name]
    raise Missing(f"option --{name} was not given", f"pass --{name}, or give a default: ${{opt:{name}, 'value'}}")
