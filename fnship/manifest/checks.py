"""Typed reads of resolved manifest values that record a Diagnostic instead of raising. Pure.

Every `want_*` returns the typed value, or None after recording what is wrong (so validation goes on
and every problem is reported in one go).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from fnship.errors import Diagnostic, Location
from fnship.jsonvalue import Json
from fnship.manifest.intrinsics import StackValue, is_intrinsic, with_stack_values
from fnship.manifest.loader import dotted
from fnship.manifest.types import KeyPath, Value, ValueList, ValueMap
from fnship.secret import Secret


def show(value: object) -> str:
    """A value as the user wrote it, for messages."""
    if isinstance(value, Secret):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


def mapping_at(mapping: Mapping[str, Value], key: str) -> ValueMap:
    """The mapping under `key`, or {} when it is absent or not a mapping (which the checks of `key` report)."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


class Checker:
    def __init__(
        self,
        *,
        file: str,
        locations: Mapping[KeyPath, Location],
        key_locations: Mapping[KeyPath, Location],
        from_variable: Collection[KeyPath] = (),
        failed: Collection[KeyPath] = (),
    ) -> None:
        self.file = file
        self.locations = locations
        self.key_locations = key_locations
        self.from_variable = set(from_variable)
        self.failed = set(failed)
        self.diagnostics: list[Diagnostic] = []
        self.notes: list[str] = []
        # Intrinsic functions accepted where fnship reads a value: checked against `resources:` once it is assembled.
        self.stack_values: list[StackValue] = []

    # -- where -------------------------------------------------------------------------------------------------
    def locate(self, path: KeyPath) -> Location:
        for end in range(len(path), 0, -1):
            location = self.locations.get(path[:end])
            if location is not None:
                return location
        return Location(self.file, 1, 1)

    def locate_key(self, path: KeyPath) -> Location:
        return self.key_locations.get(path) or self.locate(path)

    def _under(self, path: KeyPath, roots: Collection[KeyPath]) -> bool:
        return any(path[: len(root)] == root for root in roots)

    def error(self, path: KeyPath, message: str, hint: str = "", *, at_key: bool = False) -> None:
        if self._under(path, self.failed):
            return  # its variable failed to resolve: that is already reported
        if path and str(path[0]).startswith("--"):
            location = None  # a command-line option: no place in the file
        else:
            location = self.locate_key(path) if at_key else self.locate(path)
        self.diagnostics.append(Diagnostic(message, key=dotted(path), location=location, hint=hint))

    def coercible(self, path: KeyPath) -> bool:
        """True when the value came out of a variable, so a numeric string may stand for a number."""
        return self._under(path, self.from_variable)

    # -- keys --------------------------------------------------------------------------------------------------
    def keys(self, mapping: Mapping[str, object], path: KeyPath, allowed: Collection[str]) -> None:
        for key in mapping:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, list(allowed), n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else ""
            where = f"in {dotted(path)}" if path else "at the top level"
            self.error(
                (*path, key),
                f"unknown key '{key}' {where}{suggestion}",
                "allowed keys: " + ", ".join(sorted(allowed)),
                at_key=True,
            )

    # -- typed reads -------------------------------------------------------------------------------------------
    def want_mapping(self, value: object, path: KeyPath, *, what: str = "a mapping") -> ValueMap | None:
        if isinstance(value, dict):
            return value
        self.error(path, f"must be {what}, got {show(value)}")
        return None

    def want_list(self, value: object, path: KeyPath) -> ValueList | None:
        if isinstance(value, list):
            return value
        self.error(path, f"must be a list, got {show(value)}")
        return None

    def want_str(self, value: object, path: KeyPath) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, Secret):
            self.error(path, "a secret (SecureString) cannot be used here", "secrets may only flow into environment")
            return None
        self.error(path, f"must be a string, got {show(value)}")
        return None

    def want_json(self, value: Value, path: KeyPath) -> Json:
        """`value` as plain JSON; a secret (SecureString) inside is an error (and null here)."""
        if isinstance(value, Secret):
            self.error(path, "a secret (SecureString) cannot be used here", "secrets may only flow into environment")
            return None
        if isinstance(value, dict):
            return {key: self.want_json(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.want_json(item, (*path, index)) for index, item in enumerate(value)]
        return value

    def want_bool(self, value: object, path: KeyPath) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false") and self.coercible(path):
            return value == "true"
        self.error(path, f"must be true or false, got {show(value)}")
        return None

    def want_int(
        self,
        value: object,
        path: KeyPath,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        unit: str = "",
        limit: str = "Lambda",
    ) -> int | None:
        suffix = f" {unit}" if unit else ""
        if isinstance(value, str) and self.coercible(path) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            bounds = ""
            if minimum is not None and maximum is not None:
                bounds = f" between {minimum} and {maximum}"
            elif minimum is not None:
                bounds = f" of at least {minimum}"
            self.error(path, f"must be an integer{bounds}{suffix}, got {show(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(path, f"{value} is below the {limit} minimum of {minimum}{suffix}")
            return None
        if maximum is not None and value > maximum:
            self.error(path, f"{value} is above the {limit} maximum of {maximum}{suffix}")
            return None
        return value

    def want_choice(self, value: object, path: KeyPath, choices: Collection[str], *, what: str) -> str | None:
        text = self.want_str(value, path)
        if text is None:
            return None
        if text not in choices:
            close = difflib.get_close_matches(text, list(choices), n=1)
            hint = f"did you mean '{close[0]}'?" if close else ""
            self.error(path, f"{show(text)} is not {what}; allowed: {', '.join(choices)}", hint)
            return None
        return text

    def stack_values_in(self, value: Value, path: KeyPath) -> Value:
        """`value` with its CloudFormation intrinsic functions as StackValues (manifest/intrinsics.py), which the
        companion stack decides."""
        return with_stack_values(value, path, self.stack_values.append)

    def stack_value(self, value: ValueMap, path: KeyPath, *, logical_name: str | None = None) -> StackValue:
        """One intrinsic function (`is_intrinsic`) as the StackValue the companion stack decides."""
        made = StackValue(value, path, logical_name)
        self.stack_values.append(made)
        return made

    def want_str_or_stack(self, value: object, path: KeyPath) -> str | None:
        """A string, or an intrinsic function the companion stack evaluates (a StackValue, which is a string)."""
        return self.stack_value(value, path) if is_intrinsic(value) else self.want_str(value, path)

    def want_str_list(
        self, value: object, path: KeyPath, *, single_ok: bool = False, stack_ok: bool = False
    ) -> list[str] | None:
        if single_ok and isinstance(value, str):
            return [value]
        if single_ok and stack_ok and is_intrinsic(value):
            return [self.stack_value(value, path)]
        items = self.want_list(value, path)
        if items is None:
            return None
        out = []
        for index, item in enumerate(items):
            text = self.want_str_or_stack(item, (*path, index)) if stack_ok else self.want_str(item, (*path, index))
            if text is not None:
                out.append(text)
        return out if len(out) == len(items) else None
