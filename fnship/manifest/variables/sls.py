"""`${sls:stage}` (the final stage) and `${sls:instanceId}` (a random id per run). Pure."""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    if reference.address == "stage":
        return resolver.stage()
    if reference.address == "instanceId":
        return resolver.instance_id
    raise VariableError(f"unknown variable {reference}", "supported: ${sls:stage}, ${sls:instanceId}")
