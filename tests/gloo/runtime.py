"""What one rank of a real torch.distributed training step holds, keeps, computes and sends, measured by PyTorch.

Imported inside each worker of a gloo world (:mod:`gloo.launch`). Every figure comes from the runtime
itself, never from a formula:

- ``param_bytes``, ``gradient_bytes``, ``optimizer_bytes``: the rank's own tensors (a DTensor's ``to_local()``),
  each storage once, as the step left them (the parameters, their ``.grad`` after the backward, the state of the
  optimizer this rank steps after ``step()``);
- ``activation_bytes``: the most bytes autograd kept for the backward at once (``saved_tensors_hooks``, each
  storage once, released when the graph that holds it is freed; the model's parameters and buffers, sharded or
  all-gathered, are not activations);
- ``flops``: the forward's and backward's FLOPs as FlopCounterMode counts them, on the tensors this rank
  computes on (a DTensor's local shards);
- ``communication``: the bytes of every collective the rank took part in, by kind, from the process-group
  operators (``c10d``: what ``torch.distributed``'s functions, DDP's reducer, ``ZeroRedundancyOptimizer``, FSDP2
  and the pipeline schedules call) and the functional collectives (``_c10d_functional``: DTensor's
  redistributions), seen by a dispatch mode. Each kind counts as the contract says: ``all_reduce`` the tensor,
  ``all_gather`` the gathered output, ``reduce_scatter`` the full input, ``send``/``recv`` the tensor,
  ``all_to_all`` the input, ``broadcast`` the tensor.

:class:`Observers` also wraps ``torch.distributed``'s Python functions, holds a DDP communication hook's buckets
and DTensor's ``CommDebugMode`` counts, so the tests can hold the dispatch mode to them.
"""

from __future__ import annotations

import functools
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.distributed as dist
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

KINDS = ("all_reduce", "all_gather", "reduce_scatter", "send", "recv", "all_to_all", "broadcast")


def local(t: torch.Tensor) -> torch.Tensor:
    """The part of a tensor this rank holds: a DTensor's local shard, the result a functional collective's
    ``AsyncCollectiveTensor`` waits for, any other tensor itself."""
    to_local = getattr(t, "to_local", None)
    if callable(to_local):
        return to_local()
    from torch.distributed._functional_collectives import AsyncCollectiveTensor

    if isinstance(t, AsyncCollectiveTensor):
        return t.trigger_wait()
    return t


def nbytes(t: Any) -> int:
    """A tensor's bytes as it is sent (its elements, not its storage), or a list's."""
    if isinstance(t, (list, tuple)):
        return sum(nbytes(x) for x in t)
    if not isinstance(t, torch.Tensor):
        return 0
    t = local(t)
    return t.numel() * t.element_size()


def storage_bytes(tensors: Iterable[torch.Tensor]) -> int:
    """The bytes of the storages behind ``tensors`` (their local shards), each storage once."""
    seen: dict[int, int] = {}
    for t in tensors:
        if t is None:
            continue
        s = local(t).untyped_storage()
        if s.nbytes():
            seen.setdefault(s.data_ptr(), s.nbytes())
    return sum(seen.values())


def state_tensors(optimizer: torch.optim.Optimizer) -> Iterator[torch.Tensor]:
    """Every tensor of an optimizer's state (``ZeroRedundancyOptimizer``: the partition its rank steps)."""
    inner = getattr(optimizer, "optim", optimizer)
    for state in inner.state.values():
        for v in state.values():
            if isinstance(v, torch.Tensor):
                yield v


# ---------------------------------------------------------------- collectives


# c10d process-group operators: kind, and which argument holds the tensors counted
C10D = {
    "allreduce_": ("all_reduce", 0),
    "allreduce_coalesced_": ("all_reduce", 0),
    "allgather_": ("all_gather", 0),
    "_allgather_base_": ("all_gather", 0),
    "allgather_coalesced_": ("all_gather", 0),
    "allgather_into_tensor_coalesced_": ("all_gather", 0),
    "reduce_scatter_": ("reduce_scatter", 1),
    "_reduce_scatter_base_": ("reduce_scatter", 1),
    "reduce_scatter_tensor_coalesced_": ("reduce_scatter", 1),
    "broadcast_": ("broadcast", 0),
    "send": ("send", 0),
    "recv_": ("recv", 0),
    "recv_any_source_": ("recv", 0),
    "alltoall_": ("all_to_all", 1),
    "alltoall_base_": ("all_to_all", 1),
}
# functional collectives: kind, and the argument counted (None: the result, an all-gather's output)
FUNCTIONAL = {
    "all_reduce": ("all_reduce", 0),
    "all_reduce_": ("all_reduce", 0),
    "all_reduce_coalesced": ("all_reduce", 0),
    "all_reduce_coalesced_": ("all_reduce", 0),
    "all_gather_into_tensor": ("all_gather", None),
    "all_gather_into_tensor_coalesced": ("all_gather", None),
    "all_gather_into_tensor_out": ("all_gather", None),
    "reduce_scatter_tensor": ("reduce_scatter", 0),
    "reduce_scatter_tensor_coalesced": ("reduce_scatter", 0),
    "reduce_scatter_tensor_out": ("reduce_scatter", 0),
    "all_to_all_single": ("all_to_all", 0),
    "broadcast": ("broadcast", 0),
    "broadcast_": ("broadcast", 0),
}
QUIET = {"barrier", "monitored_barrier_", "wait_tensor", "check_for_nan", "_wrap_tensor_autograd"}


def _subclass(types: Iterable[type]) -> bool:
    """Whether an operator has DTensor operands: a mode then lets DTensor run first, and sees what it runs on the
    local shards, its collectives included (as DTensor's CommDebugMode does)."""
    from torch.distributed.tensor import DTensor

    return any(issubclass(t, DTensor) for t in types)


class Collectives(TorchDispatchMode):
    """The bytes of every collective this rank runs while the mode is on, by kind, and each call (kind, bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes: Counter[str] = Counter()
        self.calls: list[tuple[str, str, int]] = []  # (operator, kind, bytes)
        self.unknown: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        if _subclass(types):  # DTensor first: the collectives it runs inside an operator come back here
            return NotImplemented
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        ns, name = func.namespace, func.overloadpacket.__name__
        table = C10D if ns == "c10d" else FUNCTIONAL if ns == "_c10d_functional" else None
        if table is not None and name not in QUIET:
            if name not in table:
                self.unknown[f"{ns}.{name}"] += 1
            else:
                kind, where = table[name]
                size = nbytes(out) if where is None else nbytes(args[where])
                self.bytes[kind] += size
                self.calls.append((f"{ns}.{name}", kind, size))
        return out

    def figures(self) -> dict[str, int]:
        return {k: self.bytes.get(k, 0) for k in KINDS}


class PythonCalls:
    """``torch.distributed``'s collective functions wrapped: the bytes of each outermost call, by kind (a
    second observer beside :class:`Collectives`, for the functions a program calls itself)."""

    WRAPPED = {
        "all_reduce": ("all_reduce", 0),
        "all_gather": ("all_gather", 0),
        "all_gather_single": ("all_gather", 0),
        "all_gather_into_tensor": ("all_gather", 0),
        "reduce_scatter": ("reduce_scatter", 1),
        "reduce_scatter_single": ("reduce_scatter", 1),
        "reduce_scatter_tensor": ("reduce_scatter", 1),
        "broadcast": ("broadcast", 0),
        "send": ("send", 0),
        "recv": ("recv", 0),
        "isend": ("send", 0),
        "irecv": ("recv", 0),
        "all_to_all": ("all_to_all", 1),
        "all_to_all_single": ("all_to_all", 1),
    }

    def __init__(self) -> None:
        self.bytes: Counter[str] = Counter()
        self.depth = 0
        self.saved: dict[str, Callable[..., Any]] = {}

    @contextmanager
    def watching(self) -> Iterator[PythonCalls]:
        """The functions wrapped where programs call them (``torch.distributed``) and where the library calls and
        checks them (its ``distributed_c10d`` module: a ``P2POp`` accepts only its own ``isend``/``irecv``)."""
        c10d = dist.distributed_c10d
        for name, (kind, where) in self.WRAPPED.items():
            original = getattr(c10d, name)
            wrapped = self._wrap(original, kind, where)
            for space in (dist, c10d):
                self.saved[f"{space.__name__}.{name}"] = getattr(space, name)
                setattr(space, name, wrapped)
        try:
            yield self
        finally:
            for key, original in self.saved.items():
                space, name = key.rsplit(".", 1)
                setattr(dist if space == dist.__name__ else c10d, name, original)

    def _wrap(self, fn: Callable[..., Any], kind: str, where: int) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            if self.depth == 0:  # all_gather_into_tensor calls all_gather_single: counted once
                self.bytes[kind] += nbytes(args[where] if where < len(args) else list(kwargs.values())[where])
            self.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1

        return call


def ddp_bucket_hook(sizes: list[int]) -> Callable[..., Any]:
    """A DDP communication hook that all-reduces each bucket as DDP's default does, noting its bytes."""
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    def hook(state, bucket):  # noqa: ANN001, ANN202 - DDP reads the annotations, which must be its types or none
        sizes.append(nbytes(bucket.buffer()))
        return allreduce_hook(state, bucket)

    return hook


# ---------------------------------------------------------------- what autograd keeps


class _Held:
    """A saved tensor as autograd holds it; released (a finalizer) when the graph that keeps it is freed."""

    __slots__ = ("t", "__weakref__")

    def __init__(self, t: torch.Tensor) -> None:
        self.t = t


class SavedPeak:
    """The most bytes autograd keeps for the backward at once, each storage once, the model's own tensors left out.

    ``model_storages()`` gives the storages of the parameters and buffers as they are at that moment (FSDP2's
    all-gathered parameters during a module's forward, a DTensor's local shard).
    """

    def __init__(self, model_storages: Callable[[], set[int]]) -> None:
        self.model_storages = model_storages
        self.count: Counter[int] = Counter()
        self.size: dict[int, int] = {}
        self.alive = 0
        self.peak = 0

    def pack(self, t: torch.Tensor) -> Any:
        s = local(t).untyped_storage()
        key, size = s.data_ptr(), s.nbytes()
        if not size or key in self.model_storages():
            return t
        if self.count[key] == 0:
            self.size[key] = size
            self.alive += size
            self.peak = max(self.peak, self.alive)
        self.count[key] += 1
        held = _Held(t)
        weakref.finalize(held, self._release, key)
        return held

    @staticmethod
    def unpack(held: Any) -> torch.Tensor:
        return held.t if isinstance(held, _Held) else held

    def _release(self, key: int) -> None:
        self.count[key] -= 1
        if self.count[key] == 0:
            self.alive -= self.size.pop(key)

    @contextmanager
    def watching(self) -> Iterator[SavedPeak]:
        with torch.autograd.graph.saved_tensors_hooks(self.pack, self.unpack):
            yield self


def model_storages(modules: Iterable[torch.nn.Module]) -> Callable[[], set[int]]:
    """The storages of the modules' parameters and buffers right now (local shards; all-gathered parameters
    while FSDP2 holds them unsharded)."""

    def now() -> set[int]:
        found = set()
        for m in modules:
            for t in [*m.parameters(), *m.buffers()]:
                found.add(local(t).untyped_storage().data_ptr())
        return found

    return now


# ---------------------------------------------------------------- FLOPs


class LocalFlops(FlopCounterMode):
    """FlopCounterMode on the tensors this rank computes on: a DTensor's operator is let run first, and its
    operators on the local shards are counted (FlopCounterMode itself counts a DTensor's global shapes)."""

    def __init__(self) -> None:
        super().__init__(display=False)

    def __enter__(self) -> LocalFlops:
        from torch.utils.flop_counter import _FlopCounterMode

        class Local(_FlopCounterMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
                if _subclass(types):
                    return NotImplemented
                return super().__torch_dispatch__(func, types, args, kwargs)

        self.flop_counts.clear()
        self.mod_tracker.__enter__()
        self.mode = Local(self)
        self.mode.__enter__()
        return self


# ---------------------------------------------------------------- one rank's step


def rank_figures(
    params: Iterable[torch.Tensor],
    optimizer: torch.optim.Optimizer | None,
    saved: SavedPeak,
    flops: int,
    collectives: Collectives,
    *,
    rank: int,
    stage: int = 0,
) -> dict[str, Any]:
    """One rank's measured figures, in the shape of ``totals.parallel.ranks[i]`` (docs/parallel.md)."""
    params = list(params)
    return {
        "ranks": [rank],
        "stage": stage,
        "param_bytes": storage_bytes(params),
        "gradient_bytes": storage_bytes(p.grad for p in params if p.grad is not None),
        "optimizer_bytes": storage_bytes(state_tensors(optimizer)) if optimizer is not None else 0,
        "activation_bytes": saved.peak,
        "flops": flops,
        "communication": collectives.figures(),
    }


def classes(ranks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranks that measured the same figures as one class, ``"ranks": [0, 2]``, in rank order."""
    out: list[dict[str, Any]] = []
    for r in sorted(ranks, key=lambda r: r["ranks"][0]):
        same = next((c for c in out if {**c, "ranks": None} == {**r, "ranks": None}), None)
        if same is None:
            out.append(dict(r, ranks=list(r["ranks"])))
        else:
            same["ranks"] = sorted(same["ranks"] + r["ranks"])
    return out
