"""CloudFormation, read-only: the outputs of a stack, for `${cf:stack.output}` variables.

DescribeStacks answers a missing stack with a `ValidationError` ("Stack with id X does not exist"), not a
not-found code: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fnship.aws.calls import describe, error_code, error_message

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient


class CloudFormationApi:
    def __init__(self, client: CloudFormationClient) -> None:
        self._client = client

    def stack_outputs(self, name: str) -> dict[str, str] | None:
        """OutputKey -> OutputValue of the stack `name` (a name or stack id); None when there is no such stack."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._client.describe_stacks(StackName=name)
        except ClientError as exc:
            if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
                return None
            raise describe(
                exc, resource=f"CloudFormation stack {name}", action="DescribeStacks", client=self._client
            ) from exc
        except BotoCoreError as exc:
            raise describe(
                exc, resource=f"CloudFormation stack {name}", action="DescribeStacks", client=self._client
            ) from exc
        stacks = found.get("Stacks") or []
        if not stacks:
            return None
        return {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stacks[0].get("Outputs") or []}
