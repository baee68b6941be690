"""Python dependencies for a Lambda runtime and architecture: find the requirements, install matching wheels
into a directory, build what has no wheel, check every native extension's architecture.

Filesystem and subprocesses (the injected runner): no AWS, no manifest parsing. Installs use the target's
platform tags, never the host's: `uv pip install --python-platform ... --python-version ... --only-binary :all:`
(pip with `--platform/--python-version/--implementation cp/--abi` as the fallback).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fnship.errors import Diagnostic, FnError, InputError, Location
from fnship.frozen import frozen
from fnship.packaging import elfcheck
from fnship.packaging.platforms import Target, is_pure
from fnship.packaging.runner import Completed, Runner, Which, subprocess_runner, uv_binary, which

# Bump when what an install produces changes for the same inputs: part of every cache key.
BUILDER_VERSION = "fnship-deps-1"
REQUIREMENT_FILES = ("requirements.txt", "uv.lock", "poetry.lock", "pyproject.toml")
CONTAINER_MODES = ("auto", "always", "never")
ENGINES = ("docker", "podman", "buildah")

# requirements.txt options handed to the installer as they are (uv and pip both take them).
_PASSED_OPTIONS = ("--index-url", "-i ", "--extra-index-url", "--find-links", "-f ", "--pre", "--no-index")
_VALUED_OPTIONS = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f", "-c")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# `./libs/shared`, `-e .`, `file:../shared`, `shared @ file:///abs/shared`: a local source tree
_LOCAL = re.compile(
    r"^(?:-e\s+|--editable\s+)?(?:[A-Za-z0-9][A-Za-z0-9._-]*\s*@\s*)?(?:file:(?://)?)?(\.{1,2}(?:/\S*)?|/\S+)$"
)
# uv: "Because docopt==0.6.2 has no usable wheels" / "Wheels are required for `docopt`";
# pip: "Could not find a version that satisfies the requirement docopt==0.6.2"
_NO_WHEEL = (
    re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) has no usable wheels"),
    re.compile(r"Wheels are required for `([^`]+)`"),
    re.compile(r"satisfies the requirement ([A-Za-z0-9][A-Za-z0-9._-]*)"),
)


@frozen
class Requirements:
    """Pinned-or-not requirement lines, ready for an installer, and where they came from."""

    source: Path
    lines: tuple[str, ...]  # named requirements, as written (comments and blank lines dropped)
    local_paths: tuple[Path, ...] = ()  # `./libs/shared`: built locally and included
    installer_args: tuple[str, ...] = ()  # --index-url URL, --extra-index-url URL, -c /abs/constraints.txt, ...

    def key_material(self) -> list[str]:
        """What the installed tree depends on. Local files (constraints, find-links directories, source trees)
        count by name and content, not by absolute path: CI runners with other checkout paths share the key."""
        material = list(self.lines)
        args = list(self.installer_args)
        while args:
            option = args.pop(0)
            value = args.pop(0) if option in _VALUED_OPTIONS and args else ""
            local = Path(value)
            if value and "://" not in value and local.is_absolute() and local.exists():
                digest = _tree_digest(local) if local.is_dir() else hashlib.sha256(local.read_bytes()).hexdigest()
                value = f"{local.name}:{digest}"
            material += [option, value] if value else [option]
        for path in self.local_paths:
            material.append(f"local:{path.name}:{_tree_digest(path)}")
        return material


@frozen
class BuildOptions:
    container: str = "auto"  # auto | always | never
    build_image: str | None = None  # default: the SAM build image for the runtime and architecture
    no_deploy: tuple[str, ...] = ()  # package names left out (custom.pythonRequirements.noDeploy)


@dataclass
class Tools:
    """The outside world an install touches, injected."""

    runner: Runner = subprocess_runner
    which: Which = which
    calls: list[Sequence[str]] = field(default_factory=list)

    def run(self, args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Completed:
        self.calls.append(list(args))
        return self.runner(args, cwd, env)


def _tree_digest(root: Path) -> str:
    """A local source tree's content, without what no build reads: bytecode, node_modules and hidden directories
    (.git, .venv, and fnship's own .fn outputs when the tree is the service itself, as with `-e .`)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        folders = path.relative_to(root).parts[:-1]
        if any(part.startswith(".") or part in ("__pycache__", "node_modules") for part in folders):
            continue
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# -- finding requirements ---------------------------------------------------------------------------------------
def find_requirements(
    directories: Sequence[Path], *, file_name: str | None = None, tools: Tools | None = None
) -> Requirements | None:
    """The first requirements source found, looking in each directory in turn (the function's code first).

    `file_name` (custom.pythonRequirements.fileName) replaces the search with that one file.
    """
    tools = tools or Tools()
    if file_name:
        for directory in directories:
            if (directory / file_name).is_file():
                return parse_requirements_file(directory / file_name)
        return None
    for directory in directories:
        for name in REQUIREMENT_FILES:
            path = directory / name
            if not path.is_file():
                continue
            if name == "requirements.txt":
                return parse_requirements_file(path)
            if name == "uv.lock":
                return _from_uv_lock(path, tools)
            if name == "poetry.lock":
                return _from_poetry_lock(path)
            found = _from_pyproject(path)
            if found is not None:
                return found
    return None


REQUIREMENTS_MAX_BYTES = 1024 * 1024  # far above any real requirements file or lockfile's project table


def _read_input(path: Path) -> str:
    """A requirements file or lockfile as text: too large, unreadable or not UTF-8 is an input error with its place."""
    from fnship.textfile import read_input

    return read_input(path, limit=REQUIREMENTS_MAX_BYTES)


def parse_requirements_file(path: Path, *, seen: frozenset[Path] = frozenset()) -> Requirements:
    return parse_requirements(_read_input(path), source=path, seen=seen | {path.resolve()}, numbered=True)


def parse_requirements(
    text: str, *, source: Path, seen: frozenset[Path] = frozenset(), numbered: bool = False
) -> Requirements:
    """`numbered`: `text` is the file's own text, so problems can name its lines (not so for an export)."""
    lines: list[str] = []
    local: list[Path] = []
    extra: list[str] = []
    base = source.parent

    def missing(number: int, what: str, path: Path, hint: str) -> InputError:
        where = Location(str(source), number, 1) if numbered else None
        key = "" if numbered else str(source)
        return InputError(Diagnostic(f"{what} does not exist ({path})", key=key, location=where, hint=hint))

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            nested = (base / line.split(None, 1)[1]).resolve()
            if not nested.is_file():
                raise missing(number, f"the requirements file {line.split(None, 1)[1]}", nested,
                              "-r paths are relative to the file that names them")  # fmt: skip
            if nested not in seen:
                inner = parse_requirements_file(nested, seen=seen)
                lines += inner.lines
                local += inner.local_paths
                extra += inner.installer_args
            continue
        if line.startswith("--hash"):
            continue
        if line.startswith(("-c ", "--constraint ")):
            constraints = (base / line.split(None, 1)[1]).resolve()
            if not constraints.is_file():
                raise missing(number, f"the constraints file {line.split(None, 1)[1]}", constraints,
                              "-c paths are relative to the file that names them")  # fmt: skip
            extra += ["-c", str(constraints)]
            continue
        if line.startswith(_PASSED_OPTIONS):
            option, _, value = line.replace("=", " ", 1).partition(" ")
            value = value.strip()
            if option in ("--find-links", "-f") and "://" not in value and (base / value).exists():
                value = str((base / value).resolve())  # as pip does: relative to the requirements file
            extra += [option, value] if value else [option]
            continue
        line = re.sub(r"\s+--hash=\S+", "", line)
        match = _LOCAL.match(line)
        if match:
            path = (base / match.group(1)).resolve()
            if not path.exists():
                raise missing(number, f"the local requirement {match.group(1)}", path,
                              "local path requirements are relative to the requirements file")  # fmt: skip
            local.append(path)
            continue
        lines.append(line)
    return Requirements(source, tuple(lines), tuple(local), tuple(extra))


def _toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise FnError(f"reading {path} needs Python 3.11+ or the tomli package") from exc
    try:
        return tomllib.loads(_read_input(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Diagnostic(f"not valid TOML: {exc}", key=str(path))) from exc
    except RecursionError as exc:  # tomllib nests one call per level of inline tables and arrays
        raise InputError(Diagnostic("not valid TOML: nested too deep", key=str(path))) from exc


def _from_pyproject(path: Path) -> Requirements | None:
    project = _toml(path).get("project") or {}
    deps = project.get("dependencies")
    if not deps:
        return None
    return parse_requirements("\n".join(deps), source=path)


def _from_uv_lock(path: Path, tools: Tools) -> Requirements:
    """`uv export` turns the lock into pinned requirements (main dependencies, no dev group, no hashes)."""
    uv = uv_binary(tools.which)
    if uv is None:
        raise FnError(f"{path} needs uv to export it", hint="pip install uv, or add a requirements.txt")
    done = tools.run(
        [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--format", "requirements-txt"],
        cwd=path.parent,
    )
    if done.returncode != 0:
        raise FnError(f"exporting {path} failed: {done.stderr.strip()}")
    return parse_requirements(done.stdout, source=path)


def _from_poetry_lock(path: Path) -> Requirements:
    """Pinned `name==version` for every locked package of the main group (poetry.lock format 1.x and 2.x)."""
    lock = _toml(path)
    lines = []
    for package in lock.get("package", []):
        groups = package.get("groups") or [package.get("category", "main")]
        if "main" not in groups:
            continue
        source = package.get("source") or {}
        if source.get("type") == "directory":
            lines.append(str((path.parent / source["url"]).resolve()))
            continue
        lines.append(f"{package['name']}=={package['version']}")
    return parse_requirements("\n".join(lines), source=path)


def requirement_name(line: str) -> str:
    match = _NAME.match(line)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else line


# -- installing -------------------------------------------------------------------------------------------------
def deps_key(requirements: Requirements, target: Target, options: BuildOptions) -> str:
    material = {
        "builder": BUILDER_VERSION,
        "requirements": requirements.key_material(),
        "runtime": target.runtime,
        "architecture": target.architecture,
        "container": options.container,
        "image": options.build_image,
        "no_deploy": sorted(options.no_deploy),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def install(
    requirements: Requirements, target: Target, dest: Path, *, options: BuildOptions, tools: Tools, work: Path
) -> None:
    """Install `requirements` for `target` into `dest` (created fresh). `work` is a scratch directory."""
    lines = [line for line in requirements.lines if requirement_name(line) not in set(options.no_deploy)]
    wheelhouse = work / "wheels"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    if options.container == "always":
        _install_in_container(lines, requirements, target, dest, options=options, tools=tools, work=work)
    else:
        native: list[str] = []
        local_wheels = []
        for path in requirements.local_paths:
            wheel = _build_wheel(str(path), wheelhouse, tools=tools)
            if is_pure(wheel.name):
                local_wheels.append(str(wheel))
            else:
                native.append(path.name)
        attempts = 0
        while not native and (lines or local_wheels):  # an empty requirements file installs nothing
            done = _install_wheels([*requirements.installer_args, *lines, *local_wheels], target, dest,
                                   wheelhouse=wheelhouse, tools=tools)  # fmt: skip
            if done.returncode == 0:
                break
            missing = _missing_wheels(done.stderr + done.stdout, lines)
            attempts += 1
            if not missing or attempts > 10:
                raise FnError(
                    f"installing the requirements of {requirements.source} for {target.runtime} "
                    f"{target.architecture} failed:\n{_tail(done.stderr or done.stdout)}"
                )
            for spec in missing:
                wheel = _build_wheel(spec, wheelhouse, tools=tools, sdist=True)
                if not is_pure(wheel.name):
                    native.append(spec)
        if native:
            if options.container == "never" or find_engine(tools.which, tools) is None:
                raise FnError(
                    f"{', '.join(native)} ha{'s' if len(native) == 1 else 've'} no wheel for {target.runtime} "
                    f"{target.architecture} and must be compiled in a Lambda build image",
                    hint="install docker, podman or buildah (fn uses the first found), or pin a version that "
                    "ships manylinux wheels"
                    + ("; provider.build.container is `never`" if options.container == "never" else ""),
                )
            shutil.rmtree(dest)
            dest.mkdir()
            _install_in_container(lines, requirements, target, dest, options=options, tools=tools, work=work)
    _tidy(dest)
    mismatches = elfcheck.check_tree(dest, machine=target.machine)
    if mismatches:
        listed = "; ".join(f"{m.path} ({m.found})" for m in mismatches[:10])
        raise FnError(
            f"native extensions built for the wrong architecture (the function runs on {target.architecture}, "
            f"{target.machine}): {listed}",
            hint="remove wheels built for this machine from the requirements, or build in a container "
            "(provider.build.container: always)",
        )


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _missing_wheels(output: str, lines: Sequence[str]) -> list[str]:
    """Requirement specs the installer found no compatible wheel for, as the user wrote them when possible."""
    by_name = {requirement_name(line): line for line in lines}
    found: dict[str, str] = {}
    for pattern in _NO_WHEEL:
        for match in pattern.finditer(output):
            name = requirement_name(match.group(1))
            if name in found:
                continue
            pinned = f"{match.group(1)}=={match.group(2)}" if pattern.groups == 2 else match.group(1)
            found[name] = by_name.get(name, pinned)
    return list(found.values())


def _installer(tools: Tools) -> str | None:
    return uv_binary(tools.which)


def _install_wheels(specs: Sequence[str], target: Target, dest: Path, *, wheelhouse: Path, tools: Tools) -> Completed:
    uv = _installer(tools)
    common_links = ["--find-links", str(wheelhouse)]
    if uv is not None:
        args = [
            uv, "pip", "install", "--target", str(dest), "--python-platform", target.uv_platform(),
            "--python-version", target.python_version, "--only-binary", ":all:", "--no-compile",
            "--python", sys.executable, *common_links, *specs,
        ]  # fmt: skip
        return tools.run(args)
    platforms = [arg for tag in target.platform_tags() for arg in ("--platform", tag)]
    args = [
        sys.executable, "-m", "pip", "install", "--target", str(dest), *platforms, "--python-version",
        target.python_version, "--implementation", "cp", "--abi", target.abi, "--only-binary=:all:",
        "--no-compile", "--disable-pip-version-check", "--no-warn-script-location", "--upgrade", *common_links,
        *specs,
    ]  # fmt: skip
    return tools.run(args)


def _build_wheel(spec: str, wheelhouse: Path, *, tools: Tools, sdist: bool = False) -> Path:
    """Build one wheel locally (a local source tree, or a named sdist) into the wheelhouse; return its path."""
    out = wheelhouse / ".build"
    shutil.rmtree(out, ignore_errors=True)
    uv = _installer(tools)
    if uv is not None and not sdist:
        args = [uv, "build", "--wheel", "--out-dir", str(out), spec]
    else:
        args = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out)]
        args += ["--no-binary", ":all:", spec] if sdist else [spec]
    done = tools.run(args)
    built = sorted(out.glob("*.whl")) if out.is_dir() else []
    if done.returncode != 0 or not built:
        raise FnError(f"building a wheel for {spec} failed:\n{_tail(done.stderr or done.stdout)}")
    wheel = wheelhouse / built[0].name
    built[0].replace(wheel)
    shutil.rmtree(out, ignore_errors=True)
    return wheel


def find_engine(find: Which = which, tools: Tools | None = None) -> str | None:
    """The first usable container engine: docker, podman, buildah. A docker client without a reachable daemon
    does not count (asked once, only when an engine is needed); podman and buildah need no daemon."""
    for engine in ENGINES:
        if not find(engine):
            continue
        probe = ["docker", "info", "--format", "{{.ServerVersion}}"]
        if engine == "docker" and tools is not None and tools.run(probe).returncode != 0:
            continue
        return engine
    return None


def _install_in_container(
    lines: Sequence[str],
    requirements: Requirements,
    target: Target,
    dest: Path,
    *,
    options: BuildOptions,
    tools: Tools,
    work: Path,
) -> None:
    """pip inside the Lambda build image (right glibc, compilers, architecture), like `sam build --use-container`."""
    engine = find_engine(tools.which, tools)
    if engine is None:
        raise FnError(
            "provider.build.container is `always` but no container engine was found",
            hint="install docker, podman or buildah, or set provider.build.container: auto",
        )
    image = options.build_image or target.build_image()
    mount = work / "container"
    shutil.rmtree(mount, ignore_errors=True)
    (mount / "out").mkdir(parents=True)
    specs = _container_options(requirements.installer_args, mount)
    specs += lines
    for index, path in enumerate(requirements.local_paths):
        shutil.copytree(path, mount / "src" / str(index), ignore=shutil.ignore_patterns("__pycache__", ".git"))
        specs.append(f"/fn/src/{index}")
    (mount / "requirements.txt").write_text("".join(f"{spec}\n" for spec in specs))
    script = "pip install --no-compile --disable-pip-version-check -r /fn/requirements.txt -t /fn/out"
    run_in_build_image(engine, image, f"linux/{target.oci_arch}", mount, script, tools=tools)
    for item in sorted((mount / "out").iterdir()):
        shutil.move(str(item), dest / item.name)
    shutil.rmtree(mount, ignore_errors=True)


def run_in_build_image(engine: str, image: str, platform: str, mount: Path, script: str, *, tools: Tools) -> None:
    """Run `script` (sh) in the Lambda build image with `mount` at /fn, like `sam build --use-container`."""
    if engine == "buildah":
        made = tools.run([engine, "from", "--platform", platform, image])
        if made.returncode != 0:
            raise FnError(f"buildah from {image} failed:\n{_tail(made.stderr)}")
        container = made.stdout.strip().splitlines()[-1]
        try:
            done = tools.run(
                [engine, "run", "--volume", f"{mount}:/fn", container, "--", "/bin/sh", "-c", f"cd /fn && {script}"]
            )
        finally:
            tools.run([engine, "rm", container])
    else:
        done = tools.run(
            [engine, "run", "--rm", "--platform", platform, "-v", f"{mount}:/fn", "-w", "/fn", image, "/bin/sh", "-c",
             script]
        )  # fmt: skip
    if done.returncode != 0:
        raise FnError(f"building in {image} with {engine} failed:\n{_tail(done.stderr)}")


def _container_options(installer_args: Sequence[str], mount: Path) -> list[str]:
    """The requirement files' installer options as lines of the container's requirements.txt (pip reads them
    there), so a private index or constraints apply inside the build image too. Local constraint files and
    find-links directories are copied under the mount, which the container sees as /fn."""
    out: list[str] = []
    args = list(installer_args)
    while args:
        option = args.pop(0)
        if option not in _VALUED_OPTIONS:
            out.append(option)  # --pre, --no-index
            continue
        value = args.pop(0)
        local = Path(value)
        if option == "-c" or (option in ("--find-links", "-f") and "://" not in value and local.exists()):
            copy = mount / "options" / f"{len(out)}-{local.name}"
            copy.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if local.is_dir() else shutil.copyfile)(local, copy)
            value = f"/fn/{copy.relative_to(mount).as_posix()}"
        out.append(f"{option} {value}")
    return out


def _tidy(dest: Path) -> None:
    """Drop what never runs on Lambda and would make builds differ: bytecode caches, console scripts, and the
    install records that name this build rather than the package (uv's cache timestamp for a wheel it built, a
    `file://` direct URL into our scratch wheelhouse), with their RECORD lines."""
    for cache in sorted(dest.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(dest / "bin", ignore_errors=True)
    for info in sorted(dest.glob("*.dist-info")):
        dropped = []
        for name in _BUILD_RECORDS:
            path = info / name
            if path.is_file() and (name != "direct_url.json" or _is_file_url(path)):
                path.unlink()
                dropped.append(f"{info.name}/{name},")
        record = info / "RECORD"
        if dropped and record.is_file():
            lines = record.read_text().splitlines(keepends=True)
            record.write_text("".join(line for line in lines if not line.startswith(tuple(dropped))))


# https://packaging.python.org/en/latest/specifications/direct-url/ ; uv_cache.json is uv's own.
_BUILD_RECORDS = ("uv_cache.json", "direct_url.json")


def _is_file_url(path: Path) -> bool:
    try:
        return str(json.loads(path.read_text()).get("url", "")).startswith("file:")
    except (ValueError, AttributeError, OSError, RecursionError):  # unreadable (UnicodeDecodeError is a ValueError)
        return False


def installed_tree(
    requirements: Requirements,
    target: Target,
    *,
    cache_dir: Path,
    options: BuildOptions,
    tools: Tools,
) -> tuple[Path, str, bool]:
    """The installed dependencies for `target`, from the cache when present: (directory, key, cache hit)."""
    key = deps_key(requirements, target, options)

    def build(tree: Path, work: Path) -> None:
        install(requirements, target, tree, options=options, tools=tools, work=work)

    return cached_tree(key, cache_dir=cache_dir, build=build)


def cached_tree(key: str, *, cache_dir: Path, build: Callable[[Path, Path], None]) -> tuple[Path, str, bool]:
    """An installed dependency tree kept in the cache under its key (any language's): (directory, key, cache hit).
    `build(tree, work)` fills `tree` on a miss, using `work` as scratch; the tree appears whole or not at all."""
    final = cache_dir / "deps" / key
    if (final / ".complete").is_file():
        return final, key, True
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{key[:12]}.", dir=final.parent) as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        build(tree, Path(scratch) / "work")
        (tree / ".complete").write_text(key)
        if (final / ".complete").is_file():  # another fnship finished the same install first: use that one
            return final, key, True
        shutil.rmtree(final, ignore_errors=True)  # an interrupted install's leftovers
        tree.replace(final)
    return final, key, False
