"""fnship.frozen.frozen behaves as @dataclass(frozen=True) where anyone can tell: repr, equality, hashing,
immutability, fields, replace; only its methods are made differently (cheaper to define)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from fnship.frozen import frozen


def make(decorate):
    @decorate
    class Spec:
        name: str
        size: int = 1
        tags: tuple[str, ...] = ()
        extra: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)
        secret: str = dataclasses.field(default="", repr=False)
        weight: float = dataclasses.field(default=0.0, hash=False)

    return Spec


Ours = make(frozen)
Stdlib = make(dataclasses.dataclass(frozen=True))
VALUES = [
    {"name": "api"},
    {"name": "api", "size": 2, "tags": ("a", "b"), "extra": {"k": "v"}, "secret": "s3cr3t", "weight": 1.5},
    {"name": "it's", "tags": ("x",), "weight": float("inf")},
]


@pytest.mark.parametrize("values", VALUES)
def test_repr_is_the_dataclass_repr(values):
    assert repr(Ours(**values)) == repr(Stdlib(**values))
    assert "s3cr3t" not in repr(Ours(**values))


@pytest.mark.parametrize("a", VALUES)
@pytest.mark.parametrize("b", VALUES)
def test_equality_and_hash_follow_the_dataclass_rules(a, b):
    assert (Ours(**a) == Ours(**b)) == (Stdlib(**a) == Stdlib(**b))
    assert (hash(Ours(**a)) == hash(Ours(**b))) == (hash(Stdlib(**a)) == hash(Stdlib(**b)))
    assert hash(Ours(**a)) == hash(Stdlib(**a))  # the same tuple of hashed fields


def test_fields_left_out_of_compare_and_hash_are_left_out():
    assert Ours("a", extra={"x": "1"}) == Ours("a", extra={"y": "2"})
    assert hash(Ours("a", weight=1.0)) == hash(Ours("a", weight=2.0))
    assert Ours("a", weight=1.0) != Ours("a", weight=2.0)


def test_other_classes_are_never_equal():
    assert Ours("a") != Stdlib("a")
    assert Ours("a").__eq__(Stdlib("a")) is NotImplemented
    assert Ours("a") != ("a", 1, (), 0.0)


def test_it_is_frozen_and_a_dataclass():
    spec = Ours("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del spec.size  # type: ignore[misc]
    assert dataclasses.is_dataclass(spec)
    assert [f.name for f in dataclasses.fields(spec)] == ["name", "size", "tags", "extra", "secret", "weight"]
    assert dataclasses.replace(spec, size=3) == Ours("a", size=3)
    assert dataclasses.asdict(spec)["name"] == "a"
    assert {spec, Ours("a")} == {spec}


def test_a_method_the_class_writes_is_kept():
    @frozen
    class Shown:
        value: int

        def __repr__(self) -> str:
            return f"<{self.value}>"

    assert repr(Shown(1)) == "<1>"
    assert Shown(1) == Shown(1)
