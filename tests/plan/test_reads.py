"""How live state is read, from the requests the moto server received: discovery runs once per command (the
re-plan under the deploy lock reads again without discovering again), nothing lists the whole account to find the
service's own, and an unchanged service costs a fixed number of calls per function."""

from __future__ import annotations

from collections import Counter

from fnship.paths import default_cache_dir
from tests.conftest import HELLO_HANDLER
from tests.moto_calls import action_of

SERVICE = """\
service: reads
provider:
  name: aws
  runtime: python3.12
functions:
{functions}
"""


def write_service(project, count: int, *, memory: int = 128) -> None:
    functions = "\n".join(f"  f{i}:\n    handler: handler.hello\n    memorySize: {memory}" for i in range(count))
    project.write("handler.py", HELLO_HANDLER)
    project.write("serverless.yml", SERVICE.format(functions=functions))


def actions_during(moto, action) -> Counter[str]:
    moto.start_recording()
    action()
    return Counter(action_of(record) for record in moto.stop_recording() if "/moto-api/" not in record["url"])


def deployed(project, *args: str) -> None:
    result = project.fn("deploy", "--yes", *args)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_deploy_with_changes_discovers_once_and_lists_nothing_account_wide(moto, project):
    write_service(project, 2)
    deployed(project)
    write_service(project, 2, memory=256)  # a change: the deploy takes the lock and checks its plan under it
    calls = actions_during(moto, lambda: deployed(project))
    assert calls["PUT /2015-03-31/functions/reads-dev-f0/configuration"] == 1  # it applied
    # The plan is not read again under the lock (no one took the lock since it read the deploy record: see
    # fnship/deploy_record.py), and the roles under the service's IAM path are not even listed once: the desired
    # resources are the ones the record's inventory names (a memory change moves none). The account's APIs and
    # layers are never listed (APIs are read by the ids the tags and policies name, layers by the registry's names).
    assert calls["ListRoles"] == 0
    assert calls["GET /v2/apis"] == calls["GET /restapis"] == calls["GET /2018-10-31/layers"] == 0
    assert calls["GetResources"] == 1
    # Nothing lists every function or mapping of the account (mappings are asked per alias); log groups are asked
    # by name, in one call.
    assert calls["GET /2015-03-31/functions/"] == 0
    assert calls["DescribeLogGroups"] == 1


def test_an_unchanged_service_costs_the_same_calls_per_function_whatever_its_size(moto, project):
    def plan_calls(count: int) -> Counter[str]:
        moto.reset()
        write_service(project, count)
        deployed(project)
        result = []
        calls = actions_during(moto, lambda: result.append(project.fn("plan")))
        assert result[0].exit_code == 0 and "No changes" in result[0].stdout, result[0].stdout
        return calls

    one, three = plan_calls(1), plan_calls(3)
    per_function = {action: (three[action] - one[action]) / 2 for action in three}
    # What is read once for the whole service stays once; what is read per function grows by the same amount.
    assert {a: n for a, n in per_function.items() if n == 0} == {a: 0 for a in three if three[a] == one[a]}
    assert all(three[action] == one[action] + 2 * n for action, n in per_function.items())
    assert sum(per_function.values()) <= 12
    assert one["GetResources"] == three["GetResources"] == 1
    assert one["DescribeLogGroups"] == three["DescribeLogGroups"] == 1


def test_info_of_a_service_without_api_events_reads_no_policy_to_find_apis(moto, project):
    """The APIs' ids come from the tagging answer, else from the policies of the functions with API events: a
    service without any reads neither a policy nor the account's APIs for `fn info`."""
    write_service(project, 3)
    deployed(project)
    results = []
    calls = actions_during(moto, lambda: results.append(project.fn("info")))
    assert results[0].exit_code == 0, results[0].stderr
    assert not [action for action in calls if action.endswith("/policy")]
    assert calls["GET /v2/apis"] == calls["GET /restapis"] == 0


def test_the_account_id_is_asked_once_per_machine_and_credentials(moto, project):
    """GetCallerIdentity is asked, in the plan's first round, only by a command on a machine that has not seen the
    credentials (fnship's cache remembers their account): a first deploy, and nothing after it."""
    write_service(project, 1)
    first = actions_during(moto, lambda: deployed(project))
    assert first["GetCallerIdentity"] == 1
    write_service(project, 1, memory=256)
    changed = actions_during(moto, lambda: deployed(project))
    assert changed["PUT /2015-03-31/functions/reads-dev-f0/configuration"] == 1
    assert changed["GetCallerIdentity"] == 0
    results = []
    planned = actions_during(moto, lambda: results.append(project.fn("plan")))
    assert "No changes" in results[0].stdout
    assert planned["GetCallerIdentity"] == 0
    (default_cache_dir() / "accounts.json").unlink()  # another machine, or a cleared cache
    asked_again = actions_during(moto, lambda: results.append(project.fn("plan")))
    assert asked_again["GetCallerIdentity"] == 1
    assert actions_during(moto, lambda: results.append(project.fn("plan")))["GetCallerIdentity"] == 0
