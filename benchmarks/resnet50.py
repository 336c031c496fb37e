"""ResNet-50 through cnncalc and through torchinfo, side by side in one run.

Two comparisons, both as ratios:

- **warm, in one process**: cnncalc's spec path (the zoo's ResNet-50 notation parsed and
  analysed, the Report every renderer reads) against ``torchinfo.summary`` on the same
  network in plain PyTorch (built once, summarised with ``verbose=0``), imports done first,
  taking turns: each round, one sample of each cnncalc path, then one torchinfo call. A
  cnncalc sample is ``--loop`` calls in a row timed together, as ``timeit`` times a
  statement, so that it lasts tens of milliseconds as torchinfo's call does: the bursts in
  which a shared machine runs slower then weigh on both alike, where a 3 ms call either
  misses a burst or is doubled by it;
- **whole processes**: ``cnncalc summary resnet50.py:ResNet50 --input 1,3,224,224`` against a
  Python process that imports torch and torchinfo, builds the model and prints its summary,
  each from a fresh interpreter, taking turns.

Run from the repository root (needs the bench extra, for torchinfo):

    PYTHONPATH=src python3 benchmarks/resnet50.py [--reps 20] [--loop 10] [--procs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the plain-torch ResNet-50 lives beside the tests
sys.path.insert(0, str(ROOT / "src"))

MODEL_FILE = """\
import sys
sys.path.insert(0, {tests!r})
from support.torch_models import Bottleneck, ResNet


class ResNet50(ResNet):
    def __init__(self):
        super().__init__(Bottleneck, (3, 4, 6, 3))
"""

TORCHINFO = """\
import sys
sys.path.insert(0, {tests!r})
import torch, torchinfo
from support.torch_models import resnet50
print(torchinfo.summary(resnet50(), (1, 3, 224, 224), verbose=0))
"""


def looped(fn: Callable[[], Any], loop: int) -> float:
    """Seconds per call of ``loop`` calls in a row."""
    t = time.perf_counter()
    for _ in range(loop):
        fn()
    return (time.perf_counter() - t) / loop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20, help="rounds: samples of each warm call")
    ap.add_argument("--loop", type=int, default=10, help="cnncalc calls timed together in one sample")
    ap.add_argument("--procs", type=int, default=5)
    args = ap.parse_args()

    import torch
    import torchinfo
    from support.torch_models import resnet50

    from cnncalc import zoo
    from cnncalc.analyze import analyze_graph

    zoo.analyze("resnet50")  # warm

    def spec_path() -> Any:  # the zoo's text, parsed and built into a Graph, then analysed
        return analyze_graph(zoo.graph("resnet50"))

    model = resnet50()
    torchinfo.summary(model, (1, 3, 224, 224), verbose=0)  # warm
    graph = zoo.graph("resnet50")
    calls = {
        "cnncalc: the zoo's ResNet-50 spec, parsed and analysed": spec_path,
        "cnncalc: analyse only (the Graph parsed once)": lambda: analyze_graph(graph),
        "torchinfo.summary on the built model": lambda: torchinfo.summary(model, (1, 3, 224, 224), verbose=0),
    }
    # the three take turns, so that a slow minute of this shared machine slows all three: each round takes a
    # sample of each cnncalc path (--loop warm calls in a row, per call) and one of torchinfo (one call)
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(args.reps):
        for label, fn in calls.items():
            loop = 1 if label.startswith("torchinfo") else args.loop
            times[label].append(looped(fn, loop))
    warm = [(label, statistics.median(t), min(t)) for label, t in times.items()]

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / "resnet50_model.py"
        model_file.write_text(MODEL_FILE.format(tests=str(ROOT / "tests")), encoding="utf-8")
        script = Path(tmp) / "torchinfo_resnet50.py"
        script.write_text(TORCHINFO.format(tests=str(ROOT / "tests")), encoding="utf-8")
        commands = {
            "cnncalc summary resnet50.py:ResNet50 --input 1,3,224,224": [
                sys.executable,
                "-m",
                "cnncalc",
                "summary",
                f"{model_file}:ResNet50",
                "--input",
                "1,3,224,224",
            ],
            "python: import torch, torchinfo; build; torchinfo.summary": [sys.executable, str(script)],
        }
        runs: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.procs):
            for label, cmd in commands.items():
                t = time.perf_counter()
                subprocess.run(cmd, env=env, check=True, capture_output=True)
                runs[label].append(time.perf_counter() - t)

    versions = f"Python {platform.python_version()}, torch {torch.__version__}, torchinfo {torchinfo.__version__}"
    print(f"ResNet-50 at (1, 3, 224, 224); {versions}; {os.cpu_count()} cores")
    print()
    print(f"Warm, in one process ({args.reps} samples each; a cnncalc sample is {args.loop} calls in a row):")
    print()
    print("| what | median (ms) | fastest (ms) | torchinfo / this (median) |")
    print("|---|---:|---:|---:|")
    base = warm[2][1]
    for label, median, fastest in warm:
        print(f"| {label} | {median * 1e3:,.1f} | {fastest * 1e3:,.1f} | {base / median:,.1f}× |")
    print()
    print("Whole processes, taking turns:")
    print()
    print("| command | median (s) | fastest (s) | this / torchinfo's (median) |")
    print("|---|---:|---:|---:|")
    other = statistics.median(runs["python: import torch, torchinfo; build; torchinfo.summary"])
    for label, times in runs.items():
        median = statistics.median(times)
        print(f"| {label} | {median:.2f} | {min(times):.2f} | {median / other:.2f}× |")


if __name__ == "__main__":
    main()
