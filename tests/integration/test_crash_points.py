"""A deploy cut off at each of its mutating AWS calls converges on a plain re-run with `--wait-lock`, never needing
`fn unlock`.

The cut is a proxy in front of the moto server (tests/faulty_proxy.py) that refuses the Nth mutating request and
every one after it, as AWS does once credentials expire (ExpiredToken) or a role loses its rights (AccessDenied),
or drops the connection as a lost network does: the lock's release is refused like every other write, so the
lease stays behind. The lease is made zero seconds long for the test (time injected: a real one ends within
lock.LEASE_S, which tests/test_lock.py checks on a fake clock), so the re-run finds it ended and takes it over.
"""

from __future__ import annotations

import time

import pytest

from fnship import lock
from tests.faulty_proxy import FaultyProxy

SERVICE = """\
service: crash
provider:
  name: aws
  runtime: python3.12
  logRetentionInDays: 7
functions:
  hello:
    handler: handler.hello
    events:
      - schedule: rate(1 hour)
"""


@pytest.fixture
def proxied(moto, monkeypatch):
    with FaultyProxy(moto.endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        yield proxy


def test_a_deploy_cut_at_each_mutating_call_converges_on_a_plain_rerun(moto, proxied, project, monkeypatch):
    monkeypatch.setattr(lock, "LEASE_S", 0.0)
    monkeypatch.setattr(lock, "RELEASE_BACKOFF_S", 0.0)
    project.write_hello_service()
    project.write("serverless.yml", SERVICE)

    proxied.arm(None)
    first = project.fn("deploy", "--yes")
    assert first.exit_code == 0, first.stderr
    calls = list(proxied.mutating)
    assert calls[0] == "PutParameter" and calls[-1] == "DeleteParameter"  # the lock, taken and released
    assert len(calls) == 12  # lock, log group + retention, role + policy, function, version, alias, permission,
    # rule + target, unlock

    converged = []
    for cut in range(1, len(calls) + 1):
        moto.reset()
        # A dropped connection is retried by botocore with backoff (seconds per call): once, where nothing follows.
        fault = "drop" if cut == 1 else ("expired", "denied")[cut % 2]
        proxied.arm(cut, fault)
        cut_short = project.fn("deploy", "--yes")
        assert "Traceback" not in cut_short.stderr and "unexpected" not in cut_short.stderr, (cut, cut_short.stderr)
        # Cut at the release itself, the deploy is done (exit 0) and only the lease stays behind.
        assert cut_short.exit_code == (1 if cut < len(calls) else 0), (cut, fault, cut_short.stderr)
        if cut > 1:  # the lease was taken, and its release refused like every write after the cut
            assert "could not release the deploy lock" in cut_short.stderr, (cut, cut_short.stderr)
            assert "fn unlock -c serverless.yml --stage dev --region us-east-1 --yes" in cut_short.stderr

        proxied.arm(None)
        rerun = project.fn("deploy", "--yes", "--wait-lock", "300")
        assert rerun.exit_code == 0, (cut, fault, rerun.stderr)
        if 1 < cut < len(calls):  # (after a cut at the release there is nothing to apply: no lock is taken)
            assert "Took over the deploy lock: the lease of" in rerun.stderr, (cut, rerun.stderr)
        check = project.fn("plan", "--exit-code")
        assert check.exit_code == 0, (cut, fault, check.stdout)  # nothing left to do: converged
        left = [
            lock.parse(p["Value"]) for p in moto.client("ssm").get_parameters_by_path(Path="/fnship/")["Parameters"]
        ]
        assert all(lease.expires <= time.time() for lease in left)  # no live lease: the next deploy goes ahead
        converged.append((cut, calls[cut - 1], fault))

    assert len(converged) == len(calls)
    print(f"\n{len(converged)} crash points converged: " + ", ".join(f"{n}:{a}:{f}" for n, a, f in converged))
