"""What a run costs in FLOPs and time: a training run over a number of tokens, or one step, at a device's peak.

- ``tokens`` (with ``train``): the run's FLOPs = the training step's (forward and
  backward) × tokens / tokens per step, where a step reads the batch × the input's
  positions (token ids ``(L,)`` or a sequence ``(L, d)``). Beside it, the rule of
  thumb 6·N·D with N the parameters a token uses (the active ones of a mixture of
  experts) less the embedding's lookups, and D the tokens (docs/llm.md says how
  the two differ).
- ``hardware`` (a name from :mod:`cnncalc.hardware`) and ``mfu`` (model FLOPs
  utilisation, default 1: the peak): seconds = FLOPs / (peak at the report's dtype ×
  mfu), for the run, or else for one step (a training step with ``train``, the
  forward without).

>>> from cnncalc import analyze
>>> b = analyze("input(128) -> embedding(1000, 64) -> fc(1000)", train=True, tokens=1_280_000, flops="matmul").budget
>>> b.tokens_per_step, b.steps, b.flops      # 128 tokens a step; each step 2·128·64·1000 forward, twice that back
(128, 10000.0, 491520000000)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnncalc.errors import ArgumentError
from cnncalc.layers.calc import prod
from cnncalc.report import Row, Totals
from cnncalc.report_extras import Budget, LlmFigures, Training

if TYPE_CHECKING:
    from cnncalc.graph import Graph
    from cnncalc.options import Options


def budget(
    graph: Graph,
    nodes: list[Row],
    totals: Totals,
    training: Training | None,
    llm: LlmFigures | None,
    options: Options,
    dtype: str,
) -> Budget | None:
    """The run's FLOPs and time, when ``tokens`` or ``hardware`` are asked for; else None."""
    if options.mfu is not None and options.hardware is None and options.devices is None:
        raise ArgumentError("--mfu goes with --hardware or --devices", hint="e.g. --hardware h100-sxm --mfu 0.4")
    if options.tokens is None and options.hardware is None:
        return None
    step = training.flops if training is not None else totals.flops
    what = "training step" if training is not None else "forward"
    tokens = per_step = steps = six_nd = n = None
    flops = step
    if options.tokens is not None:
        if training is None:
            raise ArgumentError("--tokens counts a training run: it goes with --train")
        per_step = tokens_per_step(graph, nodes, options.batch)
        tokens = options.tokens
        steps = tokens / per_step
        flops = (step * tokens + per_step // 2) // per_step  # whole numbers: exact however large
        active = llm.active_params if llm is not None else totals.params
        n = active - sum(r.params for r in nodes if r.kind == "embedding")
        six_nd = 6 * n * tokens
        what = "training run"
    peak = seconds = None
    title = None
    if options.hardware is not None:
        from cnncalc.hardware import lookup

        device = lookup(options.hardware)
        title = device.title
        peak = device.peak_tflops(dtype) * 1e12
        seconds = flops / (peak * (options.mfu if options.mfu is not None else 1.0))
    return Budget(
        what=what,
        flops=flops,
        tokens=tokens,
        tokens_per_step=per_step,
        steps=steps,
        six_nd_flops=six_nd,
        six_nd_params=n,
        hardware=title,
        peak_flops=peak,
        mfu=options.mfu if options.mfu is not None else (1.0 if peak is not None else None),
        seconds=seconds,
        dtype=dtype,
    )


def tokens_per_step(graph: Graph, nodes: list[Row], batch: int) -> int:
    """The tokens one step reads: the batch × the positions of the network's input (token ids or a sequence)."""
    first = next((r for r in nodes if r.kind == "input"), None)
    shape = first.output_shape if first is not None else ()
    if graph.batch is not None:  # a traced model: the input's shape is (batch, positions) token ids
        if first is not None and first.dtype is not None and len(shape) == 2:
            return prod(shape)
    elif len(shape) == 1:  # token ids (L,)
        return batch * shape[0]
    elif len(shape) == 2:  # a sequence, features first as the core holds it: (d, L)
        return batch * shape[1]
    raise ArgumentError(
        "--tokens counts the tokens of a sequence model, and this network's input is neither token ids (L,) "
        "nor a sequence (L, d)"
    )


def human_seconds(s: float) -> str:
    """``2.5 days``, ``3.1 h``, ``41 s``, ``12 ms``: a duration in the unit that reads best."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if s >= size:
            return f"{s / size:,.3g} {unit}"
    for unit, size in (("ms", 1e-3), ("µs", 1e-6)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def human_hours(h: float) -> str:
    """Device-hours as a whole number when there are many, else to three figures."""
    return f"{h:,.0f}" if h >= 100 else f"{h:.3g}"
