"""A parallel step in time: compute by the roofline (or at a model FLOPs utilisation), each collective by the ring
and tree formulas over the links its group crosses, the pipeline's bubble, and what overlaps.

Collectives, for ``S`` bytes over a group of ``n`` ranks on ``N`` nodes, ``B`` the slowest link's bandwidth in one
direction (NVLink or PCIe inside a node, the node's network per device across nodes):

- ring all-reduce ``2(n − 1)/n · S/B``; reduce-scatter and all-gather ``(n − 1)/n · S/B``; all-to-all
  ``(n − 1)/n · S/B``; broadcast and send/recv ``S/B``;
- tree all-reduce (NCCL's double binary tree) ``2·S/B``, with ``log2(N)`` network hops instead of the ring's
  ``2(N − 1)``: the quicker of ring and tree is taken, as NCCL's tuner takes it;
- each call also waits a latency, NCCL's own tuning model's (``src/graph/tuning.cc``, the Simple protocol): a
  ring's base of 8.4 µs and per step 3.4 µs over NVLink, 5.7 µs over PCIe, 9.6 µs over the network; a tree's
  28 µs a hop inside a node and 50 µs across.

>>> round(collective_seconds("all_reduce", 2**30, 8, 1, 450e9, 50e9)[0] * 1e3, 3)   # 1 GiB over 8 NVLink GPUs
4.232
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# NCCL's latency model (src/graph/tuning.cc, Simple protocol), seconds
RING_BASE = 8.4e-6
RING_STEP = {"nvlink": 3.4e-6, "pcie": 5.7e-6, "network": 9.6e-6}
TREE_STEP = {"nvlink": 28e-6, "pcie": 28e-6, "network": 50e-6}


def collective_seconds(
    kind: str, size: float, n: int, nodes: int, intra: float, inter: float, intra_link: str = "nvlink"
) -> tuple[float, str]:
    """The time of one ``kind`` collective of ``size`` bytes over ``n`` ranks on ``nodes`` nodes, and the algorithm
    (``ring``, ``tree`` or ``p2p``); ``intra`` and ``inter`` are bytes per second in one direction."""
    if n <= 1 or size <= 0:
        return 0.0, "none"
    bandwidth = inter if nodes > 1 else intra
    if kind in ("send", "recv"):
        hop = RING_STEP["network" if nodes > 1 else intra_link]
        return hop + size / bandwidth, "p2p"
    if kind == "all_reduce":
        steps, across = 2 * (n - 1), 2 * (nodes - 1)
        ring = RING_BASE + (steps - across) * RING_STEP[intra_link] + across * RING_STEP["network"]
        ring += 2 * (n - 1) / n * size / bandwidth
        per_node = n // max(nodes, 1)
        tree = 2 * ((per_node - 1) * TREE_STEP[intra_link] + int(math.log2(nodes)) * TREE_STEP["network"])
        tree += 2 * size / bandwidth
        return (tree, "tree") if tree < ring else (ring, "ring")
    steps, across = (n - 1, nodes - 1)
    latency = RING_BASE + (steps - across) * RING_STEP[intra_link] + across * RING_STEP["network"]
    if kind == "broadcast":
        return latency + size / bandwidth, "ring"
    return latency + (n - 1) / n * size / bandwidth, "ring"  # all_gather, reduce_scatter, all_to_all


@dataclass(frozen=True, slots=True)
class Collective:
    """One collective's traffic on a rank over a step: its bytes, how many calls, over which group and link, and
    the seconds it takes."""

    collective: str
    axis: str  # dp, tp, cp, pp, ep, or edp (the replicas holding the same experts)
    bytes: int
    calls: int
    ranks: int
    nodes: int
    link: str
    seconds: float
    algorithm: str
    overlapped: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "collective": self.collective,
            "axis": self.axis,
            "bytes": self.bytes,
            "calls": self.calls,
            "ranks": self.ranks,
            "nodes": self.nodes,
            "link": self.link,
            "seconds": self.seconds,
            "algorithm": self.algorithm,
            "overlapped": self.overlapped,
        }


@dataclass(frozen=True, slots=True)
class StepTime:
    """One step's time on ``devices`` devices, its parts, and what each assumes (``assumptions``)."""

    device: str
    devices: int
    gpus_per_node: int
    seconds: float
    compute_seconds: float
    bubble_seconds: float
    communication_seconds: float  # exposed: not hidden behind compute
    overlapped_seconds: float  # hidden behind compute (--overlap)
    samples_per_second: float
    tokens_per_second: float | None
    mfu: float
    compute: str  # how compute is timed: the roofline per layer, or a model FLOPs utilisation
    peak_flops: float
    collectives: tuple[Collective, ...] = ()
    assumptions: tuple[str, ...] = ()
    slowest: tuple[int, ...] = ()  # the ranks whose step is the longest
    what: str = "training step"  # or "forward" (serving's prefill)

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "device": self.device,
            "devices": self.devices,
            "gpus_per_node": self.gpus_per_node,
            "seconds": self.seconds,
            "compute_seconds": self.compute_seconds,
            "bubble_seconds": self.bubble_seconds,
            "communication_seconds": self.communication_seconds,
            "overlapped_seconds": self.overlapped_seconds,
            "samples_per_second": self.samples_per_second,
            "tokens_per_second": self.tokens_per_second,
            "mfu": self.mfu,
            "compute": self.compute,
            "peak_flops": self.peak_flops,
            "collectives": [c.as_dict() for c in self.collectives],
            "assumptions": list(self.assumptions),
        }

    def lines(self) -> list[str]:
        """The step's time and its parts, for the lines under the table."""
        from cnncalc.budget import human_seconds

        rate = f"{per_second(self.samples_per_second)} samples/s"
        if self.tokens_per_second is not None:
            rate = f"{per_second(self.tokens_per_second)} tokens/s, " + rate
        lines = [
            f"Time of the {self.what} on {self.devices:,} × {self.device} ({self.gpus_per_node} per node): "
            f"{human_seconds(self.seconds)} = compute {human_seconds(self.compute_seconds)} + bubble "
            f"{human_seconds(self.bubble_seconds)} + communication {human_seconds(self.communication_seconds)}"
            + (
                f" ({human_seconds(self.overlapped_seconds)} more hidden behind compute)"
                if self.overlapped_seconds
                else ""
            )
            + f"; {rate}; MFU {self.mfu:.1%} (model FLOPs: recomputation left out)",
        ]
        shown = sorted(self.collectives, key=lambda c: -c.seconds)[:6]
        if shown:
            parts = [
                f"{c.collective} over {c.axis} ({c.ranks} ranks, {c.link}, {c.algorithm}) {human_seconds(c.seconds)}"
                for c in shown
            ]
            lines.append("  communication (the slowest ranks): " + "; ".join(parts))
        lines += [f"  assumes: {a}" for a in self.assumptions]
        return lines


# ---------------------------------------------------------------------------------------------- a training step


def group_ranks(layout: Any, rank: int, axis: str) -> list[int]:
    """The ranks of ``rank``'s group along ``axis`` (dp, tp, cp, ep, edp, pp), in the mesh ``(pp, dp, cp, tp)``."""
    tp, cp, dp, ep = layout.tp, layout.cp, layout.dp, layout.ep
    t, c = rank % tp, (rank // tp) % cp
    d, s = (rank // (tp * cp)) % dp, rank // (tp * cp * dp)

    def at(s: int, d: int, c: int, t: int) -> int:
        return ((s * dp + d) * cp + c) * tp + t

    if axis == "tp":
        return [at(s, d, c, i) for i in range(tp)]
    if axis == "cp":
        return [at(s, d, i, t) for i in range(cp)]
    if axis == "dp":
        return [at(s, i, c, t) for i in range(dp)]
    if axis == "ep":
        base = d - d % ep
        return [at(s, base + i, c, t) for i in range(ep)]
    if axis == "edp":
        return [at(s, d % ep + i * ep, c, t) for i in range(dp // ep)]
    neighbour = s + 1 if s + 1 < layout.pp else s - 1  # pp: the next stage (the last sends back to the one before)
    return [rank, at(neighbour, d, c, t)]


class Links:
    """The bandwidths a group's collectives cross: inside a node (NVLink, else PCIe), and across nodes (the node's
    network, per device)."""

    def __init__(self, device: Any, gpus_per_node: int, network: float | None) -> None:
        self.device, self.gpus_per_node, self.network = device, gpus_per_node, network
        self.intra_link = "nvlink" if device.has_link("nvlink") else "pcie"

    def intra(self) -> float:
        return self.device.link(self.intra_link).value * 1e9

    def inter(self) -> float:
        if self.network is not None:
            return self.network * 1e9
        return self.device.link("network").value * 1e9

    def seconds(self, collective: str, size: int, calls: int, ranks: list[int]) -> tuple[float, int, str, str]:
        """A group's ``calls`` collectives of ``size`` bytes together: seconds, nodes, link and algorithm."""
        nodes = len({r // self.gpus_per_node for r in ranks})
        link = "network" if nodes > 1 else self.intra_link
        if len(ranks) <= 1:
            return 0.0, nodes, link, "none"
        inter = self.inter() if nodes > 1 else 0.0
        each, algorithm = collective_seconds(
            collective, size / max(calls, 1), len(ranks), nodes, self.intra(), inter, self.intra_link
        )
        return each * max(calls, 1), nodes, link, algorithm


OVERLAPPED_AXES = ("dp", "edp")  # with --overlap: the data-parallel group's traffic hides behind compute


def step_time(spread: Any, classes: list[Any], stage_seconds: dict[int, float]) -> StepTime:
    """The step's time on the layout's devices: the slowest stage's compute (and the pipeline's bubble), and each
    rank class's collectives over the links its groups cross; the slowest rank class sets the step."""
    layout, options, device = spread.layout, spread.options, spread.device
    gpn = options.gpus_per_node or 8
    links = Links(device, gpn, options.network)
    chunks = layout.microbatches * layout.vpp
    slowest = max(stage_seconds.values(), default=0.0)
    bubble = slowest * (layout.pp - 1) / chunks if layout.pp > 1 else 0.0
    worst = (-1.0, 0.0, 0.0, (), ())
    for c in classes:
        rank = c.ranks[0]
        collectives = []
        exposed = hidden = 0.0
        for collective, axis, size, calls in c.traffic:
            members = group_ranks(layout, rank, axis)
            seconds, nodes, link, algorithm = links.seconds(collective, size, calls, members)
            overlapped = options.overlap and axis in OVERLAPPED_AXES
            collectives.append(
                Collective(collective, axis, size, calls, len(members), nodes, link, seconds, algorithm, overlapped)
            )
            if overlapped:
                hidden += seconds
            else:
                exposed += seconds
        behind = min(hidden, stage_seconds.get(c.stage, 0.0))  # what compute can hide
        exposed += hidden - behind
        total = slowest + bubble + exposed
        if total > worst[0]:
            worst = (total, exposed, behind, tuple(collectives), c.ranks)
    seconds, exposed, behind, collectives, ranks = worst
    flops = model_flops(spread)
    peak = spread.peak
    samples = spread.batch / seconds if seconds else 0.0
    tokens = spread.batch * spread.sequence if spread.sequence is not None else None
    compute = f"at MFU {options.mfu:g}" if options.mfu is not None else "the roofline per layer"
    assumptions = [
        f"compute: {compute} ({device.title}, {peak / 1e12:,.4g} TFLOPS dense at {spread.dtype}, "
        f"{device.bandwidth_gbs:,g} GB/s)",
        "collectives: ring or tree (the quicker), bandwidth of the slowest link the group crosses"
        f" ({_links_text(links)}), NCCL's latencies per step; no contention between groups",
    ]
    if layout.pp > 1:
        assumptions.append(
            f"pipeline: bubble = (pp − 1)/(microbatches·vpp) of the slowest stage's compute ({layout.schedule})"
        )
    assumptions.append(
        "overlap: the data-parallel traffic hidden behind compute (--overlap)"
        if options.overlap
        else "no overlap: every collective adds to the step (--overlap hides the data-parallel traffic)"
    )
    return StepTime(
        device=device.title,
        devices=spread.devices,
        gpus_per_node=gpn,
        seconds=seconds,
        compute_seconds=slowest,
        bubble_seconds=bubble,
        communication_seconds=exposed,
        overlapped_seconds=behind,
        samples_per_second=samples,
        tokens_per_second=None if tokens is None or not seconds else tokens / seconds,
        mfu=flops / (spread.devices * peak * seconds) if seconds and peak else 0.0,
        compute=compute,
        peak_flops=peak,
        collectives=collectives,
        assumptions=tuple(assumptions),
        slowest=ranks,
        what="training step" if spread.train else "forward",
    )


def model_flops(spread: Any) -> int:
    """The step's model FLOPs, forward and backward, without what checkpointing recomputes (MFU's numerator)."""
    known = spread.source.cache.get("model flops")
    if known is None:
        known = 0
        for r in spread.rows:
            known += r.flops + r.backward_flops
            known -= sum(s.value for s in r.steps if s.quantity == "recomputed forward FLOPs")
        spread.source.cache["model flops"] = known
    return known


def _links_text(links: Links) -> str:
    parts = [f"{links.intra_link} {links.intra() / 1e9:,g} GB/s"]
    try:
        parts.append(f"network {links.inter() / 1e9:,g} GB/s per device")
    except Exception:  # noqa: BLE001 - no network figure: only needed across nodes
        pass
    return ", ".join(parts) + " each way"


# ---------------------------------------------------------------------------------------------- serving

PAGE = 16  # vLLM pages the KV cache in blocks of 16 positions


@dataclass(frozen=True, slots=True)
class Serving:
    """Serving a language model on the layout's ranks: the KV cache a sequence needs per rank at ``context``,
    how many sequences fit in ``memory_fraction`` of the device beside the weights and the forward's working
    tensors, the prefill's time (TTFT for the input's prompts), and decoding at that concurrency."""

    context: int
    memory_fraction: float
    kv_bytes_per_sequence: int  # on the rank that needs most, in blocks of 16 positions
    free_bytes: int  # what the KV cache may fill on that rank
    max_sequences: int
    prefill_seconds: float
    ttft_seconds: float
    decode_seconds: float  # one decode step at max_sequences
    tokens_per_second_per_sequence: float
    tokens_per_second: float

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]

    def lines(self) -> list[str]:
        from cnncalc.budget import human_seconds
        from cnncalc.render import human_bytes

        fits = (
            f"{self.max_sequences:,} sequences of {self.context:,} positions fit"
            if self.max_sequences
            else f"no sequence of {self.context:,} positions fits"
        )
        return [
            f"Serving at {self.memory_fraction:g} of each device's memory: {fits} (KV cache "
            f"{human_bytes(self.kv_bytes_per_sequence)} per sequence on a rank in blocks of {PAGE} positions, "
            f"{human_bytes(max(self.free_bytes, 0))} free for it)",
            f"  prefill of the input (TTFT) {human_seconds(self.ttft_seconds)}; decode at {self.max_sequences:,} "
            f"sequences: {human_seconds(self.decode_seconds)} a step, "
            f"{per_second(self.tokens_per_second_per_sequence)} tokens/s per sequence, "
            f"{per_second(self.tokens_per_second)} in total (memory-bound by the roofline)",
        ]


def per_second(rate: float) -> str:
    """A rate to four significant digits, written out (never ``7.708e+04``).

    >>> per_second(77_083.4), per_second(5_210.2), per_second(46.944), per_second(0.0123456)
    ('77,080', '5,210', '46.94', '0.01235')
    """
    if rate >= 1000:
        return f"{round(rate, 4 - len(str(int(rate)))):,.0f}"
    return f"{rate:,.4g}"


def serving_figures(spread: Any, classes: list[Any], timing: StepTime) -> Serving:
    """Weights and KV cache per rank, the sequences that fit, prefill and decode times (see :class:`Serving`)."""
    layout, options, device, llm = spread.layout, spread.options, spread.device, spread.llm
    b = spread.b
    context = options.context or llm.context
    fraction = options.memory_fraction or 0.9
    memory = device.memory_gb * 1e9
    gpn = options.gpus_per_node or 8
    links = Links(device, gpn, options.network)
    positions = max(spread.sequence or 1, 1)
    total_forward = sum(r.flops for r in spread.rows) or 1
    per_stage: dict[int, tuple[int, int, float, list[Any]]] = {}
    for stage in range(layout.pp):
        kv = 0
        flops = 0
        rowwise = []
        for p in spread.placed.values():
            if p.stage % layout.pp != stage:
                continue
            r = p.row
            flops += r.flops
            if r.serving is not None and r.serving.cache_per_token:
                held = min(context, r.serving.window) if r.serving.window else context
                kv += math.ceil(held / PAGE) * PAGE * math.ceil(r.serving.cache_per_token * b / p.divide)
            if p.style == "rowwise" and layout.tp > 1:
                rowwise.append(r.activation_size * b // (spread.batch * positions))
        per_stage[stage] = (kv, flops, flops / total_forward, rowwise)
    best = None
    for c in classes:
        kv, _, _, _ = per_stage[c.stage]
        free = int(fraction * memory) - c.param_bytes - c.buffer_bytes - c.transient_bytes
        fits = free // kv if kv and free > 0 else 0
        if best is None or fits < best[0]:
            best = (fits, kv, free)
    fits, kv_seq, free = best  # type: ignore[misc]
    concurrency = max(fits, 1)
    bandwidth = device.bandwidth_gbs * 1e9
    decode = 0.0
    for c in classes:
        if c.ranks[0] % (layout.dp * layout.cp * layout.tp) != 0 and layout.pp > 1:
            continue  # one rank per stage: a token passes every stage in turn
        kv, _, share, rowwise = per_stage[c.stage]
        flops = (llm.decode_flops_per_token or 0) * concurrency * share / (layout.tp * layout.cp)
        moved = c.param_bytes + c.buffer_bytes + concurrency * kv
        step = max(flops / spread.peak, moved / bandwidth)
        members = group_ranks(layout, c.ranks[0], "tp")
        for width in rowwise:
            step += links.seconds("all_reduce", concurrency * width, 1, members)[0]
        decode += step
        if layout.pp == 1:
            break
    return Serving(
        context=context,
        memory_fraction=fraction,
        kv_bytes_per_sequence=kv_seq,
        free_bytes=free,
        max_sequences=fits,
        prefill_seconds=timing.seconds,
        ttft_seconds=timing.seconds,
        decode_seconds=decode,
        tokens_per_second_per_sequence=1 / decode if decode else 0.0,
        tokens_per_second=concurrency / decode if decode and fits else 0.0,
    )
