"""Typed specs the tests build resources from (a Resource is made from its kind's spec, never from raw attributes)."""

from __future__ import annotations

from fnship.kinds.function import LambdaFunction

# A zip function with Lambda's defaults: tests `dataclasses.replace` what they vary.
FUNCTION = LambdaFunction(
    runtime="python3.12",
    handler="app.main",
    memory_size=128,
    timeout=3,
    architecture="x86_64",
    description="",
    environment={},
    ephemeral_storage=512,
    layers=(),
    role="arn:aws:iam::123456789012:role/r",
    code_sha256="abc",
    reserved_concurrency=None,
    tags={},
    vpc=None,
    tracing="PassThrough",
    dead_letter_arn=None,
    kms_key_arn=None,
)
