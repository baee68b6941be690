"""Packaging: turn a manifest's functions into deterministic zips on disk.

Reads the service directory and writes zips under `out_dir`: no AWS, no manifest parsing (it consumes the typed
`Manifest`). One zip is shared by every function unless packaging is individual; a prebuilt
`package.artifact` is used as is.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Collection
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
    """One artifact to produce: a zip built from patterns, or a prebuilt zip (`prebuilt`)."""

    function_keys: tuple[str, ...]
    dest: Path
    patterns: tuple[str, ...] = ()
    patterns_key: KeyPath = ("package", "patterns")
    prebuilt: Path | None = None
    prebuilt_key: KeyPath = ()


def _individual(manifest: Manifest, fn: FunctionSpec) -> bool:
    return manifest.package.individually or fn.package.individually or bool(fn.package.patterns)


def _problem(manifest: Manifest, key: KeyPath, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(message, key=".".join(str(k) for k in key), location=manifest.locate(key), hint=hint)


def _plan(manifest: Manifest, keys: list[str], out_dir: Path) -> tuple[list[_Job], list[Diagnostic]]:
    """Decide which artifact each function gets; collect every input problem."""
    problems: list[Diagnostic] = []
    jobs: list[_Job] = []
    shared: list[str] = []
    for key in keys:
        fn = manifest.functions[key]
        if fn.package.artifact:
            akey: KeyPath = ("functions", key, "package", "artifact")
            jobs.append(_Job((key,), Path(), prebuilt=manifest.root / fn.package.artifact, prebuilt_key=akey))
        elif _individual(manifest, fn):
            if "/" in key or "\\" in key or key in ("", ".", ".."):
                problems.append(_problem(manifest, ("functions", key), f"function key {key!r} is not a file name"))
                continue
            jobs.append(
                _Job(
                    (key,),
                    out_dir / f"{key}.zip",
                    patterns=(*manifest.package.patterns, *fn.package.patterns),
                    patterns_key=("functions", key, "package", "patterns")
                    if fn.package.patterns
                    else ("package", "patterns"),
                )
            )
        else:
            shared.append(key)
    if shared:
        if manifest.package.artifact:
            jobs.append(
                _Job(
                    tuple(shared),
                    Path(),
                    prebuilt=manifest.root / manifest.package.artifact,
                    prebuilt_key=("package", "artifact"),
                )
            )
        else:
            jobs.append(_Job(tuple(shared), out_dir / f"{manifest.service}.zip", patterns=manifest.package.patterns))

    for i, p in enumerate(manifest.package.patterns):
        if problem := pattern_problem(p):
            problems.append(_problem(manifest, ("package", "patterns", i), problem))
    for key in keys:
        for i, p in enumerate(manifest.functions[key].package.patterns):
            if problem := pattern_problem(p):
                problems.append(_problem(manifest, ("functions", key, "package", "patterns", i), problem))
    for job in jobs:
        if job.prebuilt is not None and not job.prebuilt.is_file():
            problems.append(
                _problem(
                    manifest,
                    job.prebuilt_key,
                    f"the artifact {job.prebuilt} does not exist",
                    hint="build the zip first, or remove `artifact` to let fn package the code",
                )
            )
        elif job.prebuilt is not None and not zipfile.is_zipfile(job.prebuilt):
            problems.append(_problem(manifest, job.prebuilt_key, f"the artifact {job.prebuilt} is not a zip file"))
    return jobs, problems


def _prebuilt(job: _Job) -> Artifact:
    assert job.prebuilt is not None
    sha_hex, sha_b64, size = hash_file(job.prebuilt)
    with zipfile.ZipFile(job.prebuilt) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
    return Artifact(
        function_keys=job.function_keys,
        path=job.prebuilt,
        sha256_hex=sha_hex,
        code_sha256=sha_b64,
        size=size,
        unzipped_size=sum(i.file_size for i in infos),
        files=len(infos),
    )


def package_service(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
) -> dict[str, Artifact]:
    """Build (or hash) the artifact of every function; return function key -> Artifact.

    `only` restricts packaging to those function keys. Raises InputError (every problem at once) for bad
    patterns, a missing prebuilt artifact or an empty package; FnError when a source file cannot be read.
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
    jobs, problems = _plan(manifest, keys, out_dir)
    if problems:
        raise InputError(problems)

    root = manifest.root
    built = [j for j in jobs if j.prebuilt is None]
    sets = {j.patterns: PatternSet(j.patterns) for j in built}
    files: list[tuple[str, Path]] = []
    if built:
        skip: list[str] = []
        with contextlib.suppress(ValueError):  # out_dir outside the service directory: nothing to skip
            skip.append(out_dir.resolve().relative_to(root.resolve()).as_posix())
        try:
            files = walk(root, prune=sets.values(), skip=skip)
        except OSError as exc:
            raise FnError(f"cannot read the service directory {root}: {exc}") from exc

    selections = {j: select(files, sets[j.patterns]) for j in built}
    empty = [
        _problem(
            manifest,
            j.patterns_key,
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
    result: dict[str, Artifact] = {}
    for job in jobs:
        if job.prebuilt is not None:
            artifact = _prebuilt(job)
        else:
            try:
                z = write_zip(selections[job], job.dest, level=level)
            except OSError as exc:
                raise FnError(f"packaging {', '.join(job.function_keys)} failed: {exc}") from exc
            artifact = Artifact(
                function_keys=job.function_keys,
                path=job.dest,
                sha256_hex=z.sha256_hex,
                code_sha256=z.code_sha256,
                size=z.size,
                unzipped_size=z.unzipped_size,
                files=z.files,
            )
        for key in job.function_keys:
            result[key] = artifact
    return {k: result[k] for k in keys}
