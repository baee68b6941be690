"""`@frozen`: a frozen dataclass that costs about half as much to define.

`@dataclass(frozen=True)` compiles six methods from generated source for every class (`__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__`, `__delattr__`): over the specs a command imports, a large part of its
start-up (bench/bench_startup.py). `@frozen` has dataclasses compile only `__init__` and the two frozen guards, and
adds `__repr__`, `__eq__` and `__hash__` written once here, with the same results: `Name(a=1, b='x')` over the
`repr` fields, equality of the `compare` fields within one class (NotImplemented across classes), the hash of the
hashed fields. The rest is a plain dataclass: `fields`, `replace`, `asdict`, `field(...)`, `is_dataclass`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> object:  # what the type checker reads; nothing to do at run time
        return lambda decorated: decorated


T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True)`, defined for less."""
    own = set(vars(cls))  # a method the class writes itself is kept, as dataclasses keep it
    made = dataclasses.dataclass(frozen=True, repr=False, eq=False)(cls)
    every = dataclasses.fields(made)  # type: ignore[arg-type]  # a dataclass since the line above: mypy sees a T
    compared = tuple(f.name for f in every if f.compare)
    hashed = tuple(f.name for f in every if (f.compare if f.hash is None else f.hash))
    shown = tuple(f.name for f in every if f.repr)

    def __eq__(self: object, other: object) -> bool:  # noqa: N807
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, name) for name in compared) == tuple(getattr(other, name) for name in compared)

    def __hash__(self: object) -> int:  # noqa: N807
        return hash(tuple(getattr(self, name) for name in hashed))

    def __repr__(self: object) -> str:  # noqa: N807
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({values})"

    for method in (__eq__, __hash__, __repr__):
        if method.__name__ in own:
            continue
        method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        setattr(made, method.__name__, method)
    return made
