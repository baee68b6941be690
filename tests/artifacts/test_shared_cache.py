"""The deployment bucket doubles as a build cache shared by CI runners: a runner with an empty local cache
downloads the artifact by its content key instead of installing and zipping."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fnship import pipeline
from fnship.packaging import deps
from tests.packaging.fakes import FakeInstaller


def test_second_runner_reuses_the_artifact_from_the_bucket(moto, project, tmp_path_factory, monkeypatch):
    moto.client("s3").create_bucket(Bucket="team-deploys")
    project.write("handler.py", "def main(e, c):\n    return 1\n")
    project.write("requirements.txt", "requests==2.32.3\n")
    project.write(
        "serverless.yml",
        """\
        service: cached
        provider:
          name: aws
          runtime: python3.11
          deploymentBucket:
            name: team-deploys
        functions:
          api:
            handler: handler.main
        """,
    )
    options = pipeline.Options(config=project.root / "serverless.yml")
    results = []
    for runner in ("a", "b"):
        monkeypatch.setenv("FN_CACHE_DIR", str(tmp_path_factory.mktemp(f"runner-{runner}")))
        fake = FakeInstaller()
        loaded = pipeline.load(options)
        out = Path(tmp_path_factory.mktemp(f"out-{runner}"))
        packaged = pipeline.package_artifacts(loaded, out_dir=out, tools=deps.Tools(runner=fake))
        results.append((packaged.functions["api"], fake.calls))
    (first, first_calls), (second, second_calls) = results
    assert first_calls and not first.cache_hit
    keys = [o["Key"] for o in moto.client("s3").list_objects_v2(Bucket="team-deploys")["Contents"]]
    assert any(k.startswith("fnship/cache/") for k in keys)
    # The second runner, with an empty local cache, installs nothing: the zip comes from the bucket.
    assert second_calls == [] and second.cache_hit
    assert second.sha256_hex == first.sha256_hex
    assert second.path.read_bytes() == first.path.read_bytes()


@pytest.mark.parametrize("bad", ["sometimes"])
def test_use_container_option_is_validated(project, bad):
    project.write("serverless.yml", "service: x\nprovider:\n  name: aws\nfunctions:\n  a:\n    handler: h.main\n")
    result = project.fn("package", "--use-container", bad)
    assert result.exit_code == 2
    assert "--use-container must be auto, always or never" in result.stderr


def test_fn_plan_only_reads_the_shared_cache(moto, project, tmp_path_factory):
    """`fn plan` makes no mutating call at all: it reads the cache on the deployment bucket but never stores
    in it (`fn package` and `fn deploy` do)."""
    moto.client("s3").create_bucket(Bucket="team-deploys")
    project.write("handler.py", "def main(e, c):\n    return 1\n")
    project.write(
        "serverless.yml",
        """\
        service: cached
        provider:
          name: aws
          deploymentBucket: team-deploys
        functions:
          api:
            handler: handler.main
        """,
    )
    outcome = []
    assert moto.mutating_calls_during(lambda: outcome.append(project.fn("plan"))) == []
    assert outcome[0].exit_code == 0, outcome[0].stderr
    assert "Plan:" in outcome[0].stdout
    # The same build from scratch under `fn package` does store it: the plan above had something to store.
    shutil.rmtree(project.root / ".fn")
    fresh = {"FN_CACHE_DIR": str(tmp_path_factory.mktemp("fresh-cache"))}
    stored = moto.mutating_calls_during(lambda: project.fn("package", env=fresh))
    assert stored and all(action.startswith("PUT /team-deploys/fnship/") for action in stored)
