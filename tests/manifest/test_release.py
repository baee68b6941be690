"""Release settings from `deployment:` and the canary plugin's `deploymentSettings`: precedence and diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.manifest import load_manifest
from fnship.manifest.release import release_settings


def load(tmp_path: Path, text: str):
    path = tmp_path / "serverless.yml"
    path.write_text(textwrap.dedent(text))
    return load_manifest(path, env={})


def problems(tmp_path: Path, text: str, **kwargs) -> list[str]:
    with pytest.raises(InputError) as caught:
        release_settings(load(tmp_path, text), **kwargs)
    return [str(d).split("\n")[0].replace(str(tmp_path) + "/", "") for d in caught.value.diagnostics]


def test_defaults(tmp_path):
    settings = release_settings(load(tmp_path, "service: s\nprovider: {name: aws}\nfunctions: {api: {handler: a.b}}\n"))
    api = settings["api"]
    assert (api.strategy_text, api.alias, api.alarms, api.keep_versions) == ("AllAtOnce", "live", (), 10)
    assert (api.pre_traffic, api.post_traffic, api.provisioned_concurrency) == (None, None, None)


def test_precedence_service_plugin_function_and_cli(tmp_path):
    manifest = load(
        tmp_path,
        """\
        service: s
        provider: {name: aws}
        plugins: [serverless-plugin-canary-deployments]
        custom:
          deploymentSettings:
            type: Linear10PercentEvery1Minute
            alias: Live
            alarms: [plugin-alarm]
        deployment:
          strategy: Canary10Percent5Minutes
          keepVersions: 3
          hooks: {preTraffic: check}
        functions:
          api:
            handler: a.b
            provisionedConcurrency: 4
            deploymentSettings:
              type: Canary10Percent30Minutes
              postTrafficHook: check
              triggers: [ignored]
          worker:
            handler: a.b
            deployment:
              strategy: linear 20% every 30s
              alarms: [worker-errors]
              hooks: {postTraffic: "arn:aws:lambda:us-east-1:123456789012:function:external"}
          check:
            handler: a.b
        """,
    )
    settings = release_settings(manifest)
    api, worker = settings["api"], settings["worker"]
    assert api.strategy_text == "Canary10Percent30Minutes"  # function plugin settings beat service deployment
    assert api.alias == "Live" and api.alarms == ("plugin-alarm",) and api.keep_versions == 3
    assert (api.pre_traffic, api.post_traffic) == ("s-dev-check", "s-dev-check")
    assert api.provisioned_concurrency == 4
    assert worker.strategy_text == "linear 20% every 30s" and worker.alarms == ("worker-errors",)
    assert worker.post_traffic == "arn:aws:lambda:us-east-1:123456789012:function:external"
    assert settings["check"].strategy_text == "Canary10Percent5Minutes"
    overridden = release_settings(manifest, strategy="AllAtOnce")
    assert {s.strategy_text for s in overridden.values()} == {"AllAtOnce"}


def test_every_problem_with_file_line_and_key(tmp_path):
    found = problems(
        tmp_path,
        """\
        service: s
        provider: {name: aws}
        deployment:
          strategy: Canary5Percent
          keepVersions: 0
          shift: fast
        functions:
          api:
            handler: a.b
            provisionedConcurrency: -1
            deployment:
              alarms: errors
              hooks: {preTraffic: nope, during: x}
        """,
    )
    assert sorted(found) == sorted(
        [
            "serverless.yml:6:10 deployment.shift: unknown key",
            "serverless.yml:4:13 deployment.strategy: unknown strategy 'Canary5Percent'; use one of AllAtOnce, "
            "Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes, Canary10Percent30Minutes, "
            "Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, Linear10PercentEvery3Minutes, "
            "Linear10PercentEvery10Minutes, or 'canary 25% 90s', 'linear 20% every 30s'",
            "serverless.yml:13:41 functions.api.deployment.hooks.during: unknown hook",
            "serverless.yml:12:15 functions.api.deployment.alarms: must be a list of CloudWatch alarm names (or !Ref "
            "to alarms of resources:)",
            "serverless.yml:5:17 deployment.keepVersions: 0 must be a whole number of at least 1",
            "serverless.yml:10:29 functions.api.provisionedConcurrency: -1 must be a whole number >= 0",
            "serverless.yml:13:27 functions.api.deployment.hooks.preTraffic: 'nope' is not a function of this service",
        ]
    )


def test_bad_cli_strategy_names_the_option(tmp_path):
    found = problems(tmp_path, "service: s\nprovider: {name: aws}\nfunctions: {api: {handler: a.b}}\n", strategy="x")
    assert found[0].startswith("--strategy: unknown strategy 'x'")


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("prod.v2", "'prod.v2' is not a valid alias name"),  # AWS would refuse it mid-deploy
        ("my live", "'my live' is not a valid alias name"),
        ("'2024'", "'2024' is not a valid alias name"),
        ("x" * 129, f"'{'x' * 129}' is not a valid alias name"),
        ("$LATEST", "'$LATEST' is reserved by Lambda"),
    ],
)
def test_alias_names_lambda_refuses(tmp_path, alias, message):
    found = problems(
        tmp_path,
        f"service: s\nprovider: {{name: aws}}\ndeployment:\n  alias: {alias}\nfunctions: {{api: {{handler: a.b}}}}\n",
    )
    assert found == [f"serverless.yml:4:10 deployment.alias: {message}"]


def test_alias_names_lambda_accepts(tmp_path):
    text = "service: s\nprovider: {name: aws}\ndeployment:\n  alias: Prod_v2-blue\nfunctions: {api: {handler: a.b}}\n"
    assert release_settings(load(tmp_path, text))["api"].alias == "Prod_v2-blue"
