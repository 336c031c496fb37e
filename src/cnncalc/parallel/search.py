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
from dataclasses import dataclass, field, replace
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
    parallel: Any = field(default=None, compare=False, repr=False)  # every rank's figures, when run in this process

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
    run: Any = field(default=None, compare=False, repr=False)  # the sweep engine's Outcome, when it ran there

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


SCHEMA = [
    ("point", "int64"),
    ("layout", "string"),
    ("recompute", "string"),
    ("peak_bytes", "int64"),
    ("seconds", "double"),
    ("tokens_per_second", "double"),
    ("samples_per_second", "double"),
    ("mfu", "double"),
    ("fits", "bool"),
    ("limit", "string"),
    ("error", "string"),
]


@dataclass
class PlanTask:
    """``cnncalc plan`` as a task of the sweep engine (:class:`cnncalc.sweep.engine.Task`): point ``k`` is the
    ``k``-th (layout, recomputation) pair; its row is the layout's peak, time and limit, or the error that refuses
    it. The task is sent once to every worker, which analyses the graph once per recomputation choice and spreads
    each of its points over that analysis; in this process the analysis already made is used.

    >>> task = PlanTask(None, None, [("dp=2", "none"), ("dp=2", "blocks")], 72 * 10**9, SCHEMA)
    >>> task.size, task.points[1]
    (2, ('dp=2', 'blocks'))
    """

    graph: Any
    options: Any  # with devices, and parallel="dp=1" (each point's layout replaces it)
    points: list[tuple[str, str]]  # (layout as --parallel takes it, recompute)
    memory: int
    schema: list[tuple[str, str]]

    @property
    def size(self) -> int:
        return len(self.points)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}  # not the analyses: made there

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def identity(self) -> str:
        import hashlib

        what = repr((self.graph, self.options, self.points, self.memory, self.schema)).encode()
        return "plan " + hashlib.sha256(what).hexdigest()

    def analysis(self, recompute: str) -> Any:
        """The graph analysed with (or without) each block checkpointed, once per process."""
        from cnncalc.analyze import analyze_graph
        from cnncalc.options import Options

        cache = self.__dict__.setdefault("_analyses", {})
        if recompute not in cache:
            cache[recompute] = analyze_graph(self.graph, Options.make(_alone(self.options), recompute=recompute))
        return cache[recompute]

    def evaluate(self, k: int) -> Candidate | str:
        """Point ``k``: the layout's :class:`Candidate`, or the message of the error that refuses it."""
        from cnncalc.options import Options
        from cnncalc.parallel.ranks import respread

        text, recompute = self.points[k]
        layout = parse_layout(text)
        try:
            p = respread(self.analysis(recompute).parallel, Options.make(self.options, parallel=layout))
        except CnnCalcError as e:
            return str(e)
        return _candidate(p, layout, recompute, self.memory)

    def rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        out = []
        for k in range(start, stop):
            text, recompute = self.points[k]
            c = self.evaluate(k)
            row: dict[str, Any] = {"point": k, "layout": text, "recompute": recompute}
            if isinstance(c, str):
                row["error"] = c
            else:
                row.update({name: getattr(c, name) for name, _ in SCHEMA if name not in row and name != "error"})
            out.append(row)
        return out

    def finish(self, rows: Iterator[dict[str, Any]]) -> None:
        return None  # every layout's row is kept

    def plan(self) -> Plan:
        """Every point evaluated here, in this process: each candidate keeps its ranks' figures."""
        count, device = self.options.devices
        found = [self.evaluate(k) for k in range(self.size)]
        candidates = tuple(c for c in found if not isinstance(c, str))
        return Plan(count, device.title, self.memory, candidates, len(found) - len(candidates))


def _alone(options: Any) -> Any:
    """The options of the analysis every layout spreads: training, one rank, no devices."""
    from cnncalc.options import Options

    alone = replace(options, devices=None, gpus_per_node=None, network=None, overlap=False, memory_fraction=None)
    return Options.make(alone, train=True, parallel=parse_layout("dp=1"))


def plan_task(graph: Any, options: Any, report: Any, blocked: bool) -> PlanTask:
    """The layouts worth evaluating for an analysed graph on ``options.devices`` (the model's blocks, experts and
    sequence say which divide), without and (``blocked``) with each block checkpointed."""
    from cnncalc.limits import guard
    from cnncalc.options import Options
    from cnncalc.parallel.ranks import _sequence

    count, device = options.devices
    gpn = options.gpus_per_node or 8
    memory = int(device.memory_gb * 1e9 * (options.memory_fraction or 0.9))
    source = report.parallel.source
    rows = source.rows
    blocks = len({r.block for r in rows if r.block is not None})
    experts = max((_experts(source, r) for r in rows if r.kind == "expertdense"), default=0)
    chosen = [str(x) for x in layouts(count, gpn, source.batch, blocks, _sequence(rows, source.graph), experts)]
    choices = ("none", "blocks") if blocked else ("none",)
    points = [(layout, recompute) for recompute in choices for layout in chosen]
    guard("layouts", len(points), f"cnncalc plan would evaluate {len(points):,} layouts")
    task = PlanTask(graph, Options.make(options, train=True), points, memory, SCHEMA)
    task.__dict__["_analyses"] = {"none": report}
    return task


def plan_rows(rows: Iterator[dict[str, Any]] | list[dict[str, Any]], options: Any, memory: int) -> Plan:
    """The Plan of a plan task's rows, read back from the engine's dataset (in any order)."""
    count, device = options.devices
    candidates = []
    refused = 0
    for row in sorted(rows, key=lambda r: r["point"]):
        if row.get("error") is not None:
            refused += 1
            continue
        candidates.append(
            Candidate(
                parse_layout(row["layout"]),
                row["recompute"],
                row["peak_bytes"],
                row["seconds"],
                row["tokens_per_second"],
                row["samples_per_second"],
                row["mfu"],
                row["fits"],
                row["limit"],
            )
        )
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


def plan_report(
    spec: Any,
    options: Any,
    *,
    input: Any = None,  # noqa: A002
    output: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = False,
) -> tuple[Any, Plan]:
    """Analyse ``spec`` and evaluate every layout on ``options.devices``, ranked by step time.

    The layouts are a task of the sweep engine (:class:`PlanTask`). By default they run here, in this process,
    and each candidate keeps its ranks' figures. Given ``output`` (a folder: every layout's row is written there
    as a Parquet dataset), ``workers`` above 0 (a local Dask cluster of that many processes), ``scheduler`` (a Dask
    cluster's address) or ``resume`` (continue the run ``output`` holds), they run on the engine; the plan is read
    back from its rows, the same figures (``tests/parallel/test_time_and_plan.py`` holds the two to each other).
    """
    from cnncalc.analyze import analyze_graph
    from cnncalc.api import load
    from cnncalc.options import Options

    if options.devices is None:
        raise ArgumentError("cnncalc plan needs --devices", hint="e.g. --devices 64xh100-sxm")
    if resume and output is None:
        raise ArgumentError("--resume needs --output: the folder of the plan to continue")
    graph = load(spec, input=input, train=True)
    report = analyze_graph(graph, Options.make(_alone(options), recompute="none"))
    task = plan_task(graph, options, report, any(r.block for r in report.node_rows))
    if output is None and not workers and scheduler is None:
        return report, task.plan()
    import tempfile
    from pathlib import Path

    from cnncalc.sweep.engine import read_rows, run, timed

    seconds = None if resume else timed(lambda k: task.rows(k, k + 1), task.size)
    with tempfile.TemporaryDirectory(prefix="cnncalc-plan-") as scratch:
        folder = Path(output) if output is not None else Path(scratch) / "layouts"
        done = run(
            task,
            folder,
            workers=workers or 0,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
            seconds_per_point=seconds,
        )
        found = plan_rows(read_rows(folder), task.options, task.memory)
    return report, replace(found, run=done)


def plan(report: Any, options: Any) -> Plan:
    """Every layout over the analysis behind ``report`` (a training report made with ``parallel`` set), in this
    process: what ``cnncalc plot --kind plan`` draws."""
    return plan_task(report.parallel.source.graph, options, report, False).plan()
