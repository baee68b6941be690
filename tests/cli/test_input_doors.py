"""Bad input at the other doors than the manifest: each is exit 2 saying what is allowed, never a traceback."""

from __future__ import annotations

import json

import pytest

from fnship.invoke import SYNC_PAYLOAD_LIMIT


def refused(result, *words: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def test_an_event_over_lambdas_synchronous_payload_limit(moto, project):
    project.write_hello_service()
    body = json.dumps({"blob": "x" * SYNC_PAYLOAD_LIMIT})
    (project.root / "big.json").write_text(body)
    refused(
        project.fn("invoke", "--path", "big.json"),
        f"--path big.json: the event is {len(body):,} bytes; Lambda takes at most 6 MB (6,291,456 bytes)",
        "1 MB, 1,048,576 bytes, asynchronous",
    )
    refused(project.fn("invoke", "--data", body), "--data: the event is")
    just_fits = json.dumps({"blob": "x" * (SYNC_PAYLOAD_LIMIT - 20)})
    assert len(just_fits) <= SYNC_PAYLOAD_LIMIT
    assert "the event is" not in project.fn("invoke", "--local", "--data", just_fits).stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "--path event.json: the event is nested too deep"),
        (b'{"name": "caf\xe9"}', "--path event.json:1:14 the file is not UTF-8 text (byte 0xe9) at byte offset 13"),
        (b'{"a": 1,}', "--path event.json: the event is not valid JSON"),
    ],
    ids=["deep", "latin-1", "trailing-comma"],
)
def test_an_event_file_that_is_not_a_json_event(moto, project, content, message):
    project.write_hello_service()
    (project.root / "event.json").write_bytes(content)
    refused(project.fn("invoke", "--path", "event.json"), message)


def test_an_event_file_that_is_a_directory_or_missing(moto, project):
    project.write_hello_service()
    (project.root / "events").mkdir()
    refused(project.fn("invoke", "--path", "events"), "--path events: cannot read the file")
    refused(project.fn("invoke", "--path", "nope.json"), "--path nope.json: no such file")


@pytest.mark.parametrize(
    ("value", "variable"),
    [("notaurl", "AWS_ENDPOINT_URL"), ("http://[::1", "AWS_ENDPOINT_URL"), ("ftp://x", "AWS_ENDPOINT_URL_LAMBDA"),
     ("http://localhost:port", "AWS_ENDPOINT_URL")],
)  # fmt: skip
def test_an_endpoint_url_that_is_not_a_url(moto, project, monkeypatch, value, variable):
    project.write_hello_service()
    monkeypatch.setenv(variable, value)
    refused(project.fn("plan"), f"{variable}: {value!r} is not an endpoint URL", "give http(s)://host[:port]")


def test_a_config_path_that_is_a_directory_or_unreadable(project):
    (project.root / "svc").mkdir()
    refused(project.fn("validate", "-c", "svc"), "svc is a directory", "-c svc/serverless.yml")
    refused(project.fn("validate", "-c", "missing.yml"), "missing.yml: file not found")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--stage", "prod env", "--stage: 'prod env' is not a valid stage name"),
     ("--region", "mars-north-1", "--region: 'mars-north-1' is not an AWS region")],
)  # fmt: skip
def test_a_stage_or_region_aws_would_refuse(project, option, value, message):
    project.write_hello_service()
    refused(project.fn("validate", option, value), message)


def test_a_requirements_file_that_is_not_text(moto, project):
    project.write_hello_service()
    (project.root / "requirements.txt").write_bytes(b"requests==2.32.3\n\x00\x01binary")
    refused(project.fn("package"), "requirements.txt:2:1 the file is binary, not text (control byte 0x00) at byte")


def test_a_pyproject_nested_too_deep(moto, project):
    project.write_hello_service()
    (project.root / "pyproject.toml").write_text("[project]\nname = 'x'\nx = " + "[" * 50_000 + "]" * 50_000 + "\n")
    refused(project.fn("package"), "pyproject.toml", "nested too deep")


@pytest.mark.parametrize("corruption", [b"\xff\xfe not json", b"[1, 2]", b'{"key": 1, "result": "x"}', b"[" * 100_000])
def test_a_corrupted_cache_entry_is_a_miss(project, monkeypatch, corruption):
    """Cache metadata fnship reads back (zip sidecars, image markers) may be cut short or overwritten: a miss."""
    import os

    project.write_hello_service()
    assert project.fn("package").exit_code == 0
    cache = os.environ["FN_CACHE_DIR"]
    sidecars = [os.path.join(d, f) for d, _s, files in os.walk(cache) for f in files if f.endswith(".json")]
    assert sidecars
    for sidecar in sidecars:
        with open(sidecar, "wb") as handle:
            handle.write(corruption)
    again = project.fn("package")
    assert again.exit_code == 0, again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    "index", [b"\xff garbage", b"{}", b'{"manifests": []}', b'{"manifests": [{"digest": "x"}]}', b"[" * 100_000]
)
def test_a_corrupted_image_layout_in_the_cache_is_a_miss(tmp_path, index):
    from fnship.packaging import images

    layout, cache = tmp_path / "layout", tmp_path / "cache"
    layout.mkdir()
    (layout / "index.json").write_bytes(index)
    images._remember(layout, "k" * 64, cache)
    assert images._reuse(layout, "k" * 64, cache) is False


NODE_SERVICE = (
    "service: demo\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: api.handler\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"name": "x", "deps": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
         "package.json:1:122 package.json nests values more than 100 levels deep"),
        (b'{"a": ' * 101 + b"1" + b"}" * 101, "package.json:1:601 package.json nests values more than 100 levels deep"),
        (b'{"name": "caf\xe9"}', "package.json:1:14 the file is not UTF-8 text (byte 0xe9) at byte offset 13"),
        (b'{"name": "x"}\n\x00\x00\x00', "package.json:2:1 the file is binary, not text (control byte 0x00)"),
        (b'{"name": "' + b"x" * (1024 * 1024) + b'"}', "package.json:1:1 the file is larger than 1024 KiB"),
        (b'{"name": "\\"' + b'\\"' * 300_000, "package.json:1:"),  # unterminated: one linear pass, then invalid
        (b'{"name": "[[[[", "main": "]]"\n  "x": 1}', "package.json:2:3 package.json is not valid JSON"),
        (b"[1, 2]", "package.json:1:1 package.json must be a JSON object"),
    ],
    ids=["deep", "deep-objects", "latin-1", "binary", "too-large", "unterminated-escapes", "invalid", "not-object"],
)  # fmt: skip
def test_a_package_json_that_is_not_an_honest_one(project, content, message):
    """package.json is read through the bounded reader with the loader's limits (size, text, depth), before npm."""
    project.write("serverless.yml", NODE_SERVICE)
    project.write("api.mjs", "export const handler = async () => 1;\n")
    (project.root / "package.json").write_bytes(content)
    stderr = refused(project.fn("package"), message)
    assert str(project.root / "package.json") in stderr or "package.json:" in stderr
    assert not list(project.root.glob(".fn/build/**/*.zip"))


@pytest.mark.parametrize("lockfile", ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"])
@pytest.mark.parametrize(
    ("content", "message"),
    [(b"lockfileVersion: '9.0'\n\x00\x01", "2:1 the file is binary, not text (control byte 0x00) at byte offset 23"),
     (b"# yarn lockfile v1\n\xff\xfe", "2:1 the file is not UTF-8 text (byte 0xff) at byte offset 19")],
    ids=["binary", "not-utf8"],
)  # fmt: skip
def test_a_node_lockfile_that_is_not_text(project, lockfile, content, message):
    project.write("serverless.yml", NODE_SERVICE)
    project.write("api.mjs", "export const handler = async () => 1;\n")
    project.write("package.json", '{"name": "svc", "dependencies": {"ms": "2.1.3"}}')
    (project.root / lockfile).write_bytes(content)
    refused(project.fn("package"), f"{lockfile}:{message}")


def test_a_node_lockfile_past_its_size_limit(project, monkeypatch):
    from fnship.packaging import node

    monkeypatch.setattr(node, "LOCKFILE_MAX_BYTES", 1024)  # the real limit is 64 MiB: the same check, smaller file
    project.write("serverless.yml", NODE_SERVICE)
    project.write("api.mjs", "export const handler = async () => 1;\n")
    project.write("package.json", '{"name": "svc", "dependencies": {"ms": "2.1.3"}}')
    (project.root / "package-lock.json").write_text('{"lockfileVersion": 3, "x": "' + "y" * 2000 + '"}')
    refused(project.fn("package"), "package-lock.json:1:1 the file is larger than 1 KiB")


@pytest.mark.parametrize("corruption", [b"\xff\xfe", b"[" * 100_000, b"[1]", b'{"fetched_at": "x"}', b"{}"])
def test_a_corrupted_price_cache_is_read_again_from_the_api(tmp_path, corruption):
    from fnship.cost.prices import PriceBook
    from tests.cost.test_prices import eu_west_1_products

    calls: list[str] = []

    def fetch(region: str):
        calls.append(region)
        return eu_west_1_products()

    PriceBook(fetch=fetch, cache_dir=tmp_path).prices("eu-west-1", "x86_64")
    (cached,) = [path for path in tmp_path.rglob("*") if path.is_file()]
    cached.write_bytes(corruption)
    assert PriceBook(fetch=fetch, cache_dir=tmp_path).prices("eu-west-1", "x86_64").request == 0.0000002
    assert calls == ["eu-west-1", "eu-west-1"]


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"not a pid", b"12ab"])
def test_an_unreadable_emulator_pid_file_is_no_process(tmp_path, monkeypatch, content):
    """`fn local status` / `fn local stop` read the pid file back: cut short or overwritten, it names no process."""
    from tests.conftest import free_port

    monkeypatch.setenv("FN_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("FN_LOCAL_PORT", str(free_port()))  # nothing answers there
    from fnship.local import emulator

    emulator._pid_file().write_bytes(content)
    assert emulator.status().pid is None and not emulator.status().running
    assert emulator.stop() is False
    assert not emulator._pid_file().exists()


@pytest.mark.parametrize("journal", ["not json", "[" * 3000, "[1]", '{"memory": 128}'])  # SSM takes 4 KB
def test_an_unreadable_tuning_journal_is_removed_not_a_crash(moto, journal):
    """`fn tune`'s journal is read back from SSM by the next tune or deploy: unreadable, it is dropped, said."""
    from fnship import tune
    from fnship.aws import Aws
    from fnship.aws.session import Target

    name = tune.journal_name("demo", "dev")
    moto.client("ssm").put_parameter(Name=name, Value=journal, Type="String")
    aws = Aws(Target(region="us-east-1", endpoint_url=moto.endpoint))
    assert tune.cleanup(aws, service="demo", stage="dev", code_for=None) == ["removed an unreadable tuning journal"]
    assert aws.ssm.get_or_none(name) is None
