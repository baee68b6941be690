"""Mutated manifests for the property test (tests/manifest/test_fuzz.py) and the longer run in bench/.

A mutant is a valid manifest with a few edits: YAML punctuation, hostile snippets (aliases, tags, variables,
includes, deep nesting), bytes that are not text, cut, duplicated or swapped slices. `run_validate` runs
`fn validate` on one and says what went wrong, if anything: an exit code other than 0 or 2, a traceback, or a
file written outside `.fn/` (HOME is the directory above the service, so a write there is seen too; fnship's own
cache directory, $FN_CACHE_DIR, is set apart: what it keeps there does not come from the manifest).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from tests.conftest import HELLO_HANDLER

SEEDS = [
    b"""\
service: demo
provider:
  name: aws
functions:
  hello:
    handler: handler.hello
""",
    b"""\
service: shop-${opt:stage, 'dev'}
frameworkVersion: '3'
provider:
  name: aws
  runtime: python3.12
  region: ${opt:region, 'eu-west-1'}
  memorySize: 256
  environment:
    TABLE: ${self:custom.table}
    FROM_FILE: ${file(./config.yml):name}
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:GetItem, dynamodb:PutItem]
          Resource: arn:aws:dynamodb:*:*:table/${self:custom.table}
custom:
  table: orders-${sls:stage}
  defaults: &defaults
    timeout: 10
    memorySize: 512
functions:
  api:
    <<: *defaults
    handler: handler.hello
    events:
      - httpApi: 'GET /orders'
      - schedule: rate(5 minutes)
  worker:
    handler: handler.world
    environment: ${file(./config.yml):env}
    events:
      - sqs:
          arn: arn:aws:sqs:eu-west-1:123456789012:jobs
          batchSize: 10
""",
]

INCLUDED = b"name: included\nenv:\n  LEVEL: ${self:provider.memorySize}\n"

SNIPPETS = [
    b":",
    b"- ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!Ref ",
    b"!!python/object/apply:os.system [x]",
    b"!!binary aGk=",
    b"!!set {a}",
    b"? ",
    b"|\n",
    b">-\n",
    b"'",
    b'"',
    b"#",
    b"\t",
    b"\n",
    b"\n  ",
    b"---\n",
    b"${",
    b"}",
    b"${self:",
    b"${self:custom.table}",
    b"${file(./serverless.yml)}",
    b"${file(./config.yml)}",
    b"${file(/etc/hostname)}",
    b"${env:HOME}",
    b"${opt:stage}",
    b"${sls:stage}",
    b"${aws:region}",
    b"${self:custom.${self:custom.table}}",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"\r",
    b"%TAG ! x\n",
    b"[" * 200,
    b"{a: " * 150,
    b"x: &b [*a, *a, *a, *a]\n",
    b"0x1F",
    b"1e400",
    b".nan",
    b"~",
    b"null",
    b"yes",
]


# No ${ssm:} or ${aws:accountId}: they ask AWS, which a fuzz run of the parser must not wait for.
VALUES = [
    b"${self:custom.table}",
    b"${self:provider}",
    b"${self:functions}",
    b"${self:nope}",
    b"${self:}",
    b"${}",
    b"${opt:stage}",
    b"${opt:nope, 'x'}",
    b"${env:HOME}",
    b"${env:NOPE}",
    b"${sls:stage}",
    b"${sls:instanceId}",
    b"${aws:region}",
    b"${param:x}",
    b"${file(./config.yml)}",
    b"${file(./config.yml):env}",
    b"${file(./serverless.yml)}",
    b"${file(./serverless.yml):service}",
    b"${file(./missing.yml)}",
    b"${file(../../etc/passwd.yml)}",
    b"${file(/dev/zero.json)}",
    b"${self:custom.${self:custom.${self:custom.table}}}",
    b"'${self:custom.table}-${sls:stage}'",
    b"*defaults",
    b"&x 1",
    b"!Ref Foo",
    b"!GetAtt A.Arn",
    b"!Sub '${AWS::Region}'",
    b"!!python/name:os.system",
    b"[]",
    b"{}",
    b"null",
    b"~",
    b"-1",
    b"0",
    b"99999999999999999999",
    b"1.5",
    b"true",
    b"no",
    b"''",
    b"rate(0 minutes)",
    b"cron(* * * * * *)",
    b"python9.9",
    b"x" * 300,
    b'"\\u0000"',  # YAML's escape for NUL inside a double-quoted string
    b'"\\x00"',
]


@st.composite
def mutants(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["value", "value", "insert", "delete", "duplicate", "replace", "bytes"]))
        if kind == "value":  # keep the structure, change one value: reaches variables and validation, not only YAML
            starts = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == b": "]
            if starts:
                start = draw(st.sampled_from(starts))
                end = text.find(b"\n", start)
                end = len(text) if end < 0 else end
                text = text[:start] + draw(st.sampled_from(VALUES)) + text[end:]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 80)))
            text = text[:end] + text[at:end] * draw(st.integers(1, 3)) + text[end:]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at + draw(st.integers(1, 10)) :]
        else:
            text = text[:at] + draw(st.binary(min_size=1, max_size=8)) + text[at:]
    return text


_CACHE = tempfile.TemporaryDirectory(prefix="fnship-fuzz-cache-")  # shared by every run: warm, as a user's is


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def run_validate(manifest: bytes) -> str | None:
    """`fn validate` on `manifest` in a fresh service directory: None when it behaved, else what went wrong."""
    return validate(manifest)[1]


def validate(manifest: bytes) -> tuple[int, str | None]:
    """`fn validate` on `manifest` in a fresh service directory: its exit code, and what went wrong (None: nothing)."""
    from typer.testing import CliRunner

    from fnship.cli.app import build_app

    with tempfile.TemporaryDirectory() as tmp:
        outer = Path(tmp)
        root = outer / "svc"
        root.mkdir()
        (root / "serverless.yml").write_bytes(manifest)
        (root / "config.yml").write_bytes(INCLUDED)
        (root / "handler.py").write_text(HELLO_HANDLER)
        before = _tree(outer)
        previous = Path.cwd()
        os.chdir(root)
        try:
            result = CliRunner().invoke(
                build_app(), ["validate"], env={"HOME": str(outer), "FN_CACHE_DIR": _CACHE.name}, catch_exceptions=True
            )
        finally:
            os.chdir(previous)
        code = result.exit_code
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return code, f"raised {type(result.exception).__name__}: {result.exception}"
        if code not in (0, 2):
            return code, f"exit {code}: {result.stderr[-500:]}"
        if "Traceback" in result.stdout + result.stderr:
            return code, "printed a traceback: " + result.stderr[-500:]
        written = {
            path
            for path, stamp in _tree(outer).items()
            if before.get(path) != stamp and not path.startswith(os.path.join("svc", ".fn"))
        }
        if written:
            return code, f"wrote outside .fn/: {sorted(written)}"
    return code, None
