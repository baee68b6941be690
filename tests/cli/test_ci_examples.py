"""The CI recipes a new user copies: valid YAML, and every `fn` command they run exists with those options."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.yml"))


def fn_invocations(text: str) -> list[list[str]]:
    found = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ").removeprefix("run: ")
        if re.match(r"^fn \w", line):
            command = line.split(">")[0].split("||")[0].split("|")[0]
            found.append(shlex.split(command)[1:])
    return found


def test_there_are_recipes_for_github_and_gitlab():
    assert {p.name for p in EXAMPLES} == {"github-actions.yml", "gitlab-ci.yml"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_recipe_is_valid_yaml_and_its_fn_commands_exist(example):
    import typer.main

    from fnship.cli.app import build_app

    text = example.read_text()
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    root = typer.main.get_command(build_app())
    invocations = fn_invocations(text)
    assert {args[0] for args in invocations} >= {"validate", "plan", "deploy", "rollback"}
    for args in invocations:
        command = root.commands.get(args[0])
        assert command is not None, args
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in args[1:]:
            if word.startswith("-"):
                assert word in options, (example.name, args, word)


def test_github_recipe_uses_oidc_and_posts_the_plan_as_a_job_summary():
    workflow = yaml.safe_load((ROOT / "docs" / "examples" / "github-actions.yml").read_text())
    assert workflow["permissions"] == {}  # nothing by default; each job asks for what it needs
    assert all(job["permissions"] == {"id-token": "write", "contents": "read"} for job in workflow["jobs"].values())
    plan_steps = workflow["jobs"]["plan"]["steps"]
    assert any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials") for s in plan_steps)
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and "--exit-code" in s.get("run", "") for s in plan_steps)
    assert "fn deploy" in str(workflow["jobs"]["deploy"]["steps"]) and "--yes" in str(workflow["jobs"]["deploy"])
    assert workflow["jobs"]["rollback"]["if"] == "github.event_name == 'workflow_dispatch'"
    # Inputs reach scripts through env, never as `${{ inputs.x }}` pasted into them (script injection):
    # https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
    scripts = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "fn rollback" in str(scripts) and not any("${{" in script for script in scripts)


def test_github_recipe_pins_actions_to_commits_and_keeps_no_git_credentials():
    """What zizmor checks in `make lint`, said here too so the reason is in the suite: a tag can be moved to other
    code (pin the commit, name the release in a comment), and a checkout's token must not stay in the workspace."""
    text = (ROOT / "docs" / "examples" / "github-actions.yml").read_text()
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", text)
    assert uses and all(
        re.fullmatch(r"[0-9a-f]{40}", ref) and re.match(r" # v\d", comment) for _a, ref, comment in uses
    )
    workflow = yaml.safe_load(text)
    checkouts = [
        s for job in workflow["jobs"].values() for s in job["steps"] if "actions/checkout@" in s.get("uses", "")
    ]
    assert len(checkouts) == 3 and all(step["with"]["persist-credentials"] is False for step in checkouts)


def documented_policy() -> dict[str, set[str]]:
    """The actions of each statement (by Sid) of the IAM policy docs/ci.md tells a new user to give fnship."""
    text = (ROOT / "docs" / "ci.md").read_text()
    section = text.split("## The permissions fnship needs", 1)[1]
    block = section.split("```json", 1)[1].split("```", 1)[0]
    return {statement["Sid"]: set(statement["Action"]) for statement in json.loads(block)["Statement"]}


def test_the_documented_policy_allows_every_call_plan_and_deploy_make(moto, project):
    """A plan role and a deploy role made from docs/ci.md work on the first run: every AWS call of the read-only
    commands is in `Read`, every call of deploy, rollback and remove in `Read` + `Deploy`."""
    from tests.conftest import HELLO_SERVICE
    from tests.moto_calls import iam_actions

    policy = documented_policy()
    project.write_hello_service()

    def actions_of(*args: str) -> set[str]:
        moto.start_recording()
        result = project.fn(*args)
        records = moto.stop_recording()
        assert result.exit_code == 0, (args, result.stderr)
        return iam_actions(records)

    read: set[str] = actions_of("plan")
    deploy = actions_of("deploy", "--yes")
    read |= actions_of("plan") | actions_of("plan", "--refresh") | actions_of("info") | actions_of("releases")
    read |= actions_of("logs")
    project.write("serverless.yml", HELLO_SERVICE.replace("handler.hello", "handler.world"))
    deploy |= actions_of("deploy", "--yes") | actions_of("rollback", "--yes") | actions_of("remove", "--yes")

    assert {"ssm:GetParameters", "lambda:ListEventSourceMappings", "tag:GetResources"} <= read  # the decoding works
    assert {"lambda:PublishVersion", "ssm:PutParameter", "iam:DeleteRole"} <= deploy
    assert read - policy["Read"] == set()
    assert deploy - policy["Read"] - policy["Deploy"] == set()


def test_each_recipe_plans_with_the_read_only_role_and_deploys_with_the_deploy_role():
    """Pull/merge request pipelines run on their own branch: the deploy role (trusted for main only) would be
    refused there, and must not be handed to them anyway."""
    github = yaml.safe_load((ROOT / "docs" / "examples" / "github-actions.yml").read_text())
    roles = {
        job: step["with"]["role-to-assume"]
        for job, spec in github["jobs"].items()
        for step in spec["steps"]
        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    }
    assert roles == {
        "plan": "${{ vars.AWS_PLAN_ROLE_ARN }}",
        "deploy": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "rollback": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
    }
    gitlab = yaml.safe_load((ROOT / "docs" / "examples" / "gitlab-ci.yml").read_text())
    assert "AWS_ROLE_ARN" not in gitlab["variables"]
    assert {job: gitlab[job]["variables"]["AWS_ROLE_ARN"] for job in ("plan", "deploy", "rollback")} == {
        "plan": "$AWS_PLAN_ROLE_ARN",
        "deploy": "$AWS_DEPLOY_ROLE_ARN",
        "rollback": "$AWS_DEPLOY_ROLE_ARN",
    }
