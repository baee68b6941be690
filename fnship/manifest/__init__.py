"""The manifest stage: serverless.yml -> a resolved, validated, typed `Manifest`.

Reads the manifest (and files it includes); AWS only through the injected `Lookups`, and only when a
`${ssm:...}` or `${aws:accountId}` variable is actually used. Never imports boto3.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from fnship.errors import Diagnostic, InputError, Location
from fnship.manifest.build import build_manifest
from fnship.manifest.checks import Checker
from fnship.manifest.loader import load_file
from fnship.manifest.types import DEFAULT_REGION, DEFAULT_STAGE, KeyPath, Lookups, Manifest
from fnship.manifest.variables import SOURCES, Resolver
from fnship.manifest.variables.core import Missing, VariableError

__all__ = ["Lookups", "Manifest", "load_manifest"]


def load_manifest(
    path: Path,
    *,
    stage: str | None = None,
    region: str | None = None,
    options: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    lookups: Lookups | None = None,
) -> Manifest:
    """Load, resolve and validate the manifest at `path`. Raises InputError with every problem found."""
    path = Path(path)
    display = str(path)
    loaded = load_file(path, display=display)
    if loaded.data is None:
        if not loaded.diagnostics:
            loaded.diagnostics.append(
                Diagnostic("the manifest is empty", location=Location(display, 1, 1), hint="start from `fn init`")
            )
        elif path.is_dir():
            loaded.diagnostics = [
                Diagnostic(f"{display} is a directory", hint=f"give the manifest file: -c {path / 'serverless.yml'}")
            ]
        elif not path.exists():
            loaded.diagnostics = [
                Diagnostic(
                    f"{display}: file not found", hint="run fn in the service directory (next to serverless.yml)"
                )
            ]
        raise InputError(loaded.diagnostics)
    if not isinstance(loaded.data, dict):
        raise InputError(
            Diagnostic(
                "the manifest must be a mapping of keys (service:, provider:, functions: ...)",
                location=Location(display, 1, 1),
            )
        )
    doc = loaded.data
    diagnostics = list(loaded.diagnostics)  # duplicate keys and the like: keep going, report them all

    options = dict(options or {})
    stage = stage if stage is not None else options.get("stage")
    region = region if region is not None else options.get("region")
    if stage is not None:
        options["stage"] = stage
    if region is not None:
        options["region"] = region
    resolver = Resolver(
        doc,
        file=display,
        root=path.parent,
        locations=loaded.locations,
        sources=SOURCES,
        stage=stage,
        region=region,
        options=options,
        env=os.environ if env is None else env,
        lookups=lookups,
    )
    final_stage, final_region = _stage_and_region(resolver)
    resolver.resolve_all(skip=lambda p: _not_resolved(p, final_stage))
    _drop_other_stage_params(doc, final_stage)
    diagnostics += resolver.diagnostics

    check = Checker(
        file=display,
        locations=loaded.locations,
        key_locations=loaded.key_locations,
        from_variable=resolver.from_variable,
        failed=resolver.failed,
    )
    manifest = build_manifest(doc, check, path=path, stage=final_stage, region=final_region)
    diagnostics += check.diagnostics
    if diagnostics:
        raise InputError(_in_file_order(diagnostics))
    locations = dict(loaded.locations)
    return _with_locator(manifest, locations, display)


def _stage_and_region(resolver: Resolver) -> tuple[str, str]:
    try:
        stage = resolver.stage()
    except (VariableError, Missing):
        stage = DEFAULT_STAGE  # provider.stage failed to resolve: already reported at its place
    try:
        region = resolver.region()
    except (VariableError, Missing):
        region = DEFAULT_REGION
    return stage, region


def _not_resolved(path: KeyPath, stage: str) -> bool:
    """Sections left as written.

    `params.<other stage>`: its `${ssm:...}` may not exist in this stage's account. `resources:` is rejected as a
    whole, and its CloudFormation `Fn::Sub` strings (`${AWS::Region}`) are not ours to resolve.
    """
    if path == ("resources",):
        return True
    return len(path) == 2 and path[0] == "params" and path[1] not in (stage, "default")


def _drop_other_stage_params(doc: dict, stage: str) -> None:
    params = doc.get("params")
    if isinstance(params, dict):
        for key in [k for k in params if k not in (stage, "default")]:
            del params[key]


def _in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def order(d: Diagnostic) -> tuple[int, int]:
        return (d.location.line, d.location.column) if d.location else (0, 0)

    return sorted(diagnostics, key=order)


def _with_locator(manifest: Manifest, locations: dict[KeyPath, Location], display: str) -> Manifest:
    def locate(path: KeyPath) -> Location | None:
        for end in range(len(path), 0, -1):
            found = locations.get(tuple(path[:end]))
            if found is not None:
                return found
        return Location(display, 1, 1)

    return replace(manifest, locator=locate)
