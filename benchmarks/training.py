"""What --train costs: ResNet-50's report with and without the training step, from its zoo spec and traced
from plain PyTorch, side by side with what a user would run instead (a real training step on the CPU
under FlopCounterMode and saved_tensors_hooks, the way the tests measure PyTorch). Ratios against
cnncalc's report without --train.

Run from the repository root (needs torch, the test extra):

    PYTHONPATH=src python3 benchmarks/training.py [--reps 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the plain-torch models and the PyTorch oracle live beside the tests


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    """Median and fastest of ``reps`` runs, in seconds, and the last result."""
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()

    import torch
    from support.oracles import real_training
    from support.torch_models import resnet50

    import cnncalc
    from cnncalc import zoo
    from cnncalc.analyze import analyze_graph

    graph = zoo.graph("resnet50")
    analyze_graph(graph)  # warm: imports and the first call's caches
    rows = []

    def add(label: str, fn: Callable[[], Any], reps: int) -> Any:
        median, fastest, out = timed(fn, reps)
        rows.append((label, median, fastest))
        return out

    plain = add("zoo spec: analyze", lambda: analyze_graph(graph, flops="matmul"), args.reps)
    train = add("zoo spec: analyze --train", lambda: analyze_graph(graph, flops="matmul", train=True), args.reps)
    with torch.device("meta"):
        meta = resnet50()
    size = (1, 3, 224, 224)
    add("torch (built on meta): from_torch", lambda: cnncalc.from_torch(meta, size, flops="matmul"), args.reps)
    traced = add(
        "torch (built on meta): from_torch --train",
        lambda: cnncalc.from_torch(meta, size, flops="matmul", train=True),
        args.reps,
    )
    torch.manual_seed(0)
    model, x = resnet50(), torch.randn(size)
    real = add("PyTorch: a real CPU training step, measured", lambda: real_training(model, x), max(2, args.reps // 3))

    base = rows[0][1]
    print(f"ResNet-50 at (1, 3, 224, 224), flops=matmul; Python {platform.python_version()} on {platform.machine()}")
    print()
    print("| what | median (ms) | fastest (ms) | median vs zoo analyze |")
    print("|---|---:|---:|---:|")
    for label, median, fastest in rows:
        print(f"| {label} | {median * 1e3:,.1f} | {fastest * 1e3:,.1f} | {median / base:,.2f}× |")
    print()
    t = train.training
    spec, torch_path = rows[1][1] / rows[0][1], rows[3][1] / rows[2][1]
    print(f"--train on the spec path: {spec:.2f}× the analyze time; traced: {torch_path:.2f}×")
    ours = (t.forward_flops, t.backward_flops, t.saved_activation_bytes)
    theirs = (real.forward_flops, real.backward_flops, real.saved_bytes)
    u = traced.training
    same = ours == theirs == (u.forward_flops, u.backward_flops, u.saved_activation_bytes)
    print(f"Same forward FLOPs, backward FLOPs and saved bytes as the real step: {'yes' if same else 'NO'}")
    print(f"  ({ours[0]:,} + {ours[1]:,} FLOPs, {ours[2]:,} B kept; params {plain.totals.params:,})")


if __name__ == "__main__":
    main()
