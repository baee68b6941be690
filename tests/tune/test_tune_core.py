"""The pure parts of `fn tune`: statistics as AWS Lambda Power Tuning computes them (lambda/utils.js
computeAverageDuration: a trimmed mean without the lowest and highest 20 %; analyzer.js: cost, speed, balanced),
REPORT lines, and the checks on the options."""

from __future__ import annotations

import base64

import pytest

from fnship import tune
from fnship.cost.prices import built_in
from fnship.errors import InputError


def test_trimmed_mean_drops_the_top_and_bottom_fifth():
    assert tune.trimmed_mean([10, 11, 12, 13, 1000]) == pytest.approx(12)  # int(5 * 0.2) = 1 each side
    assert tune.trimmed_mean([10, 1000]) == pytest.approx(505)  # fewer than 5: nothing to drop
    assert tune.trimmed_mean(list(range(1, 11))) == pytest.approx(5.5)  # drops 1, 2 and 9, 10


def test_p90_is_the_nearest_rank():
    assert tune.percentile(list(range(1, 11)), 90) == 9
    assert tune.percentile([5.0], 90) == 5.0


def measured(memory, ms, arch="x86_64"):
    m = tune.Measured(arch, memory, prices=built_in(arch, reason="test"))
    m.samples = [tune.Sample(billed_ms=ms, duration_ms=ms)]
    return m


def test_strategies_break_ties_with_the_other_measure():
    same_cost = [measured(1024, 100), measured(2048, 50)]  # equal GB-s: speed decides
    assert tune.choose(same_cost, strategy="cost").memory == 2048
    same_speed = [measured(1024, 100), measured(512, 100)]
    assert tune.choose(same_speed, strategy="speed").memory == 512


def test_balanced_weight_moves_from_speed_to_cost():
    results = [measured(128, 3000), measured(1024, 300), measured(3008, 100)]
    assert tune.choose(results, strategy="balanced", weight=1.0).memory == tune.choose(results, strategy="cost").memory
    assert tune.choose(results, strategy="balanced", weight=0.0).memory == 3008


def test_a_report_line_with_snapstart_restore_duration():
    tail = ("START RequestId: r1 Version: 3\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 12.50 ms\t"
            "Billed Duration: 110 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 300.10 ms\t"
            "Billed Restore Duration: 97 ms\t\n")  # fmt: skip
    sample = tune.sample_of({"LogResult": tail, "FunctionError": None})
    assert sample == tune.Sample(billed_ms=110, duration_ms=12.5, init_ms=None, restore_ms=300.1)
    assert base64  # the adapter decodes LogResult; the sample reads text


def test_memory_must_be_whole_and_within_lambdas_range():
    assert tune.parse_memory("128, 256,256,10240") == (128, 256, 10240)
    for bad in ("127", "10241", "256.5", "lots", ""):
        with pytest.raises(InputError, match="is not a memory size"):
            tune.parse_memory(bad)


def test_an_architecture_the_runtime_cannot_run_is_refused():
    with pytest.raises(InputError, match="python3.7 runs on x86_64 only"):
        tune.parse_architectures("x86_64,arm64", runtime="python3.7", current="x86_64", image=False)
    with pytest.raises(InputError, match="container image"):
        tune.parse_architectures("arm64", runtime=None, current="x86_64", image=True)
    assert tune.parse_architectures(None, runtime="python3.12", current="arm64", image=False) == ("arm64",)
