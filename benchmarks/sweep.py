"""Sweeps: points per second per core, on 1 and 2 Dask workers, against loops of cnncalc.analyze, torchinfo and
fvcore over the same space, and the sweep's memory as it grows from 10 thousand to a million points.

Run from the repository root (needs the sweep and bench extras):

    PYTHONPATH=src python3 benchmarks/sweep.py --out benchmarks/sweep.md  # everything, in one run
    PYTHONPATH=src python3 benchmarks/sweep.py --parts core,dask          # some of it

Spaces: NAS-Bench-201's 15,625 cells (``zoo:nb201 --vary arch=all``), and a ResNet-18 of four stage widths
(``--vary w1=32..96:4 w2=64..192:8 w3=128..384:16 w4=256..768:32``, 17 values each, 83,521 networks). The parts:

- ``core``: one process, one core: the sweep's points per second (wall and CPU time), and the same points
  analysed one by one as ``cnncalc.analyze`` would (no sharing between points);
- ``dask``: the engine on a local cluster of 1, then 2 worker processes, ``--repeat`` times in turn: points per
  second once the workers are up, the speed-up of each pair and their median, and the share of the workers' time
  not spent in points (scheduling, transfers, writing);
- ``tools``: a sample of the same networks built in PyTorch, counted by torchinfo and by fvcore, one by one;
- ``memory``: peak memory of a sweep of 10,000, 100,000 and 1,000,000 points (a small spec, in a fresh process
  each), the dataset written to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the plain-torch NAS-Bench-201 network lives beside the tests
sys.path.insert(0, str(ROOT / "src"))

R18 = """# ResNet-18 with a width for each stage
# args: w1=64, w2=128, w3=256, w4=512, classes=1000, size=224
def basic(c) {
  y = conv(c, f=3, p=1, bias=false) -> bn -> relu -> conv(c, f=3, p=1, bias=false) -> bn
  add(y, in) -> relu
}
def basic_down(c) {
  y = conv(c, f=3, s=2, p=1, bias=false) -> bn -> relu -> conv(c, f=3, p=1, bias=false) -> bn
  shortcut = in -> conv(c, f=1, s=2, bias=false) -> bn
  add(y, shortcut) -> relu
}
input(size, size, 3)
-> conv(w1, f=7, s=2, p=3, bias=false) -> bn -> relu -> maxpool(3, s=2, p=1)
-> [basic(w1)] * 2
-> basic_down(w2) -> basic(w2)
-> basic_down(w3) -> basic(w3)
-> basic_down(w4) -> basic(w4)
-> gap -> fc(classes)
"""
R18_VARY = {"w1": "32..96:4", "w2": "64..192:8", "w3": "128..384:16", "w4": "256..768:32"}
NB201_VARY = {"arch": "all"}


def spaces() -> dict[str, tuple[str, dict[str, str]]]:
    return {"NAS-Bench-201 (15,625 cells)": ("zoo:nb201", NB201_VARY), "ResNet-18 widths (83,521)": (R18, R18_VARY)}


def rate(run, n: int) -> tuple[float, float]:
    """Points per second of ``run()`` (which does ``n`` points): by the wall clock and by this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def part_core(points: int) -> list[str]:
    from cnncalc.sweep import plan

    lines = [
        "| space | points | sweep, points/s (wall) | sweep, points/s (CPU) | one by one (cnncalc.analyze), points/s | "
        "sweep / one by one |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (spec, vary) in spaces().items():
        task = plan(spec, vary)
        n = min(points, task.size)
        task.rows(0, min(100, n))  # the first points: imports, the stores' first blocks
        fresh = plan(spec, vary)  # a new task: its stores empty, as a worker starts
        wall, cpu = rate(lambda fresh=fresh, n=n: fresh.rows(0, n), n)
        one = min(n, 300)
        single = _one_by_one(spec, task, one)
        lines.append(f"| {name} | {n:,} | {wall:,.0f} | {cpu:,.0f} | {single:,.0f} | {wall / single:,.1f}x |")
    return lines


def _one_by_one(spec: str, task, n: int) -> float:
    """Points per second of analysing each point afresh, as a loop of cnncalc.analyze over the same points."""
    import cnncalc
    from cnncalc import zoo

    points = [task.grid.point(task.index(k)) for k in range(n)]
    if spec.startswith("zoo:"):
        run = lambda: [zoo.analyze(spec[4:], **p) for p in points]  # noqa: E731
    else:
        from cnncalc.notation import parse

        run = lambda: [cnncalc.analyze(parse(spec, values=p)) for p in points]  # noqa: E731
    return rate(run, n)[0]


def part_dask(points: int, repeat: int = 3) -> list[str]:
    """Each space on 1 then 2 workers, ``repeat`` times in turn (the machine's other work comes and goes: the
    median of the pairs' speed-ups is the figure)."""
    import statistics

    from cnncalc.sweep import engine, plan

    lines = [
        "| space | run | workers | points | start (s) | points/s | speed-up | points per second a worker was busy | "
        "workers' time outside points |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    medians = []
    for name, (spec, vary) in spaces().items():
        ups = []
        for run in range(1, repeat + 1):
            base = None
            for workers in (1, 2):
                task = plan(spec, vary)
                with tempfile.TemporaryDirectory() as folder:
                    done = engine.run(
                        task,
                        Path(folder) / "r.parquet",
                        workers=workers,
                        progress=False,
                        seconds_per_point=engine.timed(task.row, task.size),
                    )
                r = done.rate
                base = base or r
                outside = 1 - done.busy / (workers * done.seconds) if done.seconds else 0.0
                per_worker = done.points / done.busy if done.busy else 0.0
                lines.append(
                    f"| {name} | {run} | {workers} | {done.points:,} | {done.startup:.1f} | {r:,.0f} | "
                    f"{r / base:.2f}x | {per_worker:,.0f} | {100 * outside:.1f}% |"
                )
            ups.append(r / base)
        medians.append(f"{name}: {statistics.median(ups):.2f}x (runs: {', '.join(f'{u:.2f}x' for u in ups)})")
    return [*lines, "", "Median speed-up on 2 workers over 1:", "", *(f"- {m}" for m in medians)]


def part_tools(points: int) -> list[str]:
    import torch
    from support.nb201_torch import TinyNetwork

    from cnncalc import zoo
    from cnncalc.sweep import plan

    torch.set_num_threads(1)
    task = plan("zoo:nb201", NB201_VARY)
    archs = [task.grid.point(k)["arch"] for k in range(0, task.size, max(1, task.size // points))][:points]
    x = torch.zeros(1, 3, 32, 32)

    def torchinfo_loop() -> None:
        import torchinfo

        for a in archs:
            torchinfo.summary(TinyNetwork(a), input_data=x, verbose=0)

    def fvcore_loop() -> None:
        from fvcore.nn import FlopCountAnalysis, parameter_count

        for a in archs:
            model = TinyNetwork(a)
            flops = FlopCountAnalysis(model, x)
            flops.unsupported_ops_warnings(False)
            flops.uncalled_modules_warnings(False)
            flops.total()
            parameter_count(model)

    def analyze_loop() -> None:
        for a in archs:
            zoo.analyze("nb201", arch=a)

    def sweep_points() -> None:
        fresh = plan("zoo:nb201", {"arch": ",".join(archs)})
        fresh.rows(0, fresh.size)

    n = len(archs)
    results = {
        "cnncalc sweep (this process)": rate(sweep_points, n)[0],
        "a loop of cnncalc.analyze": rate(analyze_loop, n)[0],
        "a loop of torchinfo.summary (build + forward)": rate(torchinfo_loop, n)[0],
        "a loop of fvcore FlopCountAnalysis + parameter_count (build + trace)": rate(fvcore_loop, n)[0],
    }
    best = results["cnncalc sweep (this process)"]
    lines = [f"{n} cells of NAS-Bench-201, each counted from scratch by each tool, one process, one thread:", ""]
    lines += ["| how | points/s | the sweep is |", "|---|---:|---:|"]
    for how, r in results.items():
        lines.append(f"| {how} | {r:,.1f} | {best / r:,.0f}x |" if r != best else f"| {how} | {r:,.1f} | 1x |")
    return lines


MEMORY_SCRIPT = """
import resource, sys, tempfile, time
from pathlib import Path
from cnncalc.sweep import engine, plan
n = int(sys.argv[1])
task = plan("# args: n=4\\ninput(16) -> fc(n) -> relu -> fc(10)", {"n": f"1..{n}"})
with tempfile.TemporaryDirectory() as folder:
    began = time.perf_counter()
    done = engine.run(task, Path(folder) / "r.parquet", workers=0, progress=False, chunk=20000)
    seconds = time.perf_counter() - began
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(done.rows, seconds, peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


MEMORY_POINTS = (10_000, 100_000, 1_000_000)


def part_memory(points: int) -> list[str]:
    """Each size in a fresh process; its peak is the process's own high-water mark (VmHWM: ru_maxrss would carry
    the benchmark's own peak over the fork)."""
    lines = [
        "Each size runs in a fresh process (`# args: n=4` / `input(16) -> fc(n) -> relu -> fc(10)`, `--vary n=1..N`,",
        "in that process, chunks of 20,000 points, each written as a Parquet part); the peak is that process's own",
        "high-water mark (VmHWM), imports included. The 10,000 points are one part of 10,000 rows; from 100,000 on,",
        "parts of 20,000: the peak stays where it is.",
        "",
        "| points | rows written | seconds | peak memory (MiB) |",
        "|---:|---:|---:|---:|",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for n in MEMORY_POINTS:
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, str(n)], capture_output=True, text=True, env=env, check=True
        )
        rows, seconds, kib = out.stdout.split()
        lines.append(f"| {n:,} | {int(rows):,} | {float(seconds):,.1f} | {int(kib) / 1024:,.0f} |")
    return lines


PARTS = {"core": part_core, "dask": part_dask, "tools": part_tools, "memory": part_memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts, comma separated")
    parser.add_argument("--points", type=int, default=15_625, help="points of each space in the core part")
    parser.add_argument("--tools-points", type=int, default=40, help="networks torchinfo and fvcore count")
    parser.add_argument("--repeat", type=int, default=3, help="runs of 1 then 2 workers in the dask part")
    parser.add_argument("--out", type=Path, help="also write the figures to this Markdown file")
    args = parser.parse_args()
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    load = os.getloadavg()
    say(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"load average before: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"
    )
    say()
    for part in args.parts.split(","):
        say(f"## {part}")
        say()
        given = args.tools_points if part == "tools" else args.points
        found = PARTS[part](given, args.repeat) if part == "dask" else PARTS[part](given)
        for line in found:
            say(line)
        say()
    load = os.getloadavg()
    say(
        f"load average after: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}; peak memory of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    )
    if args.out is not None:
        command = " ".join(["PYTHONPATH=src python3 benchmarks/sweep.py", *sys.argv[1:]])
        head = [
            "# benchmarks/sweep.py: the last run",
            "",
            f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The machine's cores are shared:",
            "the load averages say how busy it was; points per second by CPU time are the per-core figures.",
            "",
        ]
        args.out.write_text("\n".join(head + lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
