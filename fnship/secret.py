"""A value that must never be printed: `${ssm:}` SecureStrings and the environment they flow into.

Pure: no AWS, no filesystem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

SENSITIVE = "(sensitive)"


class Secret:
    """Wraps a secret string. `str()`, `repr()` and `format()` show `(sensitive)`; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def fingerprint(self) -> str:
        """A stable digest to compare secrets in plans without showing them."""
        return hashlib.sha256(self._value.encode()).hexdigest()

    def __str__(self) -> str:
        return SENSITIVE

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return SENSITIVE

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("secret", self._value))


def reveal(value: object) -> object:
    """The real value of a possibly secret value, for the one place that sends it to AWS and for comparing desired
    with live state. Nested mappings and lists are revealed too: an alias compares the whole release it serves,
    whose environment may hold secrets, with what AWS returns in clear."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Mapping):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [reveal(item) for item in value]
    return value
