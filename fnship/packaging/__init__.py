"""Packaging: turn a manifest's functions into deterministic zips on disk.

Reads the service directory and writes zips under `out_dir`: no AWS, no manifest parsing (it consumes the typed
`Manifest`). Which artifact a function gets, first rule that applies:
1. its own `package.artifact`: that prebuilt zip, used as is;
2. packaged individually (`package.individually` at service level, or the function's own `individually` or
   `patterns`): `{out_dir}/{function}.zip` from the service patterns followed by the function's;
3. the service `package.artifact`: that prebuilt zip, shared;
4. `{out_dir}/{service}.zip` from the service patterns, shared.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from fnship.errors import Diagnostic, FnError, InputError
from fnship.manifest.types import FunctionSpec, KeyPath, Manifest
from fnship.packaging.patterns import PatternSet, pattern_problem, select, walk
from fnship.packaging.zipper import DEFAULT_LEVEL, hash_file, write_zip

__all__ = ["Artifact", "package_service"]


@dataclass(frozen=True)
class Artifact:
    function_keys: tuple[str, ...]  # which functions use it (of those packaged in this call)
    path: Path  # the zip on disk
    sha256_hex: str
    code_sha256: str  # base64, as Lambda reports CodeSha256
    size: int
    unzipped_size: int
    files: int


@dataclass(frozen=True)
class _Job:
    """One artifact to produce. `kind` picks the builder in `_BUILDERS`."""

    kind: str  # "zip": build from patterns; "prebuilt": use `path` as is
    function_keys: tuple[str, ...]
    path: Path  # where the zip goes ("zip") or is ("prebuilt")
    key: KeyPath  # the manifest key errors point at: the patterns or the artifact
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Context:
    """What builders share: each zip job's files (from one walk of the service directory), the level."""

    selections: dict[_Job, list[tuple[str, Path]]]
    level: int


def _build_zip(job: _Job, ctx: _Context) -> Artifact:
    try:
        z = write_zip(ctx.selections[job], job.path, level=ctx.level)
    except OSError as exc:
        raise FnError(f"packaging {', '.join(job.function_keys)} failed: {exc}") from exc
    except ValueError as exc:  # a file name that cannot go into a zip
        raise InputError(
            Diagnostic(f"cannot package {', '.join(job.function_keys)}: {exc}", key=_dotted(job.key))
        ) from exc
    return Artifact(job.function_keys, job.path, z.sha256_hex, z.code_sha256, z.size, z.unzipped_size, z.files)


def _use_prebuilt(job: _Job, ctx: _Context) -> Artifact:
    sha_hex, sha_b64, size = hash_file(job.path)
    with zipfile.ZipFile(job.path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
    return Artifact(job.function_keys, job.path, sha_hex, sha_b64, size, sum(i.file_size for i in infos), len(infos))


_BUILDERS: dict[str, Callable[[_Job, _Context], Artifact]] = {"zip": _build_zip, "prebuilt": _use_prebuilt}


def _dotted(key: KeyPath) -> str:
    return ".".join(str(k) for k in key)


def _problem(manifest: Manifest, key: KeyPath, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(message, key=_dotted(key), location=manifest.locate(key), hint=hint)


def _individual(manifest: Manifest, fn: FunctionSpec) -> bool:
    return manifest.package.individually or fn.package.individually or bool(fn.package.patterns)


def _plan(manifest: Manifest, keys: list[str], out_dir: Path) -> list[_Job]:
    """Decide which artifact each function gets (see the module docstring)."""
    jobs: list[_Job] = []
    shared: list[str] = []
    for key in keys:
        fn = manifest.functions[key]
        fkey: KeyPath = ("functions", key, "package")
        if fn.package.artifact:
            jobs.append(_Job("prebuilt", (key,), manifest.root / fn.package.artifact, (*fkey, "artifact")))
        elif _individual(manifest, fn):
            patterns = (*manifest.package.patterns, *fn.package.patterns)
            where = (*fkey, "patterns") if fn.package.patterns else ("package", "patterns")
            jobs.append(_Job("zip", (key,), out_dir / f"{key}.zip", where, patterns))
        else:
            shared.append(key)
    if shared and manifest.package.artifact:
        path = manifest.root / manifest.package.artifact
        jobs.append(_Job("prebuilt", tuple(shared), path, ("package", "artifact")))
    elif shared:
        path = out_dir / f"{manifest.service}.zip"
        jobs.append(_Job("zip", tuple(shared), path, ("package", "patterns"), manifest.package.patterns))
    return jobs


def _check(manifest: Manifest, keys: list[str], jobs: list[_Job]) -> list[Diagnostic]:
    """Every input problem found before any file is written."""
    problems: list[Diagnostic] = []
    pattern_lists: list[tuple[KeyPath, tuple[str, ...]]] = [(("package", "patterns"), manifest.package.patterns)]
    pattern_lists += [(("functions", k, "package", "patterns"), manifest.functions[k].package.patterns) for k in keys]
    for where, patterns in pattern_lists:
        for i, p in enumerate(patterns):
            if problem := pattern_problem(p):
                problems.append(_problem(manifest, (*where, i), problem))
    for job in jobs:
        if job.kind == "zip" and len(job.function_keys) == 1:
            key = job.function_keys[0]
            if "/" in key or "\\" in key or key in ("", ".", ".."):
                problems.append(_problem(manifest, ("functions", key), f"function key {key!r} is not a file name"))
        if job.kind == "prebuilt" and not job.path.is_file():
            problems.append(
                _problem(
                    manifest,
                    job.key,
                    f"the artifact {job.path} does not exist",
                    hint="build the zip first, or remove `artifact` to let fn package the code",
                )
            )
        elif job.kind == "prebuilt" and not zipfile.is_zipfile(job.path):
            problems.append(_problem(manifest, job.key, f"the artifact {job.path} is not a zip file"))
    return problems


def package_service(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
) -> dict[str, Artifact]:
    """Build (or hash) the artifact of every function; return function key -> Artifact, in manifest order.

    `only` restricts packaging to those function keys. Raises InputError (every problem at once) for an unknown
    function, bad patterns, a missing prebuilt artifact or an empty package; FnError when a file cannot be read.
    """
    if only is not None:
        unknown = sorted(set(only) - set(manifest.functions))
        if unknown:
            known = ", ".join(manifest.functions) or "none"
            raise InputError(
                [Diagnostic(f"unknown function {k!r}", key="functions", hint=f"functions: {known}") for k in unknown]
            )
    keys = [k for k in manifest.functions if only is None or k in only]
    out_dir = Path(out_dir)
    jobs = _plan(manifest, keys, out_dir)
    problems = _check(manifest, keys, jobs)
    if problems:
        raise InputError(problems)

    root = manifest.root
    zips = [j for j in jobs if j.kind == "zip"]
    sets = {j.patterns: PatternSet(j.patterns) for j in zips}
    files: list[tuple[str, Path]] = []
    if zips:
        skip: list[str] = []
        with contextlib.suppress(ValueError):  # out_dir outside the service directory: nothing to skip
            skip.append(out_dir.resolve().relative_to(root.resolve()).as_posix())
        try:
            files = walk(root, prune=sets.values(), skip=skip)
        except OSError as exc:
            raise FnError(f"cannot read the service directory {root}: {exc}") from exc
    selections = {j: select(files, sets[j.patterns]) for j in zips}
    empty = [
        _problem(
            manifest,
            j.key,
            f"no files to package for {', '.join(j.function_keys)}: the patterns "
            f"{list(j.patterns) if j.patterns else '(none)'} leave nothing under {root}",
            hint="patterns are globs relative to the service directory; `!` excludes and later patterns win",
        )
        for j, chosen in selections.items()
        if not chosen
    ]
    if empty:
        raise InputError(empty)

    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = _Context(selections=selections, level=level)
    result: dict[str, Artifact] = {}
    for job in jobs:
        artifact = _BUILDERS[job.kind](job, ctx)
        for key in job.function_keys:
            result[key] = artifact
    return {k: result[k] for k in keys}
