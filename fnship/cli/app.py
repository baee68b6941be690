"""The `fn` entry point. `fn --version` answers before typer, rich or boto3 are imported, so it is instant."""

from __future__ import annotations

import sys


def version_text() -> str:
    from fnship import __version__

    python = sys.version.split()[0]  # what platform.python_version() says, without importing platform
    return f"fnship {__version__} (Python {python}, boto3 {_distribution_version('boto3')})"


def _distribution_version(name: str) -> str:
    """The installed version of `name`, from its `.dist-info` directory's name next to the package when there is
    exactly one (a listing: importlib.metadata alone costs more than the rest of `fn --version`), else from
    importlib.metadata."""
    import importlib.util
    import os

    spec = importlib.util.find_spec(name)  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        where = os.path.dirname(next(iter(spec.submodule_search_locations)))
        try:
            found = [e for e in os.listdir(where) if e.startswith(f"{name}-") and e.endswith(".dist-info")]
        except OSError:
            found = []
        if len(found) == 1:
            return found[0][len(name) + 1 : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# Command name -> (module, function). An explicit table: `fn <command>` imports and registers only its own
# command (typer inspects every registered signature at start-up), `fn --help` registers them all.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("fnship.cli.init_cmd", "init"),
    "validate": ("fnship.cli.commands", "validate"),
    "package": ("fnship.cli.commands", "package"),
    "plan": ("fnship.cli.commands", "plan"),
    "deploy": ("fnship.cli.commands", "deploy"),
    "info": ("fnship.cli.commands", "info"),
    "remove": ("fnship.cli.commands", "remove"),
    "rollback": ("fnship.cli.rollback_cmd", "rollback"),
    "releases": ("fnship.cli.releases_cmd", "releases"),
    "unlock": ("fnship.cli.unlock_cmd", "unlock"),
    "invoke": ("fnship.cli.invoke_cmd", "invoke"),
    "logs": ("fnship.cli.logs_cmd", "logs"),
    "event": ("fnship.cli.event_cmd", "event"),
    "cost": ("fnship.cli.cost_cmd", "cost"),
    "tune": ("fnship.cli.tune_cmd", "tune"),
    "dev": ("fnship.cli.dev_cmd", "dev"),
}
GROUPS: dict[str, tuple[str, str]] = {"local": ("fnship.cli.local_cmd", "local_app")}


def build_app(only: str | None = None):
    """The typer app with every command, or with just `only` when it names one (the others cannot run anyway)."""
    import importlib

    import typer

    app = typer.Typer(
        name="fn",
        help="fnship: ship AWS Lambda functions from a serverless.yml, straight through boto3.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    def show_version(value: bool) -> None:
        if value:
            print(version_text())
            raise typer.Exit(0)

    @app.callback()
    def main_options(
        version: bool = typer.Option(
            False,
            "--version",
            callback=show_version,
            is_eager=True,
            help="Print fnship's, Python's and boto3's versions.",
        ),
    ) -> None:
        """fnship: ship AWS Lambda functions from a serverless.yml, straight through boto3."""

    selected = [only] if only in COMMANDS or only in GROUPS else [*COMMANDS, *GROUPS]
    for name in selected:
        if name in COMMANDS:
            module, function = COMMANDS[name]
            app.command(name)(getattr(importlib.import_module(module), function))
        else:
            module, attribute = GROUPS[name]
            app.add_typer(getattr(importlib.import_module(module), attribute), name=name)
    return app


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(version_text())
        return
    _collect_less_often()
    first = sys.argv[1] if len(sys.argv) > 1 else None
    app = build_app(first)
    try:
        if "--json" not in sys.argv[1:]:
            app(prog_name="fn")
            return
        _run_json(app, sys.argv[1:])
    finally:
        _skip_the_last_collection()


def _collect_less_often() -> None:
    """Importing a command's modules allocates tens of thousands of objects that all live until exit; with the
    default threshold (700) the collector walks them over and over while they load (about 8% of an unchanged
    `fn package`, bench/bench_startup.py). Young collections still run, every 50,000 allocations: a long command
    (`fn dev`, a deploy) still frees its cycles."""
    import gc

    gc.set_threshold(50_000, 10, 10)


def _skip_the_last_collection() -> None:
    """The command is done and the process exits next: the garbage collector's last full pass over every object
    of every imported module would only free memory the exit frees anyway (about 25 ms of a 0.2 s `fn package`).
    Frozen objects are left out of that pass; atexit handlers and module teardown still run."""
    import gc

    gc.freeze()


def _run_json(app, args: list[str]) -> None:
    """Run with --json: a usage error (an unknown option, a missing argument) still prints one JSON document,
    so a pipeline that parses stdout always has something to parse."""
    import typer
    import typer.main
    from typer._click.exceptions import ClickException  # typer 0.26 (pinned) vendors click; no public name

    from fnship.cli import console

    try:
        code = typer.main.get_command(app).main(args=args, prog_name="fn", standalone_mode=False)
    except ClickException as error:
        words = [word for word in args[:2] if not word.startswith("-")]
        command = " ".join(words[:2] if words and words[0] in GROUPS else words[:1])
        hint = f"`fn {command} --help` lists its options".replace("fn  ", "fn ")
        message = error.format_message()
        usage = {"type": "usage", "message": message, "hint": hint, "exit_code": error.exit_code}
        console.emit_json(command, {"ok": False, "error": usage})
        error.show()
        sys.exit(error.exit_code)  # 2 (EXIT_BAD_INPUT) for every usage error
    except typer.Abort:
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
