"""Amazon Resource Names: built with the region's partition (`aws`, `aws-cn`, `aws-us-gov`, ...), parsed into
their parts. Pure: no AWS, no filesystem.

An ARN starts `arn:<partition>:`, and the partition follows from the region: `cn-north-1` is in `aws-cn`,
`us-gov-west-1` in `aws-us-gov`. The rules are botocore's (botocore/data/partitions.json `regionRegex`); a test
checks this table against botocore's own answer for every region it knows, so the two cannot drift apart
(this module cannot import botocore: only fnship.aws does).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (partition, region pattern), as botocore's partitions.json states them.
PARTITIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws", re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$")),
    ("aws-cn", re.compile(r"^cn\-\w+\-\d+$")),
    ("aws-us-gov", re.compile(r"^us\-gov\-\w+\-\d+$")),
    ("aws-iso", re.compile(r"^us\-iso\-\w+\-\d+$")),
    ("aws-iso-b", re.compile(r"^us\-isob\-\w+\-\d+$")),
    ("aws-iso-e", re.compile(r"^eu\-isoe\-\w+\-\d+$")),
    ("aws-iso-f", re.compile(r"^us\-isof\-\w+\-\d+$")),
    ("aws-eusc", re.compile(r"^eusc\-(de)\-\w+\-\d+$")),
)
DEFAULT_PARTITION = "aws"  # botocore's answer for a region no pattern matches


def partition(region: str) -> str:
    """The partition of `region`: `aws` for us-east-1, `aws-cn` for cn-north-1, `aws-us-gov` for us-gov-west-1."""
    for name, pattern in PARTITIONS:
        if pattern.match(region):
            return name
    return DEFAULT_PARTITION


def arn(service: str, resource: str, *, region: str = "", account_id: str = "", partition_of: str = "") -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; the partition comes from `partition_of` (a
    region), else `region`. Global services (IAM, S3) leave region and account out but still need a partition."""
    return f"arn:{partition(partition_of or region)}:{service}:{region}:{account_id}:{resource}"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account_id: str
    resource: str  # everything after the account: `function:NAME:ALIAS`, `log-group:NAME:*`, `role/path/name`


def parse_arn(text: str) -> Arn | None:
    """The parts of an ARN, or None when `text` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])
