"""`fn init`: find the blueprints and render one into a directory.

Blueprints are directories of jinja2 templates (`blueprints/<name>/`, at the repository root in a source checkout,
`fnship/blueprints/` inside the wheel). Files ending in `.j2` are rendered with StrictUndefined and lose the suffix;
`blueprint.json` describes the blueprint and is not copied. The only module that imports jinja2.
Writes files only under the target directory; no AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from fnship.errors import FnError, InputError

TEMPLATE_SUFFIX = ".j2"
META_FILE = "blueprint.json"
DEFAULT_RUNTIME = "python3.12"
DEFAULT_REGION = "us-east-1"
# Same rule as the manifest's `service:` (schema.SERVICE_NAME): a letter, then letters, digits and dashes.
SERVICE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,127}$")


@dataclass(frozen=True)
class Blueprint:
    name: str
    description: str
    path: Path
    test_command: str = "python -m pytest"  # blueprint.json's `test`: how the blueprint's unit tests run


def blueprints_dir(package_dir: Path | None = None) -> Path:
    """Where the blueprints are: inside the installed package (the wheel force-includes them as
    `fnship/blueprints`), else next to the package in a source checkout."""
    package_dir = package_dir or Path(__file__).resolve().parent
    for candidate in (package_dir / "blueprints", package_dir.parent / "blueprints"):
        if candidate.is_dir() and any(candidate.glob(f"*/{META_FILE}")):
            return candidate
    raise FnError(
        f"no blueprints found next to {package_dir}",
        hint="reinstall fnship (the wheel ships them as fnship/blueprints)",
    )


def list_blueprints(root: Path | None = None) -> list[Blueprint]:
    root = root or blueprints_dir()
    found = []
    for meta in sorted(root.glob(f"*/{META_FILE}")):
        described = json.loads(meta.read_text(encoding="utf-8"))
        found.append(Blueprint(meta.parent.name, described.get("description", ""), meta.parent,
                               described.get("test", Blueprint.test_command)))  # fmt: skip
    return found


def find_blueprint(name: str, root: Path | None = None) -> Blueprint:
    available = list_blueprints(root)
    for blueprint in available:
        if blueprint.name == name:
            return blueprint
    raise InputError(f"no blueprint named {name!r}", hint="choose one of: " + ", ".join(b.name for b in available))


def service_name_from(directory: Path) -> str:
    """A valid service name derived from a directory name: `My App_2` -> `my-app-2`."""
    words = re.findall(r"[a-zA-Z0-9]+", directory.resolve().name.lower())
    name = "-".join(words).lstrip("0123456789-")
    return name[:128] or "my-service"


def check_service_name(name: str) -> None:
    if not SERVICE_NAME.match(name):
        raise InputError(
            f"{name!r} is not a valid service name",
            hint="start with a letter; use letters, digits and dashes; at most 128 characters",
        )


def variables(service: str, *, region: str = DEFAULT_REGION, runtime: str = DEFAULT_RUNTIME) -> dict[str, str]:
    """What every blueprint may use. Unknown names fail loudly (StrictUndefined)."""
    return {
        "service": service,
        "region": region,
        "runtime": runtime,
        "base_image": "python:" + runtime.removeprefix("python"),
        # Bucket names are global across AWS accounts: the service name alone would often be taken.
        "bucket": f"{service}-uploads",
    }


def planned_files(blueprint: Blueprint) -> list[tuple[Path, str]]:
    """(template file, output path relative to the target) for every file the blueprint makes."""
    files = []
    for source in sorted(p for p in blueprint.path.rglob("*") if p.is_file()):
        relative = source.relative_to(blueprint.path)
        if relative.as_posix() == META_FILE or "__pycache__" in relative.parts:
            continue
        target = relative.as_posix().removesuffix(TEMPLATE_SUFFIX)
        files.append((source, target))
    return files


def existing_entries(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise InputError(f"{directory} exists and is not a directory")
    return sorted(p.name for p in directory.iterdir())


def check_target(directory: Path, *, force: bool) -> None:
    """Refuse a non-empty directory unless `force` (then the blueprint's files are overwritten, others kept)."""
    entries = existing_entries(directory)
    if entries and not force:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise InputError(
            f"{directory} is not empty ({shown})",
            hint="choose a new or empty directory, or pass --force to write the blueprint's files over it",
        )


def render(blueprint: Blueprint, directory: Path, values: dict[str, str], *, force: bool = False) -> list[str]:
    """Write the blueprint into `directory`; returns the files written (relative paths).

    Every template is rendered before anything is written, so a template error leaves the directory untouched.
    """
    import jinja2

    check_target(directory, force=force)
    # bandit B701 waived: the templates render YAML, Python and Markdown files, never HTML; escaping would corrupt them.
    env = jinja2.Environment(  # nosec B701
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False, trim_blocks=False
    )
    rendered: list[tuple[str, str]] = []
    for source, target in planned_files(blueprint):
        text = source.read_text(encoding="utf-8")
        if source.name.endswith(TEMPLATE_SUFFIX):
            try:
                text = env.from_string(text).render(**values)
            except jinja2.TemplateError as exc:
                where = f"{source}:{getattr(exc, 'lineno', None) or 1}"
                raise FnError(f"{where} blueprint {blueprint.name}: {exc}", hint="this is a bug in fnship") from exc
        rendered.append((target, text))
    for target, text in rendered:
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return [target for target, _ in rendered]
