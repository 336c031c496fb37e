"""Time a language model's report from its config.json, side by side with transformers on the meta device.

Both count the same config (Llama-3-70B, tests/data/hf/llama3_70b.json) at one input:

- cnncalc: ``cnncalc.from_hf_config(path, (1, L))``, config to Report (parameters, MACs, FLOPs,
  memory, KV cache, prefill and decode FLOPs), then the same rendered as the table and as JSON;
- transformers: ``AutoModelForCausalLM.from_config`` on the meta device (parameters by numel),
  then FlopCounterMode over its forward with fake tensors (eager attention), the way a user
  would get the same two numbers without cnncalc. Its import is timed apart.

Each figure is the median of several runs in one process (imports done first). Run from the
repository root, with the test extra installed (transformers):

    HF_HUB_OFFLINE=1 PYTHONPATH=src python3 benchmarks/llm.py
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "hf" / "llama3_70b.json"
LENGTH = 4096


FASTEST: dict[float, float] = {}  # median -> the fastest run, for the table


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times) * 1e3
    FASTEST[median] = min(times) * 1e3
    return median, out


def cnncalc_side(repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    import cnncalc

    imported = (time.perf_counter() - t0) * 1e3
    report_ms, report = median_ms(lambda: cnncalc.from_hf_config(str(CONFIG), (1, LENGTH), flops="matmul"), repeat)
    table_ms, _ = median_ms(lambda: cnncalc.from_hf_config(str(CONFIG), (1, LENGTH), flops="matmul").table(), repeat)
    json_ms, _ = median_ms(lambda: cnncalc.from_hf_config(str(CONFIG), (1, LENGTH), flops="matmul").to_json(), repeat)
    return {
        "import_ms": imported,
        "report_ms": report_ms,
        "table_ms": table_ms,
        "json_ms": json_ms,
        "params": report.totals.params,
        "flops": report.totals.flops,
    }


def transformers_side(repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    import torch
    import transformers
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.utils.flop_counter import FlopCounterMode

    imported = (time.perf_counter() - t0) * 1e3
    data = json.loads(CONFIG.read_text())

    def build() -> Any:
        cfg = transformers.AutoConfig.for_model(**data)
        with torch.device("meta"):
            return transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")

    def count() -> tuple[int, int]:
        model = build()
        params = sum(p.numel() for p in model.parameters())
        with FakeTensorMode(allow_non_fake_inputs=True):
            fake = model.to_empty(device="cpu")
            with FlopCounterMode(display=False) as counter:
                fake(input_ids=torch.zeros((1, LENGTH), dtype=torch.long), use_cache=False)
        return params, counter.get_total_flops()

    build_ms, model = median_ms(build, repeat)
    params_ms, _ = median_ms(lambda: sum(p.numel() for p in build().parameters()), repeat)
    total_ms, (params, flops) = median_ms(count, max(1, repeat // 2))
    return {
        "import_ms": imported,
        "build_ms": build_ms,
        "params_ms": params_ms,
        "total_ms": total_ms,
        "params": params,
        "flops": flops,
    }


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    c = cnncalc_side(repeat)
    t = transformers_side(max(3, repeat // 3))
    same = "yes" if (c["params"], c["flops"]) == (t["params"], t["flops"]) else "NO"
    print(
        f"Llama-3-70B config, input (1, {LENGTH}); "
        f"Python {platform.python_version()} on {platform.machine()}; medians\n"
    )
    print("| what | median (ms) | fastest (ms) | median vs cnncalc's report |")
    print("|---|---:|---:|---:|")
    base = c["report_ms"]
    rows = [
        ("cnncalc: config → Report (all figures)", c["report_ms"]),
        ("cnncalc: config → JSON", c["json_ms"]),
        ("cnncalc: config → table (rich)", c["table_ms"]),
        ("transformers: config → model on meta", t["build_ms"]),
        ("transformers: config → params (meta numel)", t["params_ms"]),
        ("transformers: config → params + FlopCounterMode forward (fake tensors)", t["total_ms"]),
    ]
    for name, ms in rows:
        print(f"| {name} | {ms:,.1f} | {FASTEST[ms]:,.1f} | {ms / base:,.1f}× |")
    print(f"\nImports: cnncalc {c['import_ms']:,.0f} ms; torch + transformers {t['import_ms']:,.0f} ms")
    print(f"Same params ({c['params']:,}) and FLOPs under matmul ({c['flops']:,}): {same}")


if __name__ == "__main__":
    main()
