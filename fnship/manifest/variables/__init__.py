"""`${...}` variables: the resolver core and one module per source, wired by an explicit table."""

from __future__ import annotations

from collections.abc import Mapping

from fnship.manifest.variables import aws, cf, env, file, opt, param, s3, selfref, sls, ssm
from fnship.manifest.variables.core import Resolver, SourceFn

SOURCES: Mapping[str, SourceFn] = {
    "self": selfref.resolve,
    "opt": opt.resolve,
    "env": env.resolve,
    "sls": sls.resolve,
    "aws": aws.resolve,
    "param": param.resolve,
    "file": file.resolve,
    "ssm": ssm.resolve,
    "cf": cf.resolve,
    "s3": s3.resolve,
}

__all__ = ["SOURCES", "Resolver"]
