"""`fn releases`: each function's published versions with their release record, and what the alias serves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Config, Debug, Functions, Json, Local, NoColor, Profile, Region, Stage, load_service

if TYPE_CHECKING:
    from fnship.rollback import FunctionReleases


def render(functions: list[FunctionReleases], *, limit: int) -> str:
    lines = []
    for fn in functions:
        if not fn["deployed"]:
            lines.append(f"{fn['function']}: {fn['name']} (not deployed)")
            continue
        shift = " (shift in progress)" if fn["weights"] else ""
        lines.append(f"{fn['function']}: {fn['name']} alias {fn['alias']} -> version {fn['version']}{shift}")
        for row in fn["releases"][:limit]:
            mark = "*" if row["weight"] is not None else " "
            share = f" {row['weight']:.0%}" if row["weight"] is not None and fn["weights"] else ""
            if row["release"]:
                detail = f"{row['release']}  {row['time'] or ''}  {row['commit'] or '-'}  {row['by'] or '-'}"
            else:
                detail = row["description"] or "(no release record)"
            unfinished = "  (release did not complete)" if row["completed"] is False else ""
            lines.append(f"  {mark} v{row['version']:<4}{share}  {detail}{unfinished}")
        lines.append("")
    return "\n".join(lines)


def releases(
    config: Config = Path("serverless.yml"),
    stage: Stage = None,
    region: Region = None,
    profile: Profile = None,
    local: Local = False,
    functions: Functions = None,
    limit: Annotated[int, typer.Option("--limit", help="Releases shown per function (text output).")] = 10,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """List each function's releases (newest first): version, release id, time, commit, who; * marks the live one."""

    def job() -> int:
        from fnship import rollback as core

        loaded = load_service(
            config=config, stage=stage, region=region, profile=profile, local=local, functions=functions
        )
        found = core.list_releases(loaded.aws, loaded.manifest, only=functions or ())
        if json_out:
            console.emit_json("releases", {"ok": True, "functions": found})
        else:
            console.out(render(found, limit=limit))
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="releases", no_color=no_color)
