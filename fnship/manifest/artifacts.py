"""Validate what the artifact stage reads: top-level `layers:`, function `image:` and `layers:`, `provider.ecr`,
`provider.build`, `package.dependencies`, `custom.pythonRequirements`. Pure: no AWS, no filesystem.

Serverless semantics kept: a function references a layer by `{Ref: <TitleCaseKey>LambdaLayer}`, by its key, or
by ARN; `custom.pythonRequirements.layer: true` moves dependencies into a `pythonRequirements` layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from fnship import runtimes as lambda_runtimes
from fnship.manifest import schema
from fnship.manifest.checks import Checker, mapping_at, show
from fnship.manifest.dialect import plugin_names
from fnship.manifest.intrinsics import is_intrinsic
from fnship.manifest.types import (
    ArtifactsSpec,
    BuildSpec,
    EsbuildOptions,
    FunctionImage,
    ImageSpec,
    KeyPath,
    LayerSpec,
    Value,
    ValueMap,
)

LAYER_KEYS = frozenset(
    {"path", "name", "description", "compatibleRuntimes", "compatibleArchitectures", "retain", "licenseInfo",
     "allowedAccounts"}
)  # fmt: skip
ECR_KEYS = frozenset({"images", "scanOnPush"})
ECR_IMAGE_KEYS = frozenset({"path", "file", "buildArgs", "platform", "uri", "cacheFrom", "buildOptions"})
FUNCTION_IMAGE_KEYS = frozenset({"name", "uri", "command", "entryPoint", "workingDirectory"})
BUILD_KEYS = frozenset({"container", "image", "baseImage"})
PYTHON_REQUIREMENTS_KEYS = frozenset(
    {"layer", "fileName", "dockerizePip", "dockerImage", "noDeploy", "slim", "zip", "useDownloadCache",
     "useStaticCache", "invalidateCaches", "pythonBin", "usePoetry", "usePipenv", "pipCmdExtraArgs", "strip"}
)  # fmt: skip
# Options of the requirements plugin that fnship does by itself (cache) or does not need: accepted and noted.
PYTHON_REQUIREMENTS_IGNORED = frozenset(
    {"slim", "zip", "useDownloadCache", "useStaticCache", "invalidateCaches", "pythonBin", "usePoetry", "usePipenv",
     "pipCmdExtraArgs", "strip"}
)  # fmt: skip
DEPENDENCY_MODES = ("function", "layer", "none")
REQUIREMENTS_LAYER = "pythonRequirements"
NODE_MODULES_LAYER = "nodeModules"  # `package.dependencies: layer` for a Node.js service: nodejs/node_modules
DEPENDENCY_LAYERS = (REQUIREMENTS_LAYER, NODE_MODULES_LAYER)
# 256 (Lambda's limit) - len("fnship sha256:<64 hex>@<12 hex> "): see kinds.layer.layer_description.
LAYER_DESCRIPTION_MAX = 164
LAYER_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,140}$")
IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
ARCHITECTURES = ("x86_64", "arm64")
PLATFORMS = ("linux/amd64", "linux/arm64")


def normalized_name(key: str) -> str:
    """How Serverless spells a function's or layer's key in CloudFormation logical ids: `my-deps` -> `MyDashdeps`.

    Serverless (lib/plugins/aws/lib/naming.js getNormalizedFunctionName, getLambdaLayerLogicalId) upper-cases the
    first letter and spells `-` as `Dash` and `_` as `Underscore`.
    """
    normalized = key[:1].upper() + key[1:]
    return normalized.replace("-", "Dash").replace("_", "Underscore")


def logical_id(layer_key: str) -> str:
    """Serverless's CloudFormation name for a layer: `my-deps` -> `MyDashdepsLambdaLayer`."""
    return normalized_name(layer_key) + "LambdaLayer"


def build_artifacts(doc: Mapping[str, Value], check: Checker, *, service: str, stage: str) -> ArtifactsSpec:
    build = _build(doc, check)
    layers = _layers(doc.get("layers"), check, service=service, stage=stage)
    provider_raw = mapping_at(doc, "provider")
    node_service = str(provider_raw.get("runtime") or "").startswith("nodejs")
    dependencies_layer = NODE_MODULES_LAYER if node_service else REQUIREMENTS_LAYER
    if build.dependencies == "layer" and dependencies_layer not in layers:
        layers[dependencies_layer] = LayerSpec(
            key=dependencies_layer,
            name=f"{service}-{stage}-{'node-modules' if node_service else 'python-requirements'}",
            path=".",
            description="Node.js dependencies" if node_service else "Python requirements",
        )
    images = _images(doc.get("provider"), check)
    function_images: dict[str, FunctionImage] = {}
    function_layers: dict[str, tuple[str, ...]] = {}
    functions = doc.get("functions")
    by_logical = {logical_id(key): key for key in layers}
    provider_layers = _provider_layers(doc.get("provider"), check, layers, by_logical)
    if isinstance(functions, dict):
        for key, raw in functions.items():
            if not isinstance(raw, dict):
                continue
            path: KeyPath = ("functions", key)
            if raw.get("image") is not None:
                image = _function_image(raw["image"], (*path, "image"), check, images)
                if image is not None:
                    function_images[key] = image
            if raw.get("layers") is None and key not in function_images:
                # As in Serverless: provider.layers go to every function that does not list its own.
                refs = list(provider_layers)
            else:
                refs = _function_layers(raw.get("layers"), (*path, "layers"), check, layers, by_logical)
            if build.dependencies == "layer" and key not in function_images:
                refs = [dependencies_layer, *refs]
            # The user's own list over the limit is reported by the function checks; here only our layer's share.
            own = raw.get("layers")
            if len(refs) > schema.MAX_LAYERS >= (len(own) if isinstance(own, list) else 0):
                check.error(
                    (*path, "layers"),
                    f"function {key} uses {len(refs)} layers with the {dependencies_layer} layer, above the Lambda "
                    f"maximum of {schema.MAX_LAYERS}",
                )
            function_layers[key] = tuple(refs)
    return ArtifactsSpec(
        layers=layers,
        images=images,
        function_images=function_images,
        function_layers=function_layers,
        build=build,
    )


def _str_list(value: Value, path: KeyPath, check: Checker) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(check.want_str_list(value, path, single_ok=True) or ())


def _build(doc: Mapping[str, Value], check: Checker) -> BuildSpec:
    container, build_image, base_image = "auto", None, None
    provider = mapping_at(doc, "provider")
    raw = provider.get("build")
    path: KeyPath = ("provider", "build")
    if isinstance(raw, str):
        container = check.want_choice(raw, path, ("auto", "always", "never"), what="a container mode") or container
    elif raw is not None and (raw := check.want_mapping(raw, path)) is not None:
        check.keys(raw, path, BUILD_KEYS)
        if raw.get("container") is not None:
            container = (
                check.want_choice(raw["container"], (*path, "container"), ("auto", "always", "never"),
                                  what="a container mode") or container
            )  # fmt: skip
        if raw.get("image") is not None:
            build_image = check.want_str(raw["image"], (*path, "image"))
        if raw.get("baseImage") is not None:
            base_image = check.want_str(raw["baseImage"], (*path, "baseImage"))

    dependencies = "function"
    package = mapping_at(doc, "package")
    if package.get("dependencies") is not None:
        dependencies = (
            check.want_choice(package["dependencies"], ("package", "dependencies"), DEPENDENCY_MODES,
                              what="a dependencies mode") or dependencies
        )  # fmt: skip

    requirements_file = None
    no_deploy: tuple[str, ...] = ()
    custom = mapping_at(doc, "custom")
    plugin = custom.get("pythonRequirements")
    ppath: KeyPath = ("custom", "pythonRequirements")
    if plugin is not None and (plugin := check.want_mapping(plugin, ppath)) is not None:
        check.keys(plugin, ppath, PYTHON_REQUIREMENTS_KEYS)
        ignored = sorted(set(plugin) & PYTHON_REQUIREMENTS_IGNORED)
        if ignored:
            check.notes.append(
                f"custom.pythonRequirements: {', '.join(ignored)} ignored: fnship caches by content and installs "
                "wheels for the target itself"
            )
        layer = plugin.get("layer")
        if layer is not None and not isinstance(layer, dict) and check.want_bool(layer, (*ppath, "layer")):
            if package.get("dependencies") not in (None, "layer"):
                check.error(
                    (*ppath, "layer"),
                    f"conflicts with package.dependencies: {show(package['dependencies'])}",
                    "keep one of them",
                )
            dependencies = "layer"
        elif isinstance(layer, dict):
            dependencies = "layer"
        if plugin.get("fileName") is not None:
            requirements_file = check.want_str(plugin["fileName"], (*ppath, "fileName"))
        if plugin.get("dockerizePip") is not None:
            dockerize = plugin["dockerizePip"]
            if dockerize == "non-linux":
                pass  # fnship installs Linux wheels on every host: same as `auto`
            elif check.want_bool(dockerize, (*ppath, "dockerizePip")):
                container = "always"
        if plugin.get("dockerImage") is not None:
            build_image = check.want_str(plugin["dockerImage"], (*ppath, "dockerImage"))
        no_deploy = _str_list(plugin.get("noDeploy"), (*ppath, "noDeploy"), check)
    compiler, esbuild, esbuild_off = _bundling(doc, check)
    return BuildSpec(
        container=container,
        build_image=build_image,
        base_image=base_image,
        dependencies=dependencies,
        requirements_file=requirements_file,
        no_deploy=no_deploy,
        compiler=compiler,
        esbuild=esbuild,
        esbuild_off=esbuild_off,
    )


# Serverless Framework v4's `build.esbuild` keys, and what serverless-esbuild's `custom.esbuild` calls them.
ESBUILD_KEYS = frozenset(
    {"bundle", "minify", "sourcemap", "external", "exclude", "target", "platform", "format", "buildConcurrency",
     "tsconfig"}
)  # fmt: skip
SERVERLESS_ESBUILD_RENAMED = {"concurrency": "buildConcurrency"}
# serverless-esbuild settings with no meaning for fnship's build: accepted, named in a note.
SERVERLESS_ESBUILD_IGNORED = frozenset(
    {"packager", "packagerOptions", "plugins", "watch", "keepOutputDirectory", "nativeZip", "outputBuildFolder",
     "outputWorkFolder", "outputFileExtension", "installExtraArgs", "disableIncremental", "zipConcurrency",
     "stripEntryResolveExtensions", "skipBuild", "skipRebuild", "skipBuildExcludeFns", "keepNames", "metafile",
     "resolveExtensions", "define", "loader", "mainFields", "banner", "footer", "inject"}
)  # fmt: skip
COMPILERS = ("esbuild", "go", "rust")


def _bundling(doc: Mapping[str, Value], check: Checker) -> tuple[str | None, EsbuildOptions, bool]:
    """Top-level `build:` (`esbuild` | `go` | `rust`, or `{esbuild: {...} | false}`), serverless-esbuild's
    `custom.esbuild` and serverless-plugin-typescript's tsconfig: (compiler, esbuild settings, esbuild off)."""
    compiler: str | None = None
    settings = EsbuildOptions()
    off = False
    raw = doc.get("build")
    path: KeyPath = ("build",)
    if isinstance(raw, str):
        compiler = check.want_choice(raw, path, COMPILERS, what="a build")
    elif raw is not None and (raw := check.want_mapping(raw, path, what="`esbuild`, `go`, `rust` or a mapping")):
        check.keys(raw, path, {"esbuild"})
        value = raw.get("esbuild")
        if value is False:
            off = True
        elif value is True:
            compiler = "esbuild"
        elif value is not None and (value := check.want_mapping(value, (*path, "esbuild"))) is not None:
            compiler = "esbuild"
            settings = _esbuild_settings(value, (*path, "esbuild"), check, allowed=ESBUILD_KEYS)
    custom = mapping_at(doc, "custom")
    if "serverless-esbuild" in plugin_names(doc) and compiler is None and not off:
        compiler = "esbuild"  # the plugin bundles every Node.js function
        legacy = custom.get("esbuild")
        if legacy is not None and (legacy := check.want_mapping(legacy, ("custom", "esbuild"))) is not None:
            ignored = sorted(set(legacy) & SERVERLESS_ESBUILD_IGNORED)
            if ignored:
                check.notes.append(f"custom.esbuild: {', '.join(ignored)} ignored: fnship runs esbuild itself")
            kept = {SERVERLESS_ESBUILD_RENAMED.get(k, k): v for k, v in legacy.items() if k not in ignored}
            renamed = {k: ("custom", "esbuild", k) for k in legacy}
            settings = _esbuild_settings(kept, ("custom", "esbuild"), check, allowed=ESBUILD_KEYS, paths=renamed)
    typescript = custom.get("serverlessPluginTypescript")
    if isinstance(typescript, dict) and typescript.get("tsConfigFileLocation") is not None:
        where: KeyPath = ("custom", "serverlessPluginTypescript", "tsConfigFileLocation")
        tsconfig = check.want_str(typescript["tsConfigFileLocation"], where)
        if tsconfig and settings.tsconfig is None:
            settings = replace(settings, tsconfig=tsconfig)
    return compiler, settings, off


def _esbuild_settings(
    raw: Mapping[str, Value],
    path: KeyPath,
    check: Checker,
    *,
    allowed: frozenset[str],
    paths: Mapping[str, KeyPath] | None = None,
) -> EsbuildOptions:
    def at(key: str) -> KeyPath:
        return (paths or {}).get(key) or (*path, key)

    unknown = {k: v for k, v in raw.items() if k not in allowed}
    check.keys(unknown, path, allowed)
    options = EsbuildOptions()
    if raw.get("bundle") is not None and (bundle := check.want_bool(raw["bundle"], at("bundle"))) is not None:
        options = replace(options, bundle=bundle)
    if raw.get("minify") is not None and (minify := check.want_bool(raw["minify"], at("minify"))) is not None:
        options = replace(options, minify=minify)
    if raw.get("sourcemap") is not None:
        value = raw["sourcemap"]
        if isinstance(value, dict):  # v4: {type: linked | inline | external, setNodeOptions: bool}
            value = value.get("type", True)
        if isinstance(value, bool) or (isinstance(value, str) and value in ("linked", "inline", "external", "both")):
            options = replace(options, sourcemap=value)
        else:
            check.error(at("sourcemap"), f"{show(value)} is not an esbuild sourcemap; allowed: true, false, linked, "
                        "inline, external, both")  # fmt: skip
    if raw.get("external") is not None:
        external = check.want_str_list(raw["external"], at("external"), single_ok=True)
        options = replace(options, external=tuple(external or ()))
    if raw.get("exclude") is not None:
        exclude = check.want_str_list(raw["exclude"], at("exclude"), single_ok=True)
        options = replace(options, exclude=tuple(exclude or ()))
    if raw.get("target") is not None and (target := check.want_str(raw["target"], at("target"))) is not None:
        options = replace(options, target=target)
    if raw.get("tsconfig") is not None and (tsconfig := check.want_str(raw["tsconfig"], at("tsconfig"))) is not None:
        options = replace(options, tsconfig=tsconfig)
    if raw.get("platform") is not None:
        chosen = check.want_choice(raw["platform"], at("platform"), ("node",), what="a Lambda platform")
        options = replace(options, platform=chosen) if chosen is not None else options
    if raw.get("format") is not None:
        chosen = check.want_choice(raw["format"], at("format"), ("cjs", "esm"), what="an esbuild format")
        options = replace(options, format=chosen) if chosen is not None else options
    if raw.get("buildConcurrency") is not None:
        concurrency = check.want_int(raw["buildConcurrency"], at("buildConcurrency"), minimum=1, limit="esbuild")
        options = replace(options, concurrency=concurrency) if concurrency is not None else options
    return options


def _layers(value: Value, check: Checker, *, service: str, stage: str) -> dict[str, LayerSpec]:
    out: dict[str, LayerSpec] = {}
    if not isinstance(value, dict):
        return out  # a non-mapping is reported by the top-level checks
    for key, raw in value.items():
        path: KeyPath = ("layers", key)
        raw = check.want_mapping(raw, path, what="a mapping with `path:`")
        if raw is None:
            continue
        before = len(check.diagnostics)
        check.keys(raw, path, LAYER_KEYS)
        layer_path = check.want_str(raw.get("path"), (*path, "path")) if "path" in raw else None
        if layer_path is None and "path" not in raw:
            check.error(path, "a layer needs `path:` (a directory, or one holding requirements.txt)", at_key=True)
        name = f"{service}-{stage}-{key}"
        if raw.get("name") is not None:
            name = check.want_str(raw["name"], (*path, "name")) or name
        if not LAYER_NAME.match(name):
            check.error(
                (*path, "name") if raw.get("name") is not None else path,
                f"layer name {show(name)} may only contain letters, digits, hyphens and underscores (1-140)",
            )
        description = ""
        if raw.get("description") is not None:
            description = check.want_str(raw["description"], (*path, "description")) or ""
            if len(description) > LAYER_DESCRIPTION_MAX:
                check.error(
                    (*path, "description"),
                    f"is above {LAYER_DESCRIPTION_MAX} characters (a layer version's description holds 256, and "
                    "fnship keeps 92 for its content hash and owner marker)",
                )
        runtimes = _str_list(raw.get("compatibleRuntimes"), (*path, "compatibleRuntimes"), check)
        known = lambda_runtimes.catalogue() if runtimes else ()
        for index, runtime in enumerate(runtimes):
            if runtime not in known:
                check.error((*path, "compatibleRuntimes", index), f"{show(runtime)} is not a Lambda runtime")
        if len(runtimes) > 15:
            check.error((*path, "compatibleRuntimes"), "Lambda allows at most 15 compatible runtimes")
        architectures = _str_list(raw.get("compatibleArchitectures"), (*path, "compatibleArchitectures"), check)
        for index, arch in enumerate(architectures):
            if arch not in ARCHITECTURES:
                check.error((*path, "compatibleArchitectures", index), f"{show(arch)} is not x86_64 or arm64")
        retain = bool(check.want_bool(raw["retain"], (*path, "retain"))) if raw.get("retain") is not None else False
        if len(check.diagnostics) == before and layer_path is not None:
            out[key] = LayerSpec(key, name, layer_path, description, runtimes, architectures, retain)
    return out


def _images(provider: Value, check: Checker) -> dict[str, ImageSpec]:
    if not isinstance(provider, dict) or provider.get("ecr") is None:
        return {}
    path: KeyPath = ("provider", "ecr")
    ecr = check.want_mapping(provider["ecr"], path)
    if ecr is None:
        return {}
    check.keys(ecr, path, ECR_KEYS)
    images: dict[str, ImageSpec] = {}
    raw_images = ecr.get("images")
    if raw_images is None or (raw_images := check.want_mapping(raw_images, (*path, "images"))) is None:
        return images
    for name, raw in raw_images.items():
        where: KeyPath = (*path, "images", name)
        if not IMAGE_NAME.match(name):
            check.error(where, f"image name {show(name)} must be lower case letters, digits and . _ -", at_key=True)
            continue
        if isinstance(raw, str):
            raw = {"path": raw}
        raw = check.want_mapping(raw, where, what="a mapping with `path:` or `uri:`")
        if raw is None:
            continue
        check.keys(raw, where, ECR_IMAGE_KEYS)
        image_path = check.want_str(raw["path"], (*where, "path")) if raw.get("path") is not None else None
        uri = check.want_str(raw["uri"], (*where, "uri")) if raw.get("uri") is not None else None
        if (image_path is None) == (uri is None):
            check.error(where, "an image needs exactly one of `path:` (build it) or `uri:` (use it as is)")
            continue
        file = check.want_str(raw["file"], (*where, "file")) or "Dockerfile" if raw.get("file") else "Dockerfile"
        build_args: dict[str, str] = {}
        if raw.get("buildArgs") is not None and (args := check.want_mapping(raw["buildArgs"], (*where, "buildArgs"))):
            for arg, arg_value in args.items():
                text = check.want_str(str(arg_value) if isinstance(arg_value, (int, float)) else arg_value,
                                      (*where, "buildArgs", arg))  # fmt: skip
                if text is not None:
                    build_args[arg] = text
        platform = None
        if raw.get("platform") is not None:
            platform = check.want_choice(raw["platform"], (*where, "platform"), PLATFORMS, what="a Lambda platform")
        images[name] = ImageSpec(name, image_path, file, build_args, platform, uri)
    return images


def _function_image(
    value: Value, path: KeyPath, check: Checker, images: Mapping[str, ImageSpec]
) -> FunctionImage | None:
    if isinstance(value, str):
        raw: ValueMap = {"uri": value} if ("/" in value or "@" in value) else {"name": value}
    else:
        raw = check.want_mapping(value, path, what="an image name, URI or a mapping with `name:`") or {}
        check.keys(raw, path, FUNCTION_IMAGE_KEYS)
    image = raw.get("name") or raw.get("uri")
    if not isinstance(image, str):
        check.error(path, "needs `name:` (a provider.ecr.images key) or `uri:`")
        return None
    if raw.get("name") is not None and image not in images:
        check.error(
            (*path, "name") if isinstance(value, dict) else path,
            f"image {show(image)} is not defined in provider.ecr.images",
            "define it there (path: ./ to build it), or give `uri:`",
        )
        return None
    if raw.get("uri") is not None and "@sha256:" not in image and ":" not in image.rsplit("/", 1)[-1]:
        check.error(path, f"image URI {show(image)} needs a tag or a digest (repo:tag or repo@sha256:...)")
        return None
    workdir = raw.get("workingDirectory")
    return FunctionImage(
        image=image,
        command=_str_list(raw.get("command"), (*path, "command"), check),
        entry_point=_str_list(raw.get("entryPoint"), (*path, "entryPoint"), check),
        working_directory=check.want_str(workdir, (*path, "workingDirectory")) if workdir is not None else None,
    )


def _provider_layers(
    provider: Value, check: Checker, layers: Mapping[str, LayerSpec], by_logical: Mapping[str, str]
) -> list[str]:
    if not isinstance(provider, dict) or provider.get("layers") is None:
        return []
    path: KeyPath = ("provider", "layers")
    value = check.want_list(provider["layers"], path)
    if value is None:
        return []
    if len(value) > schema.MAX_LAYERS:
        check.error(path, f"{len(value)} layers is above the Lambda maximum of {schema.MAX_LAYERS}")
    return _function_layers(value, path, check, layers, by_logical)


def _function_layers(
    value: Value, path: KeyPath, check: Checker, layers: Mapping[str, LayerSpec], by_logical: Mapping[str, str]
) -> list[str]:
    if not isinstance(value, list):
        return []  # absent, or reported by the function checks
    refs: list[str] = []
    for index, item in enumerate(value):
        where = (*path, index)
        if isinstance(item, dict):
            ref = item.get("Ref")
            if is_intrinsic(item) and not (isinstance(ref, str) and ref.endswith("LambdaLayer")):
                refs.append(check.stack_value(item, where))  # a layer ARN the companion stack decides
            elif len(item) != 1 or not isinstance(ref, str):
                check.error(where, "only {Ref: <Name>LambdaLayer} is supported here", "or write the layer ARN")
            elif ref in by_logical:
                refs.append(by_logical[ref])
            else:
                known = ", ".join(logical_id(k) for k in layers) or "none"
                check.error(where, f"{ref} is not a layer of this service", f"layers defined here: {known}")
        elif isinstance(item, str):
            if item.startswith("arn:"):
                if ":layer:" not in item or not item.rsplit(":", 1)[-1].isdigit():
                    check.error(where, f"{show(item)} is not a layer version ARN (arn:aws:lambda:...:layer:NAME:N)")
                refs.append(item)
            elif item in layers:
                refs.append(item)
            else:
                check.error(where, f"{show(item)} is not a layer of this service nor an ARN",
                            "layers defined here: " + (", ".join(layers) or "none"))  # fmt: skip
    return refs
