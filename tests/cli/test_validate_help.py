"""`fn validate --help` names every variable source that makes validate call AWS."""

from __future__ import annotations

import dataclasses

from fnship.manifest.types import Lookups

# Each of the injected AWS lookups, and the variable that asks it.
SOURCE_OF_LOOKUP = {
    "ssm": "${ssm:}",
    "account_id": "${aws:accountId}",
    "stack_outputs": "${cf:}",
    "s3_object": "${s3:}",
}


def test_validate_help_names_every_source_that_reaches_aws(project):
    # A new lookup (a new AWS-reading variable) must be named here, and so in the help text.
    assert {field.name for field in dataclasses.fields(Lookups)} == set(SOURCE_OF_LOOKUP)
    result = project.fn("validate", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "No AWS call unless" in text
    for source in SOURCE_OF_LOOKUP.values():
        assert source in text, source
