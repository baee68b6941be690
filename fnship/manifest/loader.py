"""YAML text -> plain Python data plus the file:line:col of every key and list item.

Reads files (the manifest and `${file(...)}` includes); no AWS. The only module that imports `yaml`.

Serverless parses YAML with js-yaml (YAML 1.2 core schema), so we narrow PyYAML's YAML 1.1 resolvers:
`yes`/`no`/`on`/`off` stay strings and `1:30` is not a base-60 integer. Duplicate keys are an error
(PyYAML silently keeps the last one), anchors, aliases and `<<` merge keys work, and CloudFormation short
tags (`!Ref x`, `!GetAtt a.b`) become their long form (`{"Ref": "x"}`, located where the tag is written) so later
stages can read them; an unknown `!Tag` is an error.

Hostile input is input: limits no honest manifest reaches (file size, nesting depth, aliases and the size they
expand to) are checked while the work is still small, and anything past them is a diagnostic, never a hang or a
RecursionError. Only the plain YAML scalar types are constructed: no tag ever builds a Python object.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import yaml

from fnship.errors import Diagnostic, Location
from fnship.manifest.types import KeyPath, Value, ValueList, ValueMap
from fnship.textfile import MAX_DEPTH, NotText, read_text_file

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# The scalar types a manifest can hold; any other `!!tag` (`!!python/object`, `!!binary`, `!!set`) is refused.
_SCALAR_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}

# Limits far above any honest manifest (the largest examples we know are ~200 KB, 20 levels, a few dozen aliases),
# low enough that hitting one costs well under a second.
MAX_FILE_BYTES = 256 * 1024
MAX_ALIASES = 1000
MAX_NODES = 100_000  # values after alias expansion


class LimitExceeded(Exception):
    """Input past one of the limits above; `mark` is where, when known."""

    def __init__(self, message: str, mark: yaml.Mark | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.hint = hint


# libyaml's event parser is three times faster than PyYAML's; the composer (below) stays in Python, to limit depth and
# aliases while it builds the tree.
_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
if _LIBYAML:
    from yaml._yaml import CParser  # what yaml.cyaml re-exports (the stubs mark only that module as its home)

    _PARSER_BASES: tuple[type, ...] = (CParser,)
else:
    _PARSER_BASES = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)


class _Loader(yaml.composer.Composer, *_PARSER_BASES, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]  # bases chosen at import (libyaml or not)
    """YAML events (libyaml when present) composed in Python with limits on nesting depth and alias count, the
    safe constructor for scalars, and YAML 1.2 core booleans and integers."""

    def __init__(self, stream: str) -> None:
        if _LIBYAML:
            CParser.__init__(self, stream)
        else:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.depth = 0
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # PyYAML composes recursively: without this, `[[[[...]]]]` thousands deep ends in a RecursionError.
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise LimitExceeded(
                    f"more than {MAX_ALIASES} YAML aliases (*name)",
                    self.peek_event().start_mark,
                    "a manifest needs far fewer: share values with ${self:...} or fewer anchors",
                )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise LimitExceeded(
                    f"values nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                    "flatten the structure",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT)]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"), list("-+0123456789"))


@dataclass
class Loaded:
    """One parsed YAML file. `data` is None when the text could not be parsed at all."""

    data: Value
    locations: dict[KeyPath, Location] = field(default_factory=dict)  # value (scalar) or key (collection)
    key_locations: dict[KeyPath, Location] = field(default_factory=dict)  # where each mapping key is written
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path)


def load_file(path: Path, *, display: str) -> Loaded:
    """Parse the YAML/JSON file at `path`; `display` is the name used in locations (the path as given)."""
    try:
        data = read_text_file(path, display=display, limit=MAX_FILE_BYTES)
    except FileNotFoundError:
        return Loaded(None, diagnostics=[Diagnostic(f"{display}: file not found")])
    except NotText as exc:
        return Loaded(None, diagnostics=[exc.diagnostic])
    return load_text(data, file=display)


def load_text(text: str, *, file: str) -> Loaded:
    if len(text) > MAX_FILE_BYTES:
        return Loaded(None, diagnostics=[Diagnostic("the document is too large", location=Location(file, 1, 1))])
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow (the reader checks at once)
        return Loaded(None, diagnostics=[_yaml_diagnostic(exc, file)])
    try:
        root = loader.get_single_node()
    except LimitExceeded as exc:
        return Loaded(None, diagnostics=[_limit_diagnostic(exc, file)])
    except yaml.YAMLError as exc:
        return Loaded(None, diagnostics=[_yaml_diagnostic(exc, file)])
    finally:
        loader.dispose()
    loaded = Loaded(None)
    if root is not None:
        try:
            loaded.data = _Walker(loader, file, loaded).walk(root, ())
        except LimitExceeded as exc:
            return Loaded(None, diagnostics=[_limit_diagnostic(exc, file)])
    return loaded


def _yaml_diagnostic(exc: yaml.YAMLError, file: str) -> Diagnostic:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        return Diagnostic(f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}", location=location)
    if isinstance(exc, yaml.reader.ReaderError):
        return Diagnostic(
            f"invalid YAML: character {exc.character!r} (position {exc.position}) is not allowed",
            location=Location(file, 1, 1),
            hint="save the file as UTF-8 text",
        )
    return Diagnostic(f"invalid YAML: {exc}", location=Location(file, 1, 1))


def _limit_diagnostic(exc: LimitExceeded, file: str) -> Diagnostic:
    mark = exc.mark
    location = Location(file, mark.line + 1, mark.column + 1) if mark is not None else Location(file, 1, 1)
    return Diagnostic(exc.message, location=location, hint=exc.hint)


class _Walker:
    def __init__(self, loader: _Loader, file: str, out: Loaded) -> None:
        self.loader = loader
        self.file = file
        self.out = out
        self.active: set[int] = set()  # ids of nodes being walked, to catch recursive aliases
        self.nodes = 0  # values produced, aliases expanded: a "billion laughs" document stops here, not in memory

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def walk(self, node: yaml.Node, path: KeyPath) -> Value:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LimitExceeded(
                f"the document expands to more than {MAX_NODES} values (YAML aliases repeat what they refer to)",
                node.start_mark,
                "use fewer aliases of large anchors",
            )
        if id(node) in self.active:
            self.out.diagnostics.append(
                Diagnostic("a YAML alias refers to itself", key=dotted(path), location=self.loc(node))
            )
            return None
        self.active.add(id(node))
        try:
            if node.tag.startswith("!") and not node.tag.startswith("!!"):
                return self._intrinsic(node, path)
            return self._walk(node, path)
        finally:
            self.active.discard(id(node))

    def _intrinsic(self, node: yaml.Node, path: KeyPath) -> ValueMap | None:
        """A CloudFormation short form in its long form (`!Ref x` -> {"Ref": x}, `!GetAtt a.b` ->
        {"Fn::GetAtt": [a, b]}), every value inside located at the tag's line."""
        name = node.tag[1:]
        if name not in INTRINSICS:
            self.out.diagnostics.append(
                Diagnostic(
                    f"unsupported YAML tag !{name}",
                    key=dotted(path),
                    location=self.loc(node),
                    hint="CloudFormation's short forms are " + ", ".join(f"!{tag}" for tag in sorted(INTRINSICS)),
                )
            )
            return None
        key = name if name in ("Ref", "Condition") else f"Fn::{name}"
        inner = (*path, key)
        self.out.locations[inner] = self.out.key_locations[inner] = self.loc(node)
        value = self._walk(node, inner)
        if name == "GetAtt" and isinstance(value, str):
            parts: ValueList = list(value.split(".", 1))  # `!GetAtt Table.StreamArn`; an attribute may hold dots
            for index in range(len(parts)):
                self.out.locations[(*inner, index)] = self.loc(node)
            value = parts
        return {key: value}

    def _walk(self, node: yaml.Node, path: KeyPath) -> Value:
        if isinstance(node, yaml.ScalarNode):
            if node.tag.startswith("!") and not node.tag.startswith("!!"):
                return node.value
            if node.tag not in _SCALAR_TAGS:
                self._unsupported_tag(node, path)
                return None
            try:
                value = self.loader.construct_object(node)
            except yaml.YAMLError as exc:  # `!!int abc`, `!!float x`
                self.out.diagnostics.append(
                    Diagnostic(
                        f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                        key=dotted(path),
                        location=self.loc(node),
                    )
                )
                return None
            # A date-looking scalar (`2024-01-01`) stays the text the user wrote: nothing in a manifest wants dates.
            return node.value if isinstance(value, datetime.date) else value
        if node.tag.startswith("tag:yaml.org,2002:") and node.tag not in (_SEQ, _MAP):
            self._unsupported_tag(node, path)
            return None
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.out.locations[(*path, index)] = self.loc(item)
                items.append(self.walk(item, (*path, index)))
            return items
        return self._mapping(cast(yaml.MappingNode, node), path)

    def _unsupported_tag(self, node: yaml.Node, path: KeyPath) -> None:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        self.out.diagnostics.append(
            Diagnostic(
                f"unsupported YAML tag {tag}",
                key=dotted(path),
                location=self.loc(node),
                hint="a manifest holds only strings, numbers, booleans, null, lists and mappings "
                "(and CloudFormation tags such as !Ref)",
            )
        )

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> ValueMap:
        merged: ValueMap = {}
        explicit: ValueMap = {}
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


# CloudFormation's YAML short forms (`!Sub`, ...): every intrinsic function, and the condition functions.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
INTRINSICS = frozenset(
    {
        "Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "ImportValue", "If", "GetAZs", "Equals",
        "Not", "And", "Or", "Base64", "FindInMap", "Cidr", "Transform", "Length", "ToJsonString",
    }
)  # fmt: skip
