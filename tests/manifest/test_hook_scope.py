"""Which functions a traffic hook guards: a service-wide hook is not the hook function's own (it would gate its
own release on itself), and a function opts out of a service-wide hook with `null`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fnship.errors import InputError
from fnship.manifest import load_manifest
from fnship.manifest.release import release_settings


def settings_of(tmp_path: Path, text: str):
    path = tmp_path / "serverless.yml"
    path.write_text(textwrap.dedent(text))
    return release_settings(load_manifest(path, env={}))


def test_a_service_wide_hook_guards_every_function_but_itself(tmp_path):
    settings = settings_of(
        tmp_path,
        """\
        service: s
        provider: {name: aws}
        deployment:
          strategy: Canary10Percent5Minutes
          hooks: {preTraffic: check, postTraffic: "arn:aws:lambda:us-east-1:123456789012:function:s-dev-check:live"}
        functions:
          api: {handler: a.b}
          check: {handler: a.b}
        """,
    )
    assert (settings["api"].pre_traffic, settings["api"].post_traffic) == (
        "s-dev-check",
        "arn:aws:lambda:us-east-1:123456789012:function:s-dev-check:live",
    )
    assert (settings["check"].pre_traffic, settings["check"].post_traffic) == (None, None)


def test_the_plugin_s_service_wide_hook_skips_itself_too(tmp_path):
    settings = settings_of(
        tmp_path,
        """\
        service: s
        provider: {name: aws}
        custom:
          deploymentSettings: {type: Linear10PercentEvery1Minute, preTrafficHook: check}
        functions:
          api: {handler: a.b}
          check: {handler: a.b}
        """,
    )
    assert settings["api"].pre_traffic == "s-dev-check" and settings["check"].pre_traffic is None


@pytest.mark.parametrize(
    "opt_out",
    ["deployment: {hooks: {preTraffic: null}}", "deploymentSettings: {preTrafficHook: null}"],
)
def test_a_function_opts_out_of_a_service_wide_hook_with_null(tmp_path, opt_out):
    settings = settings_of(
        tmp_path,
        f"""\
        service: s
        provider: {{name: aws}}
        deployment:
          hooks: {{preTraffic: check, postTraffic: check}}
        functions:
          api: {{handler: a.b}}
          batch:
            handler: a.b
            {opt_out}
          check: {{handler: a.b}}
        """,
    )
    assert settings["api"].pre_traffic == "s-dev-check"
    assert settings["batch"].pre_traffic is None
    assert settings["batch"].post_traffic == "s-dev-check"  # only the hook it opted out of


def test_a_function_cannot_name_itself_as_its_own_hook(tmp_path):
    with pytest.raises(InputError) as caught:
        settings_of(
            tmp_path,
            """\
            service: s
            provider: {name: aws}
            functions:
              check:
                handler: a.b
                deployment: {hooks: {preTraffic: check}}
            """,
        )
    (problem,) = caught.value.diagnostics
    assert (
        str(problem)
        .replace(str(tmp_path) + "/", "")
        .startswith(
            "serverless.yml:6:38 functions.check.deployment.hooks.preTraffic: function check cannot be its own "
            "preTraffic hook"
        )
    )
