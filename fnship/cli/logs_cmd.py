"""`fn logs`: show (or follow) the functions' logs, merged by time and labelled per function."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Functions, Local, NoColor, Profile, Region, Stage, load_service

_STYLES = {"error": "\x1b[31m", "warning": "\x1b[33m", "report": "\x1b[2m", "meta": "\x1b[2m"}
_LABELS = ("\x1b[36m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[33m")
_RESET = "\x1b[0m"


def logs(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    tail: Annotated[bool, typer.Option("-t", "--tail", help="Keep following new events until Ctrl-C.")] = False,
    since: Annotated[
        str, typer.Option("--since", help="Start: a duration ago (30s, 10m, 2h, 1d) or an ISO 8601 time (UTC).")
    ] = "10m",
    until: Annotated[
        str | None, typer.Option("--until", help="End (not with --tail): a duration ago or an ISO 8601 time.")
    ] = None,
    pattern: Annotated[
        str | None,
        typer.Option("--filter", help="A CloudWatch Logs filter pattern, e.g. ERROR or '{ $.level = \"ERROR\" }'."),
    ] = None,
    pretty: Annotated[bool, typer.Option("--pretty", help="Indent JSON log lines.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object per event (JSON Lines).")] = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Show the functions' logs (all of them unless -f), merged by time; --tail follows them live."""

    def job() -> int:
        from fnship import logs as core
        from fnship.errors import InputError

        if tail and until:
            raise InputError("--until cannot be used with --tail (a tail has no end)")
        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        sources = core.sources_for(loaded.manifest, functions or ())
        now = time.time()
        start = core.parse_time(since, now=now, option="--since")
        end = core.parse_time(until, now=now, option="--until") if until else None
        if end is not None and end < start:
            raise InputError(f"--since {since} is after --until {until}", hint="--since gives the earlier time")
        formatter = core.formatter_for(sources, pretty=pretty)
        colours = {s.key: _LABELS[i % len(_LABELS)] for i, s in enumerate(sources)}
        colour = console.color_allowed(sys.stdout) and not json_out

        def emit(event) -> None:
            line = formatter.format(event)
            if json_out:
                print(json.dumps({"schema": console.SCHEMA, **line.record}, default=str), flush=True)
                return
            text = line.text
            if colour:
                style = _STYLES.get(line.severity)
                if style:
                    text = f"{style}{text}{_RESET}"
                elif formatter.labels:
                    text = text.replace(
                        f" {event.source.key} ", f" {colours[event.source.key]}{event.source.key}{_RESET} ", 1
                    )
            print(text, flush=True)

        api = loaded.aws.logs_read
        if not tail:
            for event in core.fetch(api, sources, start_ms=start, end_ms=end, pattern=pattern):
                emit(event)
            return 0
        tailer = core.Tailer(
            api=api,
            sources=sources,
            emit=emit,
            clock=time.time,
            sleep=time.sleep,
            pattern=pattern,
            notice=lambda text: console.err(f"info: {text}"),
        )
        emulated = bool(loaded.aws.target.local)
        if emulated:
            console.err(f"info: the local emulator has no live tail: polling every {tailer.poll_interval:g} s")
        try:
            tailer.run(since_ms=start, live=not emulated)
        except KeyboardInterrupt:  # the way a tail ends: not an error
            return 0
        return 0

    console.run(job, debug=debug, json_mode=False, command="logs", no_color=no_color)
