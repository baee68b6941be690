"""A deploy cut off at each of its mutating AWS calls converges on a plain re-run with `--wait-lock`, never needing
`fn unlock`.

The cut is a proxy in front of the moto server (tests/faulty_proxy.py) that, from the Nth mutating request on,
refuses every one as AWS does once credentials expire (ExpiredToken) or a role loses its rights (AccessDenied),
or drops the connection as a lost network does (the Nth request is applied but its answer lost, the later ones
never arrive). Every crash point is cut both ways: refused, and dropped. The lock's release is refused or dropped
like every other write, so the lease stays behind. The lease is made zero seconds long for the test (time
injected: a real one ends within lock.LEASE_S, which tests/test_lock.py checks on a fake clock), so the re-run
finds it ended and takes it over.

Fast and deterministic: one moto server (the session's, reset between points), one proxy, every `fn` run
in-process; no sleeps. The cut runs try each call once (AWS_MAX_ATTEMPTS=1): botocore would retry a dropped
call after a random back-off, and the proxy drops the retries too, so retrying changes nothing but the time.
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
UNLOCK = "fn unlock -c serverless.yml --stage dev --region us-east-1 --yes"


@pytest.fixture
def proxied(moto, monkeypatch):
    with FaultyProxy(moto.endpoint) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        yield proxy


def expected(cut: int, fault: str, last: int) -> dict[str, object]:
    """What a deploy cut at the `cut`th of `last` mutating calls leaves: its exit code, whether it says its release
    failed, and whether the re-run takes over a lease left behind. The lock is the first call (PutParameter), the
    deploy record written before its release the one before last, and the release the last (DeleteParameter).
    Refused, the cut call was not done; dropped, it was (its answer lost)."""
    done = cut if fault == "drop" else cut - 1  # calls that reached AWS
    lease_left = 1 <= done < last  # the lease was created and never deleted
    return {
        # Cut at the record or the release, the deploy itself is done (a record not written vouches for nothing).
        "exit_code": 1 if cut < last - 1 else 0,
        # It knew it held the lock (its creation was answered) and then could not delete it.
        "says_release_failed": cut > 1 and lease_left,
        # A re-run takes the lock, over the lease left behind, unless the record says all was done (with no
        # record to vouch, a `--yes` deploy plans under the lock, and writes the record even with nothing to do).
        "takes_over": lease_left and done < last - 1,
    }


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
    assert len(calls) == 14  # lock, record marked, log group + retention, role + policy, function, version,
    # alias, permission, rule + target, record, unlock

    converged = []
    for cut in range(1, len(calls) + 1):
        for fault in (("expired", "denied")[cut % 2], "drop"):
            moto.reset()
            want = expected(cut, fault, len(calls))
            proxied.arm(cut, fault)
            cut_short = project.fn("deploy", "--yes", env={"AWS_MAX_ATTEMPTS": "1"})
            where = (cut, calls[cut - 1], fault)
            assert proxied.refused, (where, "the cut was never reached")
            assert "Traceback" not in cut_short.stderr and "unexpected" not in cut_short.stderr, (where, cut_short)
            assert cut_short.exit_code == want["exit_code"], (where, cut_short.stderr)
            if want["says_release_failed"]:  # the lease was taken, and its release refused like every write
                assert "could not release the deploy lock" in cut_short.stderr, (where, cut_short.stderr)
                assert UNLOCK in cut_short.stderr, (where, cut_short.stderr)
            else:
                assert "could not release" not in cut_short.stderr, (where, cut_short.stderr)

            proxied.arm(None)
            rerun = project.fn("deploy", "--yes", "--wait-lock", "300")
            assert rerun.exit_code == 0, (where, rerun.stderr)
            assert ("Took over the deploy lock: the lease of" in rerun.stderr) == want["takes_over"], (where, rerun)
            check = project.fn("plan", "--exit-code")
            assert check.exit_code == 0, (where, check.stdout)  # nothing left to do: converged
            leases = moto.client("ssm").get_parameters_by_path(Path="/fnship/")["Parameters"]
            assert all(lock.parse(p["Value"]).expires <= time.time() for p in leases), where  # none live
            converged.append(where)

    assert len(converged) == 2 * len(calls)
    print(f"\n{len(converged)} crash points converged: " + ", ".join(f"{n}:{a}:{f}" for n, a, f in converged))
