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
from collections.abc import Callable
from pathlib import Path

RUNTIMES_CACHE = "botocore-models/lambda-runtimes.json"


@functools.lru_cache(maxsize=1)
def lambda_runtimes() -> tuple[str, ...]:
    """The `Runtime` enum of the Lambda API model: every identifier `CreateFunction` accepts, in the model's order.
    A boto3 upgrade brings AWS's new runtimes with it."""
    from fnship.paths import default_cache_dir, write_text_atomic

    source = _bundled_model("lambda")
    key = file_key(source) if source is not None else None
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


def file_key(path: Path) -> list[object] | None:
    """What says a model file changed (a boto3 upgrade): its path, size and modification time; None if unreadable."""
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


def read_json_model(path: Path) -> object:
    """A model file as botocore's JSON loader reads it (`.json` or `.json.gz`), with dicts for its OrderedDicts."""
    import gzip

    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)


def parsed_model(path: Path, parse: Callable[[Path], object] = read_json_model) -> object:
    """The model file `path` as `parse` reads it, kept in fnship's cache in `marshal`'s
    form, which Python reads back four times faster than it parses the (gzipped) JSON: some 50 ms of a first
    deploy's CPU before its reads can go out. Keyed by `file_key` and the Python version (marshal's format is
    Python's own); an entry that is missing, stale or unreadable is parsed again."""
    import hashlib
    import marshal
    import sys

    from fnship.paths import default_cache_dir, write_bytes_atomic

    key = file_key(path)
    if key is None:
        return parse(path)
    digest = hashlib.sha256(json.dumps([sys.version, *key]).encode()).hexdigest()[:40]
    cached = default_cache_dir() / "botocore-models" / f"{digest}.marshal"
    try:
        # (our own cache, beside the build cache whose zips are deployed: no less trusted than they are)
        return marshal.loads(cached.read_bytes())  # nosec B302
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = parse(path)
    if isinstance(data, dict):  # (a model file is one JSON object)
        with contextlib.suppress(OSError, ValueError):  # (not kept: parsed again next time)
            write_bytes_atomic(cached, marshal.dumps(data))
    return data
