"""The manifest stage: serverless.yml -> a resolved, validated, typed `Manifest`.

Reads the manifest (and files it includes); AWS only through the injected `Lookups`, and only when a
`${ssm:}`, `${aws:accountId}`, `${cf:}` or `${s3:}` variable is actually used. Never imports boto3.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path

from fnship.errors import Diagnostic, InputError, Location
from fnship.manifest import dotenv, pseudo
from fnship.manifest.build import build_manifest
from fnship.manifest.checks import Checker
from fnship.manifest.dialect import plugin_names, read_dialect
from fnship.manifest.loader import dotted, load_file
from fnship.manifest.types import DEFAULT_REGION, DEFAULT_STAGE, KeyPath, Lookups, Manifest, Value, ValueMap
from fnship.manifest.variables import SOURCES, Resolver
from fnship.manifest.variables.core import Missing, VariableError

__all__ = ["MANIFEST_NAMES", "Lookups", "Manifest", "find_manifest", "load_manifest"]

# The names Serverless v3 looks for, in its order (lib/cli/resolve-configuration-path.js): the first that exists wins.
MANIFEST_NAMES = ("serverless.yml", "serverless.yaml", "serverless.json", "serverless.js", "serverless.ts")
# JavaScript/TypeScript manifests are programs: fnship reads data only (JSON is YAML, so one loader reads both).
_PROGRAM_SUFFIXES = (".js", ".ts", ".mjs", ".cjs")


def find_manifest(directory: Path) -> Path:
    """The service's manifest in `directory` as Serverless v3 finds it without -c; serverless.yml when none is."""
    for name in MANIFEST_NAMES:
        if (directory / name).is_file():
            return directory / name
    return directory / MANIFEST_NAMES[0]


def load_manifest(
    path: Path,
    *,
    stage: str | None = None,
    region: str | None = None,
    options: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    lookups: Lookups | None = None,
) -> Manifest:
    """Load, resolve and validate the manifest at `path`. Raises InputError with every problem found."""
    path = Path(path)
    display = str(path)
    if path.suffix in _PROGRAM_SUFFIXES:
        raise InputError(
            Diagnostic(
                f"{display}: fnship reads YAML or JSON manifests, not JavaScript/TypeScript",
                hint="write the service as serverless.yml (or serverless.json), or give one with -c",
            )
        )
    loaded = load_file(path, display=display)
    if loaded.data is None:
        if not loaded.diagnostics:
            loaded.diagnostics.append(
                Diagnostic("the manifest is empty", location=Location(display, 1, 1), hint="start from `fn init`")
            )
        elif path.is_dir():
            loaded.diagnostics = [
                Diagnostic(f"{display} is a directory", hint=f"give the manifest file: -c {path / 'serverless.yml'}")
            ]
        elif not path.exists():
            loaded.diagnostics = [
                Diagnostic(
                    f"{display}: file not found",
                    hint="run fn in the service directory (next to serverless.yml, .yaml or .json), or give it with -c",
                )
            ]
        raise InputError(loaded.diagnostics)
    if not isinstance(loaded.data, dict):
        raise InputError(
            Diagnostic(
                "the manifest must be a mapping of keys (service:, provider:, functions: ...)",
                location=Location(display, 1, 1),
            )
        )
    doc = loaded.data
    diagnostics = list(loaded.diagnostics)  # duplicate keys and the like: keep going, report them all
    notes, problems = read_dialect(doc, loaded.locations, display)
    diagnostics += problems
    # .env files land in the process environment, as Serverless v3 loads them (an injected `env` is copied).
    environ: MutableMapping[str, str] = os.environ if env is None else dict(env)

    options = dict(options or {})
    stage = stage if stage is not None else options.get("stage")
    region = region if region is not None else options.get("region")
    if stage is not None:
        options["stage"] = stage
    if region is not None:
        options["region"] = region
    resolver = Resolver(
        doc,
        file=display,
        root=path.parent,
        locations=loaded.locations,
        sources=SOURCES,
        stage=stage,
        region=region,
        options=options,
        env=environ,
        lookups=lookups,
    )
    final_stage, final_region = _stage_and_region(resolver)
    plugin_env = _load_dotenv(resolver, environ, options=options, stage=final_stage, notes=notes, out=diagnostics)
    resolver.resolve_all(skip=lambda p: _not_resolved(p, final_stage))
    if plugin_env is not None:
        _add_plugin_environment(doc, loaded.locations, plugin_env)
    if pseudo.PLUGIN in plugin_names(doc):
        pseudo.apply(resolver, region=final_region)
    _drop_other_stage_params(doc, final_stage)
    diagnostics += resolver.diagnostics

    check = Checker(
        file=display,
        locations=loaded.locations,
        key_locations=loaded.key_locations,
        from_variable=resolver.from_variable,
        failed=resolver.failed,
    )
    check.notes += notes
    manifest = build_manifest(doc, check, path=path, stage=final_stage, region=final_region)
    diagnostics += check.diagnostics
    stack = None
    if doc.get("resources") not in (None, {}, []):
        from fnship.manifest.resources import check_resources, owned_logical_ids
        from fnship.manifest.types import CompanionStack

        failed = any(failed[:1] == ("resources",) for failed in resolver.failed)  # (reported where it failed)
        checked = check_resources(
            None if failed else doc["resources"],
            region=final_region,
            locate=resolver.locate_included,
            owned=owned_logical_ids(manifest.functions, manifest.artifacts.layers),
            function_keys=manifest.functions,
        )
        diagnostics += checked.problems
        if checked.template is not None:
            template = checked.template
            stack = CompanionStack(template.body, dict(checked.references), dict(template.origin))
    has_resources = doc.get("resources") not in (None, {}, [])
    if check.stack_values and (stack is not None or not has_resources):  # (a broken `resources:` is reported)
        from fnship.manifest.intrinsics import check_against

        def problem(path: KeyPath, message: str, hint: str) -> None:
            diagnostics.append(Diagnostic(message, key=dotted(path), location=check.locate(path), hint=hint))

        for value in check.stack_values:
            check_against(value, stack.template if stack else None, problem)
    if diagnostics:
        raise InputError(_in_file_order(diagnostics))
    locations = dict(loaded.locations)
    manifest = replace(manifest, stack=stack, stack_values=tuple(check.stack_values))
    return _with_locator(manifest, locations, display)


def _resolved_setting(resolver: Resolver, path: KeyPath) -> Value:
    try:
        return resolver.lookup([str(part) for part in path], what=".".join(map(str, path)))
    except (Missing, VariableError):
        return None  # absent, or reported where it is written


# serverless-dotenv-plugin's variables for provider.environment, its settings, and where the plugin is listed
PluginEnv = tuple[dict[str, str], ValueMap, Location]


def _load_dotenv(
    resolver: Resolver,
    environ: MutableMapping[str, str],
    *,
    options: Mapping[str, str],
    stage: str,
    notes: list[str],
    out: list[Diagnostic],
) -> PluginEnv | None:
    """`useDotenv: true` and serverless-dotenv-plugin, before the rest resolves (so `${env:}` sees the files).
    Returns what the plugin adds to `provider.environment` (values, its settings, where it is listed)."""
    root, where = resolver.root, str(Path(resolver.file).parent)
    try:
        if _resolved_setting(resolver, ("useDotenv",)) is True:
            loaded = dotenv.use_dotenv(root, stage=stage, environ=environ, display_dir=where)
            notes.append(f"useDotenv: variables loaded from {loaded.files[0]}" if loaded.files else
                         f"useDotenv: no .env.{stage} or .env file next to the manifest")  # fmt: skip
        plugins = plugin_names(resolver.doc)
        if "serverless-dotenv-plugin" not in plugins:
            return None
        config = _resolved_setting(resolver, ("custom", "dotenv"))
        config = config if isinstance(config, dict) else {}
        if config.get("dotenvParser") is not None:
            parser_at = resolver.locate(("custom", "dotenv", "dotenvParser"))
            out.append(Diagnostic("serverless-dotenv-plugin: a dotenvParser is JavaScript, which fnship does not run",
                                  key="custom.dotenv.dotenvParser", location=parser_at,
                                  hint="remove it: fnship parses .env files as dotenv does"))  # fmt: skip
        env_name = environ.get("NODE_ENV") or options.get("env") or options.get("stage") or "development"
        loaded = dotenv.dotenv_plugin(root, config, env_name=env_name, environ=environ, display_dir=where)
    except dotenv.DotenvError as exc:
        out.append(exc.diagnostic)
        return None
    index = plugins.index("serverless-dotenv-plugin")
    modules = ("plugins", "modules") if isinstance(resolver.doc.get("plugins"), dict) else ("plugins",)
    listed = resolver.locate((*modules, index)) or Location(resolver.file, 1, 1)
    required = config.get("required")
    required = required if isinstance(required, dict) else {}
    if required.get("file") is True and not loaded.files:
        out.append(
            Diagnostic(
                "serverless-dotenv-plugin: no .env file found",
                key="custom.dotenv.required.file",
                location=listed,
                hint=f"create .env (or .env.{env_name}) next to the manifest",
            )
        )
    names = required.get("env")
    names = names if isinstance(names, list) else []
    missing = [str(name) for name in names if not loaded.values.get(str(name)) and not environ.get(str(name))]
    if missing:
        out.append(
            Diagnostic(
                f"serverless-dotenv-plugin: required variables are not set: {', '.join(missing)}",
                key="custom.dotenv.required.env",
                location=listed,
                hint="define them in a .env file or the environment",
            )
        )
    return loaded.values, config, listed


def _add_plugin_environment(doc: ValueMap, locations: dict[KeyPath, Location], plugin_env: PluginEnv) -> None:
    """serverless-dotenv-plugin sets every variable it loaded in `provider.environment` (`custom.dotenv.include`
    names the ones to keep, else `exclude` the ones to drop)."""
    values, config, listed = plugin_env
    include, exclude = config.get("include", "*"), config.get("exclude") or []
    exclude = exclude if isinstance(exclude, (list, dict, str)) else []
    chosen = {
        name: value
        for name, value in values.items()
        if (name in include if isinstance(include, list) else include == "*")
        and (isinstance(include, list) or name not in exclude)
    }
    provider = doc.get("provider")
    if not chosen or not isinstance(provider, dict):
        return
    environment = provider.get("environment")
    if environment is None:
        environment = provider["environment"] = {}
    if isinstance(environment, dict):
        for name, value in chosen.items():
            environment[name] = value
            locations.setdefault(("provider", "environment", name), listed)


def _stage_and_region(resolver: Resolver) -> tuple[str, str]:
    try:
        stage = resolver.stage()
    except (VariableError, Missing):
        stage = DEFAULT_STAGE  # provider.stage failed to resolve: already reported at its place
    try:
        region = resolver.region()
    except (VariableError, Missing):
        region = DEFAULT_REGION
    return stage, region


def _not_resolved(path: KeyPath, stage: str) -> bool:
    """Sections left as written.

    `params.<other stage>`: its `${ssm:...}` may not exist in this stage's account. (`resources:` resolves as the
    rest: CloudFormation's own `${AWS::Region}` in a `Fn::Sub` is foreign text the resolver leaves alone.)
    """
    return len(path) == 2 and path[0] == "params" and path[1] not in (stage, "default")


def _drop_other_stage_params(doc: ValueMap, stage: str) -> None:
    params = doc.get("params")
    if isinstance(params, dict):
        for key in [k for k in params if k not in (stage, "default")]:
            del params[key]


def _in_file_order(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def order(d: Diagnostic) -> tuple[int, int]:
        return (d.location.line, d.location.column) if d.location else (0, 0)

    return sorted(diagnostics, key=order)


def _with_locator(manifest: Manifest, locations: dict[KeyPath, Location], display: str) -> Manifest:
    def locate(path: KeyPath) -> Location | None:
        for end in range(len(path), 0, -1):
            found = locations.get(tuple(path[:end]))
            if found is not None:
                return found
        return Location(display, 1, 1)

    return replace(manifest, locator=locate)
