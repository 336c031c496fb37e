"""Time ``cnncalc plan`` for Llama-3-70B on 64 H100s, beside the time of one ``summary`` of the same step.

Three figures, medians of several runs in one process (imports done first):

- **summary**: the training report of Llama-3-70B's config (tests/data/hf/llama3_70b.json) at a global batch of
  64 × 4,096 positions in bfloat16 with float32 master weights, with one layout on 64 H100s
  (``from_hf_config(..., train=True, parallel=..., devices="64xh100-sxm")``): the analysis and one layout;
- **one layout again**: the same layout spread again over the same analysis (what plan does per layout);
- **plan**: every layout on 64 H100s, both recomputation choices (``plan_report``), in this process, and the
  layouts it evaluates per second;
- **plan on the sweep engine**: the same layouts on a local Dask cluster of WORKERS processes (``cnncalc plan
  --workers N``), when dask is installed: each worker analyses the model once per recomputation choice, then
  spreads its layouts.

Run from the repository root (last run: benchmarks/plan.md):

    PYTHONPATH=src python3 benchmarks/plan.py [REPEAT] [WORKERS]
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "hf" / "llama3_70b.json"
INPUT = (64, 4096)
LAYOUT = "dp=2,tp=8,sp,pp=4,microbatches=32"
SETTINGS = dict(train=True, dtype="bfloat16", master_weights=True)


def median_s(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), out


def main() -> None:
    import cnncalc
    from cnncalc.options import Options
    from cnncalc.parallel.ranks import respread
    from cnncalc.parallel.search import plan_report

    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2

    def summary() -> Any:
        return cnncalc.from_hf_config(str(CONFIG), INPUT, **SETTINGS, parallel=LAYOUT, devices="64xh100-sxm")

    summary_s, summary_best, report = median_s(summary, repeat)
    opts = Options.make(**SETTINGS, parallel=LAYOUT, devices="64xh100-sxm")
    again_s, again_best, _ = median_s(lambda: respread(report.parallel, opts), repeat)
    planning = Options.make(**SETTINGS, parallel="dp=1", devices="64xh100-sxm")
    plan_s, plan_best, (_, found) = median_s(
        lambda: plan_report(str(CONFIG), planning, input=INPUT), max(1, repeat // 3)
    )
    n = len(found.candidates) + found.refused
    rows = [
        (f"summary --parallel {LAYOUT} --devices 64xh100-sxm", summary_s, summary_best),
        ("the same layout spread again over the analysis", again_s, again_best),
        (f"plan: {n:,} layouts ({len(found.candidates):,} possible, {len(found.best):,} fit), here", plan_s, plan_best),
    ]
    engine_s = None
    try:
        import distributed  # noqa: F401
    except ImportError:
        pass
    else:
        engine_s, engine_best, (_, there) = median_s(
            lambda: plan_report(str(CONFIG), planning, input=INPUT, workers=workers), max(1, repeat // 3)
        )
        assert there.candidates == found.candidates, "the engine's plan differs from the one made here"
        rows.append((f"plan on the sweep engine, {workers} local Dask workers", engine_s, engine_best))
    print(
        f"Llama-3-70B config, global batch {INPUT[0]} × {INPUT[1]:,} positions, bfloat16 + float32 master weights, "
        f"64 × H100 SXM; Python {platform.python_version()} on {platform.machine()}; medians\n"
    )
    print("| what | median (s) | fastest (s) | vs one summary |")
    print("|---|---:|---:|---:|")
    for what, median, best in rows:
        print(f"| {what} | {median:.3f} | {best:.3f} | {median / summary_s:.2f}× |")
    print(f"\nplan evaluates {n / plan_s:,.0f} layouts per second in this process;")
    if engine_s is not None:
        rate = n / engine_s
        print(f"on the sweep engine with {workers} workers, {rate:,.0f} layouts per second (its start-up included);")
    print(f"one summary with a layout is {1 / summary_s:,.2f} per second: a layout in plan costs ", end="")
    print(f"{plan_s / n / summary_s:.1%} of a summary.")
    if found.best:
        b = found.best[0]
        print(f"best: {b.text}: {b.seconds:.3f} s a step, {b.peak_bytes / 2**30:.1f} GiB peak, {b.limit}")


if __name__ == "__main__":
    main()
