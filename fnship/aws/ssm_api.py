"""SSM Parameter Store: the deploy lock, a parameter created only if absent.

PutParameter without `Overwrite` fails with ParameterAlreadyExists when the name is taken, which makes the
create atomic: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fnship.arns import parse_arn
from fnship.aws.calls import aws_call, call_or_none, error_code, tag_list

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

ALREADY_EXISTS = "ParameterAlreadyExists"
GET_PARAMETERS_MAX = 10  # https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html


class SsmApi:
    def __init__(self, client: SSMClient, *, on_account: Callable[[str], None] = lambda _account: None) -> None:
        self._client = client
        # Told the account id a parameter's ARN names (parameters read by name are the caller's account's own).
        self._on_account = on_account

    def create_if_absent(self, name: str, value: str, *, description: str, tags: dict[str, str]) -> bool:
        """True when we created it; False when it already existed (someone else holds it)."""
        from botocore.exceptions import ClientError

        def put() -> bool:
            try:
                self._client.put_parameter(
                    Name=name, Value=value, Type="String", Description=description, Tags=tag_list(tags)
                )
            except ClientError as exc:
                if error_code(exc) == ALREADY_EXISTS:
                    return False
                raise
            return True

        # Through aws_call: a refusal or a lost connection is an AwsError naming the parameter, never a traceback.
        return aws_call(f"SSM parameter {name}", "PutParameter", put)

    def overwrite(self, name: str, value: str) -> int:
        """Replace the value of a parameter we hold (a lease renewal), or create it; returns its new version (SSM
        numbers every write of a parameter). Tags stay as created: PutParameter refuses tags together with
        Overwrite."""
        answer = aws_call(
            f"SSM parameter {name}", "PutParameter", self._client.put_parameter,
            Name=name, Value=value, Type="String", Overwrite=True,
        )  # fmt: skip
        return int(answer.get("Version") or 0)

    def get_many(self, names: list[str]) -> dict[str, tuple[str, int]]:
        """Name -> (value, version) of those of `names` that exist, in one GetParameters call per 10 names (a
        missing one is simply not in the answer)."""
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(names), GET_PARAMETERS_MAX):
            batch = names[start : start + GET_PARAMETERS_MAX]
            answer = aws_call(f"SSM parameters {', '.join(batch)}", "GetParameters", self._client.get_parameters,
                              Names=batch)  # fmt: skip
            parameters = answer.get("Parameters") or []
            found.update({str(p["Name"]): (str(p["Value"]), int(p.get("Version") or 0)) for p in parameters})
            arn = parse_arn(str(parameters[0].get("ARN") or "")) if parameters else None
            if arn is not None and arn.account_id:
                self._on_account(arn.account_id)
        return found

    def get_or_none(self, name: str) -> str | None:
        found = call_or_none(f"SSM parameter {name}", "GetParameter", self._client.get_parameter, Name=name)
        return None if found is None else str(found["Parameter"]["Value"])

    def delete_many(self, names: list[str]) -> None:
        """Delete those of `names` that exist, in one DeleteParameters call per 10 names (missing ones are named in
        its answer, not an error)."""
        for start in range(0, len(names), GET_PARAMETERS_MAX):
            batch = names[start : start + GET_PARAMETERS_MAX]
            aws_call(f"SSM parameters {', '.join(batch)}", "DeleteParameters", self._client.delete_parameters,
                     Names=batch)  # fmt: skip

    def delete(self, name: str) -> None:
        call_or_none(f"SSM parameter {name}", "DeleteParameter", self._client.delete_parameter, Name=name)
