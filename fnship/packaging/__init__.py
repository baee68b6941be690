"""Packaging: turn a manifest's functions and layers into deterministic artifacts on disk.

Reads the service directory and writes artifacts under `out_dir`: no AWS, no manifest parsing (it consumes the
typed `Manifest`). Subprocesses (uv, pip, container engines) go through the injected `Tools`; image registries
through the injected image client factory. Which artifact a function gets, first rule that applies:
0. `image:`: a container image (assembled from the Lambda base image, built from a Dockerfile, or a given URI);
1. its own `package.artifact`: that prebuilt zip, used as is;
2. packaged individually (`package.individually` at service level, or the function's own `individually` or
   `patterns`): `{out_dir}/{function}.zip` from the service patterns followed by the function's;
3. the service `package.artifact`: that prebuilt zip, shared;
4. `{out_dir}/{service}.zip` from the service patterns, shared.
Built zips also carry the Python dependencies (unless `package.dependencies` is `layer` or `none`), installed for
the function's runtime and architecture. Every built artifact is keyed by its inputs (see cache.py) and reused
when they did not change; independent artifacts build concurrently.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fnship import runtimes
from fnship.errors import Diagnostic, FnError, InputError
from fnship.manifest.types import FunctionSpec, KeyPath, LayerSpec, Manifest
from fnship.packaging import cache, compiled, deps, elfcheck, handlers, node
from fnship.packaging.cache import RemoteCache
from fnship.packaging.patterns import PatternSet, pattern_problem, select, walk
from fnship.packaging.platforms import MACHINES, RUNTIMES, Target
from fnship.packaging.zipper import DEFAULT_LEVEL, hash_file, write_zip
from fnship.paths import default_cache_dir, temp_sibling

__all__ = ["Artifact", "Packaged", "Reporter", "check_handlers", "package_all", "package_service"]

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
UNZIPPED_LIMIT = 250 * 1024 * 1024
Reporter = Callable[[str, str], None]  # (event "start" | "done", label)


@dataclass(frozen=True)
class Artifact:
    function_keys: tuple[str, ...]  # which functions use it (of those packaged in this call)
    path: Path  # the zip on disk (an OCI layout directory for an image)
    sha256_hex: str
    code_sha256: str  # base64, as Lambda reports CodeSha256
    size: int
    unzipped_size: int
    files: int
    kind: str = "zip"  # zip | prebuilt | layer | image
    cache_hit: bool = False
    name: str = ""  # the layer key or image name
    image: Any = None  # images.ImageArtifact for kind "image"


@dataclass(frozen=True)
class Packaged:
    functions: dict[str, Artifact]  # function key -> its artifact, in manifest order
    layers: dict[str, Artifact]  # layer key -> its zip

    def artifacts(self) -> list[Artifact]:
        seen: dict[int, Artifact] = {}
        for artifact in [*self.layers.values(), *self.functions.values()]:
            seen.setdefault(id(artifact), artifact)
        return list(seen.values())


@dataclass(frozen=True)
class _Job:
    """One artifact to produce. `kind` picks the builder in `_BUILDERS`."""

    kind: str  # "zip": build from patterns; "prebuilt": use `path` as is; "layer"; "image"
    function_keys: tuple[str, ...]
    path: Path  # where the zip goes ("zip") or is ("prebuilt")
    key: KeyPath  # the manifest key errors point at: the patterns or the artifact
    patterns: tuple[str, ...] = ()
    requirements: deps.Requirements | None = None  # installed into the zip (or the layer's python/)
    target: Target | None = None
    name: str = ""
    node: NodeDeps | None = None  # Node.js dependencies installed into the zip (or the layer's nodejs/)
    bundle: Bundle | None = None  # an esbuild bundle replaces the code
    resolve_from: NodeDeps | None = None  # the bundle's imports resolve in this install (Lambda's platform)
    drop_host_modules: bool = False  # the host's node_modules stay out: Lambda gets its own install (or a layer's)
    modules_dir: str = "node_modules"  # where the host's node_modules of the function's project are
    compiler: str = ""  # go | rust: the zip is the bootstrap fnship compiles
    executables: frozenset[str] = frozenset()  # archive names packaged 0755 whatever their mode on disk


@dataclass(frozen=True, eq=False)
class NodeDeps:
    """A Node.js project's production dependencies, for one runtime and architecture, placed under `prefix`."""

    project: node.NodeProject
    target: node.NodeTarget
    prefix: str  # `node_modules/` goes here: the project's directory in the zip, or `nodejs/` in a layer
    only: tuple[str, ...] = ()  # a bundle's externals: only these are installed

    def ident(self) -> tuple[str, ...]:
        return ("node", str(self.project.directory), *self.project.key_material(), self.target.runtime,
                self.target.architecture, *self.only)  # fmt: skip


@dataclass(frozen=True)
class Bundle:
    """esbuild bundles the handler's module (`entry`, relative to the service) into `output` in the zip."""

    entry: str
    output: str
    runtime: str
    options: node.EsbuildOptions
    inputs: tuple[str, ...] = ()  # package.json and lockfile digests: the dependencies the bundle takes in


@dataclass
class _Context:
    """What builders share: each zip job's files, the level, the tools, the caches, installed dependencies."""

    manifest: Manifest
    selections: dict[_Job, list[tuple[str, Path]]]
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
    image_client: Any = None
    out_dir: Path = Path()
    # esbuild runs at most `buildConcurrency` at a time (Serverless v4's setting; 3 by default).
    bundle_slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(3))


def _deps_key(ctx: _Context, job: _Job) -> str:
    """The key of the job's installed dependencies: computed from the requirements alone, no install."""
    if job.requirements is None or job.target is None:
        return ""
    ident = _deps_id(job)
    with ctx.lock:
        if ident not in ctx.keys:
            ctx.keys[ident] = deps.deps_key(job.requirements, job.target, ctx.options)
        return ctx.keys[ident]


def _deps_files(ctx: _Context, job: _Job, prefix: str = "") -> tuple[list[tuple[str, Path]], str, bool]:
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


def _deps_id(job: _Job) -> tuple[str, ...]:
    assert job.requirements is not None and job.target is not None
    return (str(job.requirements.source), *job.requirements.key_material(), job.target.runtime,
            job.target.architecture)  # fmt: skip


def _node_tree(ctx: _Context, deps_spec: NodeDeps) -> Path:
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


def _node_files(ctx: _Context, job: _Job) -> list[tuple[str, Path]]:
    """The job's installed Node.js dependencies as zip entries under their prefix."""
    if job.node is None:
        return []
    tree = _node_tree(ctx, job.node)
    return [(job.node.prefix + rel, path) for rel, path in walk(tree) if rel != ".complete"]


def _node_key(ctx: _Context, spec: NodeDeps | None) -> str:
    return "" if spec is None else node.deps_key(spec.project, spec.target, ctx.options, only=spec.only)


def _code_material(ctx: _Context, job: _Job) -> list[str]:
    """What the zip depends on beyond its files: how the code is turned into what ships."""
    material = [_deps_key(ctx, job), _node_key(ctx, job.node), _node_key(ctx, job.resolve_from),
                *sorted(job.executables)]  # fmt: skip
    if job.bundle is not None:
        material += ["esbuild", job.bundle.entry, job.bundle.output, job.bundle.runtime, *job.bundle.inputs,
                     *job.bundle.options.key_material()]  # fmt: skip
    if job.compiler:
        material += ["compiled", job.compiler, *compiled.key_material(job.compiler, ctx.tools)]
    return material


def _shipped_code(ctx: _Context, job: _Job, scratch: Path) -> list[tuple[str, Path]]:
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


def _stable_link(ctx: _Context, tree: Path) -> Path:
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


def _zip_with_cache(job: _Job, ctx: _Context, kind: str, *, prefix: str = "") -> Artifact:
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
                dep_entries, _dep_key, _hit = _deps_files(ctx, job, prefix=prefix)
                node_entries = _node_files(ctx, job)
                merged: dict[str, Path] = {}
                for name, source in [*shipped, *dep_entries, *node_entries]:
                    merged.setdefault(name, source)  # the code (listed first) wins over a dependency of the same name
                problems = _native_problems(ctx.manifest, job, list(merged.items()))
                if problems:
                    raise InputError(problems)
                reused = write_zip(sorted(merged.items()), job.path, level=ctx.level, executables=job.executables)
            cache.remember(job.path, key, reused, cache_dir=ctx.cache_dir, remote=ctx.remote)
    except OSError as exc:
        raise FnError(f"packaging {job.name or ', '.join(job.function_keys)} failed: {exc}") from exc
    except ValueError as exc:  # a file name that cannot go into a zip
        raise InputError(
            Diagnostic(f"cannot package {', '.join(job.function_keys)}: {exc}", key=_dotted(job.key))
        ) from exc
    z = reused
    return Artifact(
        job.function_keys, job.path, z.sha256_hex, z.code_sha256, z.size, z.unzipped_size, z.files,
        kind=kind, cache_hit=hit, name=job.name,
    )  # fmt: skip


def _native_problems(manifest: Manifest, job: _Job, entries: list[tuple[str, Path]]) -> list[Diagnostic]:
    """A compiled bootstrap must be an ELF executable (or a script) for the function's architecture."""
    if job.kind != "zip" or not job.executables:
        return []
    problems = []
    files = dict(entries)
    for key in job.function_keys:
        fn = manifest.functions[key]
        problem = compiled.bootstrap_problem(files.get("bootstrap"), architecture=fn.architecture)
        if problem is not None:
            problems.append(_problem(manifest, ("functions", key, "handler"), problem[0], hint=problem[1]))
    return problems


def _top_dirs(path: Path) -> list[tuple[str, int]]:
    """The biggest top-level directories of a zip (under python/ for a layer), by unzipped size."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            parts = info.filename.split("/")
            top = "/".join(parts[:2]) if parts[0] == "python" and len(parts) > 2 else parts[0]
            sizes[top] = sizes.get(top, 0) + info.file_size
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:5]


def _build_zip(job: _Job, ctx: _Context) -> Artifact:
    return _zip_with_cache(job, ctx, "zip")


def _build_layer(job: _Job, ctx: _Context) -> Artifact:
    return _zip_with_cache(job, ctx, "layer", prefix="python/")


def _use_prebuilt(job: _Job, ctx: _Context) -> Artifact:
    sha_hex, sha_b64, size = hash_file(job.path)
    with zipfile.ZipFile(job.path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
    return Artifact(
        job.function_keys, job.path, sha_hex, sha_b64, size, sum(i.file_size for i in infos), len(infos),
        kind="prebuilt",
    )  # fmt: skip


def _build_image(job: _Job, ctx: _Context) -> Artifact:
    from fnship.packaging.images import build_image

    dep_entries, dep_key, hit = _deps_files(ctx, job)
    return build_image(
        ctx.manifest, job.function_keys[0], out_dir=ctx.out_dir, code=ctx.selections.get(job, []),
        dependencies=dep_entries, deps_key=dep_key, deps_hit=hit, tools=ctx.tools, client=ctx.image_client,
        level=ctx.level, cache_dir=ctx.cache_dir,
    )  # fmt: skip


_BUILDERS: dict[str, Callable[[_Job, _Context], Artifact]] = {
    "zip": _build_zip,
    "prebuilt": _use_prebuilt,
    "layer": _build_layer,
    "image": _build_image,
}


def _dotted(key: KeyPath) -> str:
    return ".".join(str(k) for k in key)


def _problem(manifest: Manifest, key: KeyPath, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(message, key=_dotted(key), location=manifest.locate(key), hint=hint)


def _individual(manifest: Manifest, fn: FunctionSpec) -> bool:
    return manifest.package.individually or fn.package.individually or bool(fn.package.patterns)


def _code_dir(manifest: Manifest, fn: FunctionSpec) -> Path:
    """The directory of the handler's module (`src/app.handler` -> src/), where its requirements may live."""
    handler = fn.handler or ""
    module = handler.rsplit(".", 1)[0]
    parent = Path(module).parent if "/" in module else Path(*module.split(".")[:-1]) if "." in module else Path()
    return manifest.root / parent


def _target(runtime: str, architecture: str) -> Target | None:
    return Target(runtime, architecture) if runtime in RUNTIMES else None


Finder = Callable[..., "deps.Requirements | None"]  # directories -> the first requirements found


class _Finder:
    """find_requirements, memoized per directory list (uv.lock exports run once)."""

    def __init__(self, manifest: Manifest, tools: deps.Tools) -> None:
        self.manifest = manifest
        self.tools = tools
        self.memo: dict[tuple[Path, ...], deps.Requirements | None] = {}

    def __call__(self, *directories: Path) -> deps.Requirements | None:
        unique = tuple(dict.fromkeys(d.resolve() for d in directories))
        if unique not in self.memo:
            self.memo[unique] = deps.find_requirements(
                unique, file_name=self.manifest.artifacts.build.requirements_file, tools=self.tools
            )
        return self.memo[unique]


NodeFinder = Callable[..., "node.NodeProject | None"]  # directories -> the first package.json's project


def _bundle_for(manifest: Manifest, fn: FunctionSpec) -> Bundle | None:
    """The esbuild bundle a Node.js function ships, the Serverless v4 way: with `build: esbuild` (or
    `build.esbuild`, or the serverless-esbuild plugin) every Node.js function; without, TypeScript handlers only;
    `build: {esbuild: false}` none."""
    build = manifest.artifacts.build
    if not fn.handler or not node.family_is_node(fn.runtime) or build.esbuild_off:
        return None
    ref = handlers.parse_handler(fn.runtime, fn.handler)
    if ref is None:
        return None
    existing = [c for c in ref.candidates if (manifest.root / c).is_file()]
    javascript = [c for c in existing if not node.is_typescript(c)]
    typescript = [c for c in existing if node.is_typescript(c)]
    if not existing or (build.compiler != "esbuild" and (javascript or not typescript)):
        return None
    options = node.esbuild_options(build.esbuild)
    return Bundle((javascript or typescript)[0], node.bundle_name(ref.module, options), fn.runtime, options)


def _node_deps(
    manifest: Manifest, fns: list[FunctionSpec], find_node: NodeFinder, *, only: tuple[str, ...] = ()
) -> NodeDeps | None:
    """The Node.js dependencies a zip of these functions carries: the package.json next to the first handler,
    else next to the manifest, installed for their runtime and architecture."""
    if not fns or not all(node.family_is_node(fn.runtime) for fn in fns):
        return None
    project = find_node(*[_code_dir(manifest, fn) for fn in fns], manifest.root)
    if project is None:
        return None
    try:
        prefix = project.directory.resolve().relative_to(manifest.root.resolve()).as_posix()
    except ValueError:
        prefix = "."
    prefix = "" if prefix == "." else prefix + "/"
    return NodeDeps(project, node.NodeTarget(fns[0].runtime, fns[0].architecture), prefix, only)


def _plan(
    manifest: Manifest, keys: list[str], out_dir: Path, find: Finder, find_node: NodeFinder = node.find_project
) -> list[_Job]:
    """Decide which artifact each function gets (see the module docstring)."""
    jobs: list[_Job] = []
    shared: list[str] = []
    in_zips = manifest.artifacts.build.dependencies == "function"
    compiler = manifest.artifacts.build.compiler
    for key in keys:
        fn = manifest.functions[key]
        fkey: KeyPath = ("functions", key, "package")
        target = _target(fn.runtime, fn.architecture)
        bundle = None if fn.package.artifact else _bundle_for(manifest, fn)
        provided = runtimes.family(fn.runtime) == "provided"
        executables = frozenset({"bootstrap"}) if provided else frozenset()
        if key in manifest.artifacts.function_images:
            image = manifest.artifacts.function_images[key]
            spec = manifest.artifacts.images.get(image.image)
            assembled = (
                spec is not None and spec.path is not None and not (manifest.root / spec.path / spec.file).is_file()
            )
            requirements = find(_code_dir(manifest, fn), manifest.root) if assembled and target else None
            patterns = (*manifest.package.patterns, *fn.package.patterns) if assembled else ()
            jobs.append(_Job("image", (key,), out_dir / "images" / key, ("functions", key, "image"), patterns,
                             requirements, target, name=image.image))  # fmt: skip
        elif fn.package.artifact:
            jobs.append(_Job("prebuilt", (key,), manifest.root / fn.package.artifact, (*fkey, "artifact")))
        elif bundle is not None:
            # Bundled per function (Serverless v4): the bundle, plus the externals installed as dependencies.
            patterns = (*manifest.package.patterns, *fn.package.patterns)
            where = (*fkey, "patterns") if fn.package.patterns else ("package", "patterns")
            externals = tuple(node.externals_to_install(find_node(_code_dir(manifest, fn), manifest.root),
                                                        bundle.options))  # fmt: skip
            deps_spec = _node_deps(manifest, [fn], find_node, only=externals) if externals and in_zips else None
            project = _node_deps(manifest, [fn], find_node)
            # esbuild resolves imports in the node_modules next to the sources first, as serverless-esbuild does;
            # without them, in the production dependencies installed for Lambda's platform.
            host = project is not None and (project.project.directory / "node_modules").is_dir()
            inputs = tuple(project.project.key_material()) if project is not None else ()
            jobs.append(_Job("zip", (key,), out_dir / f"{key}.zip", where, patterns, node=deps_spec,
                             bundle=replace(bundle, inputs=inputs), resolve_from=None if host else project,
                             modules_dir=project.prefix + "node_modules" if project else "node_modules"))  # fmt: skip
        elif provided and compiler in ("go", "rust"):
            jobs.append(_Job("zip", (key,), out_dir / f"{key}.zip", ("build",), (), compiler=compiler,
                             executables=executables))  # fmt: skip
        elif _individual(manifest, fn):
            patterns = (*manifest.package.patterns, *fn.package.patterns)
            where = (*fkey, "patterns") if fn.package.patterns else ("package", "patterns")
            requirements = find(_code_dir(manifest, fn), manifest.root) if in_zips and target else None
            deps_spec = _node_deps(manifest, [fn], find_node)
            modules = deps_spec.prefix + "node_modules" if deps_spec else "node_modules"
            jobs.append(_Job("zip", (key,), out_dir / f"{key}.zip", where, patterns, requirements, target,
                             node=deps_spec if in_zips else None, executables=executables,
                             drop_host_modules=deps_spec is not None, modules_dir=modules))  # fmt: skip
        else:
            shared.append(key)
    if shared and manifest.package.artifact:
        path = manifest.root / manifest.package.artifact
        jobs.append(_Job("prebuilt", tuple(shared), path, ("package", "artifact")))
    elif shared:
        path = out_dir / f"{manifest.service}.zip"
        first = manifest.functions[shared[0]]
        target = _target(manifest.provider.runtime, manifest.provider.architecture)
        # One zip serves functions that may differ in runtime or architecture: its dependencies must fit all.
        targets = {(manifest.functions[k].runtime, manifest.functions[k].architecture) for k in shared}
        # Next to the handlers' modules first (in manifest order), then next to the manifest.
        code_dirs = [_code_dir(manifest, manifest.functions[k]) for k in shared]
        requirements = find(*code_dirs, manifest.root) if in_zips and target else None
        deps_spec = _node_deps(manifest, [manifest.functions[k] for k in shared], find_node)
        drop_host_modules = deps_spec is not None
        modules_dir = deps_spec.prefix + "node_modules" if deps_spec else "node_modules"
        deps_spec = deps_spec if in_zips else None
        if (requirements is not None or deps_spec is not None) and len(targets) > 1:
            raise InputError(
                _problem(
                    manifest, ("functions", shared[0]),
                    f"functions {', '.join(shared)} share one zip with dependencies but differ in runtime or "
                    f"architecture ({', '.join(sorted(' '.join(t) for t in targets))})",
                    hint="set package.individually: true so each gets dependencies built for it",
                )
            )  # fmt: skip
        target = _target(first.runtime, first.architecture)
        provided = any(runtimes.family(manifest.functions[k].runtime) == "provided" for k in shared)
        jobs.append(_Job("zip", tuple(shared), path, ("package", "patterns"), manifest.package.patterns,
                         requirements, target, node=deps_spec, drop_host_modules=drop_host_modules,
                         modules_dir=modules_dir,
                         executables=frozenset({"bootstrap"}) if provided else frozenset()))  # fmt: skip
    return jobs


def _layer_jobs(
    manifest: Manifest, out_dir: Path, find: Finder, used: set[str], find_node: NodeFinder = node.find_project
) -> list[_Job]:
    from fnship.manifest.artifacts import DEPENDENCY_LAYERS

    jobs = []
    for key, spec in manifest.artifacts.layers.items():
        if key not in used:
            continue
        runtime = _layer_runtime(manifest, spec)
        arch = spec.compatible_architectures[0] if spec.compatible_architectures else manifest.provider.architecture
        target = _target(runtime, arch)
        directory = manifest.root if key in DEPENDENCY_LAYERS else manifest.root / spec.path
        requirements = find(directory) if target else None
        deps_spec = None
        if node.family_is_node(runtime):
            project = find_node(directory)
            # Lambda adds /opt/nodejs/node_modules to NODE_PATH: https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html
            deps_spec = NodeDeps(project, node.NodeTarget(runtime, arch), "nodejs/") if project else None
        jobs.append(_Job("layer", (), out_dir / "layers" / f"{key}.zip", ("layers", key), (), requirements, target,
                         name=key, node=deps_spec))  # fmt: skip
    return jobs


def _layer_runtime(manifest: Manifest, spec: LayerSpec) -> str:
    return spec.compatible_runtimes[0] if spec.compatible_runtimes else manifest.provider.runtime


def _layer_files(manifest: Manifest, spec: LayerSpec) -> list[tuple[str, Path]]:
    from fnship.manifest.artifacts import DEPENDENCY_LAYERS

    if spec.key in DEPENDENCY_LAYERS:
        return []
    directory = manifest.root / spec.path
    files = [(rel, p) for rel, p in walk(directory, prune=[PatternSet([])]) if PatternSet([]).included(rel)]
    files = [(rel, p) for rel, p in files if rel not in deps.REQUIREMENT_FILES]
    family = runtimes.family(_layer_runtime(manifest, spec))
    if family not in ("python", "nodejs"):
        return files  # a custom runtime's layer: its files sit at /opt as they are (bootstrap, lib/, bin/)
    top = family
    if top == "nodejs" and (directory / "package.json").is_file():
        # Installed for Lambda's platform into nodejs/node_modules: the host's own node_modules never ships.
        files = [(rel, p) for rel, p in files if not rel.startswith(("node_modules/", "nodejs/node_modules/"))]
    if any(rel.startswith(f"{top}/") for rel, _ in files):
        return files  # laid out for Lambda already (python/, nodejs/node_modules, nodejs/node22/node_modules)
    return [(f"{top}/{rel}", p) for rel, p in files]


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
        if job.kind == "layer":
            spec = manifest.artifacts.layers[job.name]
            if not (manifest.root / spec.path).is_dir():
                problems.append(
                    _problem(manifest, (*job.key, "path"), f"the layer directory {spec.path} does not exist")
                )
    return problems


def package_service(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
    **kwargs: Any,
) -> dict[str, Artifact]:
    """Build (or hash) the artifact of every function; return function key -> Artifact, in manifest order."""
    return package_all(manifest, out_dir=out_dir, only=only, level=level, **kwargs).functions


def package_all(
    manifest: Manifest,
    *,
    out_dir: Path,
    only: Collection[str] | None = None,
    level: int = DEFAULT_LEVEL,
    tools: deps.Tools | None = None,
    cache_dir: Path | None = None,
    remote: RemoteCache | None = None,
    reporter: Reporter | None = None,
    workers: int = 4,
    container: str | None = None,
    image_client: Any = None,
) -> Packaged:
    """Build (or reuse) every function's artifact and the layers they use.

    `only` restricts packaging to those function keys. `container` (auto|always|never) overrides
    `provider.build.container`. Raises InputError (every problem at once) for an unknown function, bad patterns,
    a missing prebuilt artifact, an empty package or a size limit; FnError when a build fails.
    """
    if only is not None:
        unknown = sorted(set(only) - set(manifest.functions))
        if unknown:
            known = ", ".join(manifest.functions) or "none"
            raise InputError(
                [Diagnostic(f"unknown function {k!r}", key="functions", hint=f"functions: {known}") for k in unknown]
            )
    report = reporter or (lambda _event, _label: None)
    tools = tools or deps.Tools()
    build = manifest.artifacts.build
    options = deps.BuildOptions(container=container or build.container, build_image=build.build_image,
                                no_deploy=build.no_deploy)  # fmt: skip
    keys = [k for k in manifest.functions if only is None or k in only]
    out_dir = Path(out_dir)
    find = _Finder(manifest, tools)
    jobs = _plan(manifest, keys, out_dir, find)
    # Every declared layer, as the Serverless Framework publishes them (a layers-only service shares libraries by
    # ARN); with `only` (-f), the layers those functions use.
    used_layers = (
        set(manifest.artifacts.layers)
        if only is None
        else {ref for k in keys for ref in manifest.artifacts.function_layers.get(k, ()) if not ref.startswith("arn:")}
    )
    jobs += _layer_jobs(manifest, out_dir, find, used_layers)
    problems = _check(manifest, keys, jobs) + _layer_fit(manifest, keys, jobs)
    if problems:
        raise InputError(problems)

    selections = _select(manifest, jobs, out_dir)
    problems = _handler_problems(manifest, jobs, selections) + _wrong_architecture(manifest, keys, jobs, selections)
    if problems:
        raise InputError(problems)

    out_dir.mkdir(parents=True, exist_ok=True)
    concurrency = node.esbuild_options(build.esbuild).concurrency
    ctx = _Context(
        manifest=manifest, selections=selections, level=level, tools=tools,
        cache_dir=cache_dir or default_cache_dir(), remote=remote, options=options,
        image_client=image_client, out_dir=out_dir, report=report, bundle_slots=threading.Semaphore(concurrency),
    )  # fmt: skip

    def build_one(job: _Job) -> Artifact:
        label = _label(job)
        report("start", label)
        artifact = _BUILDERS[job.kind](job, ctx)
        report("done", label + (" (cached)" if artifact.cache_hit else ""))
        return artifact

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fnship-build") as pool:
        built = list(pool.map(build_one, jobs))

    functions: dict[str, Artifact] = {}
    layers: dict[str, Artifact] = {}
    for job, artifact in zip(jobs, built, strict=True):
        if job.kind == "layer":
            layers[job.name] = artifact
        for key in job.function_keys:
            functions[key] = artifact
    packaged = Packaged({k: functions[k] for k in keys}, layers)
    limits = _limits(manifest, packaged, keys)
    if limits:
        raise InputError(limits)
    return packaged


def _select(
    manifest: Manifest, jobs: list[_Job], out_dir: Path, *, empty_ok: bool = False
) -> dict[_Job, list[tuple[str, Path]]]:
    """The files of each zip job (patterns applied) and of each layer job. Raises InputError when a zip would
    be empty (unless `empty_ok`: then the handler checks say what is missing)."""
    root = manifest.root
    zips = [j for j in jobs if j.kind == "zip" or (j.kind == "image" and _assembled(manifest, j))]
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
    if empty and not empty_ok:
        raise InputError(empty)
    for job in jobs:
        if job.kind == "layer":
            selections[job] = _layer_files(manifest, manifest.artifacts.layers[job.name])
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


def _handler_problems(
    manifest: Manifest, jobs: list[_Job], selections: dict[_Job, list[tuple[str, Path]]]
) -> list[Diagnostic]:
    """Every function's handler file must be in what it ships (its zip, then its layers), and define the named
    function where that can be seen without running it."""
    layer_files = {job.name: dict(selections.get(job, [])) for job in jobs if job.kind == "layer"}
    problems = []
    for job in jobs:
        if job.kind not in ("zip", "prebuilt"):
            continue
        if job.kind == "prebuilt":
            files = {name: job.path for name in _zip_names(job.path)}
        else:
            files = dict(selections.get(job, []))
        for key in job.function_keys:
            fn = manifest.functions[key]
            layered: dict[str, Path] = {}
            for ref in manifest.artifacts.function_layers.get(key, ()):
                layered.update(layer_files.get(ref, {}))
            if runtimes.family(fn.runtime) == "provided" and not job.compiler:
                if job.kind == "prebuilt" and "bootstrap" in files:
                    problem = compiled.header_problem(_zip_head(job.path, "bootstrap"), architecture=fn.architecture)
                else:
                    bootstrap = files.get("bootstrap") or layered.get("bootstrap")
                    problem = compiled.bootstrap_problem(bootstrap, architecture=fn.architecture)
                if problem is not None:
                    problems.append(_problem(manifest, ("functions", key, "handler"), problem[0], hint=problem[1]))
                continue
            ref = handlers.parse_handler(fn.runtime, fn.handler) if fn.handler else None
            if ref is None or not fn.handler:
                continue
            # A TypeScript handler is found among the sources, before it is bundled.
            sources = {c: manifest.root / c for c in ref.candidates if (manifest.root / c).is_file()}
            if job.kind == "prebuilt":
                found = handlers.check_handler(fn.runtime, fn.handler, files, layer_files=layered, sources={})
                if found is not None and "does not define" in found.message:
                    continue  # a prebuilt zip's sources are not read here
            else:
                found = handlers.check_handler(fn.runtime, fn.handler, files, layer_files=layered, sources=sources)
            if found is not None:
                where: KeyPath = ("functions", key, "handler")
                problems.append(_problem(manifest, where, found.message, hint=found.hint))
    return problems


def _zip_head(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf, zf.open(name) as member:
        return member.read(20)


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [info.filename for info in zf.infolist() if not info.is_dir()]


def check_handlers(manifest: Manifest, *, out_dir: Path) -> None:
    """What `fn validate` checks of the code without building anything: every handler's file is in its package
    and defines the function. Raises InputError with every problem."""
    keys = [k for k in manifest.functions if k not in manifest.artifacts.function_images]

    def no_requirements(*_directories: Path) -> None:
        return None  # which files ship does not depend on them: nothing is installed here

    jobs = _plan(manifest, keys, out_dir, no_requirements)
    used = {ref for k in keys for ref in manifest.artifacts.function_layers.get(k, ()) if not ref.startswith("arn:")}
    jobs += _layer_jobs(manifest, out_dir, no_requirements, used)
    problems = _check(manifest, keys, jobs)
    if problems:
        raise InputError(problems)
    problems = _handler_problems(manifest, jobs, _select(manifest, jobs, out_dir, empty_ok=True))
    if problems:
        raise InputError(problems)


def _layer_fit(manifest: Manifest, keys: list[str], jobs: list[_Job]) -> list[Diagnostic]:
    """A layer carrying native dependencies runs only on the runtime and architecture it was built for."""
    problems = []
    for job in jobs:
        if job.kind != "layer" or job.target is None:
            continue
        spec = manifest.artifacts.layers[job.name]
        for key in keys:
            if job.name not in manifest.artifacts.function_layers.get(key, ()):
                continue
            fn = manifest.functions[key]
            declared = spec.compatible_architectures
            wrong_arch = fn.architecture not in declared if declared else (
                job.requirements is not None and fn.architecture != job.target.architecture
            )  # fmt: skip
            wrong_python = job.requirements is not None and fn.runtime != job.target.runtime
            if wrong_arch or wrong_python:
                problems.append(
                    _problem(
                        manifest, ("functions", key, "layers"),
                        f"function {key} ({fn.runtime} {fn.architecture}) uses layer {job.name}, built for "
                        f"{job.target.runtime} {job.target.architecture}",
                        hint=f"set layers.{job.name}.compatibleRuntimes/compatibleArchitectures to match, or use "
                        "a layer per architecture",
                    )
                )  # fmt: skip
    return problems


def _wrong_architecture(
    manifest: Manifest, keys: list[str], jobs: list[_Job], selections: dict[_Job, list[tuple[str, Path]]]
) -> list[Diagnostic]:
    """Never ship the wrong architecture: every native extension going into an artifact from the service
    directory (code, a layer's directory, a prebuilt zip) must be built for each architecture that runs it.
    Installed dependencies are checked as they are installed (deps.install). Reads headers only, so it runs on
    every build, cache hits included (a zip's cache key does not include the architecture)."""
    problems = []
    for job in jobs:
        if job.kind == "layer":
            spec = manifest.artifacts.layers[job.name]
            users = [k for k in keys if job.name in manifest.artifacts.function_layers.get(k, ())]
            architectures = set(spec.compatible_architectures) or {manifest.functions[k].architecture for k in users}
            what = f"layer {job.name}"
        else:
            architectures = {manifest.functions[k].architecture for k in job.function_keys}
            what = f"function{'s' if len(job.function_keys) > 1 else ''} {', '.join(job.function_keys)}"
        natives = _prebuilt_natives(job.path) if job.kind == "prebuilt" else [
            (rel, elfcheck.machine_of(path)) for rel, path in selections.get(job, []) if elfcheck.is_native(rel)
        ]  # fmt: skip
        for architecture in sorted(architectures & set(MACHINES)):
            machine = MACHINES[architecture]
            wrong = [(rel, found) for rel, found in natives if found != machine]
            if not wrong:
                continue
            listed = "; ".join(f"{rel} ({found})" for rel, found in wrong[:10])
            where = job.key if job.kind in ("layer", "prebuilt") else ("functions", job.function_keys[0])
            problems.append(
                _problem(
                    manifest, where,
                    f"{what} runs on {architecture} ({machine}) but would ship native extensions built for "
                    f"another machine: {listed}",
                    hint="list the package in requirements.txt so fn installs it for the function's architecture, "
                    "or exclude the file with a `!` pattern",
                )
            )  # fmt: skip
    return problems


def _prebuilt_natives(path: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(path) as zf:
        return [
            (info.filename, elfcheck.machine_of_header(zf.open(info).read(20)))
            for info in zf.infolist()
            if not info.is_dir() and elfcheck.is_native(info.filename)
        ]


def _assembled(manifest: Manifest, job: _Job) -> bool:
    spec = manifest.artifacts.images.get(job.name)
    return spec is not None and spec.path is not None and not (manifest.root / spec.path / spec.file).is_file()


def _label(job: _Job) -> str:
    if job.kind == "layer":
        return f"layer {job.name}"
    if job.kind == "image":
        return f"image {job.name} ({job.function_keys[0]})"
    return f"{job.kind} {', '.join(job.function_keys)}"


def _limits(manifest: Manifest, packaged: Packaged, keys: list[str]) -> list[Diagnostic]:
    """Lambda's 250 MB unzipped limit for a function and its layers, checked before any AWS call."""
    problems = []
    for key in keys:
        artifact = packaged.functions[key]
        if artifact.kind == "image":
            continue
        layers = [packaged.layers[r] for r in manifest.artifacts.function_layers.get(key, ()) if r in packaged.layers]
        total = artifact.unzipped_size + sum(layer.unzipped_size for layer in layers)
        if total > UNZIPPED_LIMIT:
            zips = [a.path for a in (artifact, *layers) if zipfile.is_zipfile(a.path)]
            dirs = sorted((d for path in zips for d in _top_dirs(path)), key=lambda d: -d[1])
            largest = ", ".join(f"{name} {_mb(size)}" for name, size in dirs[:5])
            problems.append(
                _problem(
                    manifest, ("functions", key),
                    f"function {key} is {_mb(total)} unzipped with its layers, above the Lambda limit of 250 MB; "
                    f"largest: {largest}",
                    hint="exclude what the function does not need with package.patterns or "
                    "custom.pythonRequirements.noDeploy, or use a container image (up to 10 GB)",
                )
            )  # fmt: skip
    return problems


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
