"""`fn dev`: the whole service on this machine until Ctrl-C (fnship/local/dev.py does the work)."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Functions, NoColor, Profile, Region, Stage

_STYLES = {
    "error": "\x1b[31m",
    "warning": "\x1b[33m",
    "meta": "\x1b[2m",
    "report": "\x1b[2m",
    "request": "\x1b[36m",
}
_RESET = "\x1b[0m"


def dev(
    port: Annotated[int, typer.Option("--port", "-p", help="HTTP port.", min=0, max=65535)] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    no_events: Annotated[
        bool, typer.Option("--no-events", help="HTTP only: do not deploy to the emulator nor take its events.")
    ] = False,
    functions: Functions = None,
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="One JSON document per line (kind, message) instead of text.")
    ] = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Run the service locally: its HTTP routes, function URLs and events (queues, buckets, topics, streams,
    schedules), in warm workers that pick up saved changes. Handlers' AWS calls and logs go to the embedded
    emulator. Ctrl-C stops everything."""

    def job() -> int:
        from fnship import pipeline
        from fnship.local import dev as core

        color = console.color_allowed(sys.stdout, no_color=no_color)
        lock = threading.Lock()

        def printer(text: str, severity: str) -> None:
            if json_out:
                line = json.dumps({"schema": console.SCHEMA, "command": "dev", "kind": severity, "message": text})
            else:
                style = _STYLES.get(severity) if color else None
                line = f"{style}{text}{_RESET}" if style else text
            with lock:
                print(line, flush=True)

        options = pipeline.Options(
            config=config,
            stage=stage,
            region=region,
            profile=profile,
            local=True,
            functions=tuple(functions or ()),
        )
        core.serve(options, core.Settings(host=host, port=port, events=not no_events), printer=printer)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="dev", no_color=no_color)
