"""The harness measures what the runtime does: every case runs, and independent observers of its collectives agree.

The bytes of each collective come from a dispatch mode over the process-group and functional-collective
operators (:class:`gloo.runtime.Collectives`). The same step is watched three more ways, each where it can see:
``torch.distributed``'s Python functions wrapped (FSDP2, ``ZeroRedundancyOptimizer``, the pipeline schedules and a
DDP communication hook call them), a DDP communication hook that notes each bucket, and DTensor's own
``CommDebugMode`` (the functional collectives of tensor and sequence parallelism, by count).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from gloo.cases import CASES  # noqa: E402
from gloo.runtime import KINDS  # noqa: E402

ALL = [(world, case) for world, cases in CASES.items() for case in cases]
IDS = [f"{case}-w{world}" for world, case in ALL]
CALLS_PYTHON = ("fsdp_keep", "fsdp_reshard", "gpipe", "1f1b", "interleaved")  # every collective through Python


def ranks(measured, world: int, case: str) -> list[dict]:
    result = measured(world)[case]
    assert isinstance(result, list), f"{case} at {world} ranks failed: {result['error']}\n{result['trace']}"
    return result


@pytest.mark.parametrize(("world", "case"), ALL, ids=IDS)
def test_every_rank_reports_the_contracts_figures(measured, world, case):
    found = ranks(measured, world, case)
    assert [r["ranks"] for r in found] == [[i] for i in range(world)]
    for r in found:
        assert set(r["communication"]) == set(KINDS)
        assert r["param_bytes"] > 0 and r["flops"] > 0 and r["activation_bytes"] > 0
        assert r["extra"]["unknown_collectives"] == {}  # every collective operator that ran has a kind


@pytest.mark.parametrize(("world", "case"), ALL, ids=IDS)
def test_the_observers_of_collectives_agree(measured, world, case):
    setup = case.split(":")[1]
    for r in ranks(measured, world, case):
        comm, extra = r["communication"], r["extra"]
        python = extra["python_calls"]
        if setup in CALLS_PYTHON:
            assert python == comm
        if setup in ("ddp", "zero1"):  # the buckets DDP hands its hook, all-reduced through dist.all_reduce
            assert comm["all_reduce"] == extra["ddp_buckets"] == python["all_reduce"]
        if setup == "zero1":  # each parameter broadcast once by the rank that stepped it (and DDP's buffers)
            assert python["broadcast"] == r["param_bytes"] <= comm["broadcast"]
        ours = extra["functional_counts"]  # DTensor's redistributions, by operator
        theirs = {k.rsplit(".", 1)[-1]: v for k, v in extra["comm_debug_counts"].items() if "functional" in k}
        assert {k.rsplit(".", 1)[-1]: v for k, v in ours.items()} == theirs


@pytest.mark.parametrize("world", sorted(CASES))
def test_a_data_parallel_step_all_reduces_every_gradient_once(measured, world):
    # the harness's own figures by hand: DDP's all-reduce is the parameters' bytes, which every replica holds
    for r in ranks(measured, world, "mlp:ddp"):
        assert r["communication"]["all_reduce"] == r["param_bytes"] == r["gradient_bytes"]
        assert r["extra"]["param_elements"] * 4 == r["param_bytes"]
