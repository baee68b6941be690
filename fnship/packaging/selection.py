"""The files each job takes from the service directory (patterns applied) and from each layer's directory.

Filesystem reads only: no building, no AWS.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from pathlib import Path

from fnship import runtimes
from fnship.errors import FnError, InputError
from fnship.manifest.types import LayerSpec, Manifest
from fnship.packaging import deps
from fnship.packaging.diagnostics import located
from fnship.packaging.jobs import Job, assembled, layer_runtime
from fnship.packaging.patterns import PatternSet, select, walk


def select_files(
    manifest: Manifest, jobs: list[Job], out_dir: Path, *, empty_ok: bool = False
) -> dict[Job, list[tuple[str, Path]]]:
    """The files of each zip job (patterns applied) and of each layer job. Raises InputError when a zip would
    be empty (unless `empty_ok`: then the handler checks say what is missing)."""
    root = manifest.root
    zips = [j for j in jobs if j.kind == "zip" or (j.kind == "image" and assembled(manifest, j))]
    sets = {j.patterns: PatternSet(j.patterns) for j in zips}
    files: list[tuple[str, Path]] = []
    drops = [j for j in zips if j.node is not None or j.bundle is not None or j.drop_host_modules]
    # When no zip ships the host's node_modules, the walk does not even enter them (tens of thousands of files).
    host_modules = sorted({j.modules_dir for j in drops}) if drops and len(drops) == len(zips) else []
    if zips:
        files = _service_files(manifest, out_dir, prune=sets.values(), skip=host_modules)
    selections = {j: select(files, sets[j.patterns]) for j in zips}
    for j in drops:
        # The host's node_modules are built for this machine: Lambda gets its own install (or the bundle).
        selections[j] = [f for f in selections[j] if "node_modules" not in f[0].split("/")]
    empty = [
        located(
            manifest,
            j.key,
            f"no files to package for {', '.join(j.function_keys)}: the patterns "
            f"{list(j.patterns) if j.patterns else '(none)'} leave nothing under {root}",
            hint="patterns are globs relative to the service directory; `!` excludes and later patterns win",
        )
        for j, chosen in selections.items()
        if not chosen
    ]
    if empty and not empty_ok:
        raise InputError(empty)
    for job in jobs:
        if job.kind == "layer":
            selections[job] = layer_files(manifest, manifest.artifacts.layers[job.name])
    return selections


def _service_files(
    manifest: Manifest, out_dir: Path, *, prune: Collection[PatternSet] = (), skip: Collection[str] = ()
) -> list[tuple[str, Path]]:
    """Every file under the service directory that may be packaged: not fnship's output, not a layer's directory
    (it ships in the layer), not the manifest in use, not the directories in `skip`."""
    root = manifest.root
    skip = list(skip)
    with contextlib.suppress(ValueError):  # out_dir outside the service directory: nothing to skip
        skip.append(out_dir.resolve().relative_to(root.resolve()).as_posix())
    # A layer's directory ships in the layer, not again in every function.
    skip += [spec.path.strip("/").removeprefix("./") for spec in manifest.artifacts.layers.values()
             if spec.path not in (".", "./", "")]  # fmt: skip
    try:
        files = walk(root, prune=prune, skip=skip)
    except OSError as exc:
        raise FnError(f"cannot read the service directory {root}: {exc}") from exc
    # The manifest in use is never code, whatever its name (`-c serverless.prod.yml`), as in the Serverless
    # Framework: editing it must not change CodeSha256. (The usual names are in the default excludes.)
    return [f for f in files if f[0] != manifest.path.name]


def layer_files(manifest: Manifest, spec: LayerSpec) -> list[tuple[str, Path]]:
    from fnship.manifest.artifacts import DEPENDENCY_LAYERS

    if spec.key in DEPENDENCY_LAYERS:
        return []
    directory = manifest.root / spec.path
    files = [(rel, p) for rel, p in walk(directory, prune=[PatternSet([])]) if PatternSet([]).included(rel)]
    files = [(rel, p) for rel, p in files if rel not in deps.REQUIREMENT_FILES]
    family = runtimes.family(layer_runtime(manifest, spec))
    if family not in ("python", "nodejs"):
        return files  # a custom runtime's layer: its files sit at /opt as they are (bootstrap, lib/, bin/)
    top = family
    if top == "nodejs" and (directory / "package.json").is_file():
        # Installed for Lambda's platform into nodejs/node_modules: the host's own node_modules never ships.
        files = [(rel, p) for rel, p in files if not rel.startswith(("node_modules/", "nodejs/node_modules/"))]
    if any(rel.startswith(f"{top}/") for rel, _ in files):
        return files  # laid out for Lambda already (python/, nodejs/node_modules, nodejs/node22/node_modules)
    return [(f"{top}/{rel}", p) for rel, p in files]
