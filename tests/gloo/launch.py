"""Start a gloo world on the CPU, measure many cases in it, and bring each rank's figures back.

Starting torch costs seconds a process, so one launch runs every case of a world size in turn: the workers
(``torch.multiprocessing``, one thread each, bound to 127.0.0.1) build each setup, run two steps to warm it up
(DDP rebuilds its buckets at the second, the optimizer makes its state at the first) and measure the third
(:mod:`gloo.runtime`). The result is, per case, a list of per-rank records in the shape of
``totals.parallel.ranks`` plus what the notes need (``extra``: the communication of the setup and of each step,
every collective call of the measured step).

From ``tests/``: ``python -m gloo.launch --world 2 mlp:ddp mlp:fsdp_reshard`` prints the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import traceback
from collections import Counter
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

STEPS = 3  # the measured step is the last


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(world: int, cases: list[str], *, timeout: float = 120, peak: bool = False) -> dict[str, Any]:
    """``{case: [per-rank record, ...] or {"error": ...}}`` for ``cases`` (``"model:setup"``) in a world of N."""
    import torch.multiprocessing as mp

    env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo", "HF_HUB_OFFLINE": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "figures.json"
            mp.start_processes(
                _worker,
                args=(world, free_port(), cases, str(out), timeout, peak),
                nprocs=world,
                start_method="spawn",
            )
            return json.loads(out.read_text())
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _worker(rank: int, world: int, port: int, cases: list[str], out: str, timeout: float, peak: bool) -> None:
    here = str(Path(__file__).resolve().parents[1])
    if here not in sys.path:
        sys.path.insert(0, here)
    import faulthandler

    import torch
    import torch.distributed as dist

    faulthandler.enable()  # a crash in the runtime says where
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=timedelta(seconds=timeout))
    results: dict[str, Any] = {}
    for case in cases:
        print(f"gloo rank {rank}: {case}", file=sys.stderr, flush=True)
        try:
            results[case] = measure_case(case, rank, world, peak=peak)
        except Exception as e:  # noqa: BLE001 - the case's failure is its result, the world goes on
            results[case] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-3000:]}
            print(f"gloo rank {rank}: {case} failed\n{results[case]['trace']}", file=sys.stderr, flush=True)
        dist.barrier()
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, results)
    if rank == 0:
        merged = {}
        for case in cases:
            per_rank = [g[case] for g in gathered]
            errors = [r for r in per_rank if "error" in r]
            merged[case] = errors[0] if errors else per_rank
        Path(out).write_text(json.dumps(merged))
    dist.barrier()
    dist.destroy_process_group()


def measure_case(case: str, rank: int, world: int, *, peak: bool = False) -> dict[str, Any]:
    """One rank's figures for ``case`` (``model:setup``): two warm-up steps, then the measured one.

    ``peak``: the second warm-up step runs under torch's ``MemTracker``, whose peak (by category: parameters,
    gradients, activations, temporaries, optimizer state) goes in ``extra`` — not a pipeline's (its module hooks
    and the schedule's do not mix)."""
    import torch

    from gloo import runtime
    from gloo.setups import MODELS, OPTIMIZERS, SETUPS

    model_name, setup_name, *optimizer = case.split(":")
    with runtime.Collectives() as built:
        part = SETUPS[setup_name](MODELS[model_name], rank, world)
        if optimizer:
            part.optimizer = OPTIMIZERS[optimizer[0]](part.params)
    steps, step_calls = [], []
    tracked: dict[str, int] = {}
    for n in range(STEPS - 1):
        tracker = _tracker(part) if peak and n == 1 and part.stage == 0 and setup_name in PEAKED else nullcontext()
        with runtime.Collectives() as c, tracker:
            part.run(n)
            part.optimizer.step()
        if tracker is not None and hasattr(tracker, "get_tracker_snapshot"):
            for snapshot in tracker.get_tracker_snapshot("peak").values():
                tracked = {str(getattr(k, "value", k)): v for k, v in snapshot.items() if v}
        part.optimizer.zero_grad(set_to_none=True)
        steps.append(c.figures())
        step_calls.append(c.calls)
    saved = runtime.SavedPeak(runtime.model_storages(part.modules))
    flops = runtime.LocalFlops()
    buckets = part.extra.get("buckets")
    if buckets is not None:
        buckets.clear()
    from torch.distributed.tensor.debug import CommDebugMode

    # DTensor's own count of its collectives, where DTensor runs them (its module hooks upset a pipeline stage)
    comm = CommDebugMode() if "tp" in setup_name else nullcontext()
    with runtime.PythonCalls().watching() as python, comm, runtime.Collectives() as c:
        with saved.watching(), flops:
            part.run(STEPS - 1)
        part.optimizer.step()
    steps.append(c.figures())
    figures = runtime.rank_figures(
        part.params, part.optimizer, saved, flops.get_total_flops(), c, rank=rank, stage=part.stage
    )
    part.optimizer.zero_grad(set_to_none=True)
    figures["extra"] = {
        "setup_communication": built.figures(),
        "setup_calls": built.calls,
        "step_communication": steps,
        "calls": c.calls,
        "warmup_calls": step_calls,
        "unknown_collectives": dict(c.unknown),
        "python_calls": {k: python.bytes.get(k, 0) for k in runtime.KINDS},
        "ddp_buckets": None if buckets is None else sum(buckets),
        "comm_debug_counts": {str(k): v for k, v in comm.get_comm_counts().items()} if "tp" in setup_name else {},
        "functional_counts": dict(Counter(op for op, _, _ in c.calls if op.startswith("_c10d_functional."))),
        "param_elements": sum(runtime.local(p).numel() for p in part.params),
        "memtracker_peak": tracked,
        "threads": torch.get_num_threads(),
    }
    return figures


PEAKED = ("ddp", "zero1", "fsdp_keep", "fsdp_reshard", "tp", "tp_sp", "dp_tp")


def _tracker(part: Any) -> Any:
    from torch.distributed._tools.mem_tracker import MemTracker

    tracker = MemTracker()
    tracker.track_external(*part.modules, part.optimizer)
    return tracker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=int, default=2)
    parser.add_argument("--peak", action="store_true", help="also torch's MemTracker peak of a warm-up step")
    parser.add_argument("cases", nargs="+")
    args = parser.parse_args()
    print(json.dumps(measure(args.world, args.cases, peak=args.peak), indent=1))


if __name__ == "__main__":
    main()
