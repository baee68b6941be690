"""An explicit table whose entries live in modules imported on first use.

The keys are written out in one place (no registration on import); an entry's module is imported only when that
entry is looked up, so a command that needs one trigger type does not import them all (start-up is most of an
unchanged `fn package`, bench/bench_startup.py)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

V = TypeVar("V")


class LazyTable(Mapping[str, V], Generic[V]):
    """`{key: "package.module:ATTRIBUTE"}` read as `{key: package.module.ATTRIBUTE}`; an unknown key is a
    KeyError, like any dict's."""

    def __init__(self, where: Mapping[str, str]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        try:
            return self._loaded[key]
        except KeyError:
            module, _, attribute = self._where[key].partition(":")
            value: V = getattr(importlib.import_module(module), attribute)
            self._loaded[key] = value
            return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __repr__(self) -> str:
        return f"LazyTable({self._where!r})"
