"""Node.js functions: production dependencies installed for Lambda's Linux and the function's architecture, and
esbuild bundles.

Filesystem, subprocesses (the injected Tools runner) and, once, the npm registry (to fetch esbuild when the
project has none): no AWS, no manifest parsing.

Dependencies are installed from the lockfile with its package manager (npm for package-lock.json and
npm-shrinkwrap.json; yarn and pnpm when installed, npm otherwise), production only, install scripts off, and for
Linux, glibc and the function's CPU whatever machine runs fn: `npm ci --omit=dev --os=linux --cpu=x64|arm64
--libc=glibc`, so packages that ship prebuilt binaries per platform through optional dependencies (esbuild,
sharp, ...) get Lambda's. A package that compiles with node-gyp is built in the Lambda build image by a container
engine, or refused by name. The installed tree is cached by package.json, lockfile, runtime and architecture in
the same cache as Python's (deps.cached_tree).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import re
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from fnship import runtimes
from fnship.errors import Diagnostic, FnError, InputError, Location
from fnship.frozen import frozen
from fnship.manifest.types import EsbuildOptions
from fnship.packaging import deps, elfcheck
from fnship.packaging.platforms import LambdaPlatform
from fnship.textfile import parse_json_input, read_input

NODE_BUILDER_VERSION = "fnship-node-2"
# lockfile -> its package manager, in the order they are looked for
LOCKFILES = (
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
)
NPM_CPU = {"x86_64": "x64", "arm64": "arm64"}

# esbuild, fetched from the npm registry into fnship's cache when the project's node_modules has none: one pinned
# version, each platform's tarball checked against the integrity npm publishes for it (`npm view
# @esbuild/<platform>@<version> dist.integrity`).
ESBUILD_VERSION = "0.25.12"
ESBUILD_INTEGRITY = {
    "linux-x64": "sha512-uqZMTLr/zR/ed4jIGnwSLkaHmPjOjJvnm6TVVitAa08SLS9Z0VM8wIRx7gWbJB5/J54YuIMInDquWyYvQLZkgw==",
    "linux-arm64": "sha512-8bwX7a8FghIgrupcxb4aUmYDLp8pX06rGh5HqDT7bB+8Rdells6mHvrFHHW2JAOPZUbnjUpKTLg6ECyzvas2AQ==",
    "darwin-x64": "sha512-HQ9ka4Kx21qHXwtlTUVbKJOAnmG1ipXhdWTmNXiPzPfWKpXqASVcWdnf2bnL73wgjNrFXAa3yYvBSd9pzfEIpA==",
    "darwin-arm64": "sha512-N3zl+lxHCifgIlcMUP5016ESkeQjLj/959RxxNYIthIg+CQHInujFuXeWbWMgnTo4cp5XVHqFPmpyu9J65C1Yg==",
    "win32-x64": "sha512-alJC0uCZpTFrSL0CCDjcgleBXPnCrEAhTBILpeAp7M/OFgoqtAetfBzX0xM00MUsVVPpVjlPuMbREqnZCXaTnA==",
}
DEFAULT_REGISTRY = "https://registry.npmjs.org"


def node_major(runtime: str) -> str:
    """`nodejs22.x` -> `22`."""
    return re.sub(r"\D", "", runtime.removeprefix("nodejs").split(".")[0]) or "22"


# -- the project: package.json and its lockfile ------------------------------------------------------------------
@frozen
class NodeProject:
    directory: Path  # where package.json is
    package: Mapping  # package.json, parsed
    lockfile: Path | None
    manager: str  # the lockfile's package manager (npm without a lockfile)

    @property
    def manifest(self) -> Path:
        return self.directory / "package.json"

    def dependencies(self) -> dict[str, str]:
        """Production dependencies (name -> spec). devDependencies never ship."""
        found = self.package.get("dependencies") or {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def key_material(self) -> list[str]:
        material = [hashlib.sha256(self.manifest.read_bytes()).hexdigest()]
        if self.lockfile is not None:
            material += [self.lockfile.name, hashlib.sha256(self.lockfile.read_bytes()).hexdigest()]
        return material


# Far above any honest file (a package.json is a few KB; the lockfile of a large application tens of MB), low
# enough that a wrong file (a disk image, /dev/zero) is refused before it fills the memory.
PACKAGE_JSON_MAX_BYTES = 1024 * 1024
LOCKFILE_MAX_BYTES = 64 * 1024 * 1024


def read_project(directory: Path) -> NodeProject | None:
    """The Node.js project at `directory` (its package.json), or None. A package.json or lockfile that is too
    large, not UTF-8 text or (package.json) not JSON nested within textfile.MAX_DEPTH is an input error naming the
    file and where; the lockfile is not parsed here (its package manager reads it)."""
    path = directory / "package.json"
    if not path.is_file():
        return None
    package = parse_json_input(
        read_input(path, limit=PACKAGE_JSON_MAX_BYTES),
        display=str(path),
        what="package.json",
        hint="fix the syntax (npm would refuse it too)",
    )
    if not isinstance(package, dict):
        raise InputError(Diagnostic("package.json must be a JSON object", location=Location(str(path), 1, 1)))
    for name, manager in LOCKFILES:
        if (directory / name).is_file():
            read_input(directory / name, limit=LOCKFILE_MAX_BYTES)  # text, within the limit: checked, not parsed
            return NodeProject(directory, package, directory / name, manager)
    return NodeProject(directory, package, None, "npm")


def find_project(*directories: Path) -> NodeProject | None:
    """The first package.json found, looking in each directory in turn (the handler's first)."""
    for directory in dict.fromkeys(d.resolve() for d in directories):
        found = read_project(directory)
        if found is not None:
            return found
    return None


# -- installing ----------------------------------------------------------------------------------------------------
@frozen
class NodeTarget(LambdaPlatform):
    """What installed Node.js dependencies must run on; `cpu` is npm's name for the architecture."""

    @property
    def cpu(self) -> str:
        return NPM_CPU[self.architecture]


def deps_key(project: NodeProject, target: NodeTarget, options: deps.BuildOptions, *, only: Sequence[str] = ()) -> str:
    material = {
        "builder": NODE_BUILDER_VERSION,
        "project": project.key_material(),
        "runtime": target.runtime,
        "architecture": target.architecture,
        "container": options.container,
        "image": options.build_image,
        "only": sorted(only),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def install_command(manager: str, target: NodeTarget, *, locked: bool, program: str) -> list[str]:
    """The install command line of `manager`, production dependencies only, no install scripts. Lambda's
    platform (Linux, glibc, the function's CPU) is given the way each manager takes it: npm's `--os/--cpu/--libc`;
    pnpm's and yarn berry's `supportedArchitectures` (written by `_prepare`); yarn classic installs every
    platform's optional packages (`--ignore-platform`) and `prune_platforms` keeps Lambda's."""
    if manager == "pnpm":
        return [program, "install", "--prod", "--ignore-scripts", "--config.node-linker=hoisted",
                "--frozen-lockfile" if locked else "--no-frozen-lockfile"]  # fmt: skip
    if manager == "yarn":
        return [program, "install", "--production", "--ignore-scripts", "--non-interactive", "--ignore-engines",
                "--ignore-platform", *(["--frozen-lockfile"] if locked else [])]  # fmt: skip
    if manager == "yarn-berry":
        # `workspaces focus --production` is yarn 2+'s production-only install (built in since yarn 4).
        return [program, "workspaces", "focus", "--all", "--production"]
    verb = ["ci"] if locked else ["install", "--no-package-lock"]
    return [program, *verb, "--omit=dev", "--ignore-scripts", "--os=linux", f"--cpu={target.cpu}", "--libc=glibc",
            "--no-audit", "--no-fund", "--loglevel=error"]  # fmt: skip


@frozen
class Manager:
    """The package manager that installs a project: its name (npm | pnpm | yarn | yarn-berry) and program."""

    name: str
    program: str


def yarn_flavour(lockfile: Path) -> str:
    """`yarn` for a yarn 1 (classic) lockfile, `yarn-berry` for yarn 2+'s (a YAML file with `__metadata`)."""
    with lockfile.open("rb") as handle:
        head = handle.read(4096)
    return "yarn-berry" if b"__metadata:" in head else "yarn"


def choose_manager(project: NodeProject, tools: deps.Tools, *, cwd: Path) -> tuple[Manager, str]:
    """The lockfile's package manager when it is installed (for yarn.lock, a yarn of the lockfile's major line),
    else npm: (manager, why npm replaces it, or "")."""
    npm = tools.which("npm")
    if project.lockfile is None or project.manager == "npm":
        return _need_npm(project, npm), ""
    wanted = yarn_flavour(project.lockfile) if project.manager == "yarn" else project.manager
    program = tools.which(project.manager)
    why = f"{project.lockfile.name} asks for {project.manager}, which is not installed"
    if program is not None and wanted.startswith("yarn"):
        # `yarn --version` where the install runs, so corepack's `packageManager` pin and a yarn that defers to
        # another version answer for the yarn that will run.
        done = tools.run([program, "--version"], cwd=cwd, env=_MANAGER_ENV)
        version = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else "?"
        classic = version.split(".")[0] == "1"
        if done.returncode != 0 or classic != (wanted == "yarn"):
            program = None
            line = "1 (classic)" if wanted == "yarn" else "2 or later (berry)"
            why = f"{project.lockfile.name} is a yarn {line} lockfile, and the yarn installed answers {version}"
    if program is None:
        return _need_npm(project, npm), why + ": npm resolves the dependencies from package.json instead"
    return Manager(wanted, program), ""


def _need_npm(project: NodeProject, npm: str | None) -> Manager:
    if npm is None:
        raise FnError(
            f"installing the dependencies of {project.manifest} needs npm, which is not installed",
            hint="install Node.js (it comes with npm), or bundle the function with `build: esbuild`",
        )
    return Manager("npm", npm)


# No update notices, prompts or telemetry from the managers: the install must not wait on a terminal.
_MANAGER_ENV = {"npm_config_update_notifier": "false", "YARN_ENABLE_TELEMETRY": "0", "CI": "true",
                "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0"}  # fmt: skip
# The project's own settings for its package manager (registry, scopes, auth by environment variable).
_SETTINGS = (".npmrc", ".yarnrc", ".pnpmfile.cjs")


def _prepare(project: NodeProject, manager: str, target: NodeTarget, scratch: Path, only: Sequence[str]) -> bool:
    """Write the project for the install into `scratch`: package.json without scripts (and, for npm, without
    devDependencies; the lockfiles of pnpm and yarn list them, so they stay and `--prod` skips them), the lockfile
    when it is the manager's, the project's settings, and Lambda's platform for pnpm and yarn berry. Returns
    whether the install follows the lockfile exactly."""
    package = dict(project.package)
    package.pop("scripts", None)  # never run: install scripts are off, and lifecycle scripts are the project's
    if manager == "npm" or only:
        package.pop("devDependencies", None)
    if only:
        wanted = project.dependencies()
        package["dependencies"] = {name: wanted.get(name, "*") for name in only}
    platform_spec = {"os": ["linux"], "cpu": [target.cpu], "libc": ["glibc"]}
    if manager == "pnpm":
        package["pnpm"] = {**(package.get("pnpm") or {}), "supportedArchitectures": platform_spec}
    (scratch / "package.json").write_text(json.dumps(package, indent=2, sort_keys=True))
    for name in _SETTINGS:
        if (project.directory / name).is_file():
            shutil.copyfile(project.directory / name, scratch / name)
    if manager == "yarn-berry":
        # yarn 2+ merges every .yarnrc.yml from the install's directory up: the project's own one in the parent
        # (its registry and scopes), fnship's beside package.json wins for the keys that make Lambda's tree.
        if (project.directory / ".yarnrc.yml").is_file():
            shutil.copyfile(project.directory / ".yarnrc.yml", scratch.parent / ".yarnrc.yml")
        settings = {"nodeLinker": "node-modules", "enableScripts": False, "enableTelemetry": False,
                    "supportedArchitectures": platform_spec}  # fmt: skip
        # JSON is YAML: no YAML writer needed.
        (scratch / ".yarnrc.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
    uses_lockfile = project.lockfile is not None and manager.removesuffix("-berry") == project.manager
    if uses_lockfile:
        assert project.lockfile is not None
        shutil.copyfile(project.lockfile, scratch / project.lockfile.name)
    return uses_lockfile and not only


def install(
    project: NodeProject,
    target: NodeTarget,
    dest: Path,
    *,
    options: deps.BuildOptions,
    tools: deps.Tools,
    work: Path,
    only: Sequence[str] = (),
    warn: Callable[[str], None] = lambda _message: None,
) -> None:
    """Install the project's production dependencies (or only the packages `only` names, for a bundle's
    externals) for `target` into `dest/node_modules`."""
    scratch = work / "project"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    (dest / "node_modules").mkdir(parents=True, exist_ok=True)
    if not (only or project.dependencies()):
        return
    # package.json first (corepack reads its `packageManager` when asked for the version), then the rest.
    (scratch / "package.json").write_text(json.dumps(project.package))
    manager, why = choose_manager(project, tools, cwd=scratch)
    if why:
        warn(why)
    if project.lockfile is None:
        warn(f"{project.manifest} has no lockfile: dependencies are resolved from package.json as npm would, so "
             "two builds may differ (commit a package-lock.json)")  # fmt: skip
    locked = _prepare(project, manager.name, target, scratch, only)
    command = install_command(manager.name, target, locked=locked, program=manager.program)
    if only and manager.name == "npm":
        command[1:2] = ["install", "--no-save"]
    env = {**_MANAGER_ENV, "YARN_ENABLE_IMMUTABLE_INSTALLS": "true" if locked else "false"}
    done = tools.run(command, cwd=scratch, env=env)
    if done.returncode != 0:
        raise FnError(
            f"installing the dependencies of {project.manifest} for {target.runtime} {target.architecture} failed "
            f"({' '.join([Path(command[0]).name, *command[1:3]])}):\n{_tail(done.stderr or done.stdout)}",
            hint="check that the lockfile matches package.json (a frozen install refuses a stale one)",
        )
    modules = scratch / "node_modules"
    if manager.name == "yarn":
        prune_platforms(modules, target)
    gyp = native_builds(modules, target)
    if gyp:
        _build_natives(project, target, gyp, scratch, options=options, tools=tools)
    if modules.is_dir():
        prune_prebuilds(modules, target)
        _tidy(modules)
        (dest / "node_modules").rmdir()
        shutil.move(str(modules), dest / "node_modules")
    mismatches = elfcheck.check_tree(dest, machine=target.machine)
    if mismatches:
        raise InputError(
            [
                Diagnostic(
                    f"the dependencies of {project.manifest} for {target.runtime} {target.architecture}: package "
                    f"{package_of(m.path)} ships {m.path}, built for {m.found}, which Lambda on {target.architecture} "
                    f"({target.machine}) cannot load",
                    hint=f"use a version of {package_of(m.path)} that ships Linux {target.cpu} binaries (or compiles "
                    "them with node-gyp, which fn runs in the Lambda build image), or replace it with a pure "
                    "JavaScript package",
                )
                for m in mismatches[:10]
            ]
        )


def package_of(path: str) -> str:
    """The package a file under node_modules belongs to: `node_modules/@s/p/build/x.node` -> `@s/p` (the
    innermost node_modules)."""
    parts = path.split("/")
    at = max((i for i, part in enumerate(parts) if part == "node_modules"), default=-1)
    rest = parts[at + 1 :]
    return "/".join(rest[:2]) if rest and rest[0].startswith("@") else (rest[0] if rest else path)


def _build_natives(
    project: NodeProject,
    target: NodeTarget,
    gyp: list[str],
    scratch: Path,
    *,
    options: deps.BuildOptions,
    tools: deps.Tools,
) -> None:
    """Compile the node-gyp packages of the installed tree in the Lambda build image (`npm rebuild` runs their
    install scripts there, on the tree the lockfile's manager installed), or refuse them by name (exit 2)."""
    engine = deps.find_engine(tools.which, tools) if options.container != "never" else None
    if engine is None:
        listed = ", ".join(gyp)
        raise InputError(
            Diagnostic(
                f"{listed} compile{'s' if len(gyp) == 1 else ''} native code with node-gyp at install and must be "
                f"built for Lambda ({target.runtime} {target.architecture}) in the Lambda build image, but no "
                "container engine is available",
                location=Location(str(project.manifest), 1, 1),
                hint="install docker (with its daemon running), podman or buildah, and fn builds it in "
                f"{options.build_image or target.build_image()}; or use a package that ships prebuilt Linux "
                "binaries (bcryptjs for bcrypt, ...)"
                + ("; provider.build.container is `never`" if options.container == "never" else ""),
            )
        )
    import shlex  # (imported where used: an unchanged `fn package` never gets here)

    names = " ".join(shlex.quote(spec.rsplit("@", 1)[0]) for spec in gyp)
    deps.run_in_build_image(
        engine, options.build_image or target.build_image(), f"linux/{target.oci_arch}", scratch,
        f"npm rebuild --foreground-scripts {names}", tools=tools,
    )  # fmt: skip


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _packages(modules: Path) -> list[tuple[Path, dict]]:
    """Every installed package under `modules` (nested node_modules too): (directory, its package.json)."""
    found = []
    for manifest in sorted(modules.glob("**/package.json")):
        directory = manifest.parent
        holder = directory.parent.parent if directory.parent.name.startswith("@") else directory.parent
        if holder.name != "node_modules":
            continue  # a package.json inside a package (test fixtures, sub-entry points)
        if any(part.startswith(".") for part in directory.relative_to(modules).parts):
            continue
        try:
            meta = parse_json_input(
                read_input(manifest, limit=PACKAGE_JSON_MAX_BYTES), display=str(manifest), what="", hint=""
            )
        except InputError:
            continue  # npm would not have installed it: not ours to judge
        if isinstance(meta, dict):
            found.append((directory, meta))
    return found


def _accepts(listed: object, value: str) -> bool:
    """npm's rule for a package's `os`/`cpu`/`libc`: absent accepts all; `!x` excludes x; else it must be listed."""
    if not isinstance(listed, list) or not listed:
        return True
    blocked = {str(v)[1:] for v in listed if str(v).startswith("!")}
    allowed = {str(v) for v in listed if not str(v).startswith("!")}
    return value not in blocked and (not allowed or value in allowed)


def prune_platforms(modules: Path, target: NodeTarget) -> list[str]:
    """Remove the packages whose `os`/`cpu`/`libc` exclude Lambda's platform (what yarn classic installs with
    `--ignore-platform`, as npm and pnpm would have skipped them); returns their names."""
    removed = []
    for directory, meta in _packages(modules):
        fits = _accepts(meta.get("os"), "linux") and _accepts(meta.get("cpu"), target.cpu)
        if fits and _accepts(meta.get("libc"), "glibc") and directory.exists():
            continue
        if directory.exists():
            shutil.rmtree(directory)
            removed.append(str(meta.get("name", directory.name)))
    return removed


def _prebuilt_for(package: Path, target: NodeTarget) -> list[Path]:
    """node-gyp-build's `prebuilds/<platform>-<arch>[+<arch>]` directories of a package for Lambda's platform."""
    folder = package / "prebuilds"
    if not folder.is_dir():
        return []
    return [d for d in folder.iterdir() if d.is_dir() and _fits_prebuild(d.name, target)]


def _fits_prebuild(name: str, target: NodeTarget) -> bool:
    system, _, arches = name.partition("-")
    return system == "linux" and target.cpu in arches.split("+")


def prune_prebuilds(modules: Path, target: NodeTarget) -> None:
    """Drop node-gyp-build prebuilds for other platforms (macOS, Windows, other CPUs): node-gyp-build on Lambda
    loads only `prebuilds/linux-<cpu>`, and the others would fail the architecture check."""
    for directory, _meta in _packages(modules):
        folder = directory / "prebuilds"
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.is_dir() and not _fits_prebuild(entry.name, target):
                    shutil.rmtree(entry)


# Install scripts that compile (or fetch at install what install scripts, off here, would have fetched) a
# binding.gyp's addon: node-gyp and its wrappers, prebuild-install, node-pre-gyp.
_COMPILING_SCRIPTS = ("node-gyp", "prebuild-install", "node-pre-gyp")


def native_builds(modules: Path, target: NodeTarget) -> list[str]:
    """`name@version` of every installed package that must compile with node-gyp for `target`: a binding.gyp at its
    root and either no install script (npm then runs `node-gyp rebuild`) or one that compiles (node-gyp-build,
    `prebuild-install || node-gyp rebuild`, node-pre-gyp), unless it ships a node-gyp-build prebuild for Linux and
    the target's CPU. A package whose own install script does something else (@parcel/watcher builds only when
    asked, its binaries come as optional dependencies) is left to that script's way."""
    found: list[str] = []
    if not modules.is_dir():
        return found
    for directory, meta in _packages(modules):
        if not (directory / "binding.gyp").is_file() or meta.get("gypfile") is False:
            continue
        scripts = meta.get("scripts")
        script = " ".join(str(scripts.get(name) or "") for name in ("preinstall", "install")) if isinstance(
            scripts, dict) else ""  # fmt: skip
        if script.strip() and not any(word in script for word in _COMPILING_SCRIPTS):
            continue
        if "optional-packages" in script:  # node-gyp-build-optional-packages: binaries as optional dependencies
            continue
        if any(any(p.suffix == ".node" for p in d.iterdir()) for d in _prebuilt_for(directory, target)):
            continue
        found.append(f"{meta.get('name', directory.name)}@{meta.get('version', '?')}")
    return found


def _tidy(modules: Path) -> None:
    """Drop what an install leaves that never runs on Lambda and would make builds differ: the entries of every
    node_modules whose names start with a dot (npm's, pnpm's and yarn's bookkeeping, bin links; no package's
    name starts with one)."""
    for folder in [modules, *sorted(modules.glob("**/node_modules"))]:
        for entry in sorted(folder.glob(".*")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def installed_tree(
    project: NodeProject,
    target: NodeTarget,
    *,
    cache_dir: Path,
    options: deps.BuildOptions,
    tools: deps.Tools,
    only: Sequence[str] = (),
    warn: Callable[[str], None] = lambda _message: None,
) -> tuple[Path, str, bool]:
    """The installed node_modules for `target` (a tree holding `node_modules/`), from the cache when present:
    (directory, key, cache hit)."""
    key = deps_key(project, target, options, only=only)

    def build(tree: Path, work: Path) -> None:
        install(project, target, tree, options=options, tools=tools, work=work, only=only, warn=warn)

    return deps.cached_tree(key, cache_dir=cache_dir, build=build)


# -- esbuild ---------------------------------------------------------------------------------------------------------
def host_platform() -> str:
    """esbuild's name for this machine's platform package (`@esbuild/linux-x64`)."""
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system(), platform.system())
    machine = platform.machine().lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{system}-{cpu}"


Fetch = Callable[[str], bytes]


def _http_get(url: str) -> bytes:
    import urllib.parse
    import urllib.request  # here: http.client, email and ssl are most of a Python function's package start-up

    # The registry can come from the environment: only http(s), never file: or another scheme urllib knows.
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise FnError(f"{url}: the npm registry must be an http(s) URL")
    # bandit B310 waived: the scheme is http(s), checked above.
    with urllib.request.urlopen(url, timeout=60) as response:  # nosec B310
        return response.read()


def esbuild_binary(
    project_dirs: Sequence[Path], *, cache_dir: Path, fetch: Fetch = _http_get, registry: str | None = None
) -> Path:
    """The project's own esbuild (node_modules/.bin/esbuild in a project directory), else the pinned one from
    fnship's cache, fetched from the npm registry and checked against its published integrity on first use."""
    for directory in project_dirs:
        for candidate in (directory / "node_modules" / ".bin" / "esbuild", directory / "node_modules" / "esbuild"
                          / "bin" / "esbuild"):  # fmt: skip
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    name = host_platform()
    integrity = ESBUILD_INTEGRITY.get(name)
    if integrity is None:
        raise FnError(
            f"fnship has no pinned esbuild for this platform ({name})",
            hint="add esbuild to the project's devDependencies (npm install -D esbuild)",
        )
    home = cache_dir / "tools" / f"esbuild-{ESBUILD_VERSION}-{name}"
    binary = home / ("esbuild.exe" if name.startswith("win32") else "esbuild")
    if binary.is_file():
        return binary
    configured = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")  # noqa: SIM112 -- npm reads both
    base = (registry or configured or DEFAULT_REGISTRY).rstrip("/")
    url = f"{base}/@esbuild/{name}/-/{name}-{ESBUILD_VERSION}.tgz"
    try:
        data = fetch(url)
    except OSError as exc:
        raise FnError(
            f"fetching esbuild {ESBUILD_VERSION} from {url} failed: {exc}",
            hint="check the network, or add esbuild to the project's devDependencies (npm install -D esbuild)",
        ) from exc
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise FnError(
            f"the esbuild package from {url} does not match its pinned checksum ({integrity}); not used",
            hint="a proxy or mirror altered it: point npm_config_registry at a faithful registry",
        )
    member = "package/esbuild.exe" if name.startswith("win32") else "package/bin/esbuild"
    import tarfile  # (imported where used: an unchanged `fn package` never gets here)

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        extracted = tar.extractfile(member)
        if extracted is None:
            raise FnError(f"the esbuild package from {url} has no {member}")
        content = extracted.read()
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".esbuild.{os.getpid()}.tmp"
    tmp.write_bytes(content)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    tmp.replace(binary)
    return binary


_ESBUILD_ERROR = re.compile(r"\[ERROR\] (?P<message>[^\n]+)\n\n\s+(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?P<col>\d+):")


def bundle(
    esbuild: Path,
    *,
    root: Path,
    entry: str,
    outfile: Path,
    runtime: str,
    options: EsbuildOptions,
    tools: deps.Tools,
    node_paths: Sequence[Path] = (),
) -> None:
    """Bundle `entry` (relative to `root`) into `outfile`; imports also resolve in `node_paths` (esbuild reads
    NODE_PATH). An esbuild error is an input error with its file:line:col."""
    target = options.target or f"node{node_major(runtime)}"
    args = [str(esbuild), entry, f"--outfile={outfile}", f"--platform={options.platform}", f"--target={target}",
            f"--format={options.format}", "--log-level=error", "--color=false", "--charset=utf8"]  # fmt: skip
    if options.bundle:
        args.append("--bundle")
    if node_paths:
        args.append("--preserve-symlinks")  # keep the stable path of the dependencies in the bundle's comments
    if options.minify:
        args.append("--minify")
    if options.sourcemap:
        args.append("--sourcemap" if options.sourcemap is True else f"--sourcemap={options.sourcemap}")
    for name in (*options.external, *options.exclude):
        args.append(f"--external:{name}")
    if options.tsconfig:
        args.append(f"--tsconfig={options.tsconfig}")
    outfile.parent.mkdir(parents=True, exist_ok=True)
    done = tools.run(args, cwd=root, env={"NODE_PATH": os.pathsep.join(str(p) for p in node_paths)})
    if done.returncode != 0:
        problems = [
            Diagnostic(
                f"esbuild: {m.group('message')}",
                # esbuild counts columns from 0; file:line:col here counts from 1, as editors do.
                location=Location(m.group("file"), int(m.group("line")), int(m.group("col")) + 1),
                hint="fix the source, or mark the package `external` in build.esbuild",
            )
            for m in _ESBUILD_ERROR.finditer(done.stderr)
        ]
        raise InputError(problems or [Diagnostic(f"esbuild failed bundling {entry}:\n{_tail(done.stderr)}")])


def externals_to_install(project: NodeProject | None, options: EsbuildOptions) -> list[str]:
    """The externals that are dependencies of the project: installed next to the bundle (excludes never are)."""
    if project is None:
        return []
    names = project.dependencies()
    out = []
    for pattern in options.external:
        if pattern in names:
            out.append(pattern)
        elif pattern.endswith("/*"):
            out += [n for n in names if n.startswith(pattern[:-1])]
    return sorted(set(out))


def is_typescript(path: str) -> bool:
    return path.endswith((".ts", ".mts", ".cts"))


def bundle_name(module: str, options: EsbuildOptions) -> str:
    """Where the bundle goes in the zip, so the unchanged handler string finds it: `src/api` -> `src/api.js`
    (`.mjs` for ESM output, which Lambda loads as a module)."""
    return module + (".mjs" if options.format == "esm" else ".js")


def family_is_node(runtime: str) -> bool:
    return runtimes.family(runtime) == "nodejs"
