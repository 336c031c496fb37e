"""Start-up: `cnncalc summary` on a small spec, side by side with importing the libraries it is built on.

Each command runs in a fresh Python process, the commands taking turns, ``--repeat`` times each;
the best and the median wall time of each are reported, and the ratio of cnncalc's to the
imports' (best to best, median to median). Run from a checkout with cnncalc installed:

    python benchmarks/startup.py --repeat 30 [--phases]

The commands:

- ``summary``: ``cnncalc summary net.cnn`` (a two-line spec: LeNet-like, 8 layers), output to a pipe;
- ``import typer, rich, lark``: the libraries cnncalc's CLI is built on (the issue's yardstick);
- ``+ typer's option parsing``: the same, plus what typer imports to parse any option
  (``typer._adapters``, which brings pydantic) — typer's floor for any command;
- ``import cnncalc.cli``: cnncalc's CLI module and what it imports, without running a command.

``--phases`` then times each step inside one process (the libraries, typer's pydantic, cnncalc's
modules, parse and analyze (importing the notation's parser and analysis first), the table, typer
running the command), as a share of the imports.

The spec is well formed, so cnncalc's own reader takes it and lark is not imported (lark reads
only a text with a mistake, to say what it is and where, from tables cached in ~/.cache/cnncalc).
One untimed run of each command comes first, so that every timed run is a user's second run onwards.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = (
    "input(32,32,3) -> CONV1(8, f=5) -> POOL1(2) -> CONV2(16, f=5) -> POOL2(2)\n"
    "  -> FC3(120) -> FC4(84) -> softmax(10)\n"
)


def commands(spec: Path) -> dict[str, list[str]]:
    py = sys.executable
    out = {
        "cnncalc summary (2-line spec)": [py, "-m", "cnncalc", "summary", str(spec)],
        "import typer, rich, lark": [py, "-c", "import typer, rich, lark"],
        "+ typer's option parsing": [py, "-c", "import typer, rich, lark, typer._adapters"],
        "import cnncalc.cli": [py, "-c", "import cnncalc.cli"],
    }
    if importlib.util.find_spec("typer._adapters") is None:  # typer before 0.29 parses options without pydantic
        del out["+ typer's option parsing"]
    return out


# Python caches compiled modules (__pycache__) on a first import, and pip compiles an installed package; a
# PYTHONDONTWRITEBYTECODE in the environment would make every run compile cnncalc afresh (but not the
# libraries pip installed), which is no user's second run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"COLUMNS": "100"}


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


# One process, step by step: where a summary's time goes after the libraries are imported.
PHASES = """
import contextlib, io, json, sys, time
t = [time.perf_counter()]
import typer, rich, lark
t.append(time.perf_counter())
try:
    import typer._adapters  # typer 0.29: option parsing imports pydantic
except ImportError:
    pass
t.append(time.perf_counter())
import cnncalc.cli
t.append(time.perf_counter())
from cnncalc.api import analyze
report = analyze(open(sys.argv[1]).read())
t.append(time.perf_counter())
from cnncalc.render.table import render
render(report, width=100, box=False)
t.append(time.perf_counter())
sys.argv = ["cnncalc", "summary", sys.argv[1]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cnncalc.cli.main()  # the console script: builds the summary command alone
    except SystemExit:
        pass
t.append(time.perf_counter())
steps = ["libraries", "typer's pydantic", "cnncalc's modules", "parse + analyze", "table", "typer running it"]
print(json.dumps(dict(zip(steps, [b - a for a, b in zip(t, t[1:])]))))
"""


def phases(spec: Path, repeat: int) -> None:
    import json

    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", PHASES, str(spec)], check=True, capture_output=True, env=ENV)
        runs.append(json.loads(out.stdout))
    base = statistics.median(r["libraries"] for r in runs)
    print("\n| step (one process; the last runs the command again, warm) | median (s) | share of the imports |")
    print("|---|---:|---:|")
    for step in runs[0]:
        med = statistics.median(r[step] for r in runs)
        print(f"| {step} | {med:.3f} | {med / base:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--phases", action="store_true", help="also time each step inside one process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "net.cnn"
        spec.write_text(SPEC, encoding="utf-8")
        cmds = commands(spec)
        for cmd in cmds.values():  # warm the file cache and lark's parser cache; not timed
            run(cmd)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.repeat):
            for name, cmd in cmds.items():
                times[name].append(run(cmd))
    base = "import typer, rich, lark"
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("typer", "rich", "lark"))
    python = sys.version.split()[0]
    print(f"Python {python}, {versions}; {os.cpu_count()} CPUs, {args.repeat} runs each, taking turns\n")
    print("| command | best (s) | median (s) | best / imports | median / imports |")
    print("|---|---:|---:|---:|---:|")
    for name, ts in times.items():
        best, med = min(ts), statistics.median(ts)
        b_ratio = best / min(times[base])
        m_ratio = med / statistics.median(times[base])
        print(f"| {name} | {best:.3f} | {med:.3f} | {b_ratio:.2f}x | {m_ratio:.2f}x |")
    if args.phases:
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "net.cnn"
            spec.write_text(SPEC, encoding="utf-8")
            phases(spec, args.repeat)


if __name__ == "__main__":
    main()
