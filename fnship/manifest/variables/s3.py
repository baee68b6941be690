"""`${s3:bucket/key}`: the text of an S3 object, through the injected lookups (GetObject, read-only). As in
Serverless v3 (sources/instance-dependent/get-s3.js): the address is split at the first `/`; a missing key has no
value (a fallback applies). Asked once per object.
"""

from __future__ import annotations

from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    bucket, slash, key = reference.address.strip().partition("/")
    if not bucket or not slash or not key:
        raise VariableError(f"{reference}: the address must be <bucket>/<key>", "e.g. ${s3:my-bucket/config/key.txt}")
    where = resolver.aws_where()
    memo = (bucket, key)
    if memo not in resolver.s3_objects:
        lookups = resolver.need_lookups(reference)
        if lookups.s3_object is None:
            raise VariableError(f"{reference} needs AWS access to resolve")
        reader = lookups.s3_object
        resolver.s3_objects[memo] = resolver.call_lookup(reference, lambda: reader(bucket, key, **where))
    text = resolver.s3_objects[memo]
    if text is None:
        raise Missing(f"s3://{bucket}/{key} does not exist", "upload it, or give a default: ${s3:bucket/key, 'value'}")
    return text
