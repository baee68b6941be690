"""Packaging: turn a manifest's functions and layers into deterministic artifacts on disk.

Reads the service directory and writes artifacts under `out_dir`: no AWS, no manifest parsing (it consumes the
typed `Manifest`). Subprocesses (uv, pip, container engines) go through the injected `Tools`; image registries
through the injected image client factory. Which artifact a function gets, first rule that applies:
0. `image:`: a container image (assembled from the Lambda base image, built from a Dockerfile, or a given URI);
1. its own `package.artifact`: that prebuilt zip, used as is;
2. packaged individually (`package.individually` at service level, or the function's own `individually` or
   `patterns`): `{out_dir}/{function}.zip` from the service patterns followed by the function's;
3. the service `package.artifact`: that prebuilt zip, shared;
4. `{out_dir}/{service}.zip` from the service patterns, shared.
Built zips also carry the Python dependencies (unless `package.dependencies` is `layer` or `none`), installed for
the function's runtime and architecture. Every built artifact is keyed by its inputs (see cache.py) and reused
when they did not change; independent artifacts build concurrently.

One module per idea: `jobs` decides the artifacts, `selection` picks their files, `checks` finds the input problems,
`build` makes and caches them, `service` runs the whole; `artifacts` holds what comes out.
"""

from __future__ import annotations

from fnship.packaging.artifacts import Artifact, Packaged, Reporter
from fnship.packaging.service import check_handlers, package_all, package_service

__all__ = ["Artifact", "Packaged", "Reporter", "check_handlers", "package_all", "package_service"]
