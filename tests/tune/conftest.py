"""`fn tune` tests run the real CLI against the Lambda invoke double in front of the moto server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import HELLO_HANDLER, free_port
from tests.tune.lambda_double import LambdaInvokeDouble

SERVICE = """\
service: demo
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler.hello
    memorySize: 1024
"""


@pytest.fixture
def double(moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaInvokeDouble]:
    served = LambdaInvokeDouble(moto.endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.endpoint)
    # The Price List API is unreachable, as offline: the built-in us-east-1 prices are used.
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{free_port()}")
    yield served
    served.stop()


@pytest.fixture
def deployed(double, project):
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE)
    result = project.fn("deploy", "--yes")
    assert result.exit_code == 0, result.stderr
    return project
