from __future__ import annotations

import textwrap

import pytest

from fnship.errors import Location
from fnship.manifest.loader import load_text


def load(text: str):
    return load_text(textwrap.dedent(text), file="serverless.yml")


def test_locations_of_scalars_keys_and_list_items():
    loaded = load(
        """\
        service: svc
        functions:
          api:
            memorySize: 512
            events:
              - sqs: arn:aws:sqs:us-east-1:123456789012:q
              - schedule: rate(1 minute)
        """
    )
    assert loaded.diagnostics == []
    at = loaded.locations
    assert at[("service",)] == Location("serverless.yml", 1, 10)  # scalar: where the value starts
    assert at[("functions", "api")] == Location("serverless.yml", 3, 3)  # mapping: where its key is
    assert at[("functions", "api", "memorySize")] == Location("serverless.yml", 4, 17)
    assert at[("functions", "api", "events", 1)] == Location("serverless.yml", 7, 9)
    assert loaded.key_locations[("functions", "api", "memorySize")] == Location("serverless.yml", 4, 5)


def test_duplicate_keys_report_both_lines_and_every_duplicate():
    loaded = load(
        """\
        service: svc
        provider:
          name: aws
          name: aws
        service: other
        """
    )
    messages = [str(d) for d in loaded.diagnostics]
    assert messages[0].startswith("serverless.yml:4:3 provider.name: duplicate key 'name' (lines 3 and 4)")
    assert messages[1].startswith("serverless.yml:5:1 service: duplicate key 'service' (lines 1 and 5)")
    assert loaded.data["service"] == "svc"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("service: svc\nprovider:\n  name: aws\n   bad: indent\n", 4),
        ("service: svc\nfunctions: [a, b\n", 3),
        ("a: 1\nb: 'unterminated\n", 3),
    ],
)
def test_syntax_error_becomes_a_diagnostic_with_its_line(text, line):
    loaded = load_text(text, file="serverless.yml")
    assert loaded.data is None
    (diagnostic,) = loaded.diagnostics
    assert diagnostic.location is not None and diagnostic.location.line == line
    assert diagnostic.message.startswith("invalid YAML")


def test_anchors_aliases_and_merge_keys():
    loaded = load(
        """\
        defaults: &defaults
          memorySize: 512
          timeout: 10
        extra: &extra
          timeout: 99
          tracing: Active
        functions:
          a:
            <<: *defaults
            handler: a.handler
            memorySize: 256
          b:
            <<: [*defaults, *extra]
          c: *defaults
        """
    )
    assert loaded.diagnostics == []
    functions = loaded.data["functions"]
    assert functions["a"] == {"memorySize": 256, "timeout": 10, "handler": "a.handler"}
    assert functions["b"] == {"memorySize": 512, "timeout": 10, "tracing": "Active"}  # first merged wins
    assert functions["c"] == {"memorySize": 512, "timeout": 10}
    functions["c"]["timeout"] = 1
    assert functions["b"]["timeout"] == 10  # aliases are copies, not shared objects
    # an explicit key is located where it is written, a merged one where the anchor defines it
    assert loaded.locations[("functions", "a", "memorySize")].line == 11
    assert loaded.locations[("functions", "a", "timeout")].line == 3


def test_yaml_1_2_scalars_like_serverless():
    loaded = load(
        """\
        a: yes
        b: on
        c: true
        d: 1:30
        e: 0x1F
        f: 2024-01-01
        g: ~
        h: 3.5
        i: "5"
        """
    )
    assert loaded.data == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": "1:30",
        "e": 31,
        "f": "2024-01-01",
        "g": None,
        "h": 3.5,
        "i": "5",
    }


def test_cloudformation_short_tags_become_long_form():
    loaded = load(
        """\
        layers:
          - !Ref DepsLambdaLayer
          - !GetAtt Thing.Arn
          - !Sub "arn:${AWS::Region}"
        """
    )
    assert loaded.data["layers"] == [
        {"Ref": "DepsLambdaLayer"},
        {"Fn::GetAtt": ["Thing", "Arn"]},
        {"Fn::Sub": "arn:${AWS::Region}"},
    ]


def test_empty_text_has_no_data_and_no_error():
    loaded = load_text("", file="serverless.yml")
    assert loaded.data is None and loaded.diagnostics == []
