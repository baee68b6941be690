"""The deploy record's encoding (fnship/deploy_record.py): split over SSM's 4 KB parameters and read back whole; a
record that is not one complete writing trusts nothing."""

from __future__ import annotations

from dataclasses import replace

from fnship import deploy_record
from fnship.deploy_record import CHUNK_BYTES, MAX_CHUNKS, Entry, names, parse
from fnship.kinds.alias import Alias
from fnship.kinds.event_source_mapping import QueueMapping
from fnship.kinds.permission import Permission
from fnship.model.resources import Ref, Resource


def functions(count: int) -> dict[str, Entry]:
    return {f"a-rather-long-service-name-prod-function-number-{n}": Entry({"live": str(n)}, f"{n:024x}")
            for n in range(count)}  # fmt: skip


def read(values: dict[str, str], *, version: int = 3) -> deploy_record.Record | None:
    return parse({name: (value, version) for name, value in values.items()}, "svc", "prod")


def test_a_large_record_is_split_over_parameters_within_ssms_limit_and_read_back_whole():
    wanted = functions(150)
    values = deploy_record.encode(wanted, "svc", "prod")
    assert values is not None and len(values) > 1
    assert list(values) == names("svc", "prod")[: len(values)]
    assert all(len(value) <= CHUNK_BYTES for value in values.values())
    record = read(values)
    assert record is not None and record.complete and record.version == 3
    assert record.functions == wanted


def test_chunks_of_another_writing_or_a_missing_one_trust_nothing():
    first = deploy_record.encode(functions(150), "svc", "prod")
    second = deploy_record.encode(functions(150), "svc", "prod")
    assert first is not None and second is not None
    header = names("svc", "prod")[0]
    mixed = {**second, header: first[header]}
    assert read(mixed) == deploy_record.Record(read(first).id, False, version=3)  # type: ignore[union-attr]
    assert not read({header: first[header]}).complete  # type: ignore[union-attr]


def test_an_incomplete_or_unreadable_header_trusts_nothing_and_no_header_is_no_record():
    name, value = deploy_record.incomplete("svc", "prod")
    assert not read({name: value}).complete  # type: ignore[union-attr]
    assert not read({name: "{not json"}).complete  # type: ignore[union-attr]
    assert read({}) is None


def test_a_record_too_large_for_its_parameters_is_not_kept():
    assert deploy_record.encode(functions(MAX_CHUNKS * 60), "svc", "prod") is None


def test_the_digest_covers_what_is_compared_and_refuses_values_known_only_after_apply():
    queue = QueueMapping(
        source_arn="arn:q", function_arn="arn:f:live", batch_size=5, maximum_batching_window=0,
        function_response_types=(), enabled=True, filter_patterns=(), maximum_concurrency=None,
    )  # fmt: skip
    mapping = Resource.of("trigger.api.sqs.q", "arn:q", queue)
    alias = Resource.of("alias.api.live", "live", Alias(release={"memory_size": 128}))
    same = deploy_record.function_digest([mapping, alias])
    assert same is not None
    # An alias's release is recorded by the version it serves, not in the digest; a mapping's settings are.
    moved = Resource.of("alias.api.live", "live", Alias(release={"memory_size": 256}))
    assert deploy_record.function_digest([mapping, moved]) == same
    bigger = Resource.of("trigger.api.sqs.q", "arn:q", replace(queue, batch_size=6))
    assert deploy_record.function_digest([bigger, alias]) != same
    more_provisioned = Resource.of(
        "alias.api.live", "live", Alias(release={"memory_size": 128}, provisioned_concurrency=2)
    )
    assert deploy_record.function_digest([mapping, more_provisioned]) != same
    permission = Permission(
        action="lambda:InvokeFunction", principal="apigateway.amazonaws.com", source_arn=Ref("http_api", "id"),
        source_account=None, function_url_auth_type=None, invoked_via_function_url=False,
    )  # fmt: skip
    pending = Resource.of("permission.api.x", "p", permission)
    assert deploy_record.function_digest([pending]) is None


def test_the_record_is_written_beside_only_alias_steps_the_next_plan_checks():
    """Beside the apply's last round only when every step still running points an alias (no provisioned
    concurrency) at the version this apply published: a plan checks each alias's version through GetFunction
    before it trusts the record, so an alias step that did not complete is read in full next time."""
    from types import SimpleNamespace

    from fnship.model.resources import State
    from fnship.plan.diff import Step

    def plan(**alias_fields) -> SimpleNamespace:
        alias = Resource.of("alias.api.live", "live", Alias(release={}, **alias_fields))
        return SimpleNamespace(
            desired=State("svc", "dev", "us-east-1", (alias,)), live=State("svc", "dev", "us-east-1", ())
        )

    point = Step("alias.set", "alias.api.live")
    published = {"alias.api.live": {"version": "1"}}
    assert deploy_record.may_write_beside(plan(), [point], published)
    assert not deploy_record.may_write_beside(plan(), [point], {})  # its version is not known yet
    assert not deploy_record.may_write_beside(plan(provisioned_concurrency=2), [point], published)
    assert not deploy_record.may_write_beside(plan(), [point, Step("trigger.create", "trigger.api.sqs.q")], published)
    assert not deploy_record.may_write_beside(plan(), [Step("version.publish", "alias.api.live")], published)
