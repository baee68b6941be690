"""`fn local start|status|stop` and `--local`: a real emulator process on a free loopback port."""

from __future__ import annotations

import pytest

from tests.conftest import free_port


@pytest.fixture
def local_env(tmp_path_factory):
    env = {
        "FN_LOCAL_PORT": str(free_port()),
        "FN_STATE_DIR": str(tmp_path_factory.mktemp("state")),
        "AWS_ENDPOINT_URL": "",
    }
    yield env


def test_deploy_local_starts_the_emulator_and_deploys_for_real(project, local_env):
    project.write_hello_service()
    env = {k: v for k, v in local_env.items() if v}
    try:
        assert "not running" in project.fn_process("local", "status", env=env).stdout
        deployed = project.fn_process("deploy", "--local", "--yes", env=env)
        assert deployed.exit_code == 0, deployed.stderr
        status = project.fn_process("local", "status", "--json", env=env)
        assert status.json["running"] is True and status.json["endpoint"].endswith(local_env["FN_LOCAL_PORT"])
        info = project.fn_process("info", "--json", env={**env, "FN_LOCAL": "1"})
        assert info.json["functions"][0]["alias_version"] == "1"
        again = project.fn_process("deploy", "--local", "--yes", env=env)
        assert "No changes" in again.stdout
    finally:
        stopped = project.fn_process("local", "stop", env=env)
    assert stopped.exit_code == 0 and "stopped" in stopped.stdout
    assert "not running" in project.fn_process("local", "status", env=env).stdout


def test_local_without_a_running_emulator_says_to_start_it(project, local_env):
    project.write_hello_service()
    env = {k: v for k, v in local_env.items() if v}
    for args, extra in ((("plan", "--local"), {}), (("info",), {"FN_LOCAL": "1"})):
        result = project.fn_process(*args, env={**env, **extra})
        assert result.exit_code == 1, result.stderr
        assert f"the local AWS emulator is not running at http://127.0.0.1:{env['FN_LOCAL_PORT']}" in result.stderr
        assert "`fn local start`" in result.stderr
        assert "Traceback" not in result.stderr and "proxy settings" not in result.stderr
