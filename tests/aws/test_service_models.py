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
    assert entry == {"key": service_models.file_key(source), "runtimes": list(botocores_own())}


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


def _cached_models(tmp_path) -> list:
    return sorted((tmp_path / "botocore-models").glob("*.marshal"))


def test_a_model_file_is_parsed_once_and_then_read_back_the_same(cache, tmp_path):
    source = service_models._bundled_model("lambda")
    assert source is not None
    parses = []

    def parse(path):
        parses.append(path)
        return service_models.read_json_model(path)

    first = service_models.parsed_model(source, parse)
    assert len(_cached_models(tmp_path)) == 1
    again = service_models.parsed_model(source, parse)
    assert parses == [source]  # the second came from the cache
    assert again == first and again["shapes"]["Runtime"]["enum"] == list(botocores_own())


def test_an_unreadable_cached_model_is_parsed_again(cache, tmp_path):
    source = service_models._bundled_model("lambda")
    assert source is not None
    service_models.parsed_model(source, lambda _path: {"shapes": {}})
    [entry] = _cached_models(tmp_path)
    entry.write_bytes(b"\x00garbage")
    assert service_models.parsed_model(source, lambda _path: {"parsed": True}) == {"parsed": True}
    assert service_models.parsed_model(source, lambda _path: {"parsed": False}) == {"parsed": True}  # written again


def test_clients_load_their_models_through_the_cache(cache, tmp_path, monkeypatch):
    """The session's loader keeps what it parses: a second process (here: a fresh loader) reads it back."""
    from fnship.aws import session

    monkeypatch.setattr(session, "_LOADERS", {})
    session._botocore_session().get_service_model("sts")
    assert _cached_models(tmp_path)
    monkeypatch.setattr(session, "_LOADERS", {})
    assert session._botocore_session().get_service_model("sts").operation_model("GetCallerIdentity") is not None
