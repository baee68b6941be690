"""`cognitoUserPool` events: one of a user pool's Lambda triggers pointing at the alias, and the statement that
lets Cognito invoke it (pinned to the pool). The pool is created and owned by the service, or, with
`existing: true`, found by name and left as it is but for its triggers. Parse, render, sample event in one place.
Pure.

https://www.serverless.com/framework/docs/providers/aws/events/cognito-user-pool
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fnship.jsonvalue import JsonObject
from fnship.kinds.cognito import SENDERS, TRIGGERS, CognitoTrigger, CognitoUserPool, pool_key
from fnship.local.events import Where, stable_id
from fnship.manifest.checks import Checker, show
from fnship.manifest.events.common import EventContext, flag, text_of, want_arn
from fnship.manifest.types import EventSettings, EventSpec, KeyPath, Value
from fnship.model import iam
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource
from fnship.model.triggers.common import Target, permission, slug, trigger_address
from fnship.triggers.base import Shared, TriggerType

COGNITO_KEYS = frozenset({"pool", "trigger", "existing", "forceDeploy", "kmsKeyId"})
# A custom sender decrypts the code Cognito hands it with the pool's key.
# https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-custom-sender-triggers.html
KMS_DECRYPT = ("kms:Decrypt",)
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html
POOL_NAME = re.compile(r"^[\w\s+=,.@-]{1,128}$")
COGNITO = "cognito-idp.amazonaws.com"


@dataclass(frozen=True)
class CognitoEvent(EventSettings):
    pool: str
    trigger: str  # a LambdaConfig key
    existing: bool
    kms_key: str | None = None  # a custom sender's KMS key (kmsKeyId)


def parse_cognito(value: object, path: KeyPath, ctx: EventContext, index: int) -> list[CognitoEvent]:
    check = ctx.check
    raw = check.want_mapping(value, path, what="a mapping (pool, trigger, existing)")
    if raw is None:
        return []
    check.keys(raw, path, COGNITO_KEYS)
    pool = text_of(raw, "pool", path, check)
    if pool is None and raw.get("pool") is None:
        check.error(path, "pool (the user pool's name) is required", at_key=True)
    elif pool is not None and not POOL_NAME.match(pool):
        check.error((*path, "pool"), f"{show(pool)} is not a user pool name (1-128 letters, digits, spaces, +=,.@-)")
        pool = None
    trigger = None
    if raw.get("trigger") is None:
        check.error(path, "trigger is required (PreSignUp, PostConfirmation, ...)", at_key=True)
    else:
        trigger = check.want_choice(raw["trigger"], (*path, "trigger"), TRIGGERS, what="a user pool trigger")
    flag(raw, "forceDeploy", path, check, False)  # v3 re-runs its custom resource; fnship converges every deploy
    kms_key = None
    if raw.get("kmsKeyId") is not None:
        kms_key = want_arn(raw["kmsKeyId"], (*path, "kmsKeyId"), check, services=("kms",), what="KMS key")
        if trigger is not None and trigger not in SENDERS:
            check.error((*path, "kmsKeyId"), f"kmsKeyId is for the custom sender triggers ({', '.join(SENDERS)}) only",
                        "remove it")  # fmt: skip
    elif trigger in SENDERS:
        check.error(path, f"kmsKeyId is required with {trigger}: the KMS key Cognito encrypts the codes with",
                    "give the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", at_key=True)  # fmt: skip
    if pool is None or trigger is None:
        return []
    existing = flag(raw, "existing", path, check, False)
    return [CognitoEvent(pool=pool, trigger=trigger, existing=existing, kms_key=kms_key)]


def check_service(events: list[tuple[str, EventSpec]], check: Checker, _provider: Mapping[str, Value]) -> None:
    """A pool's trigger invokes one function; a pool is either the service's own or an existing one."""
    triggers: dict[tuple[str, str], str] = {}
    existing: dict[str, bool] = {}
    keys: dict[str, str] = {}  # a pool's custom senders' KMS key (LambdaConfig.KMSKeyID: one per pool)
    for key, event in events:
        s = event.settings_as(CognitoEvent)
        where = ("functions", key, "events", event.index, "cognitoUserPool")
        taken = triggers.get((s.pool, s.trigger))
        if taken is not None:
            check.error(where, f"trigger {s.trigger} of user pool {s.pool} is already given to {taken}",
                        "a user pool trigger invokes one function")  # fmt: skip
        triggers.setdefault((s.pool, s.trigger), f"functions.{key}.events.{event.index}")
        if existing.setdefault(s.pool, s.existing) != s.existing:
            check.error(where, f"user pool {s.pool} is `existing: true` in one event and not in another",
                        "give every event on a pool the same `existing`")  # fmt: skip
        if s.kms_key is not None:
            key_of_pool = keys.setdefault(s.pool, s.kms_key)
            if key_of_pool != s.kms_key:
                check.error((*where, "kmsKeyId"), f"user pool {s.pool} has one KMS key for its custom senders: "
                            f"another event gives {key_of_pool}", "give both senders the same kmsKeyId")  # fmt: skip


def name(event: EventSpec) -> str:
    settings = event.settings_as(CognitoEvent)
    return slug(f"{settings.pool}-{settings.trigger}")


def render(target: Target, event: EventSpec, name: str) -> list[Resource]:
    s = event.settings_as(CognitoEvent)
    pool = Address.user_pool(pool_key(s.pool))
    statement = permission(target, "cognitoUserPool", name, principal=COGNITO, source_arn=Ref(pool, "arn"))
    trigger = Resource.of(
        trigger_address(target, "cognitoUserPool", name),
        name,
        CognitoTrigger(pool=s.pool, trigger=s.trigger, target=target.alias_arn, kms_key=s.kms_key),
        depends_on=(target.alias_address, pool, statement.address),
        scope=target.scope("cognitoUserPool", name),
    )
    return [statement, trigger]


def grants(event: EventSpec) -> list[iam.Grant]:
    """A custom sender decrypts what Cognito encrypted with the pool's key: that key only."""
    key = event.settings_as(CognitoEvent).kms_key
    return [(KMS_DECRYPT, key)] if key else []


def shared(events: list[tuple[Target, EventSpec]], _rendered: list[Resource], context: Shared) -> list[Resource]:
    """Each pool the events name: owned (tagged as the service's) or existing."""
    pools: dict[str, bool] = {}
    for _target, event in events:
        settings = event.settings_as(CognitoEvent)
        pools.setdefault(settings.pool, settings.existing)
    return [
        Resource.of(
            Address.user_pool(pool_key(name)),
            name,
            CognitoUserPool(existing=existing, tags={} if existing else dict(context.tags)),
        )
        for name, existing in sorted(pools.items())
    ]


def cognito(where: Where) -> JsonObject:
    """A PreSignUp trigger's event.
    https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html"""
    return {
        "version": "1",
        "region": where.region,
        "userPoolId": f"{where.region}_EXAMPLE1",
        "userName": "jane",
        "callerContext": {"awsSdkVersion": "aws-sdk-js-3.470.0", "clientId": stable_id("cognito-client")[:26]},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email": "jane@example.com"}, "validationData": None},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


TRIGGER = TriggerType(
    parse=parse_cognito,
    name=name,
    render=render,
    grants=grants,
    shared=shared,
    samples={"cognitoUserPool": cognito},
    kinds=("cognito_trigger", "permission", "cognito_user_pool"),
    check_service=check_service,
)
