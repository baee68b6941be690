"""Property: whatever a mutated manifest holds, `fn validate` exits 0 or 2, prints no traceback and writes nothing
outside `.fn/`. Seeded (derandomized) so a failure here fails the same way on every run; bench/ has a longer run."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.manifest.mutations import SEEDS, mutants, run_validate, validate

EXAMPLES = 500


def test_the_seeds_are_valid():
    assert [validate(seed) for seed in SEEDS] == [(0, None), (0, None)]


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,  # no .hypothesis/ directory in the checkout
    deadline=None,  # timings are benchmarks, not assertions
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(manifest=mutants())
def test_mutated_manifests_are_answered_cleanly(manifest):
    assert run_validate(manifest) is None
