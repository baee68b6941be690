"""The `${...}` resolver: parses variables, dispatches to one module per source, detects cycles.

Reads files only through the `file` source; AWS only through the injected `Lookups` (never boto3).
Serverless Framework v3 semantics: a variable that is the whole value keeps the referenced value's type,
a variable inside a longer string is interpolated as text, `${a, b, 'c'}` tries each in turn (a missing or
null value falls through), and variables nest (`${self:custom.${sls:stage}}`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeGuard, TypeVar

from fnship.errors import Diagnostic, FnError, Location
from fnship.frozen import frozen
from fnship.manifest.loader import dotted
from fnship.manifest.types import DEFAULT_REGION, DEFAULT_STAGE, KeyPath, Lookups, Value, ValueMap
from fnship.secret import Secret

T = TypeVar("T")


class Missing(Exception):
    """The variable has no value (unset env var, absent key...): a fallback may apply."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class VariableError(Exception):
    """The variable cannot be resolved, whatever the fallbacks."""

    def __init__(self, message: str, hint: str = "", *, reported: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.reported = reported  # already turned into a diagnostic elsewhere: do not report twice


@frozen
class Reference:
    """One parsed variable: `source(param):address`."""

    source: str
    param: str | None
    address: str

    def __str__(self) -> str:
        param = f"({self.param})" if self.param is not None else ""
        address = f":{self.address}" if self.address or self.param is None else ""
        return f"${{{self.source}{param}{address}}}"


_REFERENCE = re.compile(r"^(?P<source>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<param>[^)]*)\))?(?::(?P<address>.*))?$", re.S)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")

SourceFn = Callable[["Resolver", Reference, KeyPath], Value]

# Limits no honest manifest reaches (a large one nests variables 3-4 deep and has a few hundred), checked as the
# work grows: a chain of a thousand `${self:}` references or a "billion laughs" of variables that copy lists of
# variables is an input error within a second, not a RecursionError or a full memory.
MAX_VARIABLE_DEPTH = 32
MAX_SUBSTITUTIONS = 10_000
MAX_COPIED_VALUES = 100_000


def has_variable(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and "${" in value


# Serverless v3 reads `${` as a variable only when a lowercase source name follows it, then `:` or `(`
# (lib/configuration/variables/parse.js): anything else (`${AWS::Region}`, `${ItemsTable.Arn}` in a `Fn::Sub`,
# `${}`) is "foreign" text left for CloudFormation, though variables inside it are still resolved.
_SOURCE_START = re.compile(r"[a-z][a-zA-Z0-9.]*\s*([:(])\s*(:?)")


def _is_foreign(text: str, inner_start: int) -> bool:
    match = _SOURCE_START.match(text, inner_start)
    # `${aws::x}`: a source followed by `::` is foreign too (parse.js, state maybeAddressStart)
    return match is None or (match[1] == ":" and match[2] == ":")


def split_template(text: str, *, foreign_ok: bool = True) -> list[str | tuple[str]]:
    """`"a-${x:y}-b"` -> ["a-", ("x:y",), "-b"]: literal text and the inside of each top-level `${...}`.

    A foreign `${...}` (see `_is_foreign`) stays text, with the variables inside it split out; inside another
    variable (`foreign_ok=False`) it is an error, as in Serverless v3."""
    parts: list[str | tuple[str]] = []
    literal_start = 0
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            break
        if _is_foreign(text, start + 2):
            end = _foreign_end(text, start + 2)
            if not foreign_ok:
                raise VariableError(
                    f"{text[start : end + 1] if end > 0 else text[start:]!r} inside a variable is not a variable",
                    "a variable source is a lowercase name followed by `:` (e.g. ${self:custom.x})",
                )
            if end < 0:
                break  # an unclosed foreign `${` is plain text
            inner = split_template(text[start + 2 : end])
            if any(isinstance(part, tuple) for part in inner):
                if start > literal_start:
                    parts.append(text[literal_start:start])
                parts += ["${", *inner, "}"]
                literal_start = end + 1
            i = end + 1
            continue
        end = _matching_brace(text, start + 2)
        if end < 0:
            raise VariableError(f"unterminated variable in {text!r}", "close every `${` with `}`")
        if start > literal_start:
            parts.append(text[literal_start:start])
        parts.append((text[start + 2 : end],))
        i = literal_start = end + 1
    if literal_start < len(text):
        parts.append(text[literal_start:])
    return _merge_text(parts)


def _merge_text(parts: list[str | tuple[str]]) -> list[str | tuple[str]]:
    merged: list[str | tuple[str]] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


def _foreign_end(text: str, i: int) -> int:
    """The `}` closing a foreign `${` whose inside starts at `i` (nested `${...}` skipped; quotes are text)."""
    depth = 1
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _matching_brace(text: str, i: int) -> int:
    depth = 1
    quote = ""
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif text.startswith("${", i):
            depth += 1
            i += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _split_candidates(inner: str) -> list[str]:
    """Split `a, b, 'c, d'` at top-level commas (not inside quotes, parentheses or nested variables)."""
    out: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, char in enumerate(inner):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(inner[start:i])
            start = i + 1
    out.append(inner[start:])
    return [part.strip() for part in out]


def interpolate(value: Value, reference: str) -> str | Secret:
    """Text of a value placed inside a longer string."""
    if isinstance(value, (str, Secret)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    kind = "null" if value is None else "a mapping" if isinstance(value, dict) else "a list"
    raise VariableError(
        f"{reference} is {kind}, which cannot be part of a longer string",
        "make the variable the whole value, or reference a string",
    )


def copy_tree(value: Value, budget: list[int] | None = None) -> Value:
    """A fresh copy of lists and dicts (the resolver fills values in place, so nothing may be shared).
    `budget` ([values left]) is spent one per value copied; VariableError when it runs out."""
    if budget is not None:
        budget[0] -= 1
        if budget[0] < 0:
            raise VariableError(
                f"variables copy more than {MAX_COPIED_VALUES} values in all",
                "a variable that copies a large list or mapping many times multiplies it: reference it less",
                reported=budget[0] < -1,  # said once, where the budget ran out
            )
    if isinstance(value, dict):
        return {key: copy_tree(item, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_tree(item, budget) for item in value]
    return value


def _child(node: Value, part: str | int) -> Value:
    if isinstance(node, dict) and isinstance(part, str):
        return node[part]
    if isinstance(node, list) and isinstance(part, int):
        return node[part]
    raise KeyError(part)


class Resolver:
    """Resolves every `${...}` in a loaded manifest, in place, collecting diagnostics."""

    def __init__(
        self,
        doc: ValueMap,
        *,
        file: str,
        root: Path,
        locations: Mapping[KeyPath, Location],
        sources: Mapping[str, SourceFn],
        stage: str | None,
        region: str | None,
        options: Mapping[str, str],
        env: Mapping[str, str],
        lookups: Lookups | None,
    ) -> None:
        self.doc = doc
        self.file = file
        self.root = root
        self.locations = locations
        self.sources = sources
        self.cli_stage = stage
        self.cli_region = region
        self.options = options
        self.env = env
        self.lookups = lookups
        self.instance_id = secrets.token_hex(8)
        # What each source asked once: SSM parameters (name, region) -> (value, secure) or None when absent; stack
        # outputs (stack, region) and S3 objects (bucket, key), None when absent; `${file()}`d files -> their value
        # and where each key is written, None when there is no such file.
        self.ssm_parameters: dict[tuple[str, str | None], tuple[str, bool] | None] = {}
        self.stack_outputs: dict[tuple[str, str | None], dict[str, str] | None] = {}
        self.s3_objects: dict[tuple[str, str], str | None] = {}
        self.account_id: str | None = None
        self.files: dict[str, tuple[Value, Mapping[KeyPath, Location]] | None] = {}
        self.diagnostics: list[Diagnostic] = []
        self.done: set[KeyPath] = set()
        self.failed: set[KeyPath] = set()
        self.from_variable: set[KeyPath] = set()  # paths whose value came out of a variable
        self.active: list[KeyPath] = []
        self.depth = 0  # variables being resolved inside one another (nested, or a chain of references)
        self.substitutions = 0
        self.copy_budget = [MAX_COPIED_VALUES]
        self.limit_reported = False  # a limit is reported once, at the first value that crosses it
        self.includes: dict[KeyPath, tuple[tuple[str, str, str], ...]] = {}  # path -> ${file()} chain it came from
        # manifest path -> where its value is written in the `${file()}`d file it came from
        self.included_locations: dict[KeyPath, Location] = {}

    # -- locations -----------------------------------------------------------------------------------------
    def locate(self, path: KeyPath) -> Location | None:
        for end in range(len(path), -1, -1):
            location = self.locations.get(path[:end])
            if location is not None:
                return location
        return None

    def report(self, path: KeyPath, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(message, key=dotted(path), location=self.locate(path), hint=hint))

    # -- the tree --------------------------------------------------------------------------------------------
    def get(self, path: KeyPath) -> Value:
        node: Value = self.doc
        for part in path:
            node = _child(node, part)
        return node

    def set(self, path: KeyPath, value: Value) -> None:
        parent, key = self.get(path[:-1]), path[-1]
        if isinstance(parent, dict) and isinstance(key, str):
            parent[key] = value
            return
        if isinstance(parent, list) and isinstance(key, int):
            parent[key] = value
            return
        raise KeyError(path)

    def resolve_all(self, skip: Callable[[KeyPath], bool] = lambda _p: False) -> None:
        for key in list(self.doc):
            if not skip((key,)):
                self.resolve_at((key,), skip=skip)

    def resolve_at(self, path: KeyPath, skip: Callable[[KeyPath], bool] = lambda _p: False) -> Value:
        """Resolve the value at `path` (deeply), once; a re-entry while it is being resolved is a cycle."""
        if path in self.done:
            return self.get(path)
        if path in self.active:
            cycle = [*self.active[self.active.index(path) :], path]
            raise VariableError(
                "variable cycle: " + " -> ".join(f"${{self:{dotted(p)}}}" for p in cycle),
                "break the cycle: one of these values must not refer back to the others",
            )
        self.active.append(path)
        try:
            value = self.get(path)
            if has_variable(value):
                written = value
                try:
                    value = copy_tree(self.resolve_string(value, path), self.copy_budget)
                except VariableError as exc:
                    if not exc.reported:
                        self.report(path, exc.message, exc.hint)
                    self.failed.add(path)
                    value = None
                self.set(path, value)
                if value != written:  # (only foreign `${AWS::Region}` text: nothing came out of a variable)
                    self.from_variable.add(path)
            if isinstance(value, dict):
                for key in list(value):
                    if not skip((*path, key)):
                        self.resolve_at((*path, key), skip=skip)
            elif isinstance(value, list):
                for index in range(len(value)):
                    self.resolve_at((*path, index), skip=skip)
        finally:
            self.active.pop()
        self.done.add(path)
        return self.get(path)

    def lookup(self, segments: list[str], *, what: str) -> Value:
        """The resolved value at a `self:` path. Raises Missing when absent."""
        path: KeyPath = ()
        node: Value = self.doc
        for segment in segments:
            if path and has_variable(node):
                node = self.resolve_at(path)
            if isinstance(node, dict) and segment in node:
                node = node[segment]
                path = (*path, segment)
            elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                node = node[int(segment)]
                path = (*path, int(segment))
            else:
                raise Missing(f"{what} has no value", "check the path, or give a default: ${self:a.b, 'value'}")
        if not path:
            raise VariableError("${self:} cannot refer to the whole manifest from inside it")
        value = self.resolve_at(path)
        if any(failed[: len(path)] == path or path[: len(failed)] == failed for failed in self.failed):
            raise VariableError(f"{what} could not be resolved", reported=True)
        return value

    # -- stage and region, as the rest of the deployment will see them --------------------------------------
    def stage(self) -> str:
        if self.cli_stage:
            return self.cli_stage
        return str(self._provider_setting("stage", DEFAULT_STAGE))

    def region(self) -> str:
        if self.cli_region:
            return self.cli_region
        return str(self._provider_setting("region", DEFAULT_REGION))

    def aws_where(self) -> dict[str, str | None]:
        """Where `${ssm:}` and `${aws:accountId}` are looked up: the deployment's region and `provider.profile`, as
        the Serverless Framework does (a parameter lives in one region; a profile may name another account)."""
        try:
            return {"region": self.region(), "profile": self._provider_setting("profile", None)}
        except (VariableError, Missing):
            return {"region": self.cli_region or DEFAULT_REGION, "profile": None}  # reported at provider.*

    def _provider_setting(self, name: str, default: str | None) -> str | None:
        try:
            value = self.lookup(["provider", name], what=f"provider.{name}")
        except Missing:
            return default
        if value is None:
            return default
        if not isinstance(value, str):
            raise VariableError(f"provider.{name} must be a string")
        return value

    # -- strings -----------------------------------------------------------------------------------------------
    def resolve_string(self, text: str, path: KeyPath) -> Value:
        parts = split_template(text)
        if len(parts) == 1 and isinstance(parts[0], tuple):
            return self.resolve_variable(parts[0][0], path)
        return self._interpolate(parts, path)

    def _interpolate(self, parts: list[str | tuple[str]], path: KeyPath) -> str | Secret:
        """Text and variables (more than one part) joined into one string."""
        pieces: list[str] = []
        secret = False
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            piece = interpolate(self.resolve_variable(part[0], path), f"${{{part[0]}}}")
            if isinstance(piece, Secret):
                secret = True
                piece = piece.reveal()
            pieces.append(piece)
        joined = "".join(pieces)
        # A secret inside a longer string makes the whole string secret: it must never be printed.
        return Secret(joined) if secret else joined

    def resolve_variable(self, inner: str, path: KeyPath) -> Value:
        """The inside of one `${...}`: a reference followed by optional fallbacks."""
        if self.limit_reported:  # past a limit the manifest is hostile: stop working on it, fast
            raise VariableError("a limit was reached (reported above)", reported=True)
        self.substitutions += 1
        if self.substitutions > MAX_SUBSTITUTIONS:
            self._over_limit(
                f"more than {MAX_SUBSTITUTIONS} variables to resolve", "a manifest needs far fewer: check for loops"
            )
        if self.depth >= MAX_VARIABLE_DEPTH:
            self._over_limit(
                f"variables nested or chained more than {MAX_VARIABLE_DEPTH} deep at ${{{inner[:60]}}}",
                "shorten the chain of variables that refer to other variables",
            )
        self.depth += 1
        try:
            return self._resolve_candidates(inner, path)
        finally:
            self.depth -= 1

    def _over_limit(self, message: str, hint: str) -> None:
        reported, self.limit_reported = self.limit_reported, True
        raise VariableError(message, hint, reported=reported)

    def _resolve_candidates(self, inner: str, path: KeyPath) -> Value:
        candidates = _split_candidates(inner)
        first_missing: Missing | None = None
        for index, candidate in enumerate(candidates):
            last = index == len(candidates) - 1
            try:
                value = self._candidate(candidate, path, fallback=index > 0)
            except Missing as missing:
                first_missing = first_missing or missing
                continue
            if value is None and not last:
                continue
            return value
        assert first_missing is not None
        raise VariableError(f"${{{inner}}}: {first_missing.reason}", first_missing.hint)

    def _candidate(self, text: str, path: KeyPath, *, fallback: bool) -> Value:
        if not text:
            raise VariableError("empty variable `${}`" if not fallback else "empty default after a comma")
        parts = split_template(text, foreign_ok=False)
        if len(parts) == 1 and isinstance(parts[0], tuple):
            return self.resolve_variable(parts[0][0], path)  # `${a, ${b}}`: the nested value as is
        if any(isinstance(part, tuple) for part in parts):
            built = self._interpolate(parts, path)
            text = built.reveal() if isinstance(built, Secret) else built
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1]
        if fallback:
            if _NUMBER.match(text):
                return float(text) if "." in text else int(text)
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
        match = _REFERENCE.match(text)
        if not match or (match["param"] is None and match["address"] is None):
            if fallback:
                return text  # a bare word default: `${opt:stage, dev}`
            raise VariableError(
                f"`${{{text}}}` is not a variable reference",
                "write `${source:address}`, e.g. ${self:custom.x}, ${env:NAME}, ${opt:stage}",
            )
        reference = Reference(match["source"], match["param"], match["address"] or "")
        source = self.sources.get(reference.source)
        if source is None:
            raise VariableError(
                f"unsupported variable source '{reference.source}' in {reference}",
                "supported sources: " + ", ".join(sorted(self.sources)),
            )
        return source(self, reference, path)

    # -- ${file()} includes ----------------------------------------------------------------------------------------
    def locate_included(self, path: KeyPath) -> Location:
        """Where the value at `path` is written, inside an included file when it came from one."""
        for end in range(len(path), -1, -1):
            found = self.included_locations.get(path[:end]) or self.locations.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)

    def include_chain(self, path: KeyPath) -> tuple[tuple[str, str, str], ...]:
        """The `${file()}` includes (file, address, display) the value at `path` came through, outermost first;
        the manifest itself (as a whole) is always the first."""
        for end in range(len(path), 0, -1):
            chain = self.includes.get(path[:end])
            if chain is not None:
                return chain
        return ((str((self.root / Path(self.file).name).resolve()), "", self.file),)

    # -- helpers for sources -----------------------------------------------------------------------------------
    def need_lookups(self, reference: Reference) -> Lookups:
        if self.lookups is None:
            raise VariableError(
                f"{reference} needs AWS access to resolve",
                "run with AWS credentials (a profile or environment variables) so fnship can look it up",
            )
        return self.lookups

    def call_lookup(self, reference: Reference, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except FnError as exc:
            raise VariableError(f"{reference}: {exc.message}", exc.hint) from exc
