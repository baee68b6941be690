"""Shared fixtures: a real moto server over HTTP (our AWS), reset between tests, and ways to run `fn`.

See ../shared/TESTING.md: never patch boto3; point the real CLI at the server with AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"

# moto's request recorder reads these when moto is first imported, which a test module may do before the moto_server
# fixture runs (tests/local/test_streams.py imports moto's backends): set them before any test module is imported,
# or the recorder writes to a path relative to whatever directory a CLI run changed to, and records nothing there.
os.environ.setdefault("MOTO_ENABLE_RECORDING", "true")
os.environ.setdefault("MOTO_RECORDER_FILEPATH", os.path.join(tempfile.mkdtemp(prefix="fnship-moto-"), "recording"))


def free_port() -> int:
    """A loopback port nothing listens on (for a server of a test's own, or to stand for a stopped one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Moto:
    endpoint: str

    @property
    def port(self) -> str:
        """The server's port, as FN_LOCAL_PORT takes it (the emulator `--local` uses)."""
        return self.endpoint.rsplit(":", 1)[1]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def client(self, service: str, *, retries: int = 2):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": retries}),
        )

    def start_recording(self) -> None:
        for action in ("reset-recording", "start-recording"):
            urllib.request.urlopen(
                urllib.request.Request(f"{self.endpoint}/moto-api/recorder/{action}", method="POST"), timeout=10
            ).read()

    def stop_recording(self) -> list[dict]:
        """The requests moto received since start_recording: one dict per request (method, url, body)."""
        urllib.request.urlopen(
            urllib.request.Request(f"{self.endpoint}/moto-api/recorder/stop-recording", method="POST"), timeout=10
        ).read()
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/recorder/download-recording", timeout=10) as response:
            text = response.read().decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def mutating_calls_during(self, action) -> list[str]:
        """Run `action()` and return the mutating AWS actions it sent (empty: it only read)."""
        from tests.moto_calls import mutating_actions

        self.start_recording()
        action()
        return mutating_actions(self.stop_recording())


def _aws_default_method_settings() -> None:
    """Where this moto is not AWS: a REST API stage's method setting made by another setting (execution logging on
    `*/*`) carries API Gateway's default throttle, 5000 burst and 10000 requests per second, as GetStage answers on
    AWS (moto filled in 2000 and 1000, which read back as a throttle the manifest never set)."""
    from moto.apigateway.models import Stage

    defaults = Stage._get_default_method_settings

    def aws_defaults(self: Stage) -> dict[str, object]:
        return {**defaults(self), "throttlingBurstLimit": 5000, "throttlingRateLimit": 10000.0}

    Stage._get_default_method_settings = aws_defaults  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Moto]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # (MOTO_ENABLE_RECORDING and MOTO_RECORDER_FILEPATH are set when this module is imported, above: the recorder
    # writes relative to the working directory otherwise, which the in-process CLI runs change to the project.)
    from fnship.local.moto_patches import change_set_outputs

    # moto 5.2 gives a stack made or updated through a change set no Outputs (AWS does): fixed as fnship's emulator
    # fixes it, so values the companion stack decides resolve as on AWS (tests/integration/test_companion_stack.py).
    change_set_outputs()
    _aws_default_method_settings()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = Moto(f"http://{host}:{port}")
    # MOTO_ENABLE_RECORDING starts the recorder at once, writing every request (code zips included) to disk until
    # the first stop: record only between start_recording and stop_recording.
    urllib.request.urlopen(
        urllib.request.Request(f"{moto.endpoint}/moto-api/recorder/stop-recording", method="POST"), timeout=10
    ).read()
    yield moto
    server.stop()


@pytest.fixture
def moto(moto_server: Moto, monkeypatch: pytest.MonkeyPatch) -> Moto:
    """A clean moto server, and this process's environment pointed at it (for in-process CLI runs)."""
    moto_server.reset()
    for key, value in aws_env(moto_server.endpoint).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("FN_LOCAL", raising=False)
    return moto_server


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


@dataclass
class Project:
    """A service directory under tmp_path, and `fn` run in it."""

    root: Path

    def write(self, name: str, text: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        return target

    def write_hello_service(self) -> None:
        """The smallest service: `demo` with one function, `hello` (HELLO_HANDLER)."""
        self.write("handler.py", HELLO_HANDLER)
        self.write("serverless.yml", HELLO_SERVICE)

    def fn(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Run `fn` in-process through typer's runner (fast); stdout and stderr kept apart. The app is built as
        `fn` builds it (fnship.cli.app.main): with only the command named first, when it names one."""
        from typer.testing import CliRunner

        from fnship.cli.app import build_app

        runner = CliRunner()
        previous = Path.cwd()
        os.chdir(self.root)
        try:
            result = runner.invoke(build_app(args[0] if args else None), list(args), env=env, catch_exceptions=False)
        finally:
            os.chdir(previous)
        return Result(result.exit_code, result.stdout, result.stderr)

    def fn_process(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
        """Run the real `fn` console script in a subprocess, as a user or CI would."""
        full_env = {**os.environ, **(env or {})}
        completed = subprocess.run(
            [sys.executable, "-m", "fnship", *args],
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


HELLO_SERVICE = """\
service: demo
provider:
  name: aws
functions:
  hello:
    handler: handler.hello
"""

HELLO_HANDLER = """\
def hello(event, context):
    return {"statusCode": 200, "body": "hello"}


def world(event, context):
    return {"statusCode": 200, "body": "world"}
"""


@pytest.fixture(autouse=True)
def _private_build_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own artifact cache (FN_CACHE_DIR), so no test sees another's builds or the user's."""
    monkeypatch.setenv("FN_CACHE_DIR", str(tmp_path_factory.mktemp("fn-cache")))
