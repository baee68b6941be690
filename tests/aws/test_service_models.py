"""The Lambda runtime list comes from botocore's model, kept in fnship's cache keyed by the model file, so start-up
does not import botocore's loader; a missing, stale or corrupted entry is a miss, never a crash."""

from __future__ import annotations

import json

import pytest

from fnship.aws import service_models


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FN_CACHE_DIR", str(tmp_path))
    service_models.lambda_runtimes.cache_clear()
    yield tmp_path / service_models.RUNTIMES_CACHE
    service_models.lambda_runtimes.cache_clear()


def botocores_own() -> tuple[str, ...]:
    from botocore.loaders import create_loader

    return tuple(create_loader().load_service_model("lambda", "service-2")["shapes"]["Runtime"]["enum"])


def test_a_miss_reads_botocore_and_remembers_it_keyed_by_the_model_file(cache):
    assert service_models.lambda_runtimes() == botocores_own()
    entry = json.loads(cache.read_text())
    source = service_models._bundled_model("lambda")
    assert source is not None and source.name.startswith("service-2.json")
    assert entry == {"key": service_models._file_key(source), "runtimes": list(botocores_own())}


def test_a_hit_is_read_from_the_cache(cache):
    service_models.lambda_runtimes()
    entry = json.loads(cache.read_text())
    cache.write_text(json.dumps({**entry, "runtimes": ["python3.99"]}))
    service_models.lambda_runtimes.cache_clear()
    assert service_models.lambda_runtimes() == ("python3.99",)


@pytest.mark.parametrize(
    "corruption",
    [b"\xff\xfe", b"[" * 100_000, b"{}", b'{"key": "x", "runtimes": []}', b'{"key": null, "runtimes": [1, 2]}'],
    ids=["not-utf8", "deep", "empty", "stale-key", "not-strings"],
)
def test_a_stale_or_corrupted_entry_is_a_miss(cache, corruption):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(corruption)
    assert service_models.lambda_runtimes() == botocores_own()
    assert json.loads(cache.read_text())["runtimes"] == list(botocores_own())  # written again


def test_another_model_path_is_never_cached(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "models"))
    assert service_models.lambda_runtimes() == botocores_own()
    assert not cache.exists()
