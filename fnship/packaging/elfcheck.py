"""Never ship the wrong architecture: read the ELF header of every native extension in a tree.

Filesystem only (reads headers): no AWS. ELF layout: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html
(e_ident[EI_CLASS] at 4, e_ident[EI_DATA] at 5, e_machine at 18).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fnship.frozen import frozen

# e_machine values: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html#elfid
_MACHINES = {3: "x86", 40: "arm", 62: "x86_64", 183: "aarch64"}
_MACHO = {b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"}
# Python extensions and shared libraries (`.so`, `.so.1.2`), Node.js addons (`.node`).
_NATIVE = re.compile(r"(\.so(\.\d+)*|\.node)$")


@frozen
class Mismatch:
    path: str  # relative to the scanned tree
    found: str  # "aarch64", "Mach-O (macOS)", "not an ELF file"


def machine_of(path: Path) -> str:
    """The machine an ELF file is built for, or what it is instead."""
    with open(path, "rb") as f:
        return machine_of_header(f.read(20))


def machine_of_header(head: bytes) -> str:
    """The machine named by a file's first 20 bytes (see machine_of)."""
    if head[:4] in _MACHO:
        return "Mach-O (macOS)"
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return "not an ELF file"
    code = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    return _MACHINES.get(code, f"ELF machine {code}")


def is_native(name: str) -> bool:
    return bool(_NATIVE.search(name))


def native_files(root: Path) -> list[Path]:
    found = []
    for directory, _dirs, files in os.walk(root):
        found += [Path(directory, name) for name in files if is_native(name)]
    return sorted(found)


def check_tree(root: Path, *, machine: str) -> list[Mismatch]:
    """Every native extension under `root` not built for `machine` ("x86_64" or "aarch64")."""
    problems = []
    for path in native_files(root):
        found = machine_of(path)
        if found != machine:
            problems.append(Mismatch(path.relative_to(root).as_posix(), found))
    return problems
