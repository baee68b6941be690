"""`${sls:stage}` (the final stage) and `${sls:instanceId}` (a random id per run). Pure."""

from __future__ import annotations

from typing import Any

from fnship.manifest.types import KeyPath
from fnship.manifest.variables.core import Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Any:
    if reference.address == "stage":
        return resolver.stage()
    if reference.address == "instanceId":
        return resolver.instance_id
    raise VariableError(f"unknown variable {reference}", "supported: ${sls:stage}, ${sls:instanceId}")
