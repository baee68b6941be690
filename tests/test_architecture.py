"""The shape DESIGN.md draws, checked by walking imports (ast): a forbidden edge fails here, not in review."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fnship

PACKAGE = Path(fnship.__file__).parent


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports (anywhere in it, lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def module_files() -> list[tuple[str, Path]]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        files.append((".".join(relative.parts), path))
    return files


def top(name: str) -> str:
    return name.split(".")[0]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


THIRD_PARTY_HOMES = {
    "boto3": ["fnship.aws"],
    "botocore": ["fnship.aws"],
    "typer": ["fnship.cli"],
    "rich": ["fnship.cli"],
    "yaml": ["fnship.manifest.loader"],
}

# package -> fnship packages it must never import
FORBIDDEN = {
    "fnship.manifest": [
        "fnship.model",
        "fnship.plan",
        "fnship.executor",
        "fnship.packaging",
        "fnship.strategies",
        "fnship.aws",
        "fnship.cli",
        "fnship.pipeline",
    ],
    "fnship.model": [
        "fnship.plan",
        "fnship.executor",
        "fnship.aws",
        "fnship.strategies",
        "fnship.cli",
        "fnship.pipeline",
    ],
    "fnship.plan": ["fnship.executor", "fnship.cli", "fnship.pipeline"],
    "fnship.packaging": ["fnship.model", "fnship.plan", "fnship.executor", "fnship.cli", "fnship.pipeline"],
    "fnship.executor": ["fnship.cli", "fnship.pipeline"],
    # Prices and cost arithmetic: AWS only through the adapter handed in, never the plan's or executor's code.
    "fnship.cost": ["fnship.aws", "fnship.plan", "fnship.executor", "fnship.cli", "fnship.pipeline"],
    # A trigger type's module is pure: it parses, renders and names the kinds that read and apply it.
    "fnship.triggers": [
        "fnship.plan",
        "fnship.executor",
        "fnship.aws",
        "fnship.strategies",
        "fnship.cli",
        "fnship.pipeline",
    ],
    # A kind module owns one resource kind's spec, steps and handlers; the planner and the executor use it.
    "fnship.kinds": ["fnship.executor", "fnship.cli", "fnship.pipeline"],
    "fnship.strategies": ["fnship.cli", "fnship.pipeline"],
    "fnship.aws": [
        "fnship.kinds",
        "fnship.manifest",
        "fnship.model",
        "fnship.plan",
        "fnship.executor",
        "fnship.packaging",
        "fnship.strategies",
        "fnship.cli",
        "fnship.pipeline",
    ],
}


def test_heavy_third_party_modules_stay_in_their_layer():
    offenders = []
    for module, path in module_files():
        for imported in imports_of(path):
            homes = THIRD_PARTY_HOMES.get(top(imported))
            if homes and not any(within(module, home) for home in homes):
                offenders.append(f"{module} imports {imported}")
    assert offenders == []


def test_no_forbidden_edges_between_stages():
    offenders = []
    for module, path in module_files():
        for package, banned in FORBIDDEN.items():
            if within(module, package):
                offenders += [f"{module} -> {i}" for i in imports_of(path) if any(within(i, b) for b in banned)]
    assert offenders == []


def test_the_walker_sees_lazy_imports():
    sample = PACKAGE / "aws" / "__init__.py"
    assert "fnship.aws.lambda_api" in imports_of(sample)


@pytest.mark.parametrize(
    ("argv", "banned"),
    [
        (["fn", "--version"], {"boto3", "botocore", "typer", "rich", "fnship.pipeline", "importlib.metadata"}),
        (["fn", "--help"], {"boto3", "botocore", "fnship.pipeline", "yaml"}),
    ],
    ids=["version", "help"],
)
def test_startup_imports_nothing_heavy(argv, banned):
    modules = modules_after(argv)
    assert "fnship.cli.app" in modules
    assert modules & banned == set()


def modules_after(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> set[str]:
    """Every module `fn` has imported when it is done, run as `argv` in a fresh interpreter."""
    code = (
        "import sys\n"
        f"sys.argv = {argv!r}\n"
        "from fnship.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
        "sys.stdout = sys.__stdout__\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    return set(out.stderr.split())


# What loading a manifest and packaging an unchanged function never needs: the AWS SDK (its loader alone pulls in
# urllib3, http.client and email), an HTTP client, importlib.metadata, a thread pool for one artifact (and the
# `logging` it imports), the tar reader that fetches esbuild. Start-up is most of an unchanged `fn package`
# (bench/bench_startup.py).
STARTUP_HEAVY = {"boto3", "botocore", "urllib3", "http.client", "urllib.request", "importlib.metadata", "rich",
                 "concurrent.futures", "logging", "tarfile"}  # fmt: skip


@pytest.mark.parametrize("command", ["validate", "package"])
def test_the_manifest_load_path_imports_nothing_heavy(tmp_path, command):
    service = tmp_path / "service"  # the cache outside it: inside, the cache's files would ship (and change)
    service.mkdir()
    (service / "app.py").write_text("def main(event, context):\n    return 1\n")
    (service / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  api:\n    handler: app.main\n"
    )
    env = {"FN_CACHE_DIR": str(tmp_path / "cache")}
    first = modules_after(["fn", command], cwd=service, env=env)  # reads the runtimes from botocore, once
    assert "fnship.cli.app" in first and "fnship.manifest.loader" in first
    assert (tmp_path / "cache" / "botocore-models" / "lambda-runtimes.json").is_file()
    built = service / ".fn" / "build" / "dev" / "s.zip"
    written = built.stat().st_mtime_ns if command == "package" else None
    again = modules_after(["fn", command], cwd=service, env=env)
    assert "fnship.manifest.loader" in again
    if command == "package":
        assert built.stat().st_mtime_ns == written  # unchanged: the cached zip, not rewritten
    assert again & STARTUP_HEAVY == set()
    # Nor the stages after packaging: a manifest without events imports no trigger type, no kind, no model.
    assert sorted(m for m in again if any(within(m, p) for p in AFTER_PACKAGING)) == []


# The stages an unchanged `fn package` never reaches; their modules (and the frozen dataclasses, compiled patterns
# and tables they build at import) are most of a start-up otherwise. The trigger table and the kinds' table load
# their modules on first use (fnship/lazy.py, fnship/kinds/__init__.py).
AFTER_PACKAGING = ("fnship.triggers", "fnship.kinds", "fnship.model", "fnship.plan", "fnship.executor",
                   "fnship.strategies", "fnship.local")  # fmt: skip


def test_a_manifest_imports_only_the_trigger_types_it_uses(tmp_path):
    (tmp_path / "app.py").write_text("def main(event, context):\n    return 1\n")
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  api:\n    handler: app.main\n"
        "    events:\n      - sqs: arn:aws:sqs:us-east-1:123456789012:orders\n"
    )
    modules = modules_after(["fn", "package"], cwd=tmp_path, env={"FN_CACHE_DIR": str(tmp_path / "cache")})
    triggers = sorted(m for m in modules if m.startswith("fnship.triggers."))
    assert triggers == ["fnship.triggers.base", "fnship.triggers.sqs"]
    # The sqs kind's module, not the kinds' table (every kind, the release strategies behind the alarm kind).
    assert "fnship.kinds.event_source_mapping" in modules
    assert {"fnship.kinds.alarm", "fnship.kinds.rest_api", "fnship.strategies"} & modules == set()


def test_the_lazy_tables_list_every_trigger_type_and_kind():
    from fnship.kinds import HANDLERS, KINDS
    from fnship.triggers import TRIGGERS
    from fnship.triggers.base import TriggerType

    assert all(isinstance(trigger, TriggerType) for trigger in TRIGGERS.values())
    assert {"httpApi", "sqs", "url"} <= set(TRIGGERS)
    assert all(name == kind.name for name, kind in KINDS.items())
    assert "function" in KINDS and len(HANDLERS) >= len(KINDS)
    with pytest.raises(KeyError):
        TRIGGERS["carrierPigeon"]
