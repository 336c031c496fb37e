"""How parse and analyze time grow with the length of a chain, and the memory they take.

Builds chains of 1,000 / 10,000 / 100,000 layers in the text notation (a mix of
conv, batch norm, relu, max pool and dropout on an 8-channel 16x16 input, so
every shape stays valid), each size in a fresh Python process, and prints a
markdown table: parse time, analyze time, the cost per layer, and peak memory
(tracemalloc's peak during parse + analyze, measured in a second fresh process
because tracing slows everything down; and the process's max RSS).

    PYTHONPATH=src python3 benchmarks/chain.py
    PYTHONPATH=src python3 benchmarks/chain.py --sizes 1000 10000 --repeat
    PYTHONPATH=src python3 benchmarks/chain.py --no-gc     # the same with the cyclic GC off

``--repeat`` also times the same chains written with repetition
(``[conv(8, f=3, p=1) -> bn -> relu -> maxpool(3, s=1, p=1) -> dropout(0.1)] * n``),
where the parser reads one line and the builder expands it.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

PATTERN = ("conv(8, f=3, p=1)", "bn", "relu", "maxpool(3, s=1, p=1)", "dropout(0.1)")


def chain_text(n: int, repeat: bool) -> str:
    """A chain of ``n`` layers (the input included), one layer a line, or with repetition."""
    body = n - 1
    if repeat:
        whole, rest = divmod(body, len(PATTERN))
        text = f"input(16,16,8)\n-> [{' -> '.join(PATTERN)}] * {whole}"
        return text + "".join(f"\n-> {PATTERN[i]}" for i in range(rest))
    return "input(16,16,8)\n" + "\n".join(f"-> {PATTERN[i % len(PATTERN)]}" for i in range(body))


def best_of(runs: int, fn) -> tuple[float, object]:  # noqa: ANN001
    """The smallest wall time of ``runs`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(n: int, repeat: bool, traced: bool, no_gc: bool = False) -> dict[str, float]:
    """In this process: time (or trace) parse and analyze of one chain."""
    import cnncalc
    from cnncalc.analyze import analyze_graph

    text = chain_text(n, repeat)
    cnncalc.parse("input(1) -> relu")  # build the parser once, outside the timing
    gc.collect()
    if no_gc:
        gc.disable()
    if traced:
        tracemalloc.start()
        graph = cnncalc.parse(text)
        report = analyze_graph(graph)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(report.rows) == n
        return {"peak_mb": peak / 2**20}
    runs = 5 if n <= 1_000 else 3 if n <= 10_000 else 1
    parse_s, graph = best_of(runs, lambda: cnncalc.parse(text))
    analyze_s, report = best_of(runs, lambda: analyze_graph(graph))  # type: ignore[arg-type]
    assert len(report.rows) == n  # type: ignore[attr-defined]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return {"parse_s": parse_s, "analyze_s": analyze_s, "rss_mb": rss}


def in_child(n: int, repeat: bool, traced: bool, no_gc: bool = False) -> dict[str, float]:
    """Run :func:`measure` in a fresh interpreter, so no size inherits another's heap."""
    args = [sys.executable, __file__, "--child", str(n)]
    args += (["--repeat"] if repeat else []) + (["--traced"] if traced else []) + (["--no-gc"] if no_gc else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def baseline_rss() -> float:
    code = "import resource, cnncalc; cnncalc.analyze('input(1) -> relu');"
    code += "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def table(sizes: list[int], repeat: bool, no_gc: bool = False) -> tuple[str, list[float]]:
    lines = [
        "| layers | parse (s) | analyze (s) | parse µs/layer | analyze µs/layer | peak traced (MB) | max RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_layer = []
    for n in sizes:
        t = in_child(n, repeat, traced=False, no_gc=no_gc)
        m = in_child(n, repeat, traced=True, no_gc=no_gc)
        p_us, a_us = 1e6 * t["parse_s"] / n, 1e6 * t["analyze_s"] / n
        per_layer.append(p_us + a_us)
        lines.append(
            f"| {n:,} | {t['parse_s']:.3f} | {t['analyze_s']:.3f} | {p_us:.1f} | {a_us:.1f} "
            f"| {m['peak_mb']:.1f} | {t['rss_mb']:.0f} |"
        )
    return "\n".join(lines), per_layer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeat", action="store_true", help="also time the chains written with repetition")
    ap.add_argument("--no-gc", action="store_true", help="time with the cyclic garbage collector off")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat, args.traced, args.no_gc)))
        return 0

    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"baseline max RSS after `import cnncalc` and one tiny analysis: {baseline_rss():.0f} MB")
    print("garbage collector: " + ("off (gc.disable())" if args.no_gc else "on (Python's default)") + "\n")
    status = 0
    for repeat in [False, True] if args.repeat else [False]:
        print("Written with repetition:\n" if repeat else "One layer a line:\n")
        text, per_layer = table(args.sizes, repeat, args.no_gc)
        print(text)
        growth = per_layer[-1] / per_layer[0]
        verdict = "linear" if growth < 2 else "NOT linear"
        print(
            f"\nper-layer cost (parse + analyze) at {args.sizes[-1]:,} layers is {growth:.2f}x "
            f"that at {args.sizes[0]:,}: {verdict}\n"
        )
        status |= growth >= 2
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
