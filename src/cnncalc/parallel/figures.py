"""What a parallel layout gives per rank: plain, frozen data that renderers read (JSON ``totals.parallel``).

Ranks that hold, save, compute and send the same are one :class:`RankClass`, listing their global ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from cnncalc.layers.base import Step
from cnncalc.parallel.layout import ParallelLayout

COLLECTIVES = ("all_reduce", "all_gather", "reduce_scatter", "send", "recv", "all_to_all", "broadcast")


@dataclass(frozen=True, slots=True)
class Communication:
    """Bytes a rank moves in one step, by collective: ``all_reduce`` the tensor reduced, ``all_gather`` the gathered
    output, ``reduce_scatter`` the full input, ``send``/``recv`` the tensor, ``all_to_all`` the input, ``broadcast``
    the tensor (every rank taking part counts it, the source as the receivers)."""

    all_reduce: int = 0
    all_gather: int = 0
    reduce_scatter: int = 0
    send: int = 0
    recv: int = 0
    all_to_all: int = 0
    broadcast: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, slots=True)
class RankClass:
    """The figures of every rank in ``ranks`` (global rank numbers), which hold the same.

    Bytes: ``param_bytes`` (the rank's parameters, and float32 master copies), ``gradient_bytes``,
    ``optimizer_bytes`` (what the optimizer keeps after its first step), ``buffer_bytes``;
    ``activation_bytes``, the most bytes saved for backward alive at once (the micro-batches in flight
    included); ``transient_bytes``, what else is alive at the step's peak (FSDP's gathered parameters and
    gradients, tensor parallelism's gathered activations, pipeline buffers, the forward's working tensors);
    ``peak_bytes``, their sum. ``flops``: the step's forward and backward on this rank. ``steps`` is the
    arithmetic of each figure, for explain; ``transient`` its parts by name.
    """

    ranks: tuple[int, ...]
    stage: int
    param_bytes: int
    gradient_bytes: int
    optimizer_bytes: int
    activation_bytes: int
    transient_bytes: int
    peak_bytes: int
    flops: int
    communication: Communication
    buffer_bytes: int = 0
    forward_flops: int = 0
    steps: tuple[Step, ...] = ()
    transient: tuple[tuple[str, int], ...] = ()
    traffic: tuple[tuple[str, str, int, int], ...] = ()  # (collective, group axis, bytes, calls) per step
    saved_bytes: int = 0  # what one micro-batch keeps for backward on this rank (its stages' together)

    def as_dict(self) -> dict[str, Any]:
        """The rank class as JSON writes it (the contract's keys, then the parts of the transient bytes)."""
        return {
            "ranks": list(self.ranks),
            "stage": self.stage,
            "param_bytes": self.param_bytes,
            "gradient_bytes": self.gradient_bytes,
            "optimizer_bytes": self.optimizer_bytes,
            "activation_bytes": self.activation_bytes,
            "transient_bytes": self.transient_bytes,
            "peak_bytes": self.peak_bytes,
            "flops": self.flops,
            "communication": self.communication.as_dict(),
            "buffer_bytes": self.buffer_bytes,
            "transient": dict(self.transient),
            "saved_bytes_per_microbatch": self.saved_bytes,
            "traffic": [{"collective": c, "group": a, "bytes": n, "calls": k} for c, a, n, k in self.traffic],
        }


@dataclass(frozen=True, slots=True)
class Parallel:
    """One step spread over ``world_size`` ranks by ``layout``: the figures per rank class, the pipeline's bubble
    (the share of the step a stage waits), the step's time when devices are given, and notes on what is assumed.

    ``plan`` lists how tensor parallelism treats each sharded layer: ``(name, style)``.
    """

    layout: ParallelLayout
    world_size: int
    ranks: tuple[RankClass, ...]
    bubble_fraction: float = 0.0
    time: Any = None
    notes: tuple[str, ...] = ()
    plan: tuple[tuple[str, str], ...] = ()
    train: bool = True
    batch: int = 1  # the global batch the layout splits
    microbatch: int = 1  # the samples of one micro-batch on one rank
    serving: Any = None  # serving figures (cnncalc.parallel.timing.Serving), for a language model without --train
    source: Any = field(default=None, repr=False, compare=False)  # the analysis it spreads (other layouts reuse it)

    def as_dict(self) -> dict[str, Any]:
        """JSON's ``totals.parallel``."""
        return {
            "layout": self.layout.as_dict(),
            "world_size": self.world_size,
            "ranks": [r.as_dict() for r in self.ranks],
            "bubble_fraction": self.bubble_fraction,
            "time": None if self.time is None else self.time.as_dict(),
            "serving": None if self.serving is None else self.serving.as_dict(),
            "notes": list(self.notes),
        }

    def rank(self, n: int) -> RankClass:
        """The figures of global rank ``n``."""
        for r in self.ranks:
            if n in r.ranks:
                return r
        raise IndexError(f"rank {n} is not one of the {self.world_size} ranks")

    @property
    def peak_bytes(self) -> int:
        """The most any rank holds at its peak."""
        return max(r.peak_bytes for r in self.ranks)
