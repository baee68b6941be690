"""`fn local start | stop | status`: the embedded AWS emulator."""

from __future__ import annotations

import typer

from fnship.cli import console
from fnship.cli.options import Debug, Json, NoColor

local_app = typer.Typer(help="Run the embedded AWS emulator (moto server) on 127.0.0.1:4566.", no_args_is_help=True)


def _status_payload(status) -> dict:
    return {"running": status.running, "endpoint": status.endpoint, "pid": status.pid, "log_file": status.log_file}


@local_app.command("start")
def start(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Start the emulator in the background (a no-op when it already runs)."""

    def job() -> int:
        from fnship.local import emulator

        status = emulator.start()
        if json_out:
            console.emit_json("local start", {"ok": True, **_status_payload(status)})
        else:
            console.out(f"Local AWS emulator running at {status.endpoint} (pid {status.pid}).")
            console.out("Use --local (or FN_LOCAL=1) with any fn command to use it.")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="local start", no_color=no_color)


@local_app.command("stop")
def stop(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Stop the emulator. Its state (everything deployed to it) is gone."""

    def job() -> int:
        from fnship.local import emulator

        stopped = emulator.stop()
        if json_out:
            console.emit_json("local stop", {"ok": True, "stopped": stopped})
        else:
            console.out("Local AWS emulator stopped." if stopped else "Local AWS emulator was not running.")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="local stop", no_color=no_color)


@local_app.command("status")
def status(json_out: Json = False, no_color: NoColor = False, debug: Debug = False) -> None:
    """Say whether the emulator runs, and where."""

    def job() -> int:
        from fnship.local import emulator

        current = emulator.status()
        if json_out:
            console.emit_json("local status", {"ok": True, **_status_payload(current)})
        else:
            state = "running" if current.running else "not running"
            console.out(f"Local AWS emulator {state} at {current.endpoint}.")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="local status", no_color=no_color)
