"""Sessions and clients: how often a failed call is tried (6 times: botocore's standard retries, 5 after the first,
unless the user set their own number through `AWS_MAX_ATTEMPTS` or the profile's `max_attempts`, as every AWS SDK
honours), and botocore's service models parsed once per process."""

from __future__ import annotations

import pytest

from fnship.aws.session import Clients, Target
from fnship.errors import FnError
from tests.faulty_proxy import FaultyProxy


def attempts(service: str = "ssm") -> int:
    client = Clients(Target(region="us-east-1")).client(service)
    return client.meta.config.retries["total_max_attempts"]


def test_standard_retries_by_default(moto, monkeypatch):
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    assert attempts() == 6
    assert Clients(Target(region="us-east-1")).client("lambda").meta.config.retries["mode"] == "standard"


def test_the_users_aws_max_attempts_wins(moto, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    assert attempts() == 2


def test_the_profiles_max_attempts_wins(moto, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    (tmp_path / "config").write_text("[default]\nmax_attempts = 3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert attempts() == 3


@pytest.mark.parametrize("configured", ["1", "2"])
def test_a_dropped_connection_is_tried_as_often_as_configured(moto, monkeypatch, configured):
    """Counted at a proxy that drops every mutating request's connection: the real number of attempts."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", configured)
    with FaultyProxy(moto.endpoint) as proxy:
        proxy.arm(1, "drop")
        client = Clients(Target(region="us-east-1", endpoint_url=proxy.endpoint)).client("ssm")
        with pytest.raises(Exception) as caught:
            client.put_parameter(Name="/x", Value="1", Type="String")
        assert "Connection was closed" in str(caught.value) or isinstance(caught.value, FnError)
        assert proxy.refused == ["PutParameter"] * int(configured)


def test_every_session_of_the_process_shares_the_parsed_service_models(moto):
    first, second = Clients(Target(region="us-east-1")), Clients(Target(region="eu-west-1"))
    assert first.client("ssm")._loader is second.client("lambda")._loader  # botocore's one loader per data path
    assert first.client("ssm").meta.region_name == "us-east-1"
    assert second.client("lambda").meta.region_name == "eu-west-1"


def test_the_model_loader_does_not_probe_every_service_before_loading_one(moto):
    """botocore asks "the services that have this kind of model" before loading any model (a stat of every version
    directory of ~450 services, per kind); fnship's loader lists the service directories only, so a service
    without waiters is among them, and what a client loads, and the errors it gets, stay botocore's."""
    from botocore.exceptions import DataNotFoundError, UnknownServiceError

    clients = Clients(Target(region="us-east-1"))
    loader = clients.client("sts")._loader
    assert "sts" in loader.list_available_services("waiters-2")  # botocore's own list leaves it out
    with pytest.raises(DataNotFoundError):
        loader.load_service_model("sts", "waiters-2")
    with pytest.raises(UnknownServiceError):
        loader.load_service_model("no-such-service", "service-2")
    assert not clients.client("sts").can_paginate("get_caller_identity")
    assert clients.client("lambda").get_waiter("function_active_v2").name == "FunctionActiveV2"
    assert "get_caller_identity" in dir(clients.client("sts"))
