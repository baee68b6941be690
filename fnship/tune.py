"""`fn tune`: measure a deployed function at several memory sizes (and architectures) and say which is best.

For each configuration a version of the function's current code is published (the configuration is set on
`$LATEST` only long enough to publish it, then `$LATEST` is restored), invoked with `LogType=Tail`, and Lambda's
own REPORT numbers are read. Outliers are dropped as AWS Lambda Power Tuning does (a trimmed mean without the
fastest and slowest 20 %, lambda/utils.js `computeAverageDuration`), and the best configuration is chosen by cost,
speed, or a weighted balance of both (Power Tuning's analyzer.js). The live alias is never touched; the versions
published are deleted afterwards. A journal (an SSM parameter next to the deploy lock) records what `$LATEST`
was, so a killed run is undone by the next `fn tune` or `fn deploy`.

The statistics and the choice are pure; AWS is reached through the `fnship.aws` adapters handed in.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from fnship.cost import calc
from fnship.cost.prices import Prices
from fnship.errors import FnError, InputError
from fnship.lock import journal_name

if TYPE_CHECKING:
    from fnship.aws import Aws
    from fnship.aws.lambda_api import FunctionAnswer, FunctionConfiguration, Invocation, LambdaApi
    from fnship.jsonvalue import JsonValue
    from fnship.packaging.artifacts import Artifact
    from fnship.packaging.deps import Tools
    from fnship.pipeline import Loaded

MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
DEFAULT_MEMORY = (128, 256, 512, 1024, 1536, 2048, 3008)
MAX_TOTAL_INVOCATIONS = 2000  # invocations x configurations: a bound on what one run may spend
DISCARD_SHARE = 0.2  # Power Tuning's default discardTopBottom
MAX_PARALLEL = 10
STRATEGIES = ("cost", "speed", "balanced")
VERSION_PREFIX = "fnship tune"
ARCHITECTURES = ("x86_64", "arm64")
# Runtimes Lambda runs on x86_64 only (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html and
# the deprecated runtimes' table): every other runtime runs on both architectures.
X86_ONLY_RUNTIMES = frozenset(
    {"python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x",
     "java8", "go1.x", "ruby2.5", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "provided"}
)  # fmt: skip


# ----------------------------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class Request:
    memory: tuple[int, ...]
    architectures: tuple[str, ...]
    invocations: int
    payload: bytes
    strategy: str = "cost"
    weight: float = 0.5
    parallel: bool = False

    @property
    def configurations(self) -> list[tuple[str, int]]:
        return [(arch, memory) for arch in self.architectures for memory in self.memory]


def parse_memory(text: str) -> tuple[int, ...]:
    """`128,256,512` -> sizes in MB; each a whole number within Lambda's 128-10,240 MB."""
    sizes: list[int] = []
    for part in [p.strip() for p in (text or "").split(",")]:
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not value.is_integer() or not MIN_MEMORY_MB <= value <= MAX_MEMORY_MB:
            raise InputError(
                f"--memory {part!r} is not a memory size Lambda accepts",
                hint=f"give whole numbers of MB from {MIN_MEMORY_MB} to {MAX_MEMORY_MB}, e.g. --memory 256,512,1024",
            )
        if int(value) not in sizes:
            sizes.append(int(value))
    return tuple(sizes)


def parse_architectures(text: str | None, *, runtime: str | None, current: str, image: bool) -> tuple[str, ...]:
    """`x86_64,arm64` -> the architectures to measure (default: the function's own), each one the runtime runs."""
    if not text:
        return (current,)
    wanted: list[str] = []
    for part in [p.strip() for p in text.split(",")]:
        if part not in ARCHITECTURES:
            raise InputError(f"--architecture {part!r} is not a Lambda architecture", hint="use x86_64 or arm64")
        if part == "arm64" and runtime in X86_ONLY_RUNTIMES:
            raise InputError(
                f"--architecture arm64: the runtime {runtime} runs on x86_64 only",
                hint="measure x86_64, or move to a current runtime first",
            )
        if part != current and image:
            raise InputError(
                f"--architecture {part}: the function is a container image built for {current}",
                hint="an image runs on the architecture it was built for; tune its memory only",
            )
        if part not in wanted:
            wanted.append(part)
    return tuple(wanted)


def check_request(request: Request) -> None:
    if request.invocations < 1:
        raise InputError(f"--invocations {request.invocations}: at least 1 invocation per configuration is needed")
    total = request.invocations * len(request.configurations)
    if total > MAX_TOTAL_INVOCATIONS:
        raise InputError(
            f"--invocations {request.invocations} x {len(request.configurations)} configuration(s) = {total} "
            f"invocations, above fnship's bound of {MAX_TOTAL_INVOCATIONS}",
            hint="measure fewer sizes or fewer invocations per size",
        )
    if request.strategy not in STRATEGIES:
        raise InputError(f"--strategy {request.strategy!r} is not one of {', '.join(STRATEGIES)}")
    if not 0.0 <= request.weight <= 1.0:
        raise InputError(
            f"--weight {request.weight} is outside 0..1", hint="0 favours speed only, 1 cost only (balanced strategy)"
        )


# ------------------------------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Sample:
    """One invocation as Lambda's REPORT line tells it."""

    billed_ms: float = 0.0
    duration_ms: float = 0.0
    init_ms: float | None = None  # a cold start's INIT duration
    restore_ms: float | None = None  # SnapStart's restore duration
    error: str | None = None  # "Type: message" of a function error


def sample_of(response: Invocation) -> Sample:
    """A Sample from an Invoke response (LogType=Tail): the REPORT line of the log tail, the function error."""
    from fnship.logs import parse_report

    error = None
    if response.get("FunctionError"):
        try:
            parsed: JsonValue = json.loads(response.get("Payload") or b"null")
        except ValueError:
            parsed = None
        doc = parsed if isinstance(parsed, Mapping) else {}
        error = f"{doc.get('errorType') or response['FunctionError']}: {doc.get('errorMessage') or ''}".strip()
    report_line = next(
        (line for line in (response.get("LogResult") or "").splitlines() if line.startswith("REPORT RequestId")), None
    )
    if report_line is None:
        return Sample(error=error or "no REPORT line in the log tail")
    report = parse_report(report_line)
    return Sample(
        billed_ms=_number(report.get("billed_ms")) or 0.0,
        duration_ms=_number(report.get("duration_ms")) or 0.0,
        init_ms=_number(report.get("init_ms")),
        restore_ms=_number(report.get("restore_ms")),
        error=error,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def trimmed_mean(values: Sequence[float], share: float = DISCARD_SHARE) -> float:
    """The mean without the lowest and highest `share` of the values (Power Tuning's computeAverageDuration)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    drop = int(len(ordered) * share)
    kept = ordered[drop : len(ordered) - drop] if drop else ordered
    return sum(kept) / len(kept)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


class MeasuredDoc(TypedDict):
    """One configuration measured, as `fn tune --json` and the report show it."""

    architecture: str
    memory_size: int
    invocations: int
    errors: int
    average_ms: float
    p90_ms: float
    cold_start_share: float
    init_ms: list[float]
    restore_ms: list[float]
    cost_per_invocation: float | None
    cost_per_million: float | None


class BestDoc(TypedDict):
    memory_size: int
    architecture: str
    average_ms: float
    cost_per_invocation: float | None


class ManifestDoc(TypedDict):
    memory_size: int
    architecture: str


class _OutcomeDoc(TypedDict):
    function: str
    name: str
    strategy: str
    weight: float
    invocations: int
    parallel: bool
    results: list[MeasuredDoc]
    best: BestDoc
    manifest: ManifestDoc
    already_best: bool
    tuning_cost: float | None
    cleaned: list[str]
    notes: list[str]


class OutcomeDoc(_OutcomeDoc, total=False):
    """A tuning run, as `fn tune --json` and the report show it (the command adds the last two)."""

    estimated_tuning_cost: float | None
    report: str


@dataclass
class Measured:
    architecture: str
    memory: int
    version: str | None = None
    samples: list[Sample] = field(default_factory=list)
    prices: Prices | None = None
    ephemeral_mb: int = calc.FREE_EPHEMERAL_MB

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.error is None]

    @property
    def failed(self) -> bool:
        return not self.ok

    @property
    def average_ms(self) -> float:
        return trimmed_mean([s.billed_ms for s in self.ok])

    @property
    def p90_ms(self) -> float:
        return percentile([s.duration_ms for s in self.ok], 90)

    @property
    def cold_share(self) -> float:
        ok = self.ok
        return sum(1 for s in ok if s.init_ms is not None or s.restore_ms is not None) / len(ok) if ok else 0.0

    @property
    def cost(self) -> float | None:
        """Cost of an invocation at the trimmed average billed duration (None: no price for the region)."""
        if self.prices is None:
            return None
        return calc.per_invocation(
            prices=self.prices, memory_mb=self.memory, billed_ms=self.average_ms, ephemeral_mb=self.ephemeral_mb
        )

    @property
    def gb_ms(self) -> float:
        """What duration is billed by, when there is no price to compare in dollars."""
        return self.average_ms * self.memory / 1024.0

    def to_dict(self) -> MeasuredDoc:
        cost = self.cost
        return {
            "architecture": self.architecture,
            "memory_size": self.memory,
            "invocations": len(self.samples),
            "errors": len(self.samples) - len(self.ok),
            "average_ms": round(self.average_ms, 3),
            "p90_ms": round(self.p90_ms, 3),
            "cold_start_share": round(self.cold_share, 4),
            "init_ms": [s.init_ms for s in self.ok if s.init_ms is not None],
            "restore_ms": [s.restore_ms for s in self.ok if s.restore_ms is not None],
            "cost_per_invocation": None if cost is None else round(cost, 12),
            "cost_per_million": None if cost is None else round(cost * 1e6, 6),
        }


def choose(results: Sequence[Measured], *, strategy: str, weight: float = 0.5) -> Measured:
    """The best configuration of those that answered (Power Tuning's analyzer: ties go to the other measure)."""
    candidates = [r for r in results if not r.failed]
    if not candidates:
        raise ValueError("nothing to choose from")
    priced = all(r.cost is not None for r in candidates)

    def cost(r: Measured) -> float:
        return r.cost if priced and r.cost is not None else r.gb_ms

    if strategy == "cost":
        return min(candidates, key=lambda r: (cost(r), r.average_ms))
    if strategy == "speed":
        return min(candidates, key=lambda r: (r.average_ms, cost(r)))
    max_cost = max(cost(r) for r in candidates) or 1.0
    max_ms = max(r.average_ms for r in candidates) or 1.0
    return min(candidates, key=lambda r: weight * cost(r) / max_cost + (1 - weight) * r.average_ms / max_ms)


def tuning_cost_bound(
    request: Request, *, prices_for: Callable[[str], Prices | None], timeout_s: float, ephemeral_mb: int
) -> float | None:
    """What the tuning itself may cost at most: every invocation running to the function's timeout."""
    total = 0.0
    for arch, memory in request.configurations:
        prices = prices_for(arch)
        if prices is None:
            return None
        one = calc.per_invocation(
            prices=prices, memory_mb=memory, billed_ms=timeout_s * 1000, ephemeral_mb=ephemeral_mb
        )
        total += one * request.invocations
    return total


# ------------------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class Target:
    """The deployed function being tuned."""

    service: str
    stage: str
    key: str
    name: str


@dataclass
class Outcome:
    target: Target
    request: Request
    results: list[Measured]
    best: Measured
    current_memory: int
    current_architecture: str
    manifest_memory: int
    manifest_architecture: str
    notes: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)

    def to_dict(self) -> OutcomeDoc:
        best = self.best
        return {
            "function": self.target.key,
            "name": self.target.name,
            "strategy": self.request.strategy,
            "weight": self.request.weight,
            "invocations": self.request.invocations,
            "parallel": self.request.parallel,
            "results": [r.to_dict() for r in self.results],
            "best": {
                "memory_size": best.memory,
                "architecture": best.architecture,
                "average_ms": round(best.average_ms, 3),
                "cost_per_invocation": None if best.cost is None else round(best.cost, 12),
            },
            "manifest": {"memory_size": self.manifest_memory, "architecture": self.manifest_architecture},
            "already_best": best.memory == self.manifest_memory and best.architecture == self.manifest_architecture,
            "tuning_cost": _round(sum((r.cost or 0.0) * len(r.samples) for r in self.results)),
            "cleaned": self.cleaned,
            "notes": self.notes,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 9)


def cleanup(aws: Aws, *, service: str, stage: str, code_for: Callable[[str, str], bytes] | None) -> list[str]:
    """Undo what a killed `fn tune` left: `$LATEST` back to what the journal recorded, its versions deleted, the
    journal removed. `code_for(function name, architecture)` is the function's zip for that architecture. The
    caller holds the deploy lock. Returns what was done, for the user."""
    name = journal_name(service, stage)
    raw = aws.ssm.get_or_none(name)
    if raw is None:
        return []
    done: list[str] = []
    try:
        journal = json.loads(raw)
        function = str(journal["function"])
    except (ValueError, KeyError, TypeError, RecursionError):
        aws.ssm.delete(name)
        return ["removed an unreadable tuning journal"]
    lam = aws.lambda_
    found = lam.get_function_or_none(function)
    if found is not None:
        config = found["Configuration"]
        memory = int(journal.get("memory") or config.get("MemorySize") or 128)
        architecture = str(journal.get("architecture") or "x86_64")
        code = None if code_for is None else (lambda: code_for(function, architecture))
        done += _restore(lam, function, config, memory=memory, architecture=architecture, code_for=code)
        for version in lam.list_versions(function):
            if str(version.get("Description", "")).startswith(VERSION_PREFIX + " "):
                lam.delete_version(function, version["Version"])
                done.append(f"deleted version {version['Version']} of {function} left by an interrupted fn tune")
    aws.ssm.delete(name)
    return done


def _restore(
    lam: LambdaApi,
    function: str,
    config: FunctionConfiguration,
    *,
    memory: int,
    architecture: str,
    code_for: Callable[[], bytes] | None,
    moved_to: str | None = None,
) -> list[str]:
    """$LATEST back to `memory` and `architecture`. `moved_to` is the architecture this run set, when it knows."""
    done = []
    live_arch = moved_to or (config.get("Architectures") or ["x86_64"])[0]
    if live_arch != architecture:
        if code_for is None:
            raise FnError(f"cannot put {function} back on {architecture}: its code is not at hand")
        lam.update_code(function, code={"ZipFile": code_for()}, architecture=architecture)
        done.append(f"restored {function} $LATEST to {architecture}")
    if int(config.get("MemorySize") or 0) != memory:
        lam.update_configuration(function, config={"MemorySize": memory})
        done.append(f"restored {function} $LATEST to {memory} MB")
    return done


def run(
    aws: Aws,
    target: Target,
    request: Request,
    *,
    live: FunctionAnswer,
    prices_for: Callable[[str], Prices | None],
    code_for: Callable[[str], bytes] | None,
    progress: Callable[[str], None] = lambda _line: None,
) -> tuple[list[Measured], str]:
    """Publish, measure and clean up. `live` is GetFunction's answer for the function; `code_for(architecture)` is
    its zip built for an architecture (native dependencies differ). Returns the measurements and the run id. Every
    exit path restores `$LATEST` and deletes the versions published (the caller holds the lock)."""
    lam = aws.lambda_
    config = live["Configuration"]
    memory = int(config.get("MemorySize") or 128)
    architecture = (config.get("Architectures") or ["x86_64"])[0]
    storage = config.get("EphemeralStorage")
    ephemeral = int((storage.get("Size") if storage else None) or calc.FREE_EPHEMERAL_MB)
    run_id = uuid.uuid4().hex[:12]
    journal = json.dumps({"run": run_id, "function": target.name, "memory": memory, "architecture": architecture})
    from fnship.model.resources import ownership_tags

    if not aws.ssm.create_if_absent(
        journal_name(target.service, target.stage),
        journal,
        description="fnship tune: what $LATEST was, to undo an interrupted run",
        tags=ownership_tags(target.service, target.stage),
    ):
        raise FnError("a tuning journal already exists", hint="run `fn tune` again: it cleans up the last run first")
    results = [
        Measured(arch, mem, prices=prices_for(arch), ephemeral_mb=ephemeral) for arch, mem in request.configurations
    ]
    ours: list[str] = []
    restored = False
    codes: dict[str, bytes] = {}
    current_arch: str = architecture

    def code(arch: str, doing: str) -> bytes:
        if arch not in codes:
            if code_for is None:
                raise FnError(f"cannot {doing} {target.name} on {arch}: its code is not at hand")
            codes[arch] = code_for(arch)
        return codes[arch]

    def the_code() -> bytes:
        return code(architecture, "put back")

    try:
        for result in results:
            if result.architecture != current_arch:
                zipped = code(result.architecture, "measure")
                lam.update_code(target.name, code={"ZipFile": zipped}, architecture=result.architecture)
                current_arch = result.architecture
            lam.update_configuration(target.name, config={"MemorySize": result.memory})
            description = f"{VERSION_PREFIX} {run_id} {result.architecture} {result.memory} MB"
            published = lam.publish_version_detail(target.name, description=description)
            result.version = str(published["Version"])
            # Lambda publishes nothing when code and configuration equal the newest version's: it answers with
            # that version, which is not ours to delete.
            if published.get("Description") == description:
                ours.append(result.version)
            progress(f"published version {result.version}: {result.architecture} {result.memory} MB")
        after = lam.get_function_or_none(target.name)
        _restore(lam, target.name, after["Configuration"] if after else config, memory=memory,
                 architecture=architecture, code_for=the_code, moved_to=current_arch)  # fmt: skip
        restored = True
        for result in results:
            lam.wait_version_ready(target.name, result.version)
            result.samples = _invoke_all(lam, target.name, result.version or "", request)
            progress(f"measured {result.architecture} {result.memory} MB: {len(result.ok)}/{len(result.samples)} ok")
    finally:
        if not restored:
            after = lam.get_function_or_none(target.name)
            if after is not None:
                _restore(lam, target.name, after["Configuration"], memory=memory, architecture=architecture,
                         code_for=the_code, moved_to=current_arch)  # fmt: skip
        for version in ours:
            lam.delete_version(target.name, version)
        aws.ssm.delete(journal_name(target.service, target.stage))
    return results, run_id


def _invoke_all(lam: LambdaApi, name: str, version: str, request: Request) -> list[Sample]:
    def once(_index: int) -> Sample:
        return sample_of(lam.invoke(name, payload=request.payload, qualifier=version, log_tail=True))

    if not request.parallel:
        return [once(i) for i in range(request.invocations)]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, request.invocations)) as pool:
        return list(pool.map(once, range(request.invocations)))


def zip_for(
    loaded: Loaded, key: str, *, architecture: str, code_sha256: str | None, tools: Tools | None = None
) -> bytes:
    """The function's zip built for `architecture`: on its own architecture, the code deployed (with `code_sha256`,
    it must be: tuning measures what runs, not what is about to); on another, the same sources with their native
    dependencies built for that architecture, by the packaging build for it (in a build directory of its own, so
    `fn package`'s artifacts stay those of the manifest)."""
    from dataclasses import replace

    from fnship import pipeline

    manifest = loaded.manifest
    spec = manifest.functions[key]
    own = _artifact(loaded, key, tools=tools)
    if code_sha256 is not None and own.code_sha256 != code_sha256:
        raise FnError(
            f"the code built here for {key} differs from the code deployed (CodeSha256 {code_sha256})",
            hint="`fn deploy` first, so that fn tune measures the code that runs",
        )
    if architecture == spec.architecture:
        return own.path.read_bytes()
    other = replace(manifest, functions={**manifest.functions, key: replace(spec, architecture=architecture)})
    out_dir = pipeline.build_dir(manifest).with_name(f"{manifest.stage}-tune-{architecture}")
    artifact = _artifact(replace(loaded, manifest=other), key, tools=tools, out_dir=out_dir)
    return artifact.path.read_bytes()


def _artifact(loaded: Loaded, key: str, *, tools: Tools | None, out_dir: Path | None = None) -> Artifact:
    from fnship import pipeline

    artifact = pipeline.package_artifacts(loaded, only=[key], tools=tools, out_dir=out_dir).functions[key]
    if artifact.kind not in ("zip", "prebuilt"):
        raise InputError(f"function {key} is a container image: its architecture is the image's")
    return artifact
