"""JSON-shaped data: what a YAML manifest, an IAM policy document or an AWS request body holds.

`Any` switches the type checker off; these aliases say what such a value can be, so code that reads one narrows it
(`isinstance`) before use. Parameters take the read-only `Mapping`/`Sequence` forms so a `dict[str, str]` is accepted.
"""

from collections.abc import Mapping, Sequence
from typing import TypeAlias, Union

JsonScalar: TypeAlias = str | int | float | bool | None
Json: TypeAlias = Union[JsonScalar, "JsonObject", "JsonArray"]
JsonObject: TypeAlias = dict[str, Json]
JsonArray: TypeAlias = list[Json]
# Read-only views for parameters: covariant, so narrower containers (dict[str, str], list[JsonObject]) are accepted.
JsonValue: TypeAlias = Union[JsonScalar, "JsonMapping", "JsonSequence"]
JsonMapping: TypeAlias = Mapping[str, JsonValue]
JsonSequence: TypeAlias = Sequence[JsonValue]
