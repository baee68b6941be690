"""Builders for the packaging tests: a Manifest made directly (not through the loader) and a file tree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fnship.errors import Location
from fnship.manifest.types import FunctionSpec, IamSpec, Manifest, PackageSpec, ProviderSpec


def make_manifest(
    root: Path,
    *,
    service: str = "svc",
    package: PackageSpec | None = None,
    functions: Mapping[str, PackageSpec] | None = None,
) -> Manifest:
    """A manifest at `root/serverless.yml` with functions `key -> their package:` (default: one `api`)."""
    functions = {"api": PackageSpec()} if functions is None else functions
    provider = ProviderSpec(
        name="aws",
        runtime="python3.12",
        region="us-east-1",
        stage="dev",
        profile=None,
        memory_size=1024,
        timeout=6,
        architecture="x86_64",
        environment={},
        tags={},
        log_retention_days=None,
        version_functions=True,
        deployment_bucket=None,
        iam=IamSpec(),
    )
    specs = {
        key: FunctionSpec(
            key=key,
            name=f"{service}-dev-{key}",
            handler="handler.main",
            runtime="python3.12",
            memory_size=1024,
            timeout=6,
            architecture="x86_64",
            description="",
            environment={},
            ephemeral_storage=512,
            reserved_concurrency=None,
            layers=(),
            tags={},
            iam=IamSpec(),
            package=pkg,
            log_retention_days=None,
        )
        for key, pkg in functions.items()
    }
    return Manifest(
        path=root / "serverless.yml",
        service=service,
        stage="dev",
        region="us-east-1",
        provider=provider,
        functions=specs,
        package=package or PackageSpec(),
        custom={},
        plugins=(),
        raw={},
        locator=lambda path: Location("serverless.yml", 7, len(path)),
    )


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
