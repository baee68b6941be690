"""`${self:a.b.0}`: any value of the manifest itself (resolved first). Pure."""

from __future__ import annotations

from typing import Any

from fnship.manifest.types import KeyPath
from fnship.manifest.variables.core import Reference, Resolver


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Any:
    segments = reference.address.split(".") if reference.address else []
    return resolver.lookup(segments, what=f"self:{reference.address}")
