"""`iotFleetProvisioning`: the template's body, role and name checked before any call, one per function. Pure."""

from __future__ import annotations

import pytest

from tests.manifest.conftest import Env, with_function

ROLE = "arn:aws:iam::123456789012:role/provisioning"
FLEET = f"  - iotFleetProvisioning:\n      templateBody: {{Resources: {{}}}}\n      provisioningRoleArn: {ROLE}\n"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            f"  - iotFleetProvisioning:\n      provisioningRoleArn: {ROLE}",
            "8:9 functions.api.events.0.iotFleetProvisioning: templateBody is required",
        ),
        (
            "  - iotFleetProvisioning:\n      templateBody: {}\n      provisioningRoleArn: role",
            "10:32 functions.api.events.0.iotFleetProvisioning.provisioningRoleArn: 'role' is not an IAM role ARN",
        ),
        (
            FLEET + "      templateName: my template",
            "11:25 functions.api.events.0.iotFleetProvisioning.templateName: 'my template' is not a template name",
        ),
        (FLEET + FLEET, "11:9 functions.api.events.1.iotFleetProvisioning: function api already has"),
    ],
)
def test_bad_input_is_named_where_it_is_written(env: Env, lines: str, expected: str):
    assert env.problem(with_function("events:\n" + lines)).startswith(f"serverless.yml:{expected}")
