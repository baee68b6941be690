"""Container-image functions: assemble an image without a daemon (the Lambda base image plus a dependencies
layer and a code layer, `CMD` the handler), or build a Dockerfile with a container engine; either way the
result is an OCI image layout on disk whose manifest digest pins the function's `ImageUri`.

Filesystem, subprocesses (the engine, through the injected tools) and the base image's registry (manifest and
config only; its layers are copied registry to registry at push time): no AWS.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from fnship.errors import FnError
from fnship.jsonvalue import JsonMapping, JsonObject
from fnship.manifest.types import Manifest
from fnship.packaging import cache, deps, patterns
from fnship.packaging.images import oci
from fnship.packaging.images.push import SOURCES_FILE
from fnship.packaging.images.registry import Reference, RegistryClient
from fnship.packaging.platforms import LambdaPlatform, Target

IMAGE_BUILDER = "fnship-image-1"
TASK_ROOT = "var/task"  # LAMBDA_TASK_ROOT in the AWS base images


class ImageConfig(TypedDict, total=False):
    """Lambda's ImageConfig (https://docs.aws.amazon.com/lambda/latest/api/API_ImageConfig.html)."""

    Command: list[str]
    EntryPoint: list[str]
    WorkingDirectory: str


@dataclass(frozen=True)
class ImageArtifact:
    name: str  # the provider.ecr.images key, or "" for a function's own URI
    layout: Path | None  # the OCI layout to push; None for an image given by URI
    digest: str | None  # the manifest digest ("sha256:...")
    uri: str | None = None  # an image given by URI: deployed as is
    image_config: ImageConfig = field(default_factory=lambda: ImageConfig())  # Lambda ImageConfig overrides


def _image_config(manifest: Manifest, key: str) -> ImageConfig:
    image = manifest.artifacts.function_images[key]
    config = ImageConfig()
    if image.command:
        config["Command"] = list(image.command)
    if image.entry_point:
        config["EntryPoint"] = list(image.entry_point)
    if image.working_directory:
        config["WorkingDirectory"] = image.working_directory
    return config


def build_image(
    manifest: Manifest,
    key: str,
    *,
    out_dir: Path,
    code: list[tuple[str, Path]],
    dependencies: list[tuple[str, Path]],
    deps_key: str,
    deps_hit: bool,
    tools: deps.Tools,
    client: Callable[[str], RegistryClient] | None,
    level: int,
    cache_dir: Path,
):
    from fnship.packaging.artifacts import Artifact

    fn = manifest.functions[key]
    wanted = manifest.artifacts.function_images[key]
    spec = manifest.artifacts.images.get(wanted.image)
    config = _image_config(manifest, key)
    if spec is None or spec.uri:
        uri = spec.uri if spec is not None and spec.uri else wanted.image
        image = ImageArtifact(wanted.image if spec else "", None, _digest_of(uri), uri, config)
        return Artifact((key,), Path(uri), "", "", 0, 0, 0, kind="image", cache_hit=True, name=image.name, image=image)
    assert spec.path is not None, "an image without uri has a path (checked with the manifest)"
    layout = out_dir / "images" / key
    target = Target(fn.runtime, fn.architecture) if fn.runtime.startswith("python3") else None
    dockerfile = manifest.root / spec.path / spec.file
    if dockerfile.is_file():
        arch = spec.platform or f"linux/{LambdaPlatform(fn.runtime, fn.architecture).oci_arch}"
        build_key = _key({"kind": "engine", "context": context_digest(manifest.root / spec.path),
                          "file": spec.file, "args": dict(spec.build_args), "platform": arch})  # fmt: skip
        hit = _reuse(layout, build_key, cache_dir)
        if not hit:
            engine_build(manifest.root / spec.path, dockerfile, layout, build_args=spec.build_args, platform=arch,
                         tools=tools, tag=f"fnship-{manifest.service}-{key}".lower())  # fmt: skip
            _remember(layout, build_key, cache_dir)
    else:
        if target is None:
            raise FnError(f"function {key}: fnship assembles images for python runtimes only ({fn.runtime})",
                          hint=f"add a Dockerfile under {spec.path}")  # fmt: skip
        if not fn.handler:
            raise FnError(f"function {key}: an assembled image needs `handler:` for its CMD",
                          hint=f"set functions.{key}.handler, or add a Dockerfile under {spec.path}")  # fmt: skip
        base = manifest.artifacts.build.base_image or target.base_image()
        base = base.replace("{python_version}", target.python_version)
        code_key = cache.zip_key(code, level=level)
        build_key = _key({"kind": "assembled", "base": base, "arch": target.oci_arch, "deps": deps_key,
                          "code": code_key, "handler": fn.handler, "level": level})  # fmt: skip
        hit = deps_hit and _reuse(layout, build_key, cache_dir)
        if not hit:
            assemble(base, target, layout, code=code, dependencies=dependencies, handler=fn.handler, level=level,
                     client=client or RegistryClient)  # fmt: skip
            _remember(layout, build_key, cache_dir)
    digest, manifest_doc, _media = oci.read_index(layout)
    layers = manifest_doc["layers"]
    size = sum(d["size"] for d in layers) + manifest_doc["config"]["size"]
    image = ImageArtifact(spec.name, layout, digest, None, config)
    local = sum(oci.blob_path(layout, d["digest"]).stat().st_size for d in layers
                if oci.blob_path(layout, d["digest"]).is_file())  # fmt: skip
    return Artifact((key,), layout, digest.split(":", 1)[1], "", size, local, len(layers), kind="image",
                    cache_hit=hit, name=spec.name, image=image)  # fmt: skip


def context_digest(context: Path) -> str:
    """The build context as the engine sees it: the files `.dockerignore` leaves in. What a build writes inside
    its context (fnship's own `.fn/`, which the blueprint's .dockerignore names) then does not change the next
    build's key. https://docs.docker.com/build/concepts/context/#dockerignore-files"""
    ignored = _dockerignore(context)
    digest = hashlib.sha256()
    for relative, path in patterns.walk(context, prune=[ignored]):
        if "__pycache__" in relative.split("/") or not ignored.included(relative):
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _dockerignore(context: Path) -> patterns.PatternSet:
    """`.dockerignore` as a pattern set. Its sense is the reverse of `package.patterns` (a line excludes, `!`
    brings back), its matching the same: later lines win, `**` spans directories, a directory covers its files."""
    file = context / ".dockerignore"
    from fnship.textfile import read_input

    lines = read_input(file, limit=1024 * 1024).splitlines() if file.is_file() else []
    rules = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        body = (line[1:] if keep else line).strip().lstrip("/")  # Docker reads `/x` as `x`: the context's root
        rule = body if keep else f"!{body}"
        if problem := patterns.pattern_problem(rule):
            raise FnError(f"{file}:{number}: {problem}", hint="fix or remove the line")
        rules.append(rule)
    return patterns.PatternSet(rules, defaults=())


def _digest_of(uri: str) -> str | None:
    return uri.split("@", 1)[1] if "@" in uri else None


def _key(material: JsonMapping) -> str:
    return hashlib.sha256(json.dumps({"builder": IMAGE_BUILDER, **material}, sort_keys=True).encode()).hexdigest()


def _marker(layout: Path, cache_dir: Path) -> Path:
    return cache_dir / "outputs" / (hashlib.sha256(str(layout.resolve()).encode()).hexdigest() + ".image")


def _reuse(layout: Path, key: str, cache_dir: Path) -> bool:
    marker = _marker(layout, cache_dir)
    try:
        if not ((layout / "index.json").is_file() and marker.is_file() and marker.read_bytes() == key.encode()):
            return False
        oci.read_index(layout)  # the layout we would push must read back whole, with its blobs' sources
        sources = layout / SOURCES_FILE
        if sources.is_file() and not isinstance(json.loads(sources.read_text()), dict):
            return False
    except (OSError, ValueError, LookupError, TypeError, AttributeError, RecursionError):
        return False  # an unreadable or corrupted cache entry is a miss: build again
    return True


def _remember(layout: Path, key: str, cache_dir: Path) -> None:
    marker = _marker(layout, cache_dir)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(key)


def assemble(
    base: str,
    target: Target,
    layout: Path,
    *,
    code: list[tuple[str, Path]],
    dependencies: list[tuple[str, Path]],
    handler: str,
    level: int,
    client: Callable[[str], RegistryClient],
) -> str:
    """Write an OCI layout: the base image's layers (by reference), dependencies and code under /var/task,
    `CMD [handler]`. Returns the manifest digest."""
    ref = Reference.parse(base)
    registry = client(ref.host)
    data, media_type = registry.platform_manifest(ref.repository, ref.reference, os="linux",
                                                  architecture=target.oci_arch)  # fmt: skip
    base_manifest = json.loads(data)
    base_config = json.loads(registry.blob(ref.repository, base_manifest["config"]["digest"]))
    docker = media_type == oci.DOCKER_MANIFEST
    layer_type = oci.DOCKER_LAYER if docker else oci.OCI_LAYER

    shutil.rmtree(layout, ignore_errors=True)
    layout.mkdir(parents=True)
    ours = []
    history = list(base_config.get("history") or [])
    for label, entries in (("dependencies", dependencies), ("code", code)):
        if not entries:
            continue
        blob, diff_id, _size = oci.write_layer([(f"{TASK_ROOT}/{name}", src) for name, src in entries], layout,
                                               level=level)  # fmt: skip
        ours.append((oci.Blob(blob.digest, blob.size, layer_type), diff_id))
        history.append({"created": oci.EPOCH, "created_by": f"fnship: {label} in /{TASK_ROOT}"})

    config = dict(base_config)
    config["created"] = oci.EPOCH
    config["architecture"] = target.oci_arch
    config["os"] = "linux"
    inner = dict(config.get("config") or {})
    inner["Cmd"] = [handler]
    config["config"] = inner
    config["rootfs"] = {"type": "layers", "diff_ids": [*base_config["rootfs"]["diff_ids"], *(d for _b, d in ours)]}
    config["history"] = history
    config_blob = oci.write_blob(layout, oci.canonical(config), oci.DOCKER_CONFIG if docker else oci.OCI_CONFIG)

    media_type = oci.DOCKER_MANIFEST if docker else oci.OCI_MANIFEST
    manifest: JsonObject = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": config_blob.descriptor(),
        "layers": [*base_manifest["layers"], *(b.descriptor() for b, _d in ours)],
    }
    manifest_blob = oci.write_blob(layout, oci.canonical(manifest), media_type)
    oci.write_index(layout, manifest_blob, ref_name=handler)
    source = f"{ref.host}/{ref.repository}"
    sources = {d["digest"]: source for d in base_manifest["layers"]}
    (layout / SOURCES_FILE).write_text(json.dumps(sources, sort_keys=True))
    return manifest_blob.digest


def engine_build(
    context: Path,
    dockerfile: Path,
    layout: Path,
    *,
    build_args: Mapping[str, str],
    platform: str,
    tools: deps.Tools,
    tag: str,
) -> None:
    """Build a Dockerfile with the first engine found and export the image as an OCI layout."""
    engine = deps.find_engine(tools.which, tools)
    if engine is None:
        raise FnError(
            f"building {dockerfile} needs a container engine and none was found",
            hint="install docker, podman or buildah; or drop the Dockerfile to let fnship assemble the image",
        )
    args = [engine, "build", "--platform", platform, "-f", str(dockerfile), "-t", tag]
    if engine in ("buildah", "podman"):
        args += ["--timestamp", "0"]  # reproducible: same inputs, same digest
    for name, value in sorted(dict(build_args).items()):
        args += ["--build-arg", f"{name}={value}"]
    done = tools.run([*args, str(context)])
    if done.returncode != 0:
        raise FnError(f"{engine} build of {dockerfile} failed:\n{deps._tail(done.stderr or done.stdout)}")
    shutil.rmtree(layout, ignore_errors=True)
    layout.parent.mkdir(parents=True, exist_ok=True)
    if engine == "docker":
        _docker_save(tag, layout, tools)
    else:
        done = tools.run([engine, "push", tag, f"oci:{layout}"])
        if done.returncode != 0:
            raise FnError(f"{engine} push {tag} to an OCI layout failed:\n{deps._tail(done.stderr)}")


def _docker_save(tag: str, layout: Path, tools: deps.Tools) -> None:
    """`docker save` writes an OCI layout inside its tar since Docker 25."""
    import tarfile

    archive = layout.with_suffix(".tar")
    done = tools.run(["docker", "save", "-o", str(archive), tag])
    if done.returncode != 0:
        raise FnError(f"docker save {tag} failed:\n{deps._tail(done.stderr)}")
    with tarfile.open(archive) as tar:
        tar.extractall(layout, filter="data")
    archive.unlink()
    if not (layout / "index.json").is_file():
        raise FnError("docker save wrote no OCI layout (index.json)", hint="use Docker 25 or later, or podman")
