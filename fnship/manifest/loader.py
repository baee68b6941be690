"""YAML text -> plain Python data plus the file:line:col of every key and list item.

Reads files (the manifest and `${file(...)}` includes); no AWS. The only module that imports `yaml`.

Serverless parses YAML with js-yaml (YAML 1.2 core schema), so we narrow PyYAML's YAML 1.1 resolvers:
`yes`/`no`/`on`/`off` stay strings and `1:30` is not a base-60 integer. Duplicate keys are an error
(PyYAML silently keeps the last one), anchors, aliases and `<<` merge keys work, and CloudFormation short
tags (`!Ref x`, `!GetAtt a.b`) become their long form (`{"Ref": "x"}`) so they can pass through.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from fnship.errors import Diagnostic, Location
from fnship.manifest.types import KeyPath

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core booleans and integers."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"), list("-+0123456789"))


@dataclass
class Loaded:
    """One parsed YAML file. `data` is None when the text could not be parsed at all."""

    data: Any
    locations: dict[KeyPath, Location] = field(default_factory=dict)  # value (scalar) or key (collection)
    key_locations: dict[KeyPath, Location] = field(default_factory=dict)  # where each mapping key is written
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path)


def load_file(path: Path, *, display: str) -> Loaded:
    """Parse the YAML/JSON file at `path`; `display` is the name used in locations (the path as given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Loaded(None, diagnostics=[Diagnostic(f"{display}: file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(None, diagnostics=[Diagnostic(f"{display}: cannot read the file: {exc}")])
    return load_text(text, file=display)


def load_text(text: str, *, file: str) -> Loaded:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        return Loaded(None, diagnostics=[Diagnostic(f"invalid YAML: {problem}", location=location)])
    except yaml.YAMLError as exc:
        return Loaded(None, diagnostics=[Diagnostic(f"invalid YAML: {exc}", location=Location(file, 1, 1))])
    finally:
        loader.dispose()
    loaded = Loaded(None)
    if root is not None:
        loaded.data = _Walker(loader, file, loaded).walk(root, ())
    return loaded


class _Walker:
    def __init__(self, loader: _Loader, file: str, out: Loaded) -> None:
        self.loader = loader
        self.file = file
        self.out = out
        self.active: set[int] = set()  # ids of nodes being walked, to catch recursive aliases

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        if id(node) in self.active:
            self.out.diagnostics.append(
                Diagnostic("a YAML alias refers to itself", key=dotted(path), location=self.loc(node))
            )
            return None
        self.active.add(id(node))
        try:
            value = self._walk(node, path)
        finally:
            self.active.discard(id(node))
        if node.tag.startswith("!") and not node.tag.startswith("!!"):
            value = _intrinsic(node.tag[1:], value)
        return value

    def _walk(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag.startswith("!") and not node.tag.startswith("!!"):
                return node.value
            value = self.loader.construct_object(node)
            # A date-looking scalar (`2024-01-01`) stays the text the user wrote: nothing in a manifest wants dates.
            return node.value if isinstance(value, datetime.date) else value
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.out.locations[(*path, index)] = self.loc(item)
                items.append(self.walk(item, (*path, index)))
            return items
        return self._mapping(cast(yaml.MappingNode, node), path)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        explicit: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    value = self.walk(source, path)
                    if not isinstance(value, dict):
                        self.out.diagnostics.append(
                            Diagnostic(
                                "a `<<` merge key needs a mapping (or a list of mappings)",
                                key=dotted(path),
                                location=self.loc(source),
                            )
                        )
                        continue
                    for key, item in value.items():
                        merged.setdefault(key, item)  # the first merged mapping wins, as in YAML
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.out.diagnostics.append(
                    Diagnostic("a mapping key must be a plain string", key=dotted(path), location=self.loc(key_node))
                )
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.out.diagnostics.append(
                    Diagnostic(
                        f"duplicate key '{key}' (lines {first_line[key]} and {line})",
                        key=dotted((*path, key)),
                        location=self.loc(key_node),
                        hint="remove one of them: YAML keeps only one value per key",
                    )
                )
                continue
            first_line[key] = line
            child = (*path, key)
            self.out.key_locations[child] = self.loc(key_node)
            scalar = isinstance(value_node, yaml.ScalarNode) and value_node.value != ""
            self.out.locations[child] = self.loc(value_node) if scalar else self.loc(key_node)
            explicit[key] = self.walk(value_node, child)
        merged.update(explicit)  # explicit keys override merged ones
        return merged


def _intrinsic(name: str, value: Any) -> dict[str, Any]:
    """CloudFormation short form to long form: `!Ref x` -> {"Ref": x}, `!GetAtt a.b` -> {"Fn::GetAtt": [a, b]}."""
    if name in ("Ref", "Condition"):
        return {name: value}
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{name}": value}
