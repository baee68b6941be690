"""What the AWS service models that botocore ships say, read without any AWS call.

Only fnship/aws imports botocore; this module is imported lazily, and the answer is kept for the life of the
process. Importing botocore's loader (urllib3, http.client, email... ~60 ms) and parsing the Lambda model
(~10 ms) would be most of an unchanged `fn package`'s start-up, so the runtime list is kept in fnship's cache,
keyed by the model file botocore would read (path, size, modification time): a boto3 upgrade changes the file,
and the list is read from botocore again. A cache entry that is missing, stale or corrupted is a miss.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
from pathlib import Path

RUNTIMES_CACHE = "botocore-models/lambda-runtimes.json"


@functools.lru_cache(maxsize=1)
def lambda_runtimes() -> tuple[str, ...]:
    """The `Runtime` enum of the Lambda API model: every identifier `CreateFunction` accepts, in the model's order.
    A boto3 upgrade brings AWS's new runtimes with it."""
    from fnship.paths import default_cache_dir, write_text_atomic

    source = _bundled_model("lambda")
    key = _file_key(source) if source is not None else None
    cache = default_cache_dir() / RUNTIMES_CACHE
    if key is not None:
        cached = _cached_runtimes(cache, key)
        if cached:
            return cached
    from botocore.loaders import create_loader

    model = create_loader().load_service_model("lambda", "service-2")
    runtimes = tuple(model["shapes"]["Runtime"]["enum"])
    if key is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs the next run the same read
            write_text_atomic(cache, json.dumps({"key": key, "runtimes": list(runtimes)}))
    return runtimes


def _bundled_model(service: str) -> Path | None:
    """The newest `service-2.json[.gz]` of `service` inside the installed botocore, found without importing it;
    None when botocore may read another one (AWS_DATA_PATH, ~/.aws/models) or it cannot be found."""
    if os.environ.get("AWS_DATA_PATH") or (Path.home() / ".aws" / "models" / service).exists():
        return None
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "data" / service
    try:
        versions = sorted((p for p in directory.iterdir() if p.is_dir()), reverse=True)  # API versions are dates
    except OSError:
        return None
    for version in versions:
        for name in ("service-2.json.gz", "service-2.json"):
            if (version / name).is_file():
                return version / name
    return None


def _file_key(path: Path) -> list[object] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [str(path), stat.st_size, stat.st_mtime_ns]


def _cached_runtimes(cache: Path, key: list[object]) -> tuple[str, ...] | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data["key"] != key or not all(isinstance(r, str) for r in data["runtimes"]):
            return None
        return tuple(data["runtimes"]) or None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # missing or corrupted: a miss
        return None
