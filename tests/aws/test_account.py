"""The account id is remembered per credentials (an access key belongs to one account for good), so only a machine
that has not seen the credentials asks GetCallerIdentity; the key is kept only as a digest, with the endpoint."""

from __future__ import annotations

import os

from fnship.aws import Aws, Target
from fnship.paths import default_cache_dir
from tests.moto_calls import action_of


def asked_identity(moto, action) -> int:
    moto.start_recording()
    action()
    return sum(1 for r in moto.stop_recording() if action_of(r) == "GetCallerIdentity")


def test_the_account_is_asked_once_per_credentials_and_then_remembered(moto):
    first = Aws(Target(region="us-east-1"))
    assert first.remembered_account_id() is None
    assert asked_identity(moto, first.account_id) == 1
    again = Aws(Target(region="us-east-1"))
    assert again.remembered_account_id() == first.account_id()
    assert asked_identity(moto, again.account_id) == 0
    text = (default_cache_dir() / "accounts.json").read_text()
    assert first.account_id() in text and os.environ["AWS_ACCESS_KEY_ID"] not in text


def test_other_credentials_or_another_endpoint_are_not_taken_for_the_same_account(moto, monkeypatch):
    Aws(Target(region="us-east-1")).account_id()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTHERKEY")
    assert Aws(Target(region="us-east-1")).remembered_account_id() is None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert Aws(Target(region="us-east-1")).remembered_account_id() is None
