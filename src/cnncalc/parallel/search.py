"""``cnncalc plan``: every layout of a model on some devices that fits, ranked by the step's time.

The model is analysed once per recomputation choice (none, and each block checkpointed when it has blocks);
each layout is then the same nodes spread again (:func:`cnncalc.parallel.ranks.respread`), so a listed layout's
figures are exactly ``summary --parallel`` on it. The layouts: every ``dp·tp·pp·cp`` that makes the devices
(``tp`` within a node), ``zero`` 0 to 3, ``sp`` with ``tp``, for a pipeline the 1F1B, GPipe and interleaved
schedules at 1, 2 and 4 micro-batches per stage, gradient accumulation without one, ``ep`` over the replicas for
a mixture of experts. A layout fits when every rank's peak is within ``memory_fraction`` of the device's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError
from cnncalc.parallel.layout import ParallelLayout, parse_layout

CP_MIN = 1024  # a context-parallel rank keeps at least this many positions


@dataclass(frozen=True, slots=True)
class Candidate:
    """One layout evaluated: its peak (the rank that holds most), the step's time, and what limits it."""

    layout: ParallelLayout
    recompute: str
    peak_bytes: int
    seconds: float
    tokens_per_second: float | None
    samples_per_second: float
    mfu: float
    fits: bool
    limit: str
    parallel: Any = None

    @property
    def text(self) -> str:
        """The layout as ``--parallel`` takes it, with ``--recompute blocks`` when it checkpoints."""
        return str(self.layout) + (" + recompute" if self.recompute == "blocks" else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "layout": str(self.layout),
            "parallel": self.layout.as_dict(),
            "recompute": self.recompute,
            "peak_bytes": self.peak_bytes,
            "seconds": self.seconds,
            "tokens_per_second": self.tokens_per_second,
            "samples_per_second": self.samples_per_second,
            "mfu": self.mfu,
            "fits": self.fits,
            "limit": self.limit,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Every layout evaluated, the fitting ones ranked by step time (``best``), and how many were refused."""

    devices: int
    device: str
    memory_bytes: int  # what a rank may hold: the device's memory × memory_fraction
    candidates: tuple[Candidate, ...]
    refused: int  # layouts the model cannot take (heads, layers, experts or the batch do not split)

    @property
    def best(self) -> tuple[Candidate, ...]:
        return tuple(sorted((c for c in self.candidates if c.fits), key=lambda c: c.seconds))

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "devices": self.devices,
            "device": self.device,
            "memory_bytes": self.memory_bytes,
            "evaluated": len(self.candidates),
            "fitting": len(self.best),
            "refused": self.refused,
            "best": [c.as_dict() for c in self.best[:top]],
        }


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def layouts(
    devices: int, gpus_per_node: int, batch: int, blocks: int, sequence: int | None, experts: int
) -> Iterator[ParallelLayout]:
    """Every layout worth evaluating on ``devices`` (see the module's docstring)."""
    for tp in divisors(devices):
        if tp > gpus_per_node:
            continue
        for pp in divisors(devices // tp):
            if pp > 1 and (not blocks or blocks % pp):
                continue
            for cp in divisors(devices // (tp * pp)):
                if cp > 1 and (sequence is None or sequence % cp or sequence // cp < CP_MIN or cp > 8):
                    continue
                dp = devices // (tp * pp * cp)
                if batch % dp:
                    continue
                share = batch // dp
                for ep in divisors(dp) if experts else [1]:
                    if experts and experts % ep:
                        continue
                    for zero in (0, 1, 2, 3) if dp > 1 else (0,):
                        for sp in (False, True) if tp > 1 and sequence is not None else (False,):
                            if sp and sequence % tp:  # type: ignore[operator]
                                continue
                            yield from _schedules(dp, zero, tp, sp, pp, cp, ep, share, blocks)


def _schedules(
    dp: int, zero: int, tp: int, sp: bool, pp: int, cp: int, ep: int, share: int, blocks: int
) -> Iterator[ParallelLayout]:
    base = dict(dp=dp, zero=zero, tp=tp, sp=sp, pp=pp, cp=cp, ep=ep)
    if pp == 1:
        for m in (1, 2, 4, 8):
            if share % m == 0:
                yield ParallelLayout(**base, microbatches=m)
        return
    for per_stage in (1, 2, 4):
        m = pp * per_stage
        if share % m:
            continue
        yield ParallelLayout(**base, microbatches=m, schedule="1f1b")
        yield ParallelLayout(**base, microbatches=m, schedule="gpipe")
        if blocks % (2 * pp) == 0:
            yield ParallelLayout(**base, microbatches=m, schedule="interleaved", vpp=2)


def plan(report: Any, options: Any, *, blocked: Any = None) -> Plan:
    """Every layout over the analysis behind ``report`` (made with ``parallel`` set, so it can be spread again),
    and ``blocked`` (the same analysis with each block checkpointed, or None)."""
    from cnncalc.limits import guard
    from cnncalc.options import Options
    from cnncalc.parallel.ranks import respread

    count, device = options.devices
    gpn = options.gpus_per_node or 8
    fraction = options.memory_fraction or 0.9
    memory = int(device.memory_gb * 1e9 * fraction)
    source = report.parallel.source
    rows = source.rows
    blocks = len({r.block for r in rows if r.block is not None})
    experts = max((_experts(source, r) for r in rows if r.kind == "expertdense"), default=0)
    from cnncalc.parallel.ranks import _sequence

    sequence = _sequence(rows, source.graph)
    chosen = list(layouts(count, gpn, source.batch, blocks, sequence, experts))
    analyses = [("none", report)] + ([("blocks", blocked)] if blocked is not None else [])
    guard(
        "layouts", len(chosen) * len(analyses), f"cnncalc plan would evaluate {len(chosen) * len(analyses):,} layouts"
    )
    candidates = []
    refused = 0
    for recompute, analysed in analyses:
        for layout in chosen:
            opts = Options.make(options, parallel=layout, recompute=recompute)
            try:
                p = respread(analysed.parallel, opts)
            except CnnCalcError:
                refused += 1
                continue
            candidates.append(_candidate(p, layout, recompute, memory))
    return Plan(count, device.title, memory, tuple(candidates), refused)


def _experts(source: Any, row: Any) -> int:
    record = source.records.get(row.node_id)
    value = record[1].raw("experts") if record is not None else None
    return value if isinstance(value, int) else 0


def _candidate(p: Any, layout: ParallelLayout, recompute: str, memory: int) -> Candidate:
    """A layout's peak, time and what limits it: the memory when it is nearly full or over, else the largest part
    of the step (compute, the bubble, or a collective)."""
    worst = max(p.ranks, key=lambda c: c.peak_bytes)
    t = p.time
    fits = worst.peak_bytes <= memory
    share = worst.peak_bytes / memory
    if not fits:
        limit = f"memory: {share:.0%} of what a device may hold"
    else:
        parts = [("compute", t.compute_seconds), ("pipeline bubble", t.bubble_seconds)]
        exposed = [c for c in t.collectives if not c.overlapped and c.seconds]
        if exposed:
            top = max(exposed, key=lambda c: c.seconds)
            parts.append((f"{top.collective} over {top.axis} ({top.link})", t.communication_seconds))
        name, seconds = max(parts, key=lambda x: x[1])
        limit = f"{name} {seconds / t.seconds:.0%} of the step; memory {share:.0%}"
    return Candidate(
        layout,
        recompute,
        worst.peak_bytes,
        t.seconds,
        t.tokens_per_second,
        t.samples_per_second,
        t.mfu,
        fits,
        limit,
        p,
    )


def plan_report(spec: Any, options: Any, *, input: Any = None) -> tuple[Any, Plan]:  # noqa: A002
    """Analyse ``spec`` once per recomputation choice and :func:`plan` every layout on ``options.devices``."""
    from dataclasses import replace

    from cnncalc.analyze import analyze_graph
    from cnncalc.api import load
    from cnncalc.options import Options

    if options.devices is None:
        raise ArgumentError("cnncalc plan needs --devices", hint="e.g. --devices 64xh100-sxm")
    alone = replace(options, devices=None, gpus_per_node=None, network=None, overlap=False, memory_fraction=None)
    opts = Options.make(alone, train=True, parallel=parse_layout("dp=1"), recompute="none")
    graph = load(spec, input=input, train=True)
    report = analyze_graph(graph, opts)
    blocked = None
    if any(r.block for r in report.node_rows):
        blocked = analyze_graph(graph, Options.make(opts, recompute="blocks"))
    return report, plan(report, Options.make(options, train=True), blocked=blocked)
