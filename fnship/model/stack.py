"""The companion stack as desired state, and the values it decides turned into references to it. Pure.

- `stack_resource`: `resources:` (manifest.types.CompanionStack) as the `stack` resource: its template with an
  output for every value fnship reads from it (manifest/intrinsics.py), its parameters (what the template asks of
  fnship's own resources: a function's name or ARN, a role, an API id, a log group), tagged as everything fnship
  makes, and depending on what those parameters name, so that exists first.
- `refer_to_stack`: every `${stack:<key>}` in the desired resources (a StackValue, or a string built from one)
  becomes a `Ref` to the stack's attribute; the planner shows it as (known after apply) until the stack has it,
  and orders whatever uses it after the stack (plan/steps.py follows references).
- `refuse_cycles`: the stack needing a resource that needs the stack is an input error naming both ends.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from fnship.arns import partition
from fnship.errors import Diagnostic, InputError
from fnship.manifest.intrinsics import MARKED, OUTPUT_PREFIX, StackValue
from fnship.manifest.loader import dotted
from fnship.manifest.types import Manifest, Value
from fnship.model import names
from fnship.model.address import Address
from fnship.model.resources import Ref, Resource, Spec, ownership_tags, refs_in

if TYPE_CHECKING:
    from fnship.manifest.resources import FnshipReference

OUTPUT_DESCRIPTION = "fnship reads this value"


def stack_attribute(value: StackValue, template: Mapping[str, Value]) -> str:
    """Where the deployed stack holds `value`: a `Ref` to one of its resources is that resource's physical id
    (`ref:<LogicalId>`), anything else an output fnship adds (`output:Fnship<digest>`)."""
    key = value.key
    resources = template.get("Resources")
    if key.startswith("ref:") and isinstance(resources, dict) and key[4:] in resources:
        return key
    if key.startswith("ref:"):  # a parameter's value: CloudFormation says it through an output
        digest = hashlib.sha256(json.dumps(dict(value.expression), sort_keys=True).encode()).hexdigest()[:16]
        return f"output:{OUTPUT_PREFIX}{digest}"
    return key


def stack_resource(manifest: Manifest, resources: list[Resource], *, account_id: str) -> Resource | None:
    """The `stack` resource, or None when the manifest has no `resources:`."""
    stack = manifest.stack
    if stack is None:
        return None
    template = json.loads(json.dumps(stack.template))  # (a copy, plain JSON as sent)
    outputs = template.setdefault("Outputs", {})
    for value in manifest.stack_values:
        attribute = stack_attribute(value, template)
        if attribute.startswith("output:"):
            outputs[attribute[len("output:") :]] = {"Description": OUTPUT_DESCRIPTION, "Value": dict(value.expression)}
    if not outputs:
        template.pop("Outputs")
    parameters: dict[str, str | Ref] = {}
    depends: list[str] = []
    for parameter, reference in sorted(stack.references.items()):
        passed, address = _fnship_value(manifest, resources, reference, account_id=account_id)
        parameters[parameter] = passed
        if address is not None and address not in depends:
            depends.append(address)
    from fnship.kinds.stack import Stack, stack_name

    return Resource.of(
        Address.stack(),
        stack_name(service=manifest.service, stage=manifest.stage),
        Stack(
            template=template,
            parameters=parameters,
            tags={**manifest.provider.tags, **ownership_tags(manifest.service, manifest.stage)},
        ),
        depends_on=depends,
    )


def _fnship_value(
    manifest: Manifest, resources: list[Resource], reference: FnshipReference, *, account_id: str
) -> tuple[str | Ref, str | None]:
    """(the parameter's value, the address of the resource it names) for a reference from `resources:` to what
    fnship creates (manifest/resources.py FnshipReference)."""
    from fnship.manifest.resources import owned_kind

    region = manifest.region
    by_address = {resource.address: resource for resource in resources}
    found = owned_kind(reference.logical_id, manifest.functions)
    assert found is not None, reference  # (manifest/resources.py passes only these)
    kind, key = found

    def refuse(message: str, hint: str) -> InputError:
        where = reference.path
        return InputError(Diagnostic(message, key=dotted(where), location=manifest.locate(where), hint=hint))

    arn = reference.attribute == "Arn"
    if kind == "function" and key is not None:
        name = manifest.functions[key].name
        value = names.function_arn(region=region, account_id=account_id, function_name=name) if arn else name
        return value, Address.function(key)
    if kind == "log_group" and key is not None:
        name = manifest.functions[key].name
        if arn:
            return names.log_group_arn(region=region, account_id=account_id, function_name=name), Address.log_group(key)
        return names.log_group_name(name), Address.log_group(key)
    if kind == "role":
        roles = [resource for resource in resources if resource.kind == "role"]
        if len(roles) != 1:
            made = ", ".join(r.address for r in roles) or "none (every function names its own role ARN)"
            raise refuse(f"{reference.logical_id} names the execution role, and fnship makes {len(roles)} here: {made}",
                         "set provider.iam.role.mode: shared for one role, or write the role's ARN")  # fmt: skip
        role = roles[0]
        path = getattr(role.spec, "path", "/")
        value = names.role_arn(account_id=account_id, path=path, name=role.name, region=region) if arn else role.name
        return value, role.address
    if kind in ("http_api", "rest_api"):
        address = Address.http_api() if kind == "http_api" else Address.rest_api()
        if address not in by_address:
            events = "httpApi" if kind == "http_api" else "http"
            api = "HTTP" if kind == "http_api" else "REST"
            raise refuse(f"{reference.logical_id}: this service has no {api} API (no function has {events} events)",
                         f"add {events} events, or refer to another API")  # fmt: skip
        return Ref(address, "id"), address
    bucket = manifest.provider.deployment_bucket
    if kind == "deployment_bucket" and bucket:
        value = f"arn:{partition(region)}:s3:::{bucket}" if arn else bucket
        return value, None  # (the user's bucket: it exists before the deploy)
    raise refuse(f"{reference.logical_id}: fnship uses no deployment bucket of this service's own",
                 "set provider.deploymentBucket.name, or refer to a bucket of resources:")  # fmt: skip


# -- the values the stack decides ---------------------------------------------------------------------------------


def refer_to_stack(resources: list[Resource], attributes: Mapping[str, str]) -> list[Resource]:
    """Resources with every `${stack:<key>}` in their specs replaced by a Ref to the stack's attribute for that key
    (`attributes`: key -> attribute; see `stack_attribute`)."""

    def convert(value: object) -> object:
        if isinstance(value, str):
            keys = MARKED.findall(value)
            if not keys:
                return value
            assert len(keys) == 1 and keys[0] in attributes, f"a value made of several stack values: {value}"
            head, _, tail = str(value).partition(f"${{stack:{keys[0]}}}")
            return Ref(Address.stack(), attributes[keys[0]], template=f"{head}{{value}}{tail}")
        if isinstance(value, Spec) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            changed = {f.name: convert(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **changed)
        if isinstance(value, Mapping):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(convert(item) for item in value)
        return value

    out = []
    for resource in resources:
        if resource.spec is None or resource.kind == "stack":
            out.append(resource)
            continue
        spec = cast(Spec, convert(resource.spec))  # (convert keeps a spec's type, as resolve_refs does)
        out.append(
            resource if spec == resource.spec and not refs_in(spec) else dataclasses.replace(resource, spec=spec)
        )
    return out


def refuse_cycles(
    resources: list[Resource], locate_use: Callable[[str], Diagnostic | None], locate_need: Callable[[str], str]
) -> None:
    """The stack depends on a resource (a parameter names it) that depends, through what it needs, on the stack:
    an input error naming both ends (`locate_use(address)`: where that resource uses the stack;
    `locate_need(address)`: where the stack names it)."""
    stack = next((r for r in resources if r.kind == "stack"), None)
    if stack is None or not stack.depends_on:
        return
    by_address = {resource.address: resource for resource in resources}

    def needs(address: str) -> list[str]:
        resource = by_address.get(address)
        if resource is None:
            return []
        return [*resource.depends_on, *(ref.address for ref in refs_in(resource.attrs))]

    problems = []
    for start in stack.depends_on:
        seen: set[str] = set()
        path = [start]
        todo = [(start, path)]
        while todo:
            address, trail = todo.pop()
            if address in seen:
                continue
            seen.add(address)
            for need in needs(address):
                if need == Address.stack():
                    use = locate_use(address)
                    message = (f"the stack needs {start} ({locate_need(start)}), which needs the stack: "
                               + " -> ".join([*trail, "stack"]))  # fmt: skip
                    if use is not None:
                        message += f"; {address} uses it at {use.location} {use.key}"
                    hint = "move one of the two ends: a resource of resources: cannot refer to a function (or its " \
                        "role) that reads a value of resources:"  # fmt: skip
                    location = use.location if use else None
                    problems.append(Diagnostic(message, key="resources", location=location, hint=hint))
                    todo = []
                    break
                todo.append((need, [*trail, need]))
    if problems:
        raise InputError(problems)


def with_stack(manifest: Manifest, resources: list[Resource], *, account_id: str) -> list[Resource]:
    """`resources` with the companion stack first and every value it decides referring to it; a cycle through
    the stack refused (see `refuse_cycles`)."""
    stack = manifest.stack
    if stack is None:
        return resources
    attributes = {value.key: stack_attribute(value, stack.template) for value in manifest.stack_values}
    by_key = {value.key: value for value in manifest.stack_values}
    first_use: dict[str, StackValue] = {}  # address -> the first stack value it uses (for a cycle's message)
    for resource in resources:
        for key in MARKED.findall(json.dumps(resource.spec.compared() if resource.spec else {}, default=str)):
            if key in by_key:
                first_use.setdefault(resource.address, by_key[key])
    named: dict[str, FnshipReference] = {}  # address -> the reference of resources: that names it
    for reference in stack.references.values():
        _value, address = _fnship_value(manifest, resources, reference, account_id=account_id)
        if address is not None:
            named.setdefault(address, reference)
    made = stack_resource(manifest, resources, account_id=account_id)
    assert made is not None
    resources = [made, *refer_to_stack(resources, attributes)]

    def locate_use(address: str) -> Diagnostic | None:
        value = first_use.get(address)
        if value is None:
            return None
        return Diagnostic("", key=dotted(value.path), location=manifest.locate(value.path))

    def locate_need(address: str) -> str:
        reference = named.get(address)
        return f"{manifest.locate(reference.path)} {dotted(reference.path)}" if reference else "resources"

    refuse_cycles(resources, locate_use, locate_need)
    return resources
