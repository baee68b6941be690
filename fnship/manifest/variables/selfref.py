"""`${self:a.b.0}`: any value of the manifest itself (resolved first). Pure.

As in Serverless v3, `provider.stage` and `provider.region` read through `self:` have the defaults the framework
writes into the configuration before it resolves the rest (lib/classes/service.js: a missing stage is `dev`;
lib/plugins/aws/provider.js: the region is `--region`, else `provider.region`, else `us-east-1`), so
`${opt:stage, self:provider.stage}` works without `provider.stage`.
"""

from __future__ import annotations

from fnship.manifest.types import DEFAULT_STAGE, KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    segments = reference.address.split(".") if reference.address else []
    if segments == ["provider", "region"]:
        return resolver.region()
    try:
        value = resolver.lookup(segments, what=f"self:{reference.address}")
    except Missing:
        if segments == ["provider", "stage"]:
            return DEFAULT_STAGE
        raise
    if value is None and segments == ["provider", "stage"]:
        return DEFAULT_STAGE
    return value
