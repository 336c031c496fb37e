"""Time cnncalc on graphs that are not chains: ResNet-152 from the zoo, and residual networks of
250 to 4,000 blocks, reporting the cost per node so that linear growth is visible.

Run from the repository root:

    PYTHONPATH=src python3 benchmarks/graphs.py
"""

from __future__ import annotations

import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from cnncalc import analyze, zoo
from cnncalc.notation import parse

RESIDUAL = """
def res(c) {
  y = conv(c, f=3, p=1) -> bn -> relu -> conv(c, f=3, p=1) -> bn
  add(y, in) -> relu
}
input(32, 32, 16) -> [res(16)] * BLOCKS -> gap -> fc(10)
"""


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs, in seconds, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def row(name: str, build: Callable[[], Any]) -> str:
    t_parse, graph = best(build)
    t_analyze, report = best(lambda: analyze(graph))
    n = len(graph.nodes)
    mem = peak_mib(lambda: analyze(build()))
    total = t_parse + t_analyze
    return (
        f"| {name} | {n:,} | {t_parse * 1e3:,.1f} | {t_analyze * 1e3:,.1f} | {total / n * 1e6:,.1f} | {mem:,.1f} |"
        f" {report.totals.params:,} |"
    )


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, best of 3 runs\n")
    print("| network | nodes | build graph (ms) | analyze (ms) | µs per node | peak memory (MiB) | params |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(row("resnet152 (zoo)", lambda: zoo.graph("resnet152")))
    for blocks in (250, 500, 1000, 2000, 4000):
        text = RESIDUAL.replace("BLOCKS", str(blocks))
        print(row(f"residual × {blocks:,}", lambda text=text: parse(text)))


if __name__ == "__main__":
    main()
