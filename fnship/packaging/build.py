"""Building each job's artifact: code (or what esbuild or a compiler makes of it) plus installed dependencies,
zipped deterministically and remembered in the local and shared caches; dependencies installed once per
distinct set even when functions build concurrently.

Filesystem and the injected tools (installers, bundlers, compilers, container engines): no AWS.
"""

from __future__ import annotations

import os
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fnship.errors import Diagnostic, FnError, InputError
from fnship.manifest.types import Manifest
from fnship.packaging import cache, compiled, deps, node
from fnship.packaging.artifacts import Artifact, Reporter
from fnship.packaging.cache import RemoteCache
from fnship.packaging.checks import bootstrap_problems
from fnship.packaging.diagnostics import dotted
from fnship.packaging.jobs import Job, NodeDeps
from fnship.packaging.patterns import PatternSet, walk
from fnship.packaging.zipper import hash_file, write_zip
from fnship.paths import temp_sibling

if TYPE_CHECKING:
    from fnship.packaging.images.registry import RegistryClient


@dataclass
class BuildContext:
    """What builders share: each zip job's files, the level, the tools, the caches, installed dependencies."""

    manifest: Manifest
    selections: dict[Job, list[tuple[str, Path]]]
    level: int
    tools: deps.Tools
    cache_dir: Path
    remote: RemoteCache | None
    options: deps.BuildOptions
    report: Reporter = lambda _event, _label: None  # noqa: E731
    installed: dict[tuple[str, ...], tuple[Path, str, bool]] = field(default_factory=dict)
    keys: dict[tuple[str, ...], str] = field(default_factory=dict)
    install_locks: dict[tuple[str, ...], threading.Lock] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    image_client: Callable[[str], RegistryClient] | None = None
    out_dir: Path = Path()
    # esbuild runs at most `buildConcurrency` at a time (Serverless v4's setting; 3 by default).
    bundle_slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(3))


def _deps_key(ctx: BuildContext, job: Job) -> str:
    """The key of the job's installed dependencies: computed from the requirements alone, no install."""
    if job.requirements is None or job.target is None:
        return ""
    ident = _deps_id(job)
    with ctx.lock:
        if ident not in ctx.keys:
            ctx.keys[ident] = deps.deps_key(job.requirements, job.target, ctx.options)
        return ctx.keys[ident]


def deps_files(ctx: BuildContext, job: Job, prefix: str = "") -> tuple[list[tuple[str, Path]], str, bool]:
    """(entries, deps key, cache hit) of the job's installed dependencies under `prefix`, installing them once
    (one lock per distinct set, so functions sharing requirements wait for one install)."""
    if job.requirements is None or job.target is None:
        return [], "", True
    ident = _deps_id(job)
    with ctx.lock:
        lock = ctx.install_locks.setdefault(ident, threading.Lock())
    with lock:
        if ident not in ctx.installed:
            label = f"dependencies {job.requirements.source.name} ({job.target.runtime} {job.target.architecture})"
            ctx.report("start", label)
            found = deps.installed_tree(job.requirements, job.target, cache_dir=ctx.cache_dir, options=ctx.options,
                                        tools=ctx.tools)  # fmt: skip
            ctx.report("done", label + (" (cached)" if found[2] else ""))
            ctx.installed[ident] = found
    tree, key, hit = ctx.installed[ident]
    return [(prefix + rel, path) for rel, path in walk(tree) if rel != ".complete"], key, hit


def _deps_id(job: Job) -> tuple[str, ...]:
    assert job.requirements is not None and job.target is not None
    return (str(job.requirements.source), *job.requirements.key_material(), job.target.runtime,
            job.target.architecture)  # fmt: skip


def _node_tree(ctx: BuildContext, deps_spec: NodeDeps) -> Path:
    """The installed Node.js dependencies (a tree holding node_modules/), installed once per distinct project,
    runtime, architecture and selection (functions sharing them wait for one install)."""
    ident = deps_spec.ident()
    with ctx.lock:
        lock = ctx.install_locks.setdefault(ident, threading.Lock())
    with lock:
        if ident not in ctx.installed:
            target = deps_spec.target
            label = f"node_modules {deps_spec.project.directory.name} ({target.runtime} {target.architecture})"
            ctx.report("start", label)
            found = node.installed_tree(
                deps_spec.project, target, cache_dir=ctx.cache_dir, options=ctx.options, tools=ctx.tools,
                only=deps_spec.only, warn=lambda message: ctx.report("warning", message),
            )  # fmt: skip
            ctx.report("done", label + (" (cached)" if found[2] else ""))
            ctx.installed[ident] = found
    return ctx.installed[ident][0]


def _node_files(ctx: BuildContext, job: Job) -> list[tuple[str, Path]]:
    """The job's installed Node.js dependencies as zip entries under their prefix."""
    if job.node is None:
        return []
    tree = _node_tree(ctx, job.node)
    return [(job.node.prefix + rel, path) for rel, path in walk(tree) if rel != ".complete"]


def _node_key(ctx: BuildContext, spec: NodeDeps | None) -> str:
    return "" if spec is None else node.deps_key(spec.project, spec.target, ctx.options, only=spec.only)


def _code_material(ctx: BuildContext, job: Job) -> list[str]:
    """What the zip depends on beyond its files: how the code is turned into what ships."""
    material = [_deps_key(ctx, job), _node_key(ctx, job.node), _node_key(ctx, job.resolve_from),
                *sorted(job.executables)]  # fmt: skip
    if job.bundle is not None:
        material += ["esbuild", job.bundle.entry, job.bundle.output, job.bundle.runtime, *job.bundle.inputs,
                     *job.bundle.options.key_material()]  # fmt: skip
    if job.compiler:
        material += ["compiled", job.compiler, *compiled.key_material(job.compiler, ctx.tools)]
    return material


def _shipped_code(ctx: BuildContext, job: Job, scratch: Path) -> list[tuple[str, Path]]:
    """The code files that go into the zip: the selection, or what a bundler or compiler made of it."""
    code = ctx.selections[job]
    if job.bundle is not None:
        out = scratch / "bundle" / job.bundle.output
        projects = [job.resolve_from.project.directory] if job.resolve_from else []
        esbuild = node.esbuild_binary([ctx.manifest.root, *projects], cache_dir=ctx.cache_dir)
        # Imports resolve in the production dependencies installed for Lambda's platform (after any node_modules
        # next to the sources, as esbuild walks up from each file first).
        modules = [_stable_link(ctx, _node_tree(ctx, job.resolve_from))] if job.resolve_from else []
        with ctx.bundle_slots:
            node.bundle(esbuild, root=ctx.manifest.root, entry=job.bundle.entry, outfile=out,
                        runtime=job.bundle.runtime, options=job.bundle.options, tools=ctx.tools,
                        node_paths=modules)  # fmt: skip
        made = [((Path(job.bundle.output).parent / p.name).as_posix(), p)
                for p in sorted(out.parent.iterdir()) if p.is_file()]  # fmt: skip
        # With a bundle, only the bundle ships, and what the patterns name explicitly (assets, templates).
        explicit = PatternSet([p for p in job.patterns if not p.startswith("!")] + ["!**/node_modules/**"])
        named = [(rel, path) for rel, path in code if job.patterns and explicit.included(rel) and any(
            not p.startswith("!") for p in job.patterns)]  # fmt: skip
        return [*made, *named]
    if job.compiler:
        fn = ctx.manifest.functions[job.function_keys[0]]
        built = compiled.build_bootstrap(
            job.compiler, root=ctx.manifest.root, handler=fn.handler or "", architecture=fn.architecture,
            out=scratch / "compiled", tools=ctx.tools, warn=lambda message: ctx.report("warning", message),
        )  # fmt: skip
        return [("bootstrap", built)]
    return code


def _stable_link(ctx: BuildContext, tree: Path) -> Path:
    """The installed tree's node_modules under a path relative to the service that depends on its content only
    (`.fn/esbuild/<key>/node_modules`, a symlink): esbuild writes the paths of bundled files into the bundle, so
    they must not name this machine's cache directory."""
    link = ctx.manifest.root / ".fn" / "esbuild" / tree.name / "node_modules"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_sibling(link)
        os.symlink(tree / "node_modules", tmp, target_is_directory=True)
        tmp.replace(link)
    return link.relative_to(ctx.manifest.root)


def _zip_with_cache(job: Job, ctx: BuildContext, kind: str, *, prefix: str = "") -> Artifact:
    """The job's zip: reused when its key (code files + dependencies key) is in a cache, with no install and no
    zip rewrite; else dependencies are installed (or taken from their cache) and the zip written."""
    code = ctx.selections[job]
    key = cache.zip_key(code, level=ctx.level, extra=_code_material(ctx, job))
    try:
        reused = cache.reuse(job.path, key, cache_dir=ctx.cache_dir, remote=ctx.remote)
        hit = reused is not None
        if reused is None:
            with tempfile.TemporaryDirectory(prefix="fnship-code-") as scratch:
                shipped = _shipped_code(ctx, job, Path(scratch))
                dep_entries, _dep_key, _hit = deps_files(ctx, job, prefix=prefix)
                node_entries = _node_files(ctx, job)
                merged: dict[str, Path] = {}
                for name, source in [*shipped, *dep_entries, *node_entries]:
                    merged.setdefault(name, source)  # the code (listed first) wins over a dependency of the same name
                problems = bootstrap_problems(ctx.manifest, job, list(merged.items()))
                if problems:
                    raise InputError(problems)
                reused = write_zip(sorted(merged.items()), job.path, level=ctx.level, executables=job.executables)
            cache.remember(job.path, key, reused, cache_dir=ctx.cache_dir, remote=ctx.remote)
    except OSError as exc:
        raise FnError(f"packaging {job.name or ', '.join(job.function_keys)} failed: {exc}") from exc
    except ValueError as exc:  # a file name that cannot go into a zip
        raise InputError(
            Diagnostic(f"cannot package {', '.join(job.function_keys)}: {exc}", key=dotted(job.key))
        ) from exc
    z = reused
    return Artifact(
        job.function_keys, job.path, z.sha256_hex, z.code_sha256, z.size, z.unzipped_size, z.files,
        kind=kind, cache_hit=hit, name=job.name,
    )  # fmt: skip


def _build_zip(job: Job, ctx: BuildContext) -> Artifact:
    return _zip_with_cache(job, ctx, "zip")


def _build_layer(job: Job, ctx: BuildContext) -> Artifact:
    return _zip_with_cache(job, ctx, "layer", prefix="python/")


def _use_prebuilt(job: Job, ctx: BuildContext) -> Artifact:
    sha_hex, sha_b64, size = hash_file(job.path)
    with zipfile.ZipFile(job.path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
    return Artifact(
        job.function_keys, job.path, sha_hex, sha_b64, size, sum(i.file_size for i in infos), len(infos),
        kind="prebuilt",
    )  # fmt: skip


def _build_image(job: Job, ctx: BuildContext) -> Artifact:
    from fnship.packaging.images import build_image

    dep_entries, dep_key, hit = deps_files(ctx, job)
    return build_image(
        ctx.manifest, job.function_keys[0], out_dir=ctx.out_dir, code=ctx.selections.get(job, []),
        dependencies=dep_entries, deps_key=dep_key, deps_hit=hit, tools=ctx.tools, client=ctx.image_client,
        level=ctx.level, cache_dir=ctx.cache_dir,
    )  # fmt: skip


BUILDERS: dict[str, Callable[[Job, BuildContext], Artifact]] = {
    "zip": _build_zip,
    "prebuilt": _use_prebuilt,
    "layer": _build_layer,
    "image": _build_image,
}
