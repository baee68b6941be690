"""Paged calls go through boto3's paginators against the moto server: every page is followed, a consumer that
stops early asks for no further page, and a not-found answer is None (paged_or_none) or an AwsError naming the
resource (paged)."""

from __future__ import annotations

import json

import pytest

from fnship.aws.calls import paged, paged_or_none, pages
from fnship.errors import AwsError
from tests.moto_calls import action_of

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


@pytest.fixture
def iam(moto):
    client = moto.client("iam")
    for index in range(3):
        client.create_role(RoleName=f"r{index}", Path="/fnship/svc/dev/", AssumeRolePolicyDocument=TRUST)
    client.create_role(RoleName="other", Path="/fnship/svc/dev-feature1/", AssumeRolePolicyDocument=TRUST)
    return client


def list_roles_requests(records: list[dict]) -> int:
    return sum(1 for record in records if action_of(record) == "ListRoles")


def test_every_page_is_followed(moto, iam):
    moto.start_recording()
    roles = paged(iam, "list_roles", "roles", "Roles", PathPrefix="/fnship/svc/dev/", PaginationConfig={"PageSize": 1})
    assert sorted(role["RoleName"] for role in roles) == ["r0", "r1", "r2"]
    assert list_roles_requests(moto.stop_recording()) == 3


def test_stopping_early_asks_for_no_further_page(moto, iam):
    moto.start_recording()
    first = next(pages(iam, "list_roles", "roles", PathPrefix="/fnship/svc/dev/", PaginationConfig={"PageSize": 1}))
    assert len(first["Roles"]) == 1
    assert list_roles_requests(moto.stop_recording()) == 1


def test_not_found_is_none_or_an_error_naming_the_resource(moto, iam):
    assert paged_or_none(iam, "list_role_policies", "role gone", "PolicyNames", RoleName="gone") is None
    assert paged_or_none(iam, "list_role_policies", "role r0", "PolicyNames", RoleName="r0") == []
    with pytest.raises(AwsError) as failed:
        paged(iam, "list_role_policies", "role gone", "PolicyNames", RoleName="gone")
    assert "role gone" in str(failed.value) and "ListRolePolicies" in str(failed.value)
