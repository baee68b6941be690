"""`fn package` output: one row per artifact (kind, path, sha256, size, unzipped size, cache hit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from fnship.packaging.artifacts import Artifact, Packaged


class _Row(TypedDict):
    kind: str
    name: str
    functions: list[str]
    function: str
    path: str
    sha256: str
    code_sha256: str
    size: int
    unzipped_size: int
    files: int
    cache_hit: bool


class ArtifactRow(_Row, total=False):
    """One artifact as `fn package` shows it (an image's also has its digest and URI)."""

    digest: str | None
    uri: str | None


def artifact_rows(packaged: Packaged) -> list[ArtifactRow]:
    rows: list[ArtifactRow] = []
    for key, artifact in packaged.layers.items():
        rows.append(_row(artifact, kind="layer", name=key, functions=[]))
    seen: set[int] = set()
    for artifact in packaged.functions.values():
        if id(artifact) in seen:
            continue
        seen.add(id(artifact))
        row = _row(artifact, kind=artifact.kind, name=artifact.name or ",".join(artifact.function_keys),
                   functions=list(artifact.function_keys))  # fmt: skip
        if artifact.kind == "image" and artifact.image is not None:
            row["digest"] = artifact.image.digest
            row["uri"] = artifact.image.uri
        rows.append(row)
    return rows


def _row(artifact: Artifact, *, kind: str, name: str, functions: list[str]) -> ArtifactRow:
    return {
        "kind": kind,
        "name": name,
        "functions": functions,
        "function": functions[0] if len(functions) == 1 else ",".join(functions),
        "path": str(artifact.path),
        "sha256": artifact.sha256_hex,
        "code_sha256": artifact.code_sha256,
        "size": artifact.size,
        "unzipped_size": artifact.unzipped_size,
        "files": artifact.files,
        "cache_hit": artifact.cache_hit,
    }


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def render_artifacts(rows: list[ArtifactRow]) -> str:
    header = ("KIND", "NAME", "PATH", "SHA256", "SIZE", "UNZIPPED", "CACHE")
    table = [header]
    for row in rows:
        table.append(
            (
                row["kind"],
                row["name"],
                row["path"],
                (row["sha256"] or "-")[:12],
                _size(row["size"]),
                _size(row["unzipped_size"]),
                "hit" if row["cache_hit"] else "miss",
            )
        )
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
