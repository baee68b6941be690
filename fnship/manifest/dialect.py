"""The Serverless v2/v3-era dialect people still write, read before variables resolve. Pure: no AWS, no files.

Settings that Serverless v3 still accepts but that change nothing in fnship get one notice each, naming what to do;
`service:` written as an object (`service: {name: x}`, the v1 form) becomes its name, so `${self:service}` is the
name as everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from fnship.errors import Diagnostic, Location
from fnship.manifest.loader import dotted
from fnship.manifest.types import KeyPath, Value, ValueMap

# (path, notice). Each is accepted whatever its value: fnship's behaviour is the one the notice states.
NO_EFFECT_SETTINGS: tuple[tuple[KeyPath, str], ...] = (
    (
        ("provider", "lambdaHashingVersion"),
        "provider.lambdaHashingVersion changes nothing (Serverless v3 no longer uses it either; fnship compares "
        "code by its SHA-256): remove it",
    ),
    (
        ("configValidationMode",),
        "configValidationMode changes nothing: fnship always validates the manifest and stops on any problem",
    ),
    (
        ("variablesResolutionMode",),
        "variablesResolutionMode changes nothing: fnship resolves variables as Serverless v3 does: remove it",
    ),
    (
        ("deprecationNotificationMode",),
        "deprecationNotificationMode changes nothing: fnship prints each notice once and never fails on one",
    ),
    (
        ("disabledDeprecations",),
        "disabledDeprecations changes nothing: fnship's notices are its own (this is one of them)",
    ),
    (
        ("unresolvedVariablesNotificationMode",),
        "unresolvedVariablesNotificationMode changes nothing: a variable fnship cannot resolve is always an error",
    ),
)


def _get(doc: ValueMap, path: KeyPath) -> Value:
    node: Value = doc
    for part in path:
        if not isinstance(node, dict) or not isinstance(part, str) or part not in node:
            return None
        node = node[part]
    return node


def read_dialect(
    doc: ValueMap, locations: MutableMapping[KeyPath, Location], file: str
) -> tuple[list[str], list[Diagnostic]]:
    """Notices for the settings above that are present, and `service: {name: x}` turned into `service: x`."""
    notes = [note for path, note in NO_EFFECT_SETTINGS if _get(doc, path) is not None]
    problems: list[Diagnostic] = []
    service = doc.get("service")
    if isinstance(service, dict):
        others = sorted(str(key) for key in service if key != "name")
        if others:
            problems += [
                Diagnostic(
                    "only `name` is read from `service:` written as an object",
                    key=dotted(("service", key)),
                    location=locations.get(("service", key)) or locations.get(("service",)),
                    hint="move it to where Serverless v3 reads it (awsKmsKeyArn: provider.kmsKeyArn), or remove it",
                )
                for key in others
            ]
        if "name" in service:
            notes.append("service written as an object ({name: ...}) is the Serverless v1 form: write `service: name`")
            doc["service"] = service["name"]
            where = locations.get(("service", "name"))
            if where is not None:
                locations[("service",)] = where
        else:
            problems.append(
                Diagnostic(
                    "service written as an object needs `name`",
                    key="service",
                    location=locations.get(("service",)) or Location(file, 1, 1),
                    hint="write `service: my-service`",
                )
            )
    return notes, problems


def plugin_names(doc: Mapping[str, Value]) -> list[str]:
    """The plugins listed (`plugins: [...]` or `plugins: {modules: [...]}`), as written, before validation."""
    plugins = doc.get("plugins")
    if isinstance(plugins, dict):
        plugins = plugins.get("modules")
    return [item for item in plugins if isinstance(item, str)] if isinstance(plugins, list) else []
