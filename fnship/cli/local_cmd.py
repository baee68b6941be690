"""`fn local start | stop | status`: the embedded AWS emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from fnship.cli import console
from fnship.cli.options import Debug, Json, NoColor
from fnship.jsonvalue import JsonObject

if TYPE_CHECKING:
    from fnship.local.emulator import Status

local_app = typer.Typer(help="Run the embedded AWS emulator (moto server) on 127.0.0.1:4566.", no_args_is_help=True)

# What a subcommand does to the emulator: its JSON payload (besides "ok") and its text lines.
Act = Callable[[], tuple[JsonObject, list[str]]]


def _status_payload(status: Status) -> JsonObject:
    return {"running": status.running, "endpoint": status.endpoint, "pid": status.pid, "log_file": status.log_file}


def _run(command: str, act: Act, *, json_out: bool, no_color: bool, debug: bool) -> None:
    def job() -> int:
        payload, lines = act()
        if json_out:
            console.emit_json(command, {"ok": True, **payload})
        else:
            for line in lines:
                console.out(line)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command=command, no_color=no_color)


@local_app.command("start")
def start(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Start the emulator in the background (a no-op when it already runs)."""

    def act() -> tuple[JsonObject, list[str]]:
        from fnship.local import emulator

        status = emulator.start()
        return _status_payload(status), [
            f"Local AWS emulator running at {status.endpoint} (pid {status.pid}).",
            "Use --local (or FN_LOCAL=1) with any fn command to use it.",
        ]

    _run("local start", act, json_out=json_out, no_color=no_color, debug=debug)


@local_app.command("stop")
def stop(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Stop the emulator. Its state (everything deployed to it) is gone."""

    def act() -> tuple[JsonObject, list[str]]:
        from fnship.local import emulator

        stopped = emulator.stop()
        return {"stopped": stopped}, [
            "Local AWS emulator stopped." if stopped else "Local AWS emulator was not running."
        ]

    _run("local stop", act, json_out=json_out, no_color=no_color, debug=debug)


@local_app.command("status")
def status(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Say whether the emulator runs, and where."""

    def act() -> tuple[JsonObject, list[str]]:
        from fnship.local import emulator

        current = emulator.status()
        state = "running" if current.running else "not running"
        return _status_payload(current), [f"Local AWS emulator {state} at {current.endpoint}."]

    _run("local status", act, json_out=json_out, no_color=no_color, debug=debug)
