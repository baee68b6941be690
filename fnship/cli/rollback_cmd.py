"""`fn rollback`: move every function's alias back to its previous release (or `--to` one), code and
configuration together; aborts a shift in progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Functions, Json, Local, NoColor, Profile, Region, Stage, Yes, load_service
from fnship.cli.release_options import WaitLock, lock_waiting


def rollback(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="A version number (with -f) or a release id from `fn releases` (every function)."),
    ] = None,
    wait_lock: WaitLock = 0,
    yes: Yes = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Point the alias back at the previous release (or --to one), for every function at once."""

    def job() -> int:
        from fnship import pipeline
        from fnship import rollback as core

        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        target = f"release {to}" if to else "the previous release"
        if not console.confirm(f"Roll {loaded.manifest.service} ({loaded.manifest.stage}) back to {target}?", yes=yes):
            console.err("Nothing changed.")
            return 0
        with pipeline.deploy_lock(
            loaded, command="fn rollback", wait=wait_lock, on_wait=None if json_out else lock_waiting
        ):
            moves = core.rollback(loaded.aws, loaded.manifest, only=functions or (), to=to)
        failed = [m for m in moves if m.error]
        if json_out:
            error_part = {"error": console.error_payload(_failure(moves))} if failed else {}
            console.emit_json("rollback", {"ok": not failed, "functions": [m.to_dict() for m in moves], **error_part})
        else:
            for move in moves:
                if move.error:
                    console.err(f"  ✗ {move.function_key}: {move.error}")
                elif move.aborted_shift:
                    shares = ", ".join(f"v{v} {w:.0%}" for v, w in move.weights.items())
                    console.out(
                        f"  ↩ {move.function_key}: shift aborted ({shares}); {move.alias} -> version {move.after}"
                    )
                elif move.before == move.after:
                    console.out(f"  = {move.function_key}: {move.alias} already on version {move.after}")
                else:
                    console.out(f"  ↩ {move.function_key}: {move.alias} version {move.before} -> {move.after}")
        if failed:
            console.fail_after_json(_failure(moves), json_mode=json_out, debug=debug)
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="rollback", no_color=no_color)


def _failure(moves):
    from fnship.errors import FnError

    failed = [m.function_key for m in moves if m.error]
    moved = [m.function_key for m in moves if not m.error and m.before != m.after]
    done = f"{', '.join(moved)} rolled back" if moved else "nothing was rolled back"
    return FnError(f"rollback failed for {', '.join(failed)}", hint=f"{done}; `fn releases` lists the versions")
