"""cnncalc's torch front-end side by side with torchinfo, fvcore, ptflops, thop and FlopCounterMode.

Every (tool, model) pair runs in a fresh process (``--worker``), so peak RSS is the
tool's own; the parent collects the figures and writes a markdown report with
ratios against cnncalc. Run from the repository root:

    PYTHONPATH=src python3 benchmarks/compare_tools.py --reps 3 --out benchmarks/tools.md

Needs the ``bench`` extra (torch==2.13.0, torchinfo, fvcore, ptflops, thop).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the plain-torch models live beside the tests
sys.path.insert(0, str(ROOT / "src"))

MODELS = {
    "resnet50": "ResNet-50 (Bottleneck [3, 4, 6, 3], as torchvision builds it), input (1, 3, 224, 224)",
    "vit_b_16": "ViT-B/16-shaped transformer in plain torch (nn.MultiheadAttention, 12 x 768), input (1, 3, 224, 224)",
    "mlp_100": "nn.Sequential of 100 x [Linear(512, 512), ReLU], input (1, 512)",
    "conv_chain_1000": "nn.Sequential of 1,000 x [Conv2d(16, 16, 3, padding=1), ReLU], input (1, 16, 32, 32)",
    "llama_7b_meta": "Llama-2-7B-shaped decoder built on the meta device (dim 4096, 32 layers, 32 heads, "
    "ffn 11008, vocab 32000, RMSNorm, causal SDPA, no rotary), input ids (1, 16)",
}
TOOLS = {
    "build_only": "imports torch and builds the model; no tool (baseline)",
    "plain_forward": "one model(x) under torch.no_grad(), no counting (reference)",
    "cnncalc": "cnncalc.from_torch on the real model (its tensors swapped for zeros during the trace, or for meta "
    "ones when large), matmul",
    "cnncalc_meta": "cnncalc.from_torch on the model built under torch.device('meta') (as the CLI does)",
    "torchinfo": "torchinfo.summary(..., verbose=0): total_params, total_mult_adds",
    "fvcore": "fvcore FlopCountAnalysis(...).total() (1 per fused multiply-add) and parameter_count",
    "ptflops": "ptflops get_model_complexity_info(backend='pytorch') (MACs, params)",
    "ptflops_aten": "ptflops get_model_complexity_info(backend='aten') (MACs, params)",
    "thop": "thop.profile (MACs, params)",
    "flop_counter_mode": "torch.utils.flop_counter.FlopCounterMode, grad enabled (its documented use), default SDPA",
}
ON_META = {"llama_7b_meta"}

# Why the figures differ, per model. MAC counts do not vary between runs, so these are written once,
# from the arithmetic (and checked against the measured tables); see also shared/reference/other-tools-measured.md.
NOTES = {
    "resnet50": """\
cnncalc's 4,089,184,256 MACs = the conv and fc weights alone (no bias): the same as FlopCounterMode/2, fvcore's
conv/linear part and calflops. torchinfo +54,120 = the fc bias (1,000) + BN parameters x batch (53,120);
ptflops_aten +1,000 = the fc bias. fvcore +22,328,320 = batch norm at 2 per element (11,113,984 outputs) +
adaptive average pool (100,352), and it lists `add_` and `max_pool2d` as skipped. ptflops (pytorch backend)
+43,251,712 = bias + BN 2/element + ReLU and pooling, each ReLU/pool module counted twice (module hook and
patched functional). thop +44,558,336 = BN 4/element + the average pool. cnncalc puts those elementwise
costs in FLOPs instead, under a named convention: `seed` 8,178,569,216 (2 x MACs + 1 per pooling output),
`all` 8,217,431,528 (+ bias, BN 2/element, ReLU, pooling windows, residual adds). All agree on 25,557,032
parameters.""",
    "vit_b_16": """\
Same layers as torchvision's vit_b_16 (86,567,656 parameters). cnncalc: 17,563,828,224 MACs = the linear and
patch-conv weights (16,848,500,736) + attention's two matmuls (12 layers x 2 x 197² x 768 = 715,327,488),
counted from `F.scaled_dot_product_attention`. **Every other tool misses the attention matmuls** except
ptflops' pytorch backend (its MHA hook): on a real CPU forward, nn.MultiheadAttention (need_weights=False)
calls SDPA, which runs the fused `_scaled_dot_product_flash_attention_for_cpu` kernel, and FlopCounterMode
and ptflops_aten have no formula for it (0); fvcore lists SDPA as skipped. FlopCounterMode here = 2 x
16,848,500,736: run with `sdpa_kernel(SDPBackend.MATH)` it equals cnncalc's `matmul` FLOPs (the tests do
exactly that). torchinfo counts each Linear once per image, not per token (173 M), and thop has no rule
for nn.MultiheadAttention or the bare class-token/position parameters (0 MACs and 0 parameters for them).""",
    "mlp_100": """\
100 x 512² = 26,214,400 MACs (cnncalc, fvcore, thop, FlopCounterMode/2). torchinfo and ptflops_aten add the
biases (+51,200); ptflops (pytorch) adds the biases and each ReLU twice (+153,600).""",
    "conv_chain_1000": """\
1,000 x 16 x 16 x 9 x 1,024 = 2,359,296,000 MACs (cnncalc, fvcore, thop, FlopCounterMode/2). torchinfo and
ptflops_aten add the biases (+16,384,000); ptflops (pytorch) adds biases and each ReLU twice (+49,152,000).
2,000 modules is where per-module overhead shows: fvcore's jit trace and ptflops' patched functionals are
the slow/hungry ones (see the reference measurements).""",
    "llama_7b_meta": """\
6,738,415,616 parameters (= Llama-2-7B) from every tool except **thop: 6,607,077,376** (nn.Embedding and the
custom RMSNorm have no thop rule, so their 131,338,240 parameters count 0). MACs: linear weights x 16 tokens =
105,713,238,016 (fvcore, thop); + causal attention counted in full (32 layers x 32 heads x 2 x 16² x 128 =
67,108,864) = 105,780,346,880 (cnncalc, ptflops_aten, FlopCounterMode/2: on the meta device SDPA decomposes
to bmm, so FlopCounterMode sees it here, unlike on a real CPU forward); ptflops (pytorch) = weights + SiLU
elementwise, no attention; **torchinfo 6,738,415,616 = the parameter count**, a 16x under-count (Linear
counted once per batch row, not per token; the embedding counted as its whole table). **Every tool ran**: a
forward on meta tensors only propagates shapes, so hook-based tools work on a meta-built model too. What
none of them can do is run the real 7B model here: its float32 weights are 27 GB, more than this machine's
23.5 GiB, so building it on CPU fails before any tool starts (not attempted, to spare the shared machine).
cnncalc traces a model this large on meta (a real one is swapped to meta tensors for the trace), so the same
call works on any model size, with per-operator attribution and the uncounted list.""",
}
GENERAL = """\
## What the numbers mean

- **MAC** = one multiply plus one add; cnncalc's MACs are conv/linear/matmul/attention products only, without
  bias. FLOPs are reported under a named convention (`seed` default: 2 x MACs + 1 per pooling output;
  `matmul`: 2 x MACs, FlopCounterMode's; `all`: + every elementwise op). The table's cnncalc FLOPs are `matmul`.
- torchinfo "mult-adds" are parameter-driven (conv = params incl. bias x output positions; Linear = params x
  batch only; BN/LN/embedding = params x batch; activations, pooling, matmuls and attention = 0).
- fvcore's "flops" count one per fused multiply-add (= MACs), plus norms and average pooling; it skips
  (and lists) add, ReLU, max-pool, SDPA, embedding and more.
- ptflops reports MACs; its pytorch backend adds bias, norms, activations and pooling (counting ReLU/pool
  modules twice in 0.7.5); its aten backend counts only mm/addmm/bmm/convolution, bias included.
- thop reports MACs without bias; BN at 4/element; modules without a rule count 0 MACs and 0 parameters.
- FlopCounterMode reports FLOPs = 2 per MAC for mm/bmm/addmm/convolution/SDPA, with no causal discount; on a
  real CPU forward the fused SDPA kernel (and MHA's fast path under no_grad, LSTM/GRU under oneDNN) count 0.

Timing caveats: 2 CPUs shared with other jobs, so absolute times are noisy (this machine's real ViT-B/16
forward took 0.3 s in this run and 2 s in an earlier one); compare within a table. The first call in a
process pays one-off imports: PyTorch imports `torch._dynamo` (~1-1.5 s, ~40-80 MB) the first time a
dispatch mode meets a Python meta kernel, so FlopCounterMode and ptflops_aten pay it once (**call s**, and
their higher peak RSS). cnncalc runs a small model's forward on the CPU, on zeros, and pays it only for a
model it traces on the meta device (the 7B decoder here); **warm s** is the per-model cost. cnncalc's peak
RSS includes its zero copy of the weights for the trace; with the model built on the meta device, as the
CLI builds it (`cnncalc_meta`), that copy is the only one.
"""
SUMMARY = """\
**In short (this run).** Parameters: cnncalc agrees with torchinfo, fvcore and ptflops everywhere; thop drops
modules it has no rule for (ViT: 0.67x; the 7B model: 0.98x). MACs: cnncalc = FlopCounterMode/2 exactly on the
CNNs, the MLP and the 7B model; on the ViT every tool but ptflops (pytorch) under-counts by the attention
matmuls (0.96x), torchinfo by 100x (0.0099x) and thop by a third (0.64x); the other gaps (0.1-2 %) are bias,
norm and activation terms that cnncalc reports as FLOPs under a named convention instead of mixing into MACs.
Speed: the first call on ResNet-50 takes 0.14 s, as torchinfo's does, against 1.2-1.6 s for the other
operator-level counters (ptflops_aten, FlopCounterMode), which pay PyTorch's compiler import; warm, cnncalc is
the fastest on ViT-B/16 (0.25 s, the others 0.29-0.50 s: it does not compute the matrix products); on
ResNet-50 it takes 0.11 s (torchinfo and thop 0.09 s, ptflops 0.11 s, fvcore 0.20 s); where the real forward
is trivial (100 small linears, 1,000 tiny convs) cnncalc's per-operator Python work makes it 1.4-4x slower
than the hook-based tools (tens of milliseconds to under a second). Memory: its zero copy of the weights puts
its peak RSS at 1.3-1.6x torchinfo's on the real models; built on the meta device (as the CLI builds them),
1.1-1.4x; on the 7B model, which it traces on meta, the same as every tool.
"""


# ---------------------------------------------------------------- worker: one tool on one model


def build(name: str, meta: bool):
    import torch
    from support import torch_models as zoo

    def make():
        if name == "resnet50":
            return zoo.resnet50(), torch.randn(1, 3, 224, 224)
        if name == "vit_b_16":
            return zoo.SmallViT(image=224, patch=16, dim=768, depth=12, heads=12, num_classes=1000), torch.randn(
                1, 3, 224, 224
            )
        if name == "mlp_100":
            return zoo.mlp(100, 512), torch.randn(1, 512)
        if name == "conv_chain_1000":
            return zoo.conv_chain(1000, 16), torch.randn(1, 16, 32, 32)
        if name == "llama_7b_meta":
            return zoo.Llama(vocab=32000, dim=4096, layers=32, heads=32, ffn=11008), torch.zeros(
                1, 16, dtype=torch.long
            )
        raise SystemExit(f"unknown model {name}")

    if meta:
        with torch.device("meta"):
            model, x = make()
        return model.eval(), x.to("meta")
    model, x = make()
    return model.eval(), x


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_hwm() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak-RSS high-water mark
    except OSError:
        pass


def worker(tool: str, model_name: str) -> dict:
    t_import = time.perf_counter()
    import torch

    import_s = time.perf_counter() - t_import
    meta = model_name in ON_META or tool == "cnncalc_meta"
    model, x = build(model_name, meta)
    result: dict = {"tool": tool, "model": model_name, "import_torch_s": import_s}
    call = None
    if tool == "build_only":
        call = lambda: {}  # noqa: E731
    elif tool == "plain_forward":

        def call():
            with torch.no_grad():
                model(x)
            return {}
    elif tool in ("cnncalc", "cnncalc_meta"):
        from cnncalc import from_torch

        def call():
            r = from_torch(model, x, flops="matmul")
            return {
                "params": r.totals.params,
                "macs": r.totals.macs,
                "flops": r.totals.flops,
                "uncounted": [f"{u.name} x{u.calls}" for u in r.uncounted_ops],
            }
    elif tool == "torchinfo":
        import torchinfo

        def call():
            s = torchinfo.summary(model, input_data=[x], verbose=0, device=x.device)
            return {"params": s.total_params, "macs": s.total_mult_adds}
    elif tool == "fvcore":
        from fvcore.nn import FlopCountAnalysis, parameter_count

        def call():
            fca = FlopCountAnalysis(model, (x,))
            fca.unsupported_ops_warnings(False)
            fca.uncalled_modules_warnings(False)
            total = fca.total()
            skipped = sorted(f"{k} x{v}" for k, v in fca.unsupported_ops().items())
            return {"params": parameter_count(model)[""], "macs": int(total), "uncounted": skipped}
    elif tool in ("ptflops", "ptflops_aten"):
        import io

        from ptflops import get_model_complexity_info

        def call():
            macs, params = get_model_complexity_info(
                model,
                tuple(x.shape[1:]),
                as_strings=False,
                print_per_layer_stat=False,
                input_constructor=lambda _: x,
                backend="aten" if tool == "ptflops_aten" else "pytorch",
                ost=io.StringIO(),
            )
            return {"params": int(params), "macs": int(macs)}
    elif tool == "thop":
        import thop

        def call():
            macs, params = thop.profile(model, inputs=(x,), verbose=False)
            return {"params": int(params), "macs": int(macs)}
    elif tool == "flop_counter_mode":
        from torch.utils.flop_counter import FlopCounterMode

        def call():
            counter = FlopCounterMode(display=False)
            with counter:
                model(x)
            return {"flops": int(counter.get_total_flops())}
    else:
        raise SystemExit(f"unknown tool {tool}")
    before = rss_mb()
    reset_hwm()
    t0 = time.perf_counter()
    figures = call()
    result["call_s"] = time.perf_counter() - t0
    result["call_mb"] = max(hwm_mb() - before, 0.0)
    result.update(figures)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if tool != "build_only":
        if tool == "thop":  # thop cannot profile one model twice (its buffers exist): a fresh copy, built untimed
            model, x = build(model_name, meta)
        t0 = time.perf_counter()
        call()
        result["warm_s"] = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------- parent: run, aggregate, write


def run_one(tool: str, model: str, timeout: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, model]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "model": model, "status": f"timeout {timeout} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:160]
        return {"tool": tool, "model": model, "status": f"failed: {last}"}
    result = json.loads(lines[-1])
    result["process_s"] = wall
    result["status"] = "ok"
    return result


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return runs[-1]
    out = dict(ok[0])
    for key in ("call_s", "warm_s", "call_mb", "peak_rss_mb", "process_s"):
        values = [r[key] for r in ok if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    out["status"] = f"ok {len(ok)}/{len(runs)}"
    return out


def mac_equiv(r: dict) -> int | None:
    if r.get("macs") is not None:
        return r["macs"]
    if r.get("flops") is not None:
        return r["flops"] // 2
    return None


def n(v: int | float | None) -> str:
    return "—" if v is None else f"{v:,}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "—"
    return f"{a / b:.3f}"


def machine() -> str:
    import torch

    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for mod in ("torchinfo", "fvcore", "ptflops", "thop"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod)}")
        except Exception:  # noqa: BLE001
            versions.append(f"{mod} missing")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem:.1f} GiB RAM, Python {platform.python_version()}, "
        f"torch {torch.__version__}, " + ", ".join(versions)
    )


def report(results: dict[str, list[dict]], reps: int, command: str, machine_text: str, when: str) -> str:
    lines = [
        "# cnncalc vs the tools users run today",
        "",
        f"Generated by `{command}` on {when}.",
        f"Machine: {machine_text}. Each (tool, model) ran {reps} time(s), each in a fresh process; medians.",
        "",
        "Columns: **call s** = wall time of the first tool call in the process (model built and tool imported",
        "before); **warm s** = the same call again in the same process (for thop, on a second copy of the model);",
        "**peak RSS MB** = the whole process's peak (import + build + call); **call +MB** = peak during the",
        "call minus RSS just before it (high-water mark reset before the call). **MAC-equiv** = the MACs a",
        "tool reports, or FLOPs/2 for FlopCounterMode. Ratios are against cnncalc's figures for the same model",
        "(cnncalc's MACs are the same under every FLOPs convention; its `matmul` FLOPs = 2·MACs).",
        "",
        SUMMARY,
    ]
    lines += summary_tables(results)
    for model, rows in results.items():
        lines += [f"## {model}", "", MODELS[model], ""]
        base = next((r for r in rows if r["tool"] in ("cnncalc", "cnncalc_meta") and r.get("macs")), {})
        lines += [
            "| tool | call s | warm s | peak RSS MB | call +MB | params | MACs | FLOPs | MAC-equiv | "
            "MACs / cnncalc | params / cnncalc | warm s / cnncalc | status |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in rows:
            ok = str(r.get("status", "")).startswith("ok")
            lines.append(
                "| "
                + " | ".join(
                    [
                        r["tool"],
                        f"{r['call_s']:.3f}" if ok else "—",
                        f"{r['warm_s']:.3f}" if ok and r.get("warm_s") is not None else "—",
                        f"{r['peak_rss_mb']:.0f}" if ok else "—",
                        f"{r['call_mb']:.0f}" if ok else "—",
                        n(r.get("params")),
                        n(r.get("macs")),
                        n(r.get("flops")),
                        n(mac_equiv(r)),
                        ratio(mac_equiv(r), base.get("macs")),
                        ratio(r.get("params"), base.get("params")),
                        ratio(r.get("warm_s"), base.get("warm_s")) if ok and r["tool"] not in TOOLS_BASE else "—",
                        str(r.get("status")),
                    ]
                )
                + " |"
            )
        skipped = [f"{r['tool']}: {', '.join(r['uncounted'])}" for r in rows if r.get("uncounted")]
        if skipped:
            lines += ["", "Operators left uncounted (as each tool lists them): " + "; ".join(skipped)]
        if model in NOTES:
            lines += ["", "**Why they differ.** " + " ".join(NOTES[model].split())]
        lines.append("")
    lines += [GENERAL, "## Tools", ""] + [f"- `{k}`: {v}" for k, v in TOOLS.items()] + [""]
    return "\n".join(lines)


TOOLS_BASE = {"build_only", "plain_forward"}


def summary_tables(results: dict[str, list[dict]]) -> list[str]:
    """Ratios to cnncalc across models: MAC-equivalent, parameters, warm call time, peak RSS."""
    models = list(results)
    tools = [t for t in TOOLS if t not in TOOLS_BASE and any(r["tool"] == t for rows in results.values() for r in rows)]
    out = []
    for title, key, fmt_ in (
        ("MAC-equivalent / cnncalc MACs", mac_equiv, "{:.4f}"),
        ("parameters / cnncalc", lambda r: r.get("params"), "{:.4f}"),
        ("warm call time / cnncalc's", lambda r: r.get("warm_s"), "{:.2f}"),
        ("peak RSS / cnncalc's", lambda r: r.get("peak_rss_mb"), "{:.2f}"),
    ):
        out += [f"### {title}", "", "| tool | " + " | ".join(models) + " |", "|---|" + "---:|" * len(models)]
        for tool in tools:
            cells = []
            for model in models:
                rows = {r["tool"]: r for r in results[model]}
                base = rows.get("cnncalc") or {}
                r = rows.get(tool)
                a, b = (key(r) if r else None), key(base) if base else None
                cells.append(fmt_.format(a / b) if a is not None and b else "—")
            out.append(f"| {tool} | " + " | ".join(cells) + " |")
        out.append("")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "MODEL"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--out", default="")
    ap.add_argument("--json", default="", help="also write the raw medians here")
    ap.add_argument("--from-json", default="", help="render the report from medians saved by --json; run nothing")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    results: dict[str, list[dict]] = {}
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        text = report(saved["results"], saved["reps"], saved["command"], saved["machine"], saved["when"])
        Path(args.out).write_text(text, encoding="utf-8") if args.out else print(text)
        return
    for model in args.models.split(","):
        results[model] = []
        for tool in args.tools.split(","):
            if tool == "cnncalc_meta" and model in ON_META:
                continue  # the 7B model is on meta for every tool already
            runs = [run_one(tool, model, args.timeout) for _ in range(args.reps)]
            best = median_of(runs)
            results[model].append(best)
            print(
                f"{model:16} {tool:18} {best.get('status')}: call {best.get('call_s', 0):.3f}s "
                f"peak {best.get('peak_rss_mb', 0):.0f} MB params {n(best.get('params'))} "
                f"MAC-equiv {n(mac_equiv(best))}",
                flush=True,
            )
    command = "PYTHONPATH=src python3 benchmarks/compare_tools.py " + " ".join(
        a for a in sys.argv[1:] if not a.startswith("--out") and not a.endswith(".md")
    )
    when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = report(results, args.reps, command.strip(), machine(), when)
    if args.json:
        saved = {"results": results, "reps": args.reps, "command": command.strip(), "machine": machine(), "when": when}
        Path(args.json).write_text(json.dumps(saved, indent=1), encoding="utf-8")
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
