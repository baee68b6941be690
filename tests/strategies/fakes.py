"""An in-memory double of fnship's own AWS adapter (`aws.lambda_`, `aws.cloudwatch`), for what moto lacks:
provisioned concurrency and a RevisionId that is enforced. It behaves as the AWS documentation says:

- UpdateAlias with a RevisionId that is not the alias's current one fails with PreconditionFailedException
  (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html), and every update makes a new RevisionId.
- An alias's RoutingConfig holds at most one additional version, never the primary one
  (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
- Provisioned concurrency cannot be configured on an alias with weights, and an alias with provisioned
  concurrency cannot take weights (https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from fnship.errors import AwsError

_revisions = itertools.count(1)


@dataclass
class FakeAlias:
    version: str
    weights: dict[str, float] = field(default_factory=dict)
    revision: str = field(default_factory=lambda: f"rev-{next(_revisions)}")
    description: str = ""
    provisioned: int | None = None


class FakeLambda:
    def __init__(self) -> None:
        self.aliases: dict[tuple[str, str], FakeAlias] = {}
        self.versions: dict[str, list[str]] = {}
        self.hooks: dict[str, tuple[str | None, bytes]] = {}  # function -> (FunctionError, payload)
        self.invocations: list[tuple[str, dict]] = []
        self.calls: list[tuple] = []

    def add(self, function: str, *, versions: int, alias: str = "live", serving: str = "1", **extra) -> FakeAlias:
        self.versions[function] = [str(n) for n in range(1, versions + 1)]
        self.aliases[(function, alias)] = FakeAlias(serving, **extra)
        return self.aliases[(function, alias)]

    def _fail(self, function, alias, action, code, detail):
        raise AwsError(resource=f"alias {function}:{alias}", action=action, code=code, detail=detail)

    def set_alias_version(self, function, alias, *, version, weights=None, revision_id=None, description=None):
        current = self.aliases[(function, alias)]
        weights = dict(weights or {})
        self.calls.append(("UpdateAlias", function, version, weights, revision_id))
        if revision_id is not None and revision_id != current.revision:
            self._fail(function, alias, "UpdateAlias", "PreconditionFailedException", "wrong RevisionId")
        if len(weights) > 1 or version in weights:
            self._fail(function, alias, "UpdateAlias", "InvalidParameterValueException", "bad RoutingConfig")
        if weights and current.provisioned:
            self._fail(function, alias, "UpdateAlias", "InvalidParameterValueException", "provisioned concurrency")
        current.version, current.weights = version, weights
        if description is not None:
            current.description = description
        current.revision = f"rev-{next(_revisions)}"
        return {"FunctionVersion": version, "RevisionId": current.revision}

    def set_alias_description(self, function, alias, description):
        self.aliases[(function, alias)].description = description

    def put_provisioned_concurrency(self, function, qualifier, count):
        self.calls.append(("PutProvisionedConcurrencyConfig", function, count))
        current = self.aliases[(function, qualifier)]
        if current.weights:
            action = "PutProvisionedConcurrencyConfig"
            self._fail(function, qualifier, action, "InvalidParameterValueException", "alias has weights")
        current.provisioned = count

    def delete_provisioned_concurrency(self, function, qualifier):
        self.calls.append(("DeleteProvisionedConcurrencyConfig", function))
        self.aliases[(function, qualifier)].provisioned = None

    def invoke_sync(self, name, payload):
        self.invocations.append((name, json.loads(payload)))
        return self.hooks.get(name, (None, b"true"))

    def list_versions(self, function):
        return [{"Version": "$LATEST"}] + [{"Version": v} for v in self.versions[function]]

    def list_aliases(self, function):
        return [
            {"Name": name, "FunctionVersion": a.version, "RoutingConfig": {"AdditionalVersionWeights": a.weights}}
            for (fn, name), a in self.aliases.items()
            if fn == function
        ]

    def delete_version(self, function, version):
        self.versions[function].remove(version)


class FakeCloudWatch:
    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.created: list[str] = []
        self.deleted: list[str] = []

    def alarm_states(self, names):
        return {name: self.states.get(name) for name in names}

    def alarm_names(self, prefix):
        return [name for name in self.states if name.startswith(prefix)]

    def put_version_errors_alarm(self, name, *, function, alias, version, tags):
        self.created.append(name)
        self.states[name] = "OK"

    def delete_alarms(self, names):
        for name in names:
            self.deleted.append(name)
            self.states.pop(name, None)


class FakeAws:
    def __init__(self) -> None:
        self.lambda_ = FakeLambda()
        self.cloudwatch = FakeCloudWatch()


class FakeClock:
    """`clock` and `sleep` for the shifter: sleeping moves time; `on_sleep` lets a test act mid-shift."""

    def __init__(self, on_sleep=None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(len(self.sleeps))
