"""`${file(./x.yml)}` and `${file(./x.yml):a.b}`: a file relative to the manifest directory.

Reads files (through the loader); variables inside the file resolve in the manifest's context. As in Serverless v3
(lib/configuration/variables/sources/file.js): `.yml`/`.yaml` are YAML, `.json` and `.tfstate` JSON, any other file
is its text (a text file has no keys: `${file(./x.txt):a}` has no value), and `.js` files, which v3 runs, are
refused: fnship does not run JavaScript.
"""

from __future__ import annotations

from pathlib import Path

from fnship.manifest.loader import MAX_FILE_BYTES, load_file
from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError, copy_tree, has_variable
from fnship.textfile import NotText, read_text_file

_SUFFIXES = (".yml", ".yaml", ".json", ".tfstate")


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    given = (reference.param or "").strip().strip("'\"")
    if not given:
        raise VariableError("${file()} needs a path, e.g. ${file(./config.yml)}")
    target = Path(given).expanduser()
    suffix = Path(given).suffix.lower()
    if suffix == ".js":
        raise VariableError(
            f"{reference}: fnship does not run JavaScript files (Serverless runs them to compute values)",
            "write the values in a .yml or .json file, or compute them before fn runs and pass them with ${env:NAME}",
        )
    as_text = suffix not in _SUFFIXES
    full = target if target.is_absolute() else resolver.root / target
    display = str(full) if target.is_absolute() else str(Path(resolver.file).parent / target)
    full = full.resolve()  # one name per file, however the path is spelled
    key = str(full)
    # A file already being resolved on the way to this value is a cycle (a file that includes itself grows forever).
    here = (str(full), reference.address, display + (f":{reference.address}" if reference.address else ""))
    chain = resolver.include_chain(path)
    if any(step[:2] == here[:2] for step in chain):
        names = [*(step[2] for step in chain), here[2]]
        raise VariableError(
            "${file()} cycle: " + " -> ".join(names), "an included file must not include itself, directly or not"
        )
    if key not in resolver.files:
        if not full.is_file():
            resolver.files[key] = None
        elif as_text:
            resolver.files[key] = (_read_text(full, display, reference), {})
        else:
            loaded = load_file(full, display=display)
            if loaded.diagnostics:
                raise VariableError(
                    f"{reference}: " + "; ".join(str(d) for d in loaded.diagnostics), "fix the included file"
                )
            resolver.files[key] = (loaded.data, loaded.locations)
    included = resolver.files[key]
    if included is None:
        raise Missing(f"file {display} does not exist", "check the path: it is relative to the manifest directory")
    data, locations = included
    if as_text and reference.address:
        raise Missing(f"{display} is a text file: it has no value at '{reference.address}'")
    for segment in reference.address.split(".") if reference.address else []:
        if isinstance(data, dict) and segment in data:
            data = data[segment]
        elif isinstance(data, list) and segment.isdigit() and int(segment) < len(data):
            data = data[int(segment)]
        else:
            raise Missing(f"{display} has no value at '{reference.address}'")
    data = copy_tree(data, resolver.copy_budget)
    resolver.includes[path] = (*chain, here)
    prefix = reference.address.split(".") if reference.address else []
    for written, location in locations.items():
        if [str(part) for part in written[: len(prefix)]] == prefix:
            resolver.included_locations[(*path, *written[len(prefix) :])] = location
    if has_variable(data):
        data = resolver.resolve_string(data, path)
    return data


def _read_text(full: Path, display: str, reference: Reference) -> str:
    try:
        return read_text_file(full, display=display, limit=MAX_FILE_BYTES)
    except NotText as exc:
        raise VariableError(f"{reference}: {exc.diagnostic}", "include a UTF-8 text file") from None
