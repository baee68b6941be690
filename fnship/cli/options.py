"""Option aliases shared by every command, so each command declares them the same way, and the one place that
turns the service options (-c, -s, -r, --profile, --local, -f) into a loaded service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Config = Annotated[Path, typer.Option("-c", "--config", help="The manifest.", show_default=True, envvar="FN_CONFIG")]
Stage = Annotated[str | None, typer.Option("-s", "--stage", help="Stage (default: provider.stage, else dev).")]
Region = Annotated[str | None, typer.Option("-r", "--region", help="AWS region (default: provider.region).")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]
Local = Annotated[bool, typer.Option("--local", help="Use the embedded AWS emulator (also FN_LOCAL=1).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
Yes = Annotated[bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")]
Functions = Annotated[list[str] | None, typer.Option("-f", "--function", help="Only this function (repeatable).")]
NoColor = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1; never without a terminal).")]


def load_service(
    *, config: Path, stage: str | None, region: str | None, profile: str | None, local: bool, functions=None
):
    """pipeline.load for the service options a command declares (the core is imported here, not at import time)."""
    from fnship import pipeline

    options = pipeline.Options(
        config=config, stage=stage, region=region, profile=profile, local=local, functions=tuple(functions or ())
    )
    return pipeline.load(options)
