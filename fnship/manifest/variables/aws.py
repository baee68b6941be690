"""`${aws:region}` (the final region) and `${aws:accountId}` (asked of the injected lookups, once)."""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    if reference.address == "region":
        return resolver.region()
    if reference.address == "accountId":
        if resolver.account_id is None:
            lookups = resolver.need_lookups(reference)
            resolver.account_id = resolver.call_lookup(reference, lambda: lookups.account_id(**resolver.aws_where()))
        return resolver.account_id
    raise VariableError(f"unknown variable {reference}", "supported: ${aws:region}, ${aws:accountId}")
