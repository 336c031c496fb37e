"""cnncalc's ONNX front-end side by side with onnx-tool's profile, on ResNet-50 exported to ONNX, in one run.

Each (tool, file) pair runs in a fresh process (``--worker``), so the peak RSS is the
tool's own; the parent exports the files, collects the figures and writes a markdown
report with the parameters and MACs each tool finds and the time ratios. From the
repository root:

    PYTHONPATH=src python3 benchmarks/onnx_tools.py --reps 3 --out benchmarks/onnx.md

Needs the ``bench`` extra (torch==2.13.0, onnx, onnx-tool).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the plain-torch models live beside the tests
sys.path.insert(0, str(ROOT / "src"))

FILES = {
    "resnet50": "ResNet-50 exported as the tests export (opset 17, dynamic batch, no constant folding): "
    "53 Conv + 53 BatchNormalization nodes",
    "resnet50_folded": "the same with constant folding in eval mode (batch norms folded into the convolutions)",
    "resnet50_no_weights": "the first file saved with its weights as external data, the weights file then deleted",
}
TOOLS = {
    "onnx_load": "onnx.load(path, load_external_data=False) alone (baseline: reading the protobuf)",
    "cnncalc": "cnncalc.from_onnx(path, (1, 3, 224, 224)): every node's shape, params, MACs, FLOPs, memory",
    "onnx_tool": "onnx_tool.loadmodel + graph.shape_infer + graph.profile (what model_profile runs, without printing)",
}


def export(folder: Path) -> dict[str, Path]:
    import torch
    from support.onnx_models import distinct_weights
    from support.onnx_models import export as to_onnx
    from support.torch_models import resnet50

    torch.manual_seed(0)
    model = distinct_weights(resnet50().eval())
    x = torch.randn(1, 3, 224, 224)
    import onnx

    plain = to_onnx(model, x, folder / "resnet50.onnx")
    to_onnx(model, x, folder / "resnet50_folded.onnx", folding=True)
    proto = onnx.load(str(plain))
    onnx.save_model(proto, str(folder / "resnet50_no_weights.onnx"), save_as_external_data=True, location="w.bin")
    (folder / "w.bin").unlink()


def work(tool: str, path: str) -> dict[str, object]:
    """Run one tool once on one file; return its figures and the seconds it took."""
    warnings.simplefilter("ignore")
    if tool == "onnx_load":
        import onnx

        start = time.perf_counter()
        onnx.load(path, load_external_data=False)
        return {"seconds": time.perf_counter() - start}
    if tool == "cnncalc":
        import cnncalc

        start = time.perf_counter()
        r = cnncalc.from_onnx(path, (1, 3, 224, 224), flops="matmul")
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "params": r.totals.params, "macs": r.totals.macs, "buffers": r.totals.buffers}
    if tool == "onnx_tool":
        import numpy as np
        import onnx_tool

        start = time.perf_counter()
        m = onnx_tool.loadmodel(path, {"verbose": False})
        g = m.graph
        g.graph_reorder_nodes()
        g.shape_infer({"input": np.zeros((1, 3, 224, 224), dtype=np.float32)})
        g.profile()
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "params": int(g.params), "macs": int(g.macs[0])}
    raise SystemExit(f"unknown tool {tool}")


def worker(tool: str, path: str, reps: int) -> None:
    runs = [work(tool, path) for _ in range(reps)]
    best = min(runs, key=lambda r: r["seconds"])  # type: ignore[arg-type, return-value]
    best["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(best))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "PATH"))
    ap.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker, args.reps)
        return
    if args.export:
        export(args.export)
        return
    folder = Path(tempfile.mkdtemp(prefix="cnncalc-onnx-bench-"))
    # the export runs in its own process: Linux keeps a parent's peak RSS in the children it starts
    subprocess.run([sys.executable, __file__, "--export", str(folder)], check=True, capture_output=True)
    files = {name: folder / f"{name}.onnx" for name in FILES}
    results: dict[str, dict[str, dict[str, object]]] = {}
    for name, path in files.items():
        for tool in TOOLS:
            cmd = [sys.executable, __file__, "--worker", tool, str(path), "--reps", str(args.reps)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                error = (done.stderr.strip().splitlines() or ["failed"])[-1][:80]
                results.setdefault(name, {})[tool] = {"error": error}
            else:
                results.setdefault(name, {})[tool] = json.loads(done.stdout.strip().splitlines()[-1])
            print(name, tool, results[name][tool], file=sys.stderr)
    text = report(results, args.reps)
    if args.out:
        args.out.write_text(text)
    print(text)


def report(results: dict[str, dict[str, dict[str, object]]], reps: int) -> str:
    lines = [
        "# ONNX: cnncalc and onnx-tool on ResNet-50",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, best of {reps} runs per tool in a fresh "
        "process (2 shared cores: expect ±10%). Written by `PYTHONPATH=src python3 benchmarks/onnx_tools.py "
        f"--reps {reps} --out benchmarks/onnx.md`.",
        "",
        *[f"- **{k}**: {v}" for k, v in FILES.items()],
        *[f"- `{k}`: {v}" for k, v in TOOLS.items()],
        "",
        "| file | tool | time (s) | vs cnncalc | peak RSS (MB) | params | MACs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, by_tool in results.items():
        base = float(by_tool["cnncalc"]["seconds"])  # type: ignore[arg-type]
        for tool, r in by_tool.items():
            if "error" in r:
                lines.append(f"| {name} | {tool} | fails: `{r['error']}` | | | | |")
                continue
            seconds = float(r["seconds"])  # type: ignore[arg-type]
            params = f"{r['params']:,}" if "params" in r else "–"
            macs = f"{r['macs']:,}" if "macs" in r else "–"
            lines.append(
                f"| {name} | {tool} | {seconds:.3f} | {seconds / base:.2f}× | {float(r['rss_mb']):.0f} | "  # type: ignore[arg-type]
                f"{params} | {macs} |"
            )
    return "\n".join(lines + WHY) + "\n"


WHY = [
    "",
    "## Why the figures differ",
    "",
    "- **Parameters.** cnncalc counts what PyTorch's `numel` counts (25,557,032 for ResNet-50, its published "
    "figure): the batch norms' running mean and variance are buffers (53,120 values, reported beside the parameters). "
    "onnx-tool counts every initializer a node reads as a parameter, statistics included: +53,120. With the "
    "batch norms folded, both find the folded file's 25,530,472 (the convolutions gain biases, γ, β and the "
    "statistics are gone); cnncalc's report says the exporter folded them.",
    "- **MACs.** cnncalc's MACs are multiply-accumulates of convolutions and matrix products only (4.09 G, "
    "torchvision's published 4.09 GFLOPS column, which counts MACs); elementwise work is FLOPs under "
    "`--flops all`. onnx-tool also counts batch norm (2 per element), ReLU, Add and pooling as MACs: +361.6 M "
    "unfolded, +28.2 M folded (ReLU, the residual adds, max pool, global pool).",
    "- **No weights.** cnncalc reads the file's graph only (the weights' values stay on disk, external data is "
    "never opened) and never needs the weights; onnx-tool loads them and fails when the weights file is gone. "
    "So cnncalc reads ResNet-50's 100 MB file in less memory than `onnx.load` alone.",
]


if __name__ == "__main__":
    main()
