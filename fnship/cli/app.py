"""The `fn` entry point. `fn --version` answers before typer, rich or boto3 are imported, so it is instant."""

from __future__ import annotations

import sys


def version_text() -> str:
    import platform
    from importlib import metadata

    from fnship import __version__

    try:
        boto3_version = metadata.version("boto3")
    except metadata.PackageNotFoundError:
        boto3_version = "not installed"
    return f"fnship {__version__} (Python {platform.python_version()}, boto3 {boto3_version})"


def build_app():
    import typer

    from fnship.cli import commands
    from fnship.cli.event_cmd import event
    from fnship.cli.init_cmd import init
    from fnship.cli.invoke_cmd import invoke
    from fnship.cli.local_cmd import local_app
    from fnship.cli.logs_cmd import logs
    from fnship.cli.releases_cmd import releases
    from fnship.cli.rollback_cmd import rollback
    from fnship.cli.unlock_cmd import unlock

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

    for command in (
        init,
        commands.validate,
        commands.package,
        commands.plan,
        commands.deploy,
        commands.info,
        commands.remove,
        rollback,
        releases,
        unlock,
        invoke,
        logs,
        event,
    ):
        app.command()(command)
    app.add_typer(local_app, name="local")
    return app


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(version_text())
        return
    build_app()(prog_name="fn")


if __name__ == "__main__":
    main()
