"""`${file(./x.yml)}` and `${file(./x.yml):a.b}`: a YAML or JSON file relative to the manifest directory.

Reads files (through the loader); variables inside the file resolve in the manifest's context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fnship.manifest.loader import load_file
from fnship.manifest.types import KeyPath
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError, copy_tree, has_variable

_SUFFIXES = (".yml", ".yaml", ".json")
_ABSENT = object()


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Any:
    given = (reference.param or "").strip().strip("'\"")
    if not given:
        raise VariableError("${file()} needs a path, e.g. ${file(./config.yml)}")
    target = Path(given).expanduser()
    if Path(given).suffix.lower() not in _SUFFIXES:
        raise VariableError(f"{reference}: only YAML and JSON files can be included", "use a .yml, .yaml or .json file")
    full = target if target.is_absolute() else resolver.root / target
    display = str(full) if target.is_absolute() else str(Path(resolver.file).parent / target)
    full = full.resolve()  # one name per file, however the path is spelled
    key = ("file", str(full))
    # A file already being resolved on the way to this value is a cycle (a file that includes itself grows forever).
    here = (str(full), reference.address, display + (f":{reference.address}" if reference.address else ""))
    chain = resolver.include_chain(path)
    if any(step[:2] == here[:2] for step in chain):
        names = [*(step[2] for step in chain), here[2]]
        raise VariableError(
            "${file()} cycle: " + " -> ".join(names), "an included file must not include itself, directly or not"
        )
    if key not in resolver.cache:
        if not full.is_file():
            resolver.cache[key] = _ABSENT
        else:
            loaded = load_file(full, display=display)
            if loaded.diagnostics:
                raise VariableError(
                    f"{reference}: " + "; ".join(str(d) for d in loaded.diagnostics), "fix the included file"
                )
            resolver.cache[key] = loaded.data
    data = resolver.cache[key]
    if data is _ABSENT:
        raise Missing(f"file {display} does not exist", "check the path: it is relative to the manifest directory")
    for segment in reference.address.split(".") if reference.address else []:
        if isinstance(data, dict) and segment in data:
            data = data[segment]
        elif isinstance(data, list) and segment.isdigit() and int(segment) < len(data):
            data = data[int(segment)]
        else:
            raise Missing(f"{display} has no value at '{reference.address}'")
    data = copy_tree(data, resolver.copy_budget)
    resolver.includes[path] = (*chain, here)
    if has_variable(data):
        data = resolver.resolve_string(data, path)
    return data
