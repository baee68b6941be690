"""Option aliases shared by every command, so each command declares them the same way, and the one place that
turns the service options (-c, -s, -r, --profile, --local, -f) into a loaded service."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer


def _find_config(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """Without -c (or FN_CONFIG), the manifest is found as Serverless v3 finds it: serverless.yml, .yaml, .json."""
    source = ctx.get_parameter_source(param.name or "config")
    if source is None or source.name != "DEFAULT":  # typer ships its own click: compare the enum by name
        return value
    from fnship.manifest import find_manifest

    found = find_manifest(Path("."))
    return Path(found.name)


Config = Annotated[
    Path,
    typer.Option(
        "-c",
        "--config",
        help="The manifest (default: serverless.yml, .yaml or .json, the first found, as Serverless v3).",
        show_default=True,
        envvar="FN_CONFIG",
        callback=_find_config,
    ),
]
Stage = Annotated[str | None, typer.Option("-s", "--stage", help="Stage (default: provider.stage, else dev).")]
Region = Annotated[str | None, typer.Option("-r", "--region", help="AWS region (default: provider.region).")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]
Local = Annotated[bool, typer.Option("--local", help="Use the embedded AWS emulator (also FN_LOCAL=1).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
Yes = Annotated[bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")]
Refresh = Annotated[
    bool,
    typer.Option(
        "--refresh",
        help="Read every resource on the functions' aliases instead of taking what the last deploy's record says.",
    ),
]
Functions = Annotated[list[str] | None, typer.Option("-f", "--function", help="Only this function (repeatable).")]
NoColor = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1; never without a terminal).")]


def load_service(
    *, config: Path, stage: str | None, region: str | None, profile: str | None, local: bool, functions=None
):
    """pipeline.load for the service options a command declares (the core is imported here, not at import time)."""
    from fnship import pipeline

    check_endpoint_env(os.environ)

    options = pipeline.Options(
        config=config, stage=stage, region=region, profile=profile, local=local, functions=tuple(functions or ())
    )
    return pipeline.load(options)


def check_endpoint_env(environ: Mapping[str, str]) -> None:
    """AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) must be an http(s) URL with a host: botocore would fail
    with a bare ValueError on the first call. Exit 2 naming the variable and what is allowed."""
    from fnship.errors import Diagnostic, InputError

    problems = []
    for name, value in sorted(environ.items()):
        if not (name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_")):
            continue
        try:
            parts = urllib.parse.urlsplit(value)
            parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # a malformed IPv6 host, a port that is not a number
            valid = False
        if not valid:
            problems.append(
                Diagnostic(
                    f"{value!r} is not an endpoint URL",
                    key=name,
                    hint="give http(s)://host[:port] (e.g. http://127.0.0.1:4566 for an emulator), or unset it to "
                    "use AWS's own endpoints",
                )
            )
    if problems:
        raise InputError(problems)
