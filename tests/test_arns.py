"""ARNs carry the region's partition, and fnship.arns agrees with botocore on the partition of every region
botocore knows (the table there is botocore's own rules, copied because only fnship.aws may import botocore)."""

from __future__ import annotations

import botocore.session
import pytest

from fnship.arns import arn, parse_arn, partition


def botocore_regions() -> list[tuple[str, str]]:
    session = botocore.session.get_session()
    return [
        (region, name)
        for name in session.get_available_partitions()
        for service in ("lambda", "iam", "sts")
        for region in session.get_available_regions(service, partition_name=name)
    ]


def test_partition_is_botocores_for_every_region_it_knows():
    session = botocore.session.get_session()
    regions = botocore_regions()
    assert {name for _region, name in regions} >= {"aws", "aws-cn", "aws-us-gov"}
    assert [(r, partition(r)) for r, _ in regions] == [(r, session.get_partition_for_region(r)) for r, _ in regions]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("eu-west-1", "arn:aws:lambda:eu-west-1:123456789012:function:f"),
        ("cn-north-1", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"),
        ("us-gov-west-1", "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f"),
    ],
)
def test_arn_uses_the_partition_of_the_region(region, expected):
    assert arn("lambda", "function:f", region=region, account_id="123456789012") == expected
    assert parse_arn(expected).resource == "function:f"


def test_global_services_still_take_the_partition():
    assert arn("s3", "bucket", partition_of="cn-northwest-1") == "arn:aws-cn:s3:::bucket"
    assert arn("iam", "role/r", account_id="1", partition_of="us-gov-east-1") == "arn:aws-us-gov:iam::1:role/r"
    assert parse_arn("not-an-arn") is None
