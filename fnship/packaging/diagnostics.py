"""Packaging's input problems, located in the manifest (file:line:col and key).

Pure: no filesystem, no AWS.
"""

from __future__ import annotations

from fnship.errors import Diagnostic
from fnship.manifest.types import KeyPath, Manifest


def dotted(key: KeyPath) -> str:
    return ".".join(str(k) for k in key)


def located(manifest: Manifest, key: KeyPath, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(message, key=dotted(key), location=manifest.locate(key), hint=hint)
