"""`${aws:region}` (the final region) and `${aws:accountId}` (asked of the injected lookups, once)."""

from __future__ import annotations

from typing import Any

from fnship.manifest.types import KeyPath
from fnship.manifest.variables.core import Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Any:
    if reference.address == "region":
        return resolver.region()
    if reference.address == "accountId":
        key = ("aws", "accountId")
        if key not in resolver.cache:
            lookups = resolver.need_lookups(reference)
            resolver.cache[key] = resolver.call_lookup(reference, lambda: lookups.account_id(**resolver.aws_where()))
        return resolver.cache[key]
    raise VariableError(f"unknown variable {reference}", "supported: ${aws:region}, ${aws:accountId}")
