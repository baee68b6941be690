"""Resolved manifest data -> the typed `Manifest`, validating as it goes. Pure: no AWS, no filesystem.

Every problem becomes a Diagnostic on the Checker; the caller raises once with all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fnship import runtimes
from fnship.jsonvalue import JsonObject
from fnship.manifest import schema
from fnship.manifest.artifacts import build_artifacts
from fnship.manifest.checks import Checker, dotted, mapping_at, show
from fnship.manifest.events import EventContext, parse_events, parse_settings
from fnship.manifest.intrinsics import StackValue, is_intrinsic
from fnship.manifest.lambda_settings import parse_lambda_settings
from fnship.manifest.platform import parse_capacity_providers, parse_durable, parse_function_capacity
from fnship.manifest.release import parse_releases
from fnship.manifest.types import (
    DEFAULT_ARCHITECTURE,
    DEFAULT_EPHEMERAL_MB,
    DEFAULT_MEMORY_MB,
    DEFAULT_RUNTIME,
    DEFAULT_TIMEOUT_S,
    EventSpec,
    FunctionSpec,
    HttpApiSpec,
    IamSpec,
    KeyPath,
    Manifest,
    PackageSpec,
    ProviderSpec,
    RequestAuthorizer,
    RestApiSettings,
    Value,
    ValueMap,
)
from fnship.secret import Secret, reveal

if TYPE_CHECKING:
    from fnship.triggers.s3 import S3Event


def build_manifest(doc: ValueMap, check: Checker, *, path: Path, stage: str, region: str) -> Manifest:
    check.keys(doc, (), schema.TOP_LEVEL_KEYS)
    for key, note in schema.IGNORED_TOP_LEVEL.items():
        if key in doc:
            check.notes.append(note)

    service = _service(doc, check)
    plugins = _plugins(doc.get("plugins"), check)
    # `resources:` (raw CloudFormation) is assembled, validated and refused in manifest/resources.py.
    for key in ("custom", "layers", "deployment", "params"):
        if doc.get(key) is not None:
            check.want_mapping(doc[key], (key,))
    custom = mapping_at(doc, "custom")

    # serverless-api-gateway-throttling's settings count only with the plugin listed (it defines them).
    throttling = custom.get("apiGatewayThrottling") if THROTTLING_PLUGIN in plugins else None
    provider = _provider(doc.get("provider"), check, stage=stage, region=region, throttling=throttling)
    raw_provider = mapping_at(doc, "provider")
    package = _package(doc.get("package"), ("package",), check)
    capacity_providers = parse_capacity_providers(raw_provider, check, architecture=provider.architecture)

    functions: dict[str, FunctionSpec] = {}
    raw_functions = doc.get("functions")
    if raw_functions is not None and (raw_functions := check.want_mapping(raw_functions, ("functions",))) is not None:
        keys = frozenset(raw_functions)
        for key, raw in raw_functions.items():
            spec = _function(
                key,
                raw,
                check,
                provider=provider,
                written_provider_runtime=raw_provider.get("runtime"),
                service=service,
                stage=stage,
                function_keys=keys,
            )
            if spec is not None:
                capacity = parse_function_capacity(
                    spec.raw,
                    ("functions", key),
                    check,
                    providers=capacity_providers,
                    declared=frozenset(mapping_at(raw_provider, "capacityProviders")),
                    runtime_family=runtimes.family(spec.runtime),
                    memory=spec.memory_size,
                    versioned=provider.version_functions,
                    durable=spec.durable is not None,
                )
                functions[key] = dataclasses.replace(spec, capacity=capacity) if capacity is not None else spec
        _check_routes(functions, check)
        _check_authorizer_functions(provider.http_api, keys, check)
        _check_s3_overlaps(functions, check)
        _check_triggers_across_functions(functions, check, raw_provider)

    artifacts = build_artifacts(doc, check, service=service or "service", stage=stage)
    releases, problems = parse_releases(doc, functions, check.locate, check.stack_value)
    check.diagnostics.extend(problems)
    return Manifest(
        path=path,
        service=service or "",
        stage=stage,
        region=region,
        provider=provider,
        functions=functions,
        package=package,
        custom=custom,
        plugins=tuple(plugins),
        raw=doc,
        notes=tuple(check.notes),
        artifacts=artifacts,
        releases=releases,
        capacity_providers=capacity_providers,
    )


# -- top level ----------------------------------------------------------------------------------------------------
def _service(doc: ValueMap, check: Checker) -> str | None:
    if "service" not in doc:
        check.error((), "service is required", "add `service: my-service` at the top of the manifest")
        return None
    service = check.want_str(doc["service"], ("service",))
    if service is None:
        return None
    if not schema.SERVICE_NAME.match(service):
        check.error(
            ("service",),
            f"{show(service)} is not a valid service name: use letters, digits and hyphens, starting with a letter",
        )
        return None
    if len(service) > schema.SERVICE_NAME_MAX:
        check.error(("service",), f"is {len(service)} characters, above the maximum of {schema.SERVICE_NAME_MAX}")
        return None
    return service


def _plugins(value: Value, check: Checker) -> list[str]:
    if value is None:
        return []
    path: KeyPath = ("plugins",)
    if isinstance(value, dict):
        check.keys(value, path, {"modules", "localPath"})
        value = value.get("modules", [])
        path = ("plugins", "modules")
    items = check.want_list(value, path)
    names = []
    for index, item in enumerate(items or []):
        name = check.want_str(item, (*path, index))
        if name is None:
            continue
        if name in schema.SUPPORTED_PLUGINS:
            check.notes.append(schema.SUPPORTED_PLUGINS[name])
            names.append(name)
        elif name in schema.REPLACED_PLUGINS:
            message, hint = schema.REPLACED_PLUGINS[name]
            check.error((*path, index), message, hint)
        else:
            did = schema.UNSUPPORTED_PLUGINS.get(name, "changes the deployment in ways fnship cannot know")
            check.error(
                (*path, index),
                f"plugin '{name}' is not supported: fnship does not run Serverless plugins (it {did})",
                "remove it and do its job another way; natively handled plugins are "
                + ", ".join(schema.SUPPORTED_PLUGINS),
            )
    return names


# -- provider -----------------------------------------------------------------------------------------------------
THROTTLING_PLUGIN = "serverless-api-gateway-throttling"


def _provider(value: Value, check: Checker, *, stage: str, region: str, throttling: Value = None) -> ProviderSpec:
    path: KeyPath = ("provider",)
    if value is None:
        check.error(path, "provider is required", "add `provider:` with `name: aws`")
        value = {}
    raw = check.want_mapping(value, path) or {}
    check.keys(raw, path, schema.PROVIDER_KEYS)

    name = raw.get("name")
    if name is None:
        if raw:  # (`"provider" in check.locations` compared a str with KeyPath tuples: never true)
            check.error((*path, "name"), "provider.name is required", "add `name: aws` under provider")
    elif name != "aws":
        check.error((*path, "name"), f"{show(name)} is not supported: fnship deploys to aws only", "use `name: aws`")

    for setting in ("stage", "region"):
        if raw.get(setting) is not None:
            check.want_str(raw[setting], (*path, setting))
    # A bad --stage/--region has no place in the file: it is reported under the option's name.
    if not schema.STAGE_NAME.match(stage):
        where = (*path, "stage") if raw.get("stage") == stage else ("--stage",)
        check.error(where, f"{show(stage)} is not a valid stage name: use letters, digits and hyphens")
    if not schema.REGION_NAME.match(region):
        where = (*path, "region") if raw.get("region") == region else ("--region",)
        check.error(where, f"{show(region)} is not an AWS region name (like us-east-1)")

    runtime = _runtime(raw.get("runtime"), (*path, "runtime"), check) or DEFAULT_RUNTIME
    memory = _memory(raw.get("memorySize"), (*path, "memorySize"), check) or DEFAULT_MEMORY_MB
    timeout = _timeout(raw.get("timeout"), (*path, "timeout"), check) or DEFAULT_TIMEOUT_S
    architecture = _architecture(raw.get("architecture"), (*path, "architecture"), check) or DEFAULT_ARCHITECTURE
    environment = _environment(raw.get("environment"), (*path, "environment"), check)
    tags = _tags(raw.get("tags"), (*path, "tags"), check)
    retention = _retention(raw.get("logRetentionInDays"), (*path, "logRetentionInDays"), check)

    version_functions = True
    if raw.get("versionFunctions") is not None:
        flag = check.want_bool(raw["versionFunctions"], (*path, "versionFunctions"))
        version_functions = True if flag is None else flag

    profile = None
    if raw.get("profile") is not None:
        profile = check.want_str(raw["profile"], (*path, "profile"))

    return ProviderSpec(
        name="aws",
        runtime=runtime,
        region=region,
        stage=stage,
        profile=profile,
        memory_size=memory,
        timeout=timeout,
        architecture=architecture,
        environment=environment,
        tags=tags,
        log_retention_days=retention,
        version_functions=version_functions,
        deployment_bucket=_deployment_bucket(raw.get("deploymentBucket"), (*path, "deploymentBucket"), check),
        iam=_provider_iam(raw, path, check),
        raw=raw,
        http_api=_provider_http_api(raw.get("httpApi"), (*path, "httpApi"), check),
        rest_api=_provider_rest_api(raw, path, check, throttling=throttling),
    )


def _provider_rest_api(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, *, throttling: Value
) -> RestApiSettings:
    if all(raw.get(key) is None for key in ("apiGateway", "logs", "tracing")) and throttling is None:
        return RestApiSettings()
    from fnship.triggers.rest import parse_provider_rest_api  # (see _provider_http_api)

    return parse_provider_rest_api(raw, path, check, throttling=throttling)


def _provider_http_api(value: Value, path: KeyPath, check: Checker) -> HttpApiSpec:
    # The trigger modules build on the model and kinds, which import this package: imported where used, and only
    # when there is something to parse (a manifest without `httpApi:` imports no trigger module at all).
    if value is None:
        return HttpApiSpec()
    from fnship.triggers.http_api import parse_provider_http_api

    return parse_provider_http_api(value, path, check)


def _deployment_bucket(value: Value, path: KeyPath, check: Checker) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return check.want_str(value["name"], (*path, "name")) if value.get("name") is not None else None
    return check.want_str(value, path)


# -- IAM ----------------------------------------------------------------------------------------------------------
@dataclass
class _Iam:
    """An IamSpec being read: the provider and each function fill it from `iam.role` and their older keys."""

    statements: list[JsonObject] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)
    boundary: str | None = None
    role_arn: str | None = None
    mode: str = "perFunction"

    def spec(self) -> IamSpec:
        return IamSpec(
            statements=tuple(self.statements),
            managed_policies=tuple(self.managed),
            permissions_boundary=self.boundary,
            role_arn=self.role_arn,
            mode=self.mode,
        )


def _read_iam_role(
    raw: Mapping[str, Value], path: KeyPath, check: Checker, into: _Iam, *, role_keys: frozenset[str]
) -> Mapping[str, Value] | None:
    """`iam.role` of the provider or a function: a mapping (its keys checked against `role_keys`) whose statements,
    managed policies and boundary go `into` the spec, or an existing role's ARN. Returns the mapping, if any."""
    iam = raw.get("iam")
    if iam is None or (iam := check.want_mapping(iam, (*path, "iam"))) is None:
        return None
    check.keys(iam, (*path, "iam"), schema.PROVIDER_IAM_KEYS)
    role = iam.get("role")
    role_path = (*path, "iam", "role")
    if isinstance(role, dict) and not is_intrinsic(role):
        check.keys(role, role_path, role_keys)
        into.statements += _statements(role.get("statements"), (*role_path, "statements"), check)
        into.managed += _arns(role.get("managedPolicies"), (*role_path, "managedPolicies"), check)
        if role.get("permissionsBoundary") is not None:
            into.boundary = _arn(role["permissionsBoundary"], (*role_path, "permissionsBoundary"), check)
        return role
    if role is not None:
        into.role_arn = _role_arn(role, role_path, check)
    return None


def _provider_iam(raw: Mapping[str, Value], path: KeyPath, check: Checker) -> IamSpec:
    iam = _Iam()
    role = _read_iam_role(raw, path, check, iam, role_keys=schema.ROLE_KEYS)
    if role is not None and role.get("mode") is not None:
        where = (*path, "iam", "role", "mode")
        iam.mode = check.want_choice(role["mode"], where, schema.IAM_MODES, what="an IAM mode") or iam.mode
    if raw.get("iamRoleStatements") is not None:
        check.notes.append("provider.iamRoleStatements is deprecated: use provider.iam.role.statements")
        iam.statements += _statements(raw["iamRoleStatements"], (*path, "iamRoleStatements"), check)
    if raw.get("iamManagedPolicies") is not None:
        check.notes.append("provider.iamManagedPolicies is deprecated: use provider.iam.role.managedPolicies")
        iam.managed += _arns(raw["iamManagedPolicies"], (*path, "iamManagedPolicies"), check)
    if raw.get("role") is not None:
        check.notes.append("provider.role is deprecated: use provider.iam.role")
        iam.role_arn = _role_arn(raw["role"], (*path, "role"), check)
    return iam.spec()


def _function_iam(raw: Mapping[str, Value], path: KeyPath, check: Checker, *, mode: str) -> IamSpec:
    iam = _Iam(mode=mode)
    _read_iam_role(raw, path, check, iam, role_keys=schema.FUNCTION_ROLE_KEYS)
    if raw.get("iamRoleStatements") is not None:
        iam.statements += _statements(raw["iamRoleStatements"], (*path, "iamRoleStatements"), check)
    if raw.get("iamPermissionsBoundary") is not None:
        iam.boundary = _arn(raw["iamPermissionsBoundary"], (*path, "iamPermissionsBoundary"), check)
    if raw.get("role") is not None:
        iam.role_arn = _role_arn(raw["role"], (*path, "role"), check)
    return iam.spec()


def _role_arn(value: Value, path: KeyPath, check: Checker) -> str | None:
    """An existing role: its ARN, an intrinsic function (`!GetAtt WorkerRole.Arn`, `!ImportValue ...`), or, as
    Serverless v3 reads a name that is not an ARN, the logical id of a role of `resources:` (`Fn::GetAtt: [Name,
    Arn]`): both decided by the companion stack."""
    if is_intrinsic(value):
        return check.stack_value(value, path)
    text = check.want_str(value, path)
    if text is None:
        return None
    if text.startswith("arn:"):
        if ":role/" not in text:
            hint = "use arn:aws:iam::<account>:role/<name>, or give statements for fnship to create the role"
            check.error(path, f"{show(text)} is not an IAM role ARN", hint)
            return None
        return text
    return check.stack_value({"Fn::GetAtt": [text, "Arn"]}, path, logical_name=text)


def _arn(value: Value, path: KeyPath, check: Checker) -> str | None:
    if is_intrinsic(value):
        return check.stack_value(value, path)
    if isinstance(value, dict):
        check.error(path, "must be an ARN or a CloudFormation intrinsic function, got a mapping")
        return None
    text = check.want_str(value, path)
    if text is not None and not text.startswith("arn:"):
        check.error(path, f"{show(text)} is not an ARN (arn:aws:...)")
        return None
    return text


def _arns(value: Value, path: KeyPath, check: Checker) -> list[str]:
    if value is None:
        return []
    items = check.want_list(value, path) or []
    return [arn for index, item in enumerate(items) if (arn := _arn(item, (*path, index), check)) is not None]


def _statements(value: Value, path: KeyPath, check: Checker) -> list[JsonObject]:
    if value is None:
        return []
    out: list[JsonObject] = []
    for index, item in enumerate(check.want_list(value, path) or []):
        statement = _statement(item, (*path, index), check)
        if statement is not None:
            out.append(statement)
    return out


def _statement(value: Value, path: KeyPath, check: Checker) -> JsonObject | None:
    raw = check.want_mapping(value, path, what="an IAM statement (Effect, Action, Resource)")
    if raw is None:
        return None
    before = len(check.diagnostics)
    check.keys(raw, path, schema.STATEMENT_KEYS)
    check.want_choice(raw.get("Effect"), (*path, "Effect"), ("Allow", "Deny"), what="an IAM effect")
    for pair in (("Action", "NotAction"), ("Resource", "NotResource")):
        present = [key for key in pair if key in raw]
        if len(present) != 1:
            check.error(path, f"an IAM statement needs exactly one of {pair[0]} or {pair[1]}")
            continue
        key = present[0]
        field = raw[key]
        stack_ok = key.endswith("Resource")  # an ARN the companion stack decides (`!GetAtt Table.Arn`)
        items = check.want_str_list(field, (*path, key), single_ok=True, stack_ok=stack_ok)
        if stack_ok and items:
            listed: list[Value] = list(items)
            raw = {**raw, key: listed if isinstance(field, list) else items[0]}
        if items is not None and not items:
            check.error((*path, key), f"{key} must not be empty")
    if raw.get("Condition") is not None and check.want_mapping(raw["Condition"], (*path, "Condition")) is not None:
        raw = {**raw, "Condition": check.stack_values_in(raw["Condition"], (*path, "Condition"))}
    if raw.get("Sid") is not None:
        check.want_str(raw["Sid"], (*path, "Sid"))
    if len(check.diagnostics) != before:
        return None
    statement = check.want_json(raw, path)
    return statement if isinstance(statement, dict) and len(check.diagnostics) == before else None


# -- shared function/provider settings ---------------------------------------------------------------------------
def _runtime(value: Value, path: KeyPath, check: Checker) -> str | None:
    """A runtime Lambda's API knows (botocore's model), judged against AWS's deprecation dates."""
    if value is None:
        return None
    runtime = check.want_str(value, path)
    if runtime is None:
        return None
    verdict = runtimes.judge(runtime, on=runtimes.today(), runtimes=runtimes.catalogue())
    if verdict.error:
        check.error(path, verdict.error, verdict.hint)
        return None
    if verdict.note and verdict.note not in check.notes:
        check.notes.append(verdict.note)
    return runtime


def _memory(value: Value, path: KeyPath, check: Checker) -> int | None:
    if value is None:
        return None
    low, high = schema.MEMORY_MB
    return check.want_int(value, path, minimum=low, maximum=high, unit="MB")


def _timeout(value: Value, path: KeyPath, check: Checker) -> int | None:
    if value is None:
        return None
    low, high = schema.TIMEOUT_S
    return check.want_int(value, path, minimum=low, maximum=high, unit="seconds")


def _architecture(value: Value, path: KeyPath, check: Checker) -> str | None:
    if value is None:
        return None
    return check.want_choice(value, path, schema.ARCHITECTURES, what="a Lambda architecture")


def _retention(value: Value, path: KeyPath, check: Checker) -> int | None:
    if value is None:
        return None
    days = check.want_int(value, path, minimum=1)
    if days is not None and days not in schema.LOG_RETENTION_DAYS:
        check.error(
            path,
            f"{days} is not a CloudWatch Logs retention period; allowed: "
            + ", ".join(str(d) for d in schema.LOG_RETENTION_DAYS),
        )
        return None
    return days


def _environment(value: Value, path: KeyPath, check: Checker) -> dict[str, str | Secret]:
    if value is None:
        return {}
    raw = check.want_mapping(value, path)
    if raw is None:
        return {}
    out: dict[str, str | Secret] = {}
    for name, item in raw.items():
        where = (*path, name)
        if not schema.ENV_NAME.match(name):
            check.error(
                where,
                f"'{name}' is not a valid environment variable name: "
                "start with a letter, then letters, digits and underscores",
                at_key=True,
            )
            continue
        reserved = name in schema.RESERVED_ENV or (
            name.startswith(schema.RESERVED_ENV_PREFIX) and name not in schema.NOT_RESERVED_ENV
        )
        if reserved:
            check.error(
                where, f"{name} is reserved by AWS Lambda and cannot be set", "rename the variable", at_key=True
            )
            continue
        text = _env_value(item, where, check)
        if text is not None:
            out[name] = text
    return out


def _env_value(value: Value, path: KeyPath, check: Checker) -> str | Secret | None:
    if isinstance(value, (str, Secret)):
        return value
    if is_intrinsic(value):
        return check.stack_value(value, path)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    check.error(path, f"an environment value must be a string, number or boolean, got {show(value)}")
    return None


def _tags(value: Value, path: KeyPath, check: Checker) -> dict[str, str]:
    if value is None:
        return {}
    raw = check.want_mapping(value, path)
    if raw is None:
        return {}
    out = {}
    for key, item in raw.items():
        where = (*path, key)
        if len(key) > schema.TAG_KEY_MAX:
            check.error(where, f"a tag key is at most {schema.TAG_KEY_MAX} characters", at_key=True)
            continue
        if isinstance(item, (dict, list, Secret)) and not is_intrinsic(item):
            check.error(where, f"a tag value must be a string, number or boolean, got {show(item)}")
            continue
        text = _env_value(item, where, check)
        if text is None or isinstance(text, Secret):  # a Secret is refused above
            continue
        if len(text) > schema.TAG_VALUE_MAX and not isinstance(text, StackValue):
            check.error(where, f"a tag value is at most {schema.TAG_VALUE_MAX} characters")
            continue
        out[key] = text if isinstance(text, StackValue) else str(text)
    return out


def _package(value: Value, path: KeyPath, check: Checker) -> PackageSpec:
    if value is None:
        return PackageSpec()
    raw = check.want_mapping(value, path)
    if raw is None:
        return PackageSpec()
    check.keys(raw, path, schema.PACKAGE_KEYS)
    patterns: list[str] = []
    if raw.get("patterns") is not None:
        patterns += check.want_str_list(raw["patterns"], (*path, "patterns")) or []
    # Serverless v2 `exclude`/`include` map onto patterns: excludes negated, then includes re-add.
    if raw.get("exclude") is not None:
        check.notes.append(f"{'.'.join(map(str, path))}.exclude is deprecated: converted to patterns ('!x')")
        patterns += [f"!{item}" for item in check.want_str_list(raw["exclude"], (*path, "exclude")) or []]
    if raw.get("include") is not None:
        check.notes.append(f"{'.'.join(map(str, path))}.include is deprecated: converted to patterns")
        patterns += check.want_str_list(raw["include"], (*path, "include")) or []
    individually = False
    if raw.get("individually") is not None:
        individually = bool(check.want_bool(raw["individually"], (*path, "individually")))
    artifact = None
    if raw.get("artifact") is not None:
        artifact = check.want_str(raw["artifact"], (*path, "artifact"))
    return PackageSpec(patterns=tuple(patterns), individually=individually, artifact=artifact)


# -- functions ----------------------------------------------------------------------------------------------------
def _function(
    key: str,
    value: Value,
    check: Checker,
    *,
    provider: ProviderSpec,
    service: str | None,
    stage: str,
    function_keys: frozenset[str] = frozenset(),
    written_provider_runtime: Value = None,
) -> FunctionSpec | None:
    path: KeyPath = ("functions", key)
    raw = check.want_mapping(value, path, what="a mapping with at least `handler:`")
    if raw is None:
        return None
    check.keys(raw, path, schema.FUNCTION_KEYS)

    runtime = _runtime(raw.get("runtime"), (*path, "runtime"), check) or provider.runtime
    # The handler is checked for the runtime the file writes, even one refused above (go1.x, nodejs12.x):
    # `runtime` then holds the default, and a python form would be a misleading second error.
    written = raw.get("runtime") if raw.get("runtime") is not None else written_provider_runtime
    handler_runtime = written if isinstance(written, str) else runtime
    handler = None
    if raw.get("handler") is not None:
        handler = check.want_str(raw["handler"], (*path, "handler"))
        form = schema.HANDLER_FORMS.get(runtimes.family(handler_runtime))
        if handler is not None and form is not None and not form[0].match(handler):
            check.error(
                (*path, "handler"),
                f"{show(handler)} is not a {handler_runtime} handler of the form {form[1]}",
                form[2],
            )
    elif raw.get("image") is None:
        check.error(path, "handler is required (or image: for a container image function)", at_key=True)

    name = _function_name(key, raw, path, check, service=service, stage=stage)

    description = ""
    if raw.get("description") is not None:
        # (`!Sub 'reads ${Items}'`: the companion stack decides it, manifest/intrinsics.py)
        description = check.want_str_or_stack(raw["description"], (*path, "description")) or ""
        if len(description) > schema.DESCRIPTION_MAX and not isinstance(description, StackValue):
            check.error(
                (*path, "description"), f"is {len(description)} characters; Lambda allows {schema.DESCRIPTION_MAX}"
            )

    memory = _memory(raw.get("memorySize"), (*path, "memorySize"), check) or provider.memory_size
    timeout = _timeout(raw.get("timeout"), (*path, "timeout"), check) or provider.timeout
    architecture = _architecture(raw.get("architecture"), (*path, "architecture"), check) or provider.architecture

    ephemeral = DEFAULT_EPHEMERAL_MB
    if raw.get("ephemeralStorageSize") is not None:
        low, high = schema.EPHEMERAL_MB
        ephemeral = (
            check.want_int(
                raw["ephemeralStorageSize"], (*path, "ephemeralStorageSize"), minimum=low, maximum=high, unit="MB"
            )
            or DEFAULT_EPHEMERAL_MB
        )

    reserved = None
    if raw.get("reservedConcurrency") is not None:
        reserved = check.want_int(raw["reservedConcurrency"], (*path, "reservedConcurrency"), minimum=0)

    environment = {**provider.environment, **_environment(raw.get("environment"), (*path, "environment"), check)}
    size = sum(len(k.encode()) + len(str(reveal(v)).encode()) for k, v in environment.items())
    if size > schema.ENVIRONMENT_BYTES:
        where = (*path, "environment") if raw.get("environment") is not None else ("provider", "environment")
        check.error(
            where,
            f"the environment of function {key} is {size} bytes, above the Lambda limit of 4 KB "
            f"({schema.ENVIRONMENT_BYTES} bytes, counting names and values)",
            "move large values to SSM parameters or S3 and read them at startup",
        )

    layers = _layers(raw.get("layers"), (*path, "layers"), check)
    tags = {**provider.tags, **_tags(raw.get("tags"), (*path, "tags"), check)}

    retention = provider.log_retention_days
    if raw.get("logRetentionInDays") is not None:
        retention = _retention(raw["logRetentionInDays"], (*path, "logRetentionInDays"), check)

    http_api = provider.http_api
    if raw.get("httpApi") is not None:
        from fnship.triggers.http_api import parse_function_http_api  # (see _provider_http_api)

        http_api = parse_function_http_api(raw["httpApi"], (*path, "httpApi"), check, provider.http_api)
    context = EventContext(
        check=check,
        function_key=key,
        function_keys=function_keys,
        http_api=http_api,
        provider=provider.raw,
        rest_api=provider.rest_api,
    )
    events = parse_events(raw, path, context)
    settings = parse_settings(raw, provider.raw, path, check, function_keys=function_keys)
    lambda_settings = parse_lambda_settings(
        raw,
        provider.raw,
        path,
        check,
        runtime=None if raw.get("image") is not None else runtime,
        ephemeral_storage=ephemeral,
        image=raw.get("image") is not None,
        version_functions=provider.version_functions,
        event_types=tuple((event.index, event.type) for event in events if event.index >= 0),
    )

    return FunctionSpec(
        key=key,
        name=name,
        handler=handler,
        runtime=runtime,
        memory_size=memory,
        timeout=timeout,
        architecture=architecture,
        description=description,
        environment=environment,
        ephemeral_storage=ephemeral,
        reserved_concurrency=reserved,
        layers=layers,
        tags=tags,
        iam=_function_iam(raw, path, check, mode=provider.iam.mode),
        package=_package(raw.get("package"), (*path, "package"), check),
        log_retention_days=retention,
        raw=raw,
        events=events,
        settings=settings,
        lambda_settings=lambda_settings,
        durable=parse_durable(
            raw,
            path,
            check,
            runtime=runtime,
            image=raw.get("image") is not None,
            versioned=provider.version_functions,
        ),
    )


def _check_routes(functions: Mapping[str, FunctionSpec], check: Checker) -> None:
    """A route (HTTP API) or method and path (REST API) belongs to one function only: the API is shared."""
    # (each type's module is imported where its events are read: it is loaded already, it parsed them; a manifest
    # without such events imports none)
    seen: dict[tuple[str, str], str] = {}
    for key, function in functions.items():
        for event in function.events:
            if event.type == "httpApi":
                from fnship.triggers.http_api import HttpApiEvent

                route = ("httpApi", event.settings_as(HttpApiEvent).route_key)
            elif event.type == "http":
                from fnship.triggers.rest import RestEvent

                rest = event.settings_as(RestEvent)
                route = ("http", f"{rest.method} {rest.path}")
            else:
                continue
            if route in seen:
                check.error(
                    ("functions", key, "events", event.index),
                    f"{event.type} route {route[1]} is already served by function {seen[route]}",
                    "each route goes to one function",
                )
            seen.setdefault(route, key)
    _check_rest_path_variables(functions, check)


def _check_authorizer_functions(http_api: HttpApiSpec, function_keys: Collection[str], check: Checker) -> None:
    """An HTTP API Lambda authorizer's `functionName` is a function of this service (Serverless v3:
    HTTP_API_CUSTOM_AUTHORIZER_FUNCTION_NOT_FOUND_IN_SERVICE)."""
    for name, authorizer in http_api.authorizers.items():
        key = authorizer.function_key if isinstance(authorizer, RequestAuthorizer) else None
        if key is not None and key not in function_keys:
            check.error(
                ("provider", "httpApi", "authorizers", name, "functionName"),
                f"{show(key)} is not a function of this service",
                "name a function under `functions:` or give functionArn",
            )


def _check_rest_path_variables(functions: Mapping[str, FunctionSpec], check: Checker) -> None:
    """API Gateway refuses a REST API resource with two children that are different path variables
    (`/books/{id}` beside `/books/{authorId}/x`: "A sibling ({id}) of this resource already has a variable path
    part -- only one is allowed"); the paths of one API are shared by every function.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html"""
    variables: dict[str, tuple[str, str, KeyPath]] = {}  # parent path -> (variable segment, path, where)
    for key, function in functions.items():
        for event in function.events:
            if event.type != "http":
                continue
            from fnship.triggers.rest import RestEvent  # (loaded: it parsed the event)

            rest_path = event.settings_as(RestEvent).path
            where: KeyPath = ("functions", key, "events", event.index)
            parts = [part for part in rest_path.split("/") if part]
            for depth, part in enumerate(parts):
                if not part.startswith("{"):
                    continue
                parent = "/" + "/".join(parts[:depth])
                first = variables.setdefault(parent, (part, rest_path, where))
                if first[0] != part:
                    check.error(
                        where,
                        f"REST path {rest_path} has the path variable {part} where {first[1]} "
                        f"({dotted(first[2])}) has {first[0]}: API Gateway allows one variable name per level",
                        f"use one name for both, like {first[1]} and "
                        + "/"
                        + "/".join([*parts[:depth], first[0], *parts[depth + 1 :]]),
                    )
                    break


def _check_triggers_across_functions(
    functions: Mapping[str, FunctionSpec], check: Checker, provider: Mapping[str, Value]
) -> None:
    """Each trigger type's own checks across the service's events of that type (fnship/triggers: check_service)."""
    by_type: dict[str, list[tuple[str, EventSpec]]] = {}
    for key, function in functions.items():
        for event in function.events:
            by_type.setdefault(event.type, []).append((key, event))
    if not by_type:
        return  # a manifest without events imports no trigger type
    from fnship.triggers import TRIGGERS  # (the trigger modules use this package's parse helpers)

    for event_type, events in by_type.items():
        trigger = TRIGGERS[event_type]
        if trigger.check_service is not None:
            trigger.check_service(events, check, provider)


def s3_events_overlap(a: S3Event, b: S3Event) -> bool:
    """Whether S3 would refuse both `s3` events on one bucket: an object event both match (an event type both
    cover, a prefix one extends, a suffix one ends with).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html"""
    if a.bucket != b.bucket:
        return False
    if not any(_event_types_overlap(x, y) for x in a.events for y in b.events):
        return False
    prefix_a, prefix_b = a.prefix or "", b.prefix or ""
    suffix_a, suffix_b = a.suffix or "", b.suffix or ""
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes


def _event_types_overlap(x: str, y: str) -> bool:
    """`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`."""
    return x == y or (x.endswith("*") and y.startswith(x[:-1])) or (y.endswith("*") and x.startswith(y[:-1]))


def _check_s3_overlaps(functions: Mapping[str, FunctionSpec], check: Checker) -> None:
    """S3 refuses a bucket notification configuration whose entries overlap, so the deploy would fail there."""
    seen: list[tuple[str, int, S3Event]] = []
    for key, function in functions.items():
        for event in function.events:
            if event.type != "s3":
                continue
            from fnship.triggers.s3 import S3Event  # (loaded: it parsed the event)

            settings = event.settings_as(S3Event)
            for other_key, other_index, other in seen:
                if s3_events_overlap(other, settings):
                    where = check.locate(("functions", other_key, "events", other_index))
                    check.error(
                        ("functions", key, "events", event.index),
                        f"s3 event on bucket {settings.bucket} overlaps the one of function {other_key} "
                        f"at {where}: an object event both match (event type, prefix and suffix); S3 refuses "
                        "overlapping notifications on one bucket",
                        "give them prefixes or suffixes no key matches both of, or different event types",
                    )
                    break
            seen.append((key, event.index, settings))


def _function_name(
    key: str, raw: Mapping[str, Value], path: KeyPath, check: Checker, *, service: str | None, stage: str
) -> str:
    if raw.get("name") is not None:
        where: KeyPath = (*path, "name")
        name = check.want_str(raw["name"], where)
        if name is None:
            return key
        origin = "set by `name:`"
    else:
        where = path
        name = f"{service or 'service'}-{stage}-{key}"
        origin = "made of service-stage-key"
        if service is None:
            return name  # the service problem is already reported
    if len(name) > schema.FUNCTION_NAME_MAX:
        check.error(
            where,
            f"function name '{name}' ({origin}) is {len(name)} characters, above the Lambda maximum of "
            f"{schema.FUNCTION_NAME_MAX}",
            f"set a shorter functions.{key}.name" if origin != "set by `name:`" else "use a shorter name",
            at_key=where == path,
        )
    elif not schema.FUNCTION_NAME.match(name):
        check.error(
            where,
            f"function name '{name}' ({origin}) may only contain letters, digits, hyphens and underscores",
            at_key=where == path,
        )
    return name


def _layers(value: Value, path: KeyPath, check: Checker) -> tuple[str, ...]:
    if value is None:
        return ()
    items = check.want_list(value, path)
    if items is None:
        return ()
    if len(items) > schema.MAX_LAYERS:
        check.error(path, f"{len(items)} layers is above the Lambda maximum of {schema.MAX_LAYERS}")
    out = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            continue  # `{Ref: XLambdaLayer}`: stays in raw for the layers stage
        text = check.want_str(item, (*path, index))
        if text is not None:
            out.append(text)
    return tuple(out)
