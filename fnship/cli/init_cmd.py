"""`fn init [BLUEPRINT] [DIR]`: start a new service from a blueprint; with no blueprint, list them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fnship.cli import console
from fnship.cli.options import Debug, Json, NoColor


def init(
    blueprint: Annotated[str | None, typer.Argument(help="Blueprint to start from; leave out to list them.")] = None,
    directory: Annotated[Path | None, typer.Argument(help="Where to write it (default: ./BLUEPRINT).")] = None,
    name: Annotated[
        str | None,
        typer.Option("-n", "--name", help="Service name (default: asked on a terminal, else the directory's name)."),
    ] = None,
    region: Annotated[str, typer.Option("-r", "--region", help="provider.region to write.")] = "us-east-1",
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty directory.")] = False,
    json_out: Json = False,
    no_color: NoColor = False,
    debug: Debug = False,
) -> None:
    """Start a new service from a blueprint: serverless.yml, handler, requirements.txt, a unit test, a README."""

    def job() -> int:
        from fnship import init as scaffold

        if blueprint is None:
            return _list(scaffold.list_blueprints())
        chosen = scaffold.find_blueprint(blueprint)
        target = directory or Path(blueprint)
        scaffold.check_target(target, force=force)  # before asking anything
        default_name = scaffold.service_name_from(target)
        if name or json_out:
            service = name or default_name
        else:
            service = console.ask("Service name", default=default_name, check=scaffold.check_service_name)
        scaffold.check_service_name(service)
        values = scaffold.variables(service, region=region)
        files = scaffold.render(chosen, target, values, force=force)
        if json_out:
            console.emit_json(
                "init",
                {
                    "ok": True,
                    "blueprint": chosen.name,
                    "directory": str(target),
                    "service": service,
                    "files": files,
                },
            )
        else:
            console.err(f"Created {service} from blueprint {chosen.name} in {target}:")
            for file in files:
                console.err(f"  {file}")
            console.err("")
            console.err("Next steps:")
            console.err(f"  cd {target}")
            console.err(f"  {chosen.test_command:<20} # the unit tests")
            console.err("  fn validate          # check serverless.yml")
            console.err("  fn deploy            # or: fn local start, then fn deploy --local")
            console.err(f"  see {target / 'README.md'}")
        return 0

    def _list(blueprints) -> int:
        if json_out:
            console.emit_json(
                "init",
                {"ok": True, "blueprints": [{"name": b.name, "description": b.description} for b in blueprints]},
            )
            return 0
        width = max(len(b.name) for b in blueprints)
        console.out("Blueprints (fn init BLUEPRINT [DIR]):")
        for b in blueprints:
            console.out(f"  {b.name.ljust(width)}  {b.description}")
        return 0

    console.run(job, debug=debug, json_mode=json_out, command="init", no_color=no_color)
