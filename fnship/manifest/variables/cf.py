"""`${cf:stack.output}` and `${cf(region):stack.output}`: an output of a deployed CloudFormation stack, through the
injected lookups (DescribeStacks, read-only). As in Serverless v3 (sources/instance-dependent/get-cf.js): the
address is `<stack-name>.<output-key>` split at the first dot; a stack or output that does not exist has no value
(a fallback applies). Asked once per stack and region.
"""

from __future__ import annotations

from fnship.manifest import schema
from fnship.manifest.types import KeyPath, Value
from fnship.manifest.variables.core import Missing, Reference, Resolver, VariableError


def resolve(resolver: Resolver, reference: Reference, path: KeyPath) -> Value:
    address = reference.address.strip()
    stack, dot, output = address.partition(".")
    if not stack or not dot or not output:
        raise VariableError(
            f"{reference}: the address must be <stack-name>.<output-key>", "e.g. ${cf:my-stack-dev.ServiceEndpoint}"
        )
    where = resolver.aws_where()
    region = (reference.param or "").strip().strip("'\"")
    if region:
        if not schema.REGION_NAME.match(region):
            raise VariableError(f"{reference}: '{region}' is not an AWS region name", "e.g. ${cf(us-west-2):stack.key}")
        where = {**where, "region": region}
    key = (stack, where["region"])
    if key not in resolver.stack_outputs:
        lookups = resolver.need_lookups(reference)
        if lookups.stack_outputs is None:
            raise VariableError(f"{reference} needs AWS access to resolve")
        finder = lookups.stack_outputs
        resolver.stack_outputs[key] = resolver.call_lookup(reference, lambda: finder(stack, **where))
    outputs = resolver.stack_outputs[key]
    if outputs is None:
        raise Missing(f"stack {stack} does not exist in {where['region']}", "deploy it, or give a default")
    if output not in outputs:
        raise Missing(
            f"stack {stack} has no output {output}",
            "its outputs are: " + (", ".join(sorted(outputs)) or "(none)"),
        )
    return outputs[output]
