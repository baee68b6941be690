"""Release settings per function: the `deployment:` section (service-wide, overridden per function) and the canary
plugin's `deploymentSettings` (`custom.deploymentSettings` service-wide, `functions.<key>.deploymentSettings`).

Parsed once, in the manifest stage (manifest/build.py), into `Manifest.releases`; nothing downstream reads these
sections again. Pure: no AWS, no filesystem. Every problem becomes a diagnostic naming file:line:key.
Precedence, highest first: `fn deploy --strategy`, the function's `deployment`, its `deploymentSettings`,
the service's `deployment`, `custom.deploymentSettings`.
https://github.com/davidgf/serverless-plugin-canary-deployments#configuration
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from fnship.errors import Diagnostic, InputError, Location
from fnship.frozen import frozen
from fnship.jsonvalue import JsonObject
from fnship.manifest.checks import mapping_at
from fnship.manifest.intrinsics import StackValue, is_intrinsic
from fnship.manifest.strategy import ALL_AT_ONCE, Strategy, StrategyError, parse_strategy
from fnship.manifest.types import DEFAULT_ALIAS, FunctionSpec, KeyPath, Manifest, Value, ValueMap

DEFAULT_KEEP_VERSIONS = 10
DEPLOYMENT_KEYS = frozenset({"strategy", "alias", "alarms", "hooks", "keepVersions"})
HOOK_KEYS = frozenset({"preTraffic", "postTraffic"})
# The plugin's keys, mapped to ours. `triggers`/`codeDeployRole`/... drive CodeDeploy, which fnship does not use.
PLUGIN_KEYS = {"type": "strategy", "alias": "alias", "alarms": "alarms"}
PLUGIN_HOOK_KEYS = {"preTrafficHook": "preTraffic", "postTrafficHook": "postTraffic"}
PLUGIN_IGNORED = frozenset({"triggers", "codeDeployRole", "codeDeployRoleArn", "stackPolicy"})
# https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html#lambda-CreateAlias-request-Name
ALIAS_NAME = re.compile(r"[A-Za-z0-9_-]+")
ALIAS_NAME_MAX = 128
ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")


@frozen
class ReleaseSettings:
    strategy: Strategy
    strategy_text: str
    alias: str = DEFAULT_ALIAS
    alarms: tuple[str, ...] = ()
    pre_traffic: str | None = None  # a Lambda function name or ARN
    post_traffic: str | None = None
    keep_versions: int = DEFAULT_KEEP_VERSIONS
    provisioned_concurrency: int | None = None

    def to_dict(self) -> JsonObject:
        return {
            "strategy": self.strategy_text,
            "schedule": [{"weight": s.weight, "wait": s.wait} for s in self.strategy.steps],
            "alias": self.alias,
            "alarms": list(self.alarms),
            "hooks": {"preTraffic": self.pre_traffic, "postTraffic": self.post_traffic},
            "keepVersions": self.keep_versions,
            "provisionedConcurrency": self.provisioned_concurrency,
        }


def default_settings(alias: str = DEFAULT_ALIAS) -> ReleaseSettings:
    """All at once, no alarms, no hooks: what a function without deployment settings gets."""
    return ReleaseSettings(strategy=parse_strategy(ALL_AT_ONCE), strategy_text=ALL_AT_ONCE, alias=alias)


StackValueOf = Callable[[ValueMap, KeyPath], StackValue]


def parse_releases(
    doc: Mapping[str, Value],
    functions: Mapping[str, FunctionSpec],
    locate: Callable[[KeyPath], Location],
    stack_value: StackValueOf | None = None,
) -> tuple[dict[str, ReleaseSettings], list[Diagnostic]]:
    """function key -> its release settings, and every problem found (each once: a service-wide problem is found
    once per function). `stack_value` makes an alarm the companion stack names (`!Ref ErrorsAlarm`) a StackValue
    (manifest/checks.py `Checker.stack_value`)."""
    problems: list[Diagnostic] = []
    made: dict[KeyPath, StackValue] = {}  # (a service-wide alarm: one StackValue for every function)

    def once(expression: ValueMap, path: KeyPath) -> StackValue:
        if path not in made:
            if stack_value is None:
                made[path] = StackValue(expression, path)
            else:
                made[path] = stack_value(expression, path)
        return made[path]

    alarm_ids = _alarm_logical_ids(doc.get("resources"))
    settings = {
        key: _for_function(doc, functions, function, locate, problems, stack_value=once, alarm_ids=alarm_ids)
        for key, function in functions.items()
    }
    return settings, list(dict.fromkeys(problems))


def _alarm_logical_ids(resources: Value) -> frozenset[str]:
    """The logical ids of `resources:` (a mapping or a list of fragments) that are CloudWatch alarms."""
    fragments = resources if isinstance(resources, list) else [resources]
    return frozenset(
        logical_id
        for fragment in fragments
        if isinstance(fragment, dict) and isinstance(declared := fragment.get("Resources"), dict)
        for logical_id, entry in declared.items()
        if isinstance(entry, dict)
        and entry.get("Type") in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
    )


def release_settings(manifest: Manifest, *, strategy: str | None = None) -> dict[str, ReleaseSettings]:
    """function key -> its release settings, as the manifest stage parsed them; `strategy` (`--strategy`) replaces
    every function's strategy. Raises InputError when it is not a strategy."""
    releases: dict[str, ReleaseSettings] = dict(manifest.releases)
    if strategy is None:
        return releases
    try:
        parsed = parse_strategy(strategy)
    except StrategyError as exc:
        raise InputError(Diagnostic(str(exc), key="--strategy")) from None
    return {key: replace(settings, strategy=parsed, strategy_text=strategy) for key, settings in releases.items()}


def _for_function(
    doc: Mapping[str, Value],
    functions: Mapping[str, FunctionSpec],
    function: FunctionSpec,
    locate: Callable[[KeyPath], Location],
    problems: list[Diagnostic],
    *,
    stack_value: StackValueOf,
    alarm_ids: frozenset[str],
) -> ReleaseSettings:
    def problem(path: KeyPath, message: str, hint: str = "") -> None:
        location = locate(path) if path and not str(path[0]).startswith("--") else None
        problems.append(Diagnostic(message, key=".".join(str(p) for p in path), location=location, hint=hint))

    merged: dict[str, Value] = {}
    where: dict[str, KeyPath] = {}
    hooks: dict[str, tuple[Value, KeyPath]] = {}
    custom = mapping_at(doc, "custom")
    # serverless-prune-plugin's `custom.prune: {automatic: true, number: N}` keeps N versions: fnship's own
    # keepVersions, which `deployment` settings below override.
    prune = custom.get("prune")
    if isinstance(prune, dict) and prune.get("automatic") is True and prune.get("number") is not None:
        merged["keepVersions"] = prune["number"]
        where["keepVersions"] = ("custom", "prune", "number")
    layers: tuple[tuple[KeyPath, Value, bool], ...] = (
        (("custom", "deploymentSettings"), custom.get("deploymentSettings"), True),
        (("deployment",), doc.get("deployment"), False),
        (("functions", function.key, "deploymentSettings"), function.raw.get("deploymentSettings"), True),
        (("functions", function.key, "deployment"), function.raw.get("deployment"), False),
    )
    for path, section, plugin in layers:
        if section is None:
            continue
        if not isinstance(section, dict):
            problem(path, "must be a mapping")
            continue
        for key, value in section.items():
            if plugin and key in PLUGIN_IGNORED:
                continue
            if plugin and key in PLUGIN_HOOK_KEYS:
                hooks[PLUGIN_HOOK_KEYS[key]] = (value, (*path, key))
            elif plugin and key in PLUGIN_KEYS:
                merged[PLUGIN_KEYS[key]] = value
                where[PLUGIN_KEYS[key]] = (*path, key)
            elif not plugin and key == "hooks":
                if not isinstance(value, dict):
                    problem((*path, key), "must be a mapping with preTraffic and/or postTraffic")
                    continue
                for hook, target in value.items():
                    if hook not in HOOK_KEYS:
                        problem((*path, key, hook), "unknown hook", hint="use preTraffic or postTraffic")
                    else:
                        hooks[hook] = (target, (*path, key, hook))
            elif not plugin and key in DEPLOYMENT_KEYS:
                merged[key] = value
                where[key] = (*path, key)
            else:
                allowed = sorted({*PLUGIN_KEYS, *PLUGIN_HOOK_KEYS} if plugin else DEPLOYMENT_KEYS)
                problem((*path, key), "unknown key", hint=f"use one of: {', '.join(allowed)}")

    strategy_text = str(merged.get("strategy", ALL_AT_ONCE))
    try:
        strategy = parse_strategy(strategy_text)
    except StrategyError as exc:
        problem(where.get("strategy", ()), str(exc))
        strategy = parse_strategy(ALL_AT_ONCE)

    alias = str(merged.get("alias", DEFAULT_ALIAS))
    if alias == "$LATEST":
        problem(where["alias"], "'$LATEST' is reserved by Lambda")
    elif not ALIAS_NAME.fullmatch(alias) or len(alias) > ALIAS_NAME_MAX or alias.isdigit():
        problem(
            where["alias"],
            f"'{alias}' is not a valid alias name",
            hint=f"letters, digits, - and _ (at most {ALIAS_NAME_MAX}), not all digits",
        )

    alarms_value = merged.get("alarms", [])
    alarms_path = where.get("alarms", ())
    # The canary plugin reads each entry as the logical id of an alarm of resources: (`{Ref: <entry>}`); an entry
    # naming none is an alarm's name, as fnship's own `deployment.alarms` reads it. `!Ref ErrorsAlarm` in either.
    plugin_alarms = "deploymentSettings" in alarms_path
    alarms: list[str] = []
    entries = alarms_value if isinstance(alarms_value, list) else []
    for index, entry in enumerate(entries):
        if is_intrinsic(entry):
            alarms.append(stack_value(entry, (*alarms_path, index)))
        elif isinstance(entry, str) and entry:
            named = plugin_alarms and entry in alarm_ids
            alarms.append(stack_value({"Ref": entry}, (*alarms_path, index)) if named else entry)
    if not isinstance(alarms_value, list) or len(alarms) != len(alarms_value):
        problem(alarms_path, "must be a list of CloudWatch alarm names (or !Ref to alarms of resources:)")
        alarms = []
    alarms = list(dict.fromkeys(alarms))

    keep = merged.get("keepVersions", DEFAULT_KEEP_VERSIONS)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        problem(where["keepVersions"], f"{keep!r} must be a whole number of at least 1")
        keep = DEFAULT_KEEP_VERSIONS

    written = function.raw.get("provisionedConcurrency")
    whole = written if isinstance(written, int) and not isinstance(written, bool) else None
    if written is not None and (whole is None or whole < 0):
        problem(("functions", function.key, "provisionedConcurrency"), f"{written!r} must be a whole number >= 0")
    provisioned = whole if whole is not None and whole > 0 else None

    resolved_hooks: dict[str, str | None] = {"preTraffic": None, "postTraffic": None}
    for hook, (target, path) in hooks.items():
        if target is None:
            continue  # `preTraffic: null`: this function opts out of a service-wide hook
        resolved = _hook_target(functions, target, path, problem)
        if resolved is not None and _names_function(resolved, function):
            if path[0] == "functions":
                problem(path, f"function {function.key} cannot be its own {hook} hook",
                        hint="name another function, or remove the hook")  # fmt: skip
            continue  # a service-wide hook checks the other functions' releases, not its own
        resolved_hooks[hook] = resolved

    return ReleaseSettings(
        strategy=strategy,
        strategy_text=strategy_text,
        alias=alias,
        alarms=tuple(alarms),
        pre_traffic=resolved_hooks["preTraffic"],
        post_traffic=resolved_hooks["postTraffic"],
        keep_versions=keep,
        provisioned_concurrency=provisioned,
    )


def _names_function(target: str, function: FunctionSpec) -> bool:
    """True when a resolved hook target (a function name or ARN, perhaps qualified) is `function` itself."""
    name = target.split(":function:", 1)[1].split(":", 1)[0] if target.startswith("arn:") else target
    return name == function.name


def _hook_target(
    functions: Mapping[str, FunctionSpec], target: Value, path: KeyPath, problem: Callable[..., None]
) -> str | None:
    """A hook names a function of this service (by its key) or any Lambda function by ARN."""
    if not isinstance(target, str) or not target:
        problem(path, "must name a function of this service or a Lambda function ARN")
        return None
    if target.startswith("arn:"):
        if ":lambda:" not in target or ":function:" not in target:
            problem(path, f"'{target}' is not a Lambda function ARN")
            return None
        return target
    if target in functions:
        return functions[target].name
    problem(
        path,
        f"'{target}' is not a function of this service",
        hint=f"use one of: {', '.join(functions) or '(none)'}, or a Lambda function ARN",
    )
    return None
