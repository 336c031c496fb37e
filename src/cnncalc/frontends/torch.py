"""The PyTorch front-end: an ``nn.Module`` in, a Graph of core kinds out, from one forward that records shapes.

A small model's forward runs on the CPU on zeros (:class:`_Cpu`); any other, or
one that reads values, is traced on the meta device (shapes only: no weight is
allocated and no arithmetic runs), then on fake tensors. Forward hooks give the
module hierarchy and call order: each call is a :class:`~cnncalc.graph.Scope`. A function mode lowers the functions
whose arguments say what they are (``F.linear``, ``F.conv2d``,
``F.scaled_dot_product_attention``) whole, and a dispatch mode lowers every
other aten operator that runs (``x @ w``, ``torch.bmm``, in-place adds), each to a
node of a core kind (:mod:`cnncalc.frontends.torch_lower`). The nodes' edges
follow the tensors. Nothing here counts: :func:`cnncalc.analyze` computes every
figure with the same kinds as the notation, and rows at ``depth`` are folds of
the nodes (:mod:`cnncalc.fold`). An operator without a rule becomes an
``uncounted`` node, listed in the report, never a silent zero.

This is the only module (with ``torch_lower``, which only it imports) that imports torch.

>>> import torch.nn as nn
>>> r = from_torch(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), (1, 3, 32, 32))
>>> r.rows[0].params, r.rows[0].macs            # (3·3·3 + 1)·8 ;  8·30·30·(3·3·3)
(224, 194400)
>>> r.rows[0].shape_text
'[-1, 8, 30, 30]'
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 - PyTorch's own spelling
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from cnncalc.conventions import Layout
from cnncalc.errors import ArgumentError, CnnCalcError, LimitError, ShapeError, SpecError, UserCodeError, type_name
from cnncalc.frontends import TORCH_SPEC
from cnncalc.frontends.torch_lower import (
    ATEN,
    CREATES,
    FUNCTIONS,
    IGNORED,
    MODULES,
    MOVES,
    VIEWS,
    Lowered,
    base_name,
)
from cnncalc.graph import Graph, Node, NodeIds, Scope, Tensor
from cnncalc.layers.spatial import transposed_along, windows_along
from cnncalc.options import Options
from cnncalc.report import Report

COLUMNS = ("index", "name", "source", "output_shape", "params", "trainable_params", "buffers", "macs", "flops")
DEFAULT_DEPTH = 3


def dtype_text(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


@dataclass
class _ScopeRecord:
    """One module call while the trace runs (frozen into a :class:`~cnncalc.graph.Scope` afterwards)."""

    index: int
    module: nn.Module
    path: str
    parent: int | None
    level: int
    lowered: bool = False  # the module is lowered whole: the operators inside it are not seen
    scripted: bool = False  # a ScriptModule: its submodules run compiled, seen only by the tensors they hold
    outputs: list[tuple[int, ...]] = field(default_factory=list)
    output_nodes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inputs: tuple[tuple[int, ...] | None, ...] = ()
    attrs: tuple[tuple[str, Any], ...] = ()


def repeated_blocks(model: nn.Module) -> set[int]:
    """The modules that are a network's repeated blocks: children of a ModuleList or Sequential, two or more of
    one class, each with modules of its own (ResNet's bottlenecks, a transformer's layers). Activation
    checkpointing recomputes these."""
    found: set[int] = set()
    for container in model.modules():
        if not isinstance(container, (nn.ModuleList, nn.Sequential)):
            continue
        children = list(container.children())
        for child in children:
            same = sum(type(c) is type(child) for c in children)
            if same >= 2 and any(True for _ in child.children()):
                found.add(id(child))
    return found


class Tracer:
    """Builds the Graph while the forward runs: scopes from module hooks, nodes from the two modes."""

    def __init__(self, model: nn.Module) -> None:
        self.root = model
        self.module_names: dict[int, str] = {}
        for name, m in model.named_modules(remove_duplicate=False):
            self.module_names.setdefault(id(m), name)
        self.tensor_names: dict[int, tuple[str, bool]] = {}  # id -> (first qualified name, is a buffer)
        for name, p in model.named_parameters(remove_duplicate=False):
            self.tensor_names.setdefault(id(p), (name, False))
        for name, b in model.named_buffers(remove_duplicate=False):
            self.tensor_names.setdefault(id(b), (name, True))
        self.scopes: list[_ScopeRecord] = []
        self.stack: list[_ScopeRecord] = []
        self.nodes: list[Node] = []
        self.ids = NodeIds()
        self.producer: dict[int, str] = {}  # id(tensor) -> the node whose output it is (or views)
        self.alive: list[torch.Tensor] = []  # every tensor seen, so that no id is reused during the trace
        self.counted: dict[int, str] = {}  # id(model tensor) -> the name it was counted under
        self.suppress = 0
        self.seen_modules: set[int] = set()
        self.blocks = repeated_blocks(model)
        self.limits: _CpuLimits | _RealLimits | None = None  # set when the forward runs on the CPU
        self.call = ""  # the PyTorch function running (the outermost the function mode sees), for the nodes it makes
        self.named: list[str] = []  # the patched attributes being called: see patched_functions
        floats = [p.dtype for p in model.parameters() if p.is_floating_point()]
        self.float_dtype = floats[0] if floats else None  # the activations' dtype unless an op says otherwise
        from cnncalc import limits

        self.node_cap = limits.value("layers")
        self.clock = _Clock()
        # inside a scripted module (torch.jit.script) no hook sees the submodules: an operator goes to the row of
        # the submodule holding a tensor it reads (a scripted Linear's addmm reads its bias)
        self.holders: dict[int, str] = {}
        self.by_name: dict[str, nn.Module] = {}
        self.inner: dict[tuple[int, str], _ScopeRecord] = {}
        if any(isinstance(m, torch.jit.ScriptModule) for m in model.modules()):
            self.by_name = dict(model.named_modules())
            for name, m in self.by_name.items():
                if isinstance(m, torch.jit.ScriptModule):
                    for t in [*m._parameters.values(), *m._buffers.values()]:
                        if t is not None:
                            self.holders.setdefault(id(t), name)

    # -- scopes

    def pre(self, module: nn.Module, args: Any, kwargs: Any) -> None:
        parent = self.stack[-1] if self.stack else None
        path = self.module_names.get(id(module)) or _kind(module)
        rec = _ScopeRecord(len(self.scopes), module, path, parent.index if parent else None, len(self.stack))
        rec.inputs = tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else None for a in args)
        rec.attrs = module_facts(module, kwargs)
        if id(module) in self.seen_modules and any(True for _ in module.parameters(recurse=False)):
            rec.notes.append(f"{path} runs again: its parameters are counted at its first call")
        self.seen_modules.add(id(module))
        rec.scripted = isinstance(module, torch.jit.ScriptModule)
        self.scopes.append(rec)
        self.stack.append(rec)
        if type(module) in MODULES and not self.suppress:
            rec.lowered = True
            self.suppress += 1

    def post(self, module: nn.Module, args: Any, kwargs: Any, output: Any) -> None:
        while self.stack:
            rec = self.stack.pop()
            if rec.module is module:
                break
        else:  # pragma: no cover - hooks always pair
            return
        if rec.lowered:
            self.stack.append(rec)
            try:
                steps = MODULES[type(module)](module, tuple(args), dict(kwargs), output)  # its tokens unseen
            finally:
                self.suppress -= 1
            try:
                for low, out, label in steps:
                    self.add(low, out, label)
            finally:
                self.stack.pop()
        leaves = [t for t in _leaves(output) if isinstance(t, torch.Tensor)]
        rec.outputs = [tuple(t.shape) for t in leaves]
        rec.output_nodes = [self.producer[id(t)] for t in leaves if id(t) in self.producer]

    # -- nodes

    def add(self, low: Lowered, output: Any, label: str) -> str | None:
        """Add the node ``low`` describes; its outputs become the tensors it produced."""
        outs = [t for t in _leaves(output) if isinstance(t, torch.Tensor)]
        if not outs:
            return None
        for n in outs[0].shape:
            if isinstance(n, torch.SymInt) and not n.node.has_hint():  # a size only the values give (symbolic)
                raise SizeFromValues(f"the size of {label}'s output depends on tensor values")
        inputs = tuple(self.source(t) for t in low.operands)
        shapes = (
            tuple(tuple(s) for s in low.shapes)
            if low.shapes is not None
            else tuple(tuple(t.shape) for t in low.operands)
        )
        tensors, notes = self.weights(low.weights)
        first = outs[0]
        node_id = self.ids.new(label)
        kwargs = tuple(low.kwargs.items())
        scope = self.scope_of([*low.weights, *low.operands])
        self.count_node()
        self.nodes.append(
            Node(
                node_id,
                low.kind,
                label,
                (),
                kwargs,
                inputs,
                source=label,
                scope=scope.index if scope else None,
                shapes=shapes,
                lead=low.lead,
                tensors=tuple(tensors),
                dtype=self.dtype_of(first),
                notes=tuple(notes),
                output=tuple(first.shape),
                grad=tuple(bool(w.requires_grad) for w in low.weights) if low.weights else None,
                call=low.call or self.call,
            )
        )
        for t in outs:
            self.produce(t, node_id)
        top = self.stack[-1] if self.stack else None
        while scope is not None and scope is not top:  # a scripted submodule's row (and those between): its last output
            scope.outputs, scope.output_nodes = [tuple(first.shape)], [node_id]
            scope = self.scopes[scope.parent] if scope.parent is not None else None
        return node_id

    def count_node(self) -> None:
        """Refuse a forward past the ``layers`` cap as it runs (a loop over a huge range never ends otherwise)."""
        if len(self.nodes) >= self.node_cap:
            from cnncalc import limits

            limits.guard(
                "layers", len(self.nodes) + 1, f"the model's forward runs more than {self.node_cap:,} operations"
            )

    def scope_of(self, tensors: Sequence[Any]) -> _ScopeRecord | None:
        """The scope a node belongs to: the running module's call, or inside a scripted module the submodule that
        holds one of the tensors it reads."""
        if not self.stack:
            return None
        top = self.stack[-1]
        if top.scripted and self.holders:
            base = self.module_names.get(id(top.module), "")
            for t in tensors:
                path = self.holders.get(id(t)) if isinstance(t, torch.Tensor) else None
                if path and path != base and (not base or path.startswith(base + ".")):
                    return self.inner_scope(top, base, path)
        return top

    def inner_scope(self, top: _ScopeRecord, base: str, path: str) -> _ScopeRecord:
        """The scope of the submodule at ``path`` in this call of the scripted module ``top``, made on first use
        (with the modules between them)."""
        rec = top
        parts = path[len(base) + 1 :].split(".") if base else path.split(".")
        for i in range(len(parts)):
            name = ".".join([base, *parts[: i + 1]] if base else parts[: i + 1])
            inner = self.inner.get((top.index, name))
            if inner is None:
                module = self.by_name[name]
                inner = _ScopeRecord(len(self.scopes), module, name, rec.index, rec.level + 1)
                inner.attrs = (SCRIPTED,)
                if id(module) in self.seen_modules and any(True for _ in module.parameters(recurse=False)):
                    inner.notes.append(f"{name} runs again: its parameters are counted at its first call")
                self.seen_modules.add(id(module))
                self.scopes.append(inner)
                self.inner[top.index, name] = inner
            rec = inner
        return rec

    def produce(self, t: torch.Tensor, node_id: str) -> None:
        self.producer[id(t)] = node_id
        self.alive.append(t)

    def source(self, t: torch.Tensor) -> str:
        """The node a tensor comes from: its producer, or a ``tensor`` node for a parameter, buffer or constant."""
        node_id = self.producer.get(id(t))
        if node_id is not None:
            return node_id
        tensors, notes = self.weights([t])
        name = self.tensor_names.get(id(t), ("tensor", False))[0]
        node_id = self.ids.new(name.rsplit(".", 1)[-1] if name != "tensor" else "tensor")
        scope = self.scope_of([t])
        self.count_node()
        self.nodes.append(
            Node(
                node_id,
                "tensor",
                name,
                tuple(t.shape),
                (),
                (),
                source=name,
                scope=scope.index if scope else None,
                tensors=tuple(tensors),
                notes=tuple(notes),
                dtype=_int_dtype(t),
                grad=(bool(t.requires_grad),),
            )
        )
        self.produce(t, node_id)
        return node_id

    def dtype_of(self, t: torch.Tensor) -> str | None:
        """An output's dtype when it is not the activations' (token ids, masks; logits upcast to float32 in a
        16-bit model), else None: sized at the report's dtype."""
        if t.is_floating_point() and (self.float_dtype is None or t.dtype == self.float_dtype):
            return None
        return dtype_text(t.dtype)

    def weights(self, tensors: Sequence[torch.Tensor]) -> tuple[list[Tensor], list[str]]:
        """The model tensors first read here (then counted here), and notes for those counted before."""
        found: list[Tensor] = []
        notes: list[str] = []
        for t in tensors:
            info = self.tensor_names.get(id(t))
            if info is None:
                continue  # computed from parameters elsewhere: counted where they were read
            name, buffer = info
            here = self.local_name(t) or name
            if id(t) in self.counted:
                first = self.counted[id(t)]
                if here != first and not self.scope_again():
                    notes.append(f"{here} is tied to {first}: its {t.numel():,} values are counted once")
                continue
            self.counted[id(t)] = here
            found.append(
                Tensor(here, tuple(t.shape), bool(t.requires_grad) and not buffer, buffer, dtype_text(t.dtype))
            )
        return found, notes

    def local_name(self, t: torch.Tensor) -> str | None:
        """The tensor's name as the running module holds it (``b.weight`` for a weight tied to ``a.weight``)."""
        for rec in reversed(self.stack):
            m = rec.module
            for table in (m._parameters, m._buffers):
                for key, value in table.items():
                    if value is t:
                        prefix = f"{rec.path}." if m is not self.root else ""
                        return prefix + key
        return None

    def scope_again(self) -> bool:
        return bool(self.stack) and any("runs again" in n for n in self.stack[-1].notes)

    # -- what the modes see

    def function(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.suppress += 1
        try:
            out = func(*args, **kwargs)
        finally:
            self.suppress -= 1
        outer, self.call = self.call, function_name(func, self.named)
        try:
            lowered = FUNCTIONS[_unwrapped(func)](args, kwargs, out)
            self.add(lowered, out, getattr(func, "__name__", "function"))
        finally:
            self.call = outer
        return out

    def calling(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run a function the modes do not lower whole, its nodes marked with its name."""
        outer, self.call = self.call, function_name(func, self.named)
        try:
            return func(*args, **kwargs)
        finally:
            self.call = outer

    def operator(self, name: str, namespace: str, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        if self.suppress or not self.stack:
            return
        key = base_name(name)
        outs = [t for t in _leaves(out) if isinstance(t, torch.Tensor)]
        if not outs or key in IGNORED:
            return
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if key != name and first is not None and self.tensor_names.get(id(first), ("", False))[1]:
            return  # a buffer updated in place (batch norm's step counter in training): state, not an activation
        if namespace == "aten" and key in VIEWS:
            base = next((t for t in _leaves(args) if isinstance(t, torch.Tensor)), None)
            if base is not None:
                held = self.source(base)
                for t in outs:
                    self.produce(t, held)
            return
        label = f"{namespace}.{name}"
        if namespace == "aten" and key in CREATES:
            self.add(Lowered("constant", {"shape": tuple(outs[0].shape), "op": key}), out, label)
            return
        if namespace == "aten" and key in MOVES:
            operands = [t for t in _leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            self.add(Lowered("copy", {"shape": tuple(outs[0].shape), "op": key}, operands), out, label)
            return
        rule = ATEN.get(key) if namespace == "aten" else None
        if rule is None:
            operands = [t for t in _leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            self.add(Lowered("uncounted", {"op": label, "shape": tuple(outs[0].shape)}, operands), out, label)
            return
        self.add(rule(args, kwargs, out), out, label)


# a module's plain attributes that tools' hooks read (thop's and ptflops' formulas, torchinfo's names)
FACTS = (
    "in_features out_features in_channels out_channels kernel_size groups affine elementwise_affine dim mode size "
    "scale_factor align_corners num_heads batch_first embed_dim input_size hidden_size num_layers bias bidirectional "
    "proj_size"
).split()


def _plain(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def module_facts(module: nn.Module, kwargs: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The attributes of ``module`` in :data:`FACTS` and the keyword arguments of its call that are plain values
    (numbers, words, flags; ``need_weights=False``), as a tool's hook would read them.

    >>> module_facts(nn.LayerNorm(8), {})[1:]
    (('elementwise_affine', True),)
    """
    cls = type(module)
    found: list[tuple[str, Any]] = [("class", f"{cls.__module__}.{cls.__qualname__}")]  # hooks know classes, not names
    for name in FACTS:
        value = getattr(module, name, _MISSING)
        if value is not _MISSING and _plain(value):
            found.append((name, tuple(value) if isinstance(value, list) else value))
    found += [(k, v) for k, v in kwargs.items() if _plain(v) and not isinstance(v, (tuple, list))]
    if isinstance(module, torch.jit.ScriptModule):
        found.append(SCRIPTED)
    return tuple(found)


SCRIPTED = ("scripted", True)
"""A module call's fact when the module is scripted (``torch.jit.script``) or inside one: it takes no hooks, and
the functions it runs are compiled, so no tool's hook or patch sees it."""


_MISSING = object()


# The functions other tools replace while they count (cnncalc.others: ptflops and calflops patch these attributes):
# while a trace runs they are wrapped the same way, so that a node knows it ran through the attribute a tool would
# have replaced, and not through a reference held from before (nn.TransformerEncoderLayer keeps F.relu) or an
# operator (x.add(y) and x + y reach a function mode as one function)
_POOLS = [f"{p}_pool{n}d" for p in ("avg", "max", "adaptive_avg", "adaptive_max") for n in (1, 2, 3)]
PATCHED = {
    "F": (
        "relu prelu elu leaky_relu relu6 silu gelu softmax linear conv1d conv2d conv3d conv_transpose1d "
        "conv_transpose2d conv_transpose3d batch_norm layer_norm instance_norm group_norm embedding interpolate "
        "upsample " + " ".join(_POOLS)
    ).split(),
    "torch": "matmul mm bmm addmm baddbmm mul add einsum".split(),
    "Tensor": "matmul mm bmm addmm mul add".split(),
}
_OWNERS = {"F": F, "torch": torch, "Tensor": torch.Tensor}
HELD = " (held)"  # a patched function reached by a reference of its own: no tool's patch sees it


def function_name(func: Any, named: list[str]) -> str:
    """How a function the mode sees was called: ``F.relu``, ``torch.add``, ``Tensor.add``; ``Tensor.__add__`` for
    ``x + y``; a function of :data:`PATCHED` called through a reference held from before, with `` (held)``.

    ``named`` are the attributes of :data:`PATCHED` being called (see :func:`patched_functions`). A
    function that is both (``F.conv2d`` is ``torch.conv2d``) reads as ``F.``, as the modules call it.

    >>> function_name(torch.nn.functional.relu, ["F.relu"]), function_name(torch.cat, [])
    ('F.relu', 'torch.cat')
    >>> function_name(torch.add, [])  # patched, yet not called through the attribute a tool replaces
    'torch.add (held)'
    """
    name = getattr(func, "__name__", "") or type(func).__name__
    if named and _dispatched(named[-1].rsplit(".", 1)[-1]) == _dispatched(name):
        return named[-1]
    qualified = getattr(func, "_cnncalc_name", None)
    if qualified is not None:  # the mode was handed a wrapper its caller did not go through
        return f"Tensor.__{name}__" if qualified.startswith("Tensor.") else qualified + HELD
    original = _unwrapped(func)
    if getattr(original, "__module__", None) == "torch.nn.functional" or getattr(F, name, None) is original:
        found = f"F.{name}"  # F.conv2d is torch.conv2d: the modules call it as F.conv2d
    elif getattr(original, "__objclass__", None) is not None or getattr(original, "__qualname__", "").startswith(
        ("TensorBase.", "Tensor.")
    ):
        found = f"Tensor.{name}"
    else:
        found = f"torch.{name}"
    owner, _, attr = found.partition(".")
    return found + HELD if attr in PATCHED.get(owner, ()) and _OWNERS[owner] is not torch.Tensor else found


def _dispatched(name: str) -> str:
    """The function a name stands for when PyTorch picks one of two by an argument: ``F.max_pool2d`` runs
    ``max_pool2d_with_indices`` when asked for the indices, ``_max_pool2d`` otherwise.

    >>> _dispatched("max_pool2d_with_indices"), _dispatched("_adaptive_max_pool1d")
    ('max_pool2d', 'adaptive_max_pool1d')
    """
    return name.lstrip("_").removesuffix("_with_indices")


def _unwrapped(func: Any) -> Any:
    """The function a wrapper of :func:`patched_functions` stands for (else the function itself)."""
    return func.__wrapped__ if getattr(func, "_cnncalc_name", None) is not None else func


@contextmanager
def patched_functions(named: list[str]) -> Iterator[None]:
    """Wrap the attributes in :data:`PATCHED` for the trace: a call through one is on ``named`` while it runs."""
    originals = [(owner, attr, getattr(_OWNERS[owner], attr)) for owner, attrs in PATCHED.items() for attr in attrs]

    def wrapped(qualified: str, original: Any) -> Any:
        def function(*args: Any, **kwargs: Any) -> Any:
            named.append(qualified)
            try:
                return original(*args, **kwargs)
            finally:
                named.pop()

        function.__name__ = qualified.rsplit(".", 1)[-1]
        function.__wrapped__ = original  # type: ignore[attr-defined]
        function._cnncalc_name = qualified  # type: ignore[attr-defined]
        return function

    try:
        for owner, attr, original in originals:
            setattr(_OWNERS[owner], attr, wrapped(f"{owner}.{attr}", original))
        yield
    finally:
        for owner, attr, original in originals:
            setattr(_OWNERS[owner], attr, original)


def _leaves(value: Any) -> list[Any]:
    leaves, _ = torch.utils._pytree.tree_flatten(value)
    if not any(isinstance(x, torch.Tensor) for x in leaves) and hasattr(value, "__dict__"):
        leaves, _ = torch.utils._pytree.tree_flatten(list(vars(value).values()))  # an output object holding tensors
    return leaves


def _int_dtype(t: torch.Tensor) -> str | None:
    """A tensor's dtype when it is not a floating-point activation (token ids, masks), else None."""
    return None if t.is_floating_point() else dtype_text(t.dtype)


class _Clock:
    """The time a model's forward may take while it is traced, every way it runs (``forward_seconds`` in
    :mod:`cnncalc.limits`): checked at each operator, so a loop over a huge range is stopped."""

    def __init__(self) -> None:
        from cnncalc import limits

        self.seconds = limits.value("forward_seconds")
        self.deadline = time.perf_counter() + self.seconds

    def refuse(self) -> None:
        from cnncalc import limits

        what = f"the model's forward has run for more than {self.seconds:,} s"
        limits.guard("forward_seconds", self.seconds + 1, what)


class _Timed(TorchDispatchMode):
    """Sees every aten operator of a forward and stops it at its clock's limit (a lazy model's first forward, run
    outside a trace); :class:`_Operators` records them too."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # PyTorch wraps a mode's __torch_dispatch__ to keep torch.compile out of it, importing the compiler
        # (a second or two) at the first operator; a trace is never compiled, so the mode stays unwrapped
        return False

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self.clock = clock

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        if time.perf_counter() > self.clock.deadline:
            self.clock.refuse()
        return func(*args, **(kwargs or {}))


class _Operators(_Timed):
    """Sees every aten operator after autograd and decompositions, as FlopCounterMode does."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__(tracer.clock)
        self.tracer = tracer

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func.namespace == "prim":  # a fake tensor's .device and the like: no tensor the network computes
            return func(*args, **kwargs)
        if time.perf_counter() > self.clock.deadline:
            self.clock.refuse()
        limits = self.tracer.limits
        out = None
        if limits is not None:
            limits.before(func, args)
            out = limits.product(func, args, kwargs)
        if out is None:
            if func.overloadpacket is torch.ops.aten._grouped_mm and args[0].dtype != torch.bfloat16:
                out = _grouped_mm_shape(func, args, kwargs)
            else:
                out = func(*args, **kwargs)
        if limits is not None:
            limits.after(out)
        self.tracer.operator(func.overloadpacket.__name__, func.namespace, args, kwargs, out)
        return out


def _grouped_mm_shape(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
    """``aten._grouped_mm``'s output without running it: PyTorch's shape function takes bfloat16 only."""
    as_bf16 = [x.to(torch.bfloat16) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in args]
    out = func(*as_bf16, **{**kwargs, "out_dtype": None})
    return out.to(kwargs.get("out_dtype") or args[0].dtype)


class _Functions(TorchFunctionMode):
    """Lowers the functions in :data:`~cnncalc.frontends.torch_lower.FUNCTIONS` whole, before they decompose."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        t = self.tracer
        if t.suppress or not t.stack:
            return func(*args, **kwargs)
        if _unwrapped(func) not in FUNCTIONS:
            return t.calling(func, args, kwargs)
        return t.function(func, args, kwargs)


# ---------------------------------------------------------------- inputs and the meta copy


def _dtype(name: Any) -> torch.dtype:
    if name is None:
        return torch.float32
    if isinstance(name, torch.dtype):
        return name
    value = getattr(torch, str(name).strip().lower().removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise ArgumentError(f"unknown input dtype '{name}'", hint="e.g. float32, float16, int64 (token ids)")
    return value


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list, torch.Size)) and all(
        isinstance(n, int) and not isinstance(n, bool) for n in value
    )


ID_NAMES = re.compile(r"(^|_)(ids|mask|labels)$")


def make_inputs(
    inputs: Any, dtype: Any = None, kwargs: dict[str, Any] | None = None, mode: Any = None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Fake tensors of ``mode`` for the forward, from one size, several, a dict by name, or example tensors.

    ``dtype`` is one dtype for every size, or a dict by input name; a named size
    whose name ends in ``ids``, ``mask`` or ``labels`` defaults to int64 (token
    ids, attention masks), any other to float32. In a dict, values that are
    neither sizes nor tensors (``use_cache=False``, ``None``) are passed through
    as keyword arguments, as are ``kwargs``.
    """

    def dtype_for(name: str | None) -> torch.dtype:
        if isinstance(dtype, dict):
            if name in dtype:
                return _dtype(dtype[name])
            return torch.int64 if name and ID_NAMES.search(name) else torch.float32
        if dtype is None and name and ID_NAMES.search(name):
            return torch.int64
        return _dtype(dtype)

    def one(item: Any, name: str | None = None) -> Any:
        if isinstance(item, torch.Tensor):
            return fake_like(item.detach(), mode, example=True)
        if _is_shape(item):
            if any(n < 0 for n in item):
                raise ArgumentError(f"an input size must not be negative (got {tuple(item)})")
            return fake_like(torch.empty(tuple(item), dtype=dtype_for(name), device="meta"), mode)
        raise ArgumentError(
            f"an input must be a size like (1, 3, 224, 224) or a tensor (got {type_name(item)})",
        )

    if isinstance(dtype, dict) and not isinstance(inputs, dict):
        raise ArgumentError("dtypes by name need inputs by name", hint="e.g. {'input_ids': (1, 128)}")
    if isinstance(dtype, dict):
        for value in dtype.values():
            _dtype(value)
    else:
        _dtype(dtype)
    extra = dict(kwargs or {})
    if inputs is None:
        raise ArgumentError("a PyTorch model needs an input size", hint="e.g. input_size=(1, 3, 224, 224)")
    if isinstance(inputs, dict):
        out: dict[str, Any] = {}
        for k, v in inputs.items():
            out[k] = one(v, k) if isinstance(v, torch.Tensor) or _is_shape(v) else v
        return (), {**out, **extra}
    if isinstance(inputs, list) and not inputs:  # a forward that takes no input
        return (), extra
    if isinstance(inputs, torch.Tensor) or _is_shape(inputs):
        return (one(inputs),), extra
    if isinstance(inputs, (tuple, list)) and inputs:
        return tuple(one(x) for x in inputs), extra
    raise ArgumentError(f"cannot read the input {inputs!r}", hint="e.g. (1, 3, 224, 224) or [(1, 16), (1, 16)]")


def check_input_names(model: nn.Module, kwargs: dict[str, Any]) -> None:
    """A named input the forward does not take is an ArgumentError listing the ones it does.

    A tensor input must name a parameter of ``forward``; other keyword arguments
    may also go to its ``**kwargs``. A forward of ``*args, **kwargs`` alone passes
    everything on, and is not checked.
    """
    import inspect

    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):  # pragma: no cover - a forward without a signature
        return
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    names = [
        n for n, p in params.items() if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if open_ended and not names:  # a wrapper that passes everything on (a PEFT model): its inner forward says
        return
    for key, value in kwargs.items():
        if key in names or (open_ended and not isinstance(value, torch.Tensor)):
            continue
        import difflib

        near = difflib.get_close_matches(key, names, n=2)
        hint = f"did you mean {' or '.join(near)}?" if near else None
        raise ArgumentError(
            f"{type(model).__name__}.forward takes no input '{key}' (it takes {', '.join(names) or 'none'})",
            hint=hint,
        )


def fake_mode(symbolic: bool = False) -> Any:
    """A fresh FakeTensorMode for one trace: tensors with shapes and dtypes but no storage.

    Unlike meta tensors, fake ones let a forward's value checks pass (Hugging Face
    models skip them when traced). ``symbolic``: data-dependent sizes become symbols
    (a ShapeEnv, which imports much of torch's compiler: a second of start-up), for
    the forwards that read a value the plain mode cannot follow.
    """
    from torch._subclasses.fake_tensor import FakeTensorMode

    if not symbolic:
        return FakeTensorMode(allow_non_fake_inputs=True)
    from torch.fx.experimental.symbolic_shapes import ShapeEnv

    return FakeTensorMode(allow_non_fake_inputs=True, shape_env=ShapeEnv())


class _Meta:
    """The trace's first mode: tensors on PyTorch's meta device (shapes and dtypes, no data), no mode to enter.

    Setting up a FakeTensorMode imports much of torch's compiler (a second or two of
    start-up); a model whose forward runs on meta tensors (most do) never needs it.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


META = _Meta()


class _Cpu(_Meta):
    """The first mode for a small model: ordinary CPU tensors, zeros for every weight, buffer and input.

    The forward runs for real, as torchinfo's does, but on zeros, never on the user's
    weights, and without computing its products (:func:`_unworked_product`). It is
    tried first because a shape-only trace runs some of PyTorch's
    meta kernels in Python, and the first of those imports PyTorch's compiler (1.5 s
    here, more than a small model's whole forward). The figures are the same either way:
    the trace records operators and shapes, never values, and a forward that reads a
    value, or outgrows :class:`_CpuLimits`, leaves the CPU for the meta device.
    """


CPU = _Cpu()

# A model runs on the CPU first only if copying its weights as zeros and its inputs are cheap ...
CPU_WEIGHT_BYTES = 512 * 2**20
CPU_INPUT_ELEMENTS = 2**22
# ... and it goes on only while its outputs stay small (its convolutions and matrix products are not computed,
# see _unworked_product, so the rest of its work grows with its outputs) and the clock is a backstop for the
# unforeseen (a slow operator, a busy machine).
CPU_OUTPUT_BYTES = 2**30
CPU_SECONDS = 5.0

# Operators whose output depends on the values, not only the shapes, of their inputs: a branch on a value
# (``item``), a size computed from values (``nonzero``, boolean masks). On zeros they would pick a path or a
# size no real input gives; the meta device refuses them, and fake tensors say why.
_READS_VALUES = {"equal", "is_nonzero", "allclose"}


class _LeaveCpu(CnnCalcError):
    """The forward on the CPU stopped: it reads values, or outgrew :data:`CPU_OUTPUT_BYTES` or :data:`CPU_SECONDS`."""


class _CpuLimits:
    """What keeps a forward on the CPU small: seen by the dispatch mode before and after every operator."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.bytes = 0

    def before(self, func: Any, args: tuple[Any, ...]) -> None:
        tags = func.tags
        name = func.overloadpacket.__name__
        if torch.Tag.data_dependent_output in tags or name in _READS_VALUES:
            raise _LeaveCpu(f"{name} reads a value")
        if torch.Tag.dynamic_output_shape in tags and (
            name != "index" or any(_is_mask(t) for t in _leaves(args[1:]))
        ):  # integer indices give a size from shapes alone; a mask's size is its count of true values
            raise _LeaveCpu(f"{name}'s size depends on values")

    def product(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
        return _unworked_product(func, args, kwargs)

    def after(self, out: Any) -> None:
        self.bytes += _new_bytes(out)
        if self.bytes > CPU_OUTPUT_BYTES or time.perf_counter() - self.start > CPU_SECONDS:
            raise _LeaveCpu("too large or slow to compute")


def _new_bytes(out: Any) -> int:
    """The bytes of the tensors an operator made (its views share their input's storage)."""
    return sum(t.nbytes for t in _leaves(out) if isinstance(t, torch.Tensor) and not t._is_view())


_PRODUCTS = {"mm", "addmm", "bmm", "baddbmm", "convolution"}


def _broadcasts(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    return len(shape) <= len(to) and all(n in (1, m) for n, m in zip(reversed(shape), reversed(to)))


def _unworked_product(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
    """A convolution's or a matrix product's output, of its size but not computed; None for any other operator.

    On the CPU the trace never reads a value (a forward that does leaves it), so the
    products, nearly all of a forward's arithmetic, need not be worked out: only their
    sizes. A matrix product's output is a new contiguous tensor whatever its operands'
    layout (a linear layer's weight is read transposed); a convolution's is only
    taken for contiguous operands, and one on channels-last tensors is computed. (The
    size is this stand-in tensor's only: the report's figures come from the layer kinds.)
    """
    name = func.overloadpacket.__name__
    if name not in _PRODUCTS or func._overloadname != "default" or kwargs:
        return None
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if any(t.dtype != tensors[0].dtype for t in tensors):
        return None
    if name == "convolution":
        if not all(t.is_contiguous() for t in tensors):
            return None
        x, w, bias, stride, padding, dilation, transposed, output_padding, groups = args
        channels = w.shape[0] if transposed else w.shape[1] * groups
        out_channels = w.shape[1] * groups if transposed else w.shape[0]
        if x.dim() != w.dim() or x.dim() < 3 or x.shape[1] != channels or w.shape[0] % groups:
            return None  # a mistake: PyTorch's own error says what it is
        if bias is not None and tuple(bias.shape) != (out_channels,):
            return None
        axes = zip(x.shape[2:], w.shape[2:], stride, padding, dilation, output_padding)
        if transposed:
            spatial = [transposed_along(n, k, s, p, p, d, extra) for n, k, s, p, d, extra in axes]
        else:
            spatial = [windows_along(n, k, s, p, p, d) for n, k, s, p, d, _ in axes]
        size = (x.shape[0], out_channels, *spatial)
    else:
        a, b = args[-2:] if name in ("addmm", "baddbmm") else args[:2]
        rank = 3 if name.endswith("bmm") else 2
        if a.dim() != rank or b.dim() != rank or a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
            return None
        size = (*a.shape[:-1], b.shape[-1])
        if name in ("addmm", "baddbmm") and not _broadcasts(tuple(args[0].shape), size):
            return None
    if any(n <= 0 for n in size):
        return None
    return torch.empty(size, dtype=tensors[0].dtype)  # its values are never read: not even zeros need writing


def _is_mask(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype in (torch.bool, torch.uint8)


class _Real(_Meta):
    """The last mode, for a forward that reads values (``.item()``, a boolean mask, ``nonzero``, a loop over the
    experts a router picked): it runs for real on the CPU, its products computed, and the trace records what ran.

    Nothing of the user's model is read: each weight is a new tensor of random values in its own dtype
    (floating point: uniform in ±1/√fan-in for a matrix or a kernel, in [0.5, 1.5) for a vector, positive as a
    scale or a variance must be; integers and booleans: zeros, a valid index and a step counter at rest), from
    a generator seeded at 0, so that two runs take the same path. The inputs are the example tensors' own
    values (a ``lengths`` tensor for ``pack_padded_sequence``); a size makes random normal values, or ones for
    an integer or boolean input (token id 1, a mask that keeps everything, lengths of 1).
    """

    def __init__(self, held: int = 0, why: str = "") -> None:
        self.generator = torch.Generator().manual_seed(0)
        self.held = held  # bytes of weights and inputs
        self.why = why  # where the forward read a value, for the report's notes

    def weight_like(self, t: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(tuple(t.shape), dtype=t.dtype)
        if t.is_floating_point() and out.numel():
            if out.dim() >= 2:
                bound = 1 / math.sqrt(max(out.numel() // out.shape[0], 1))
                out.uniform_(-bound, bound, generator=self.generator)
            else:
                out.uniform_(0.5, 1.5, generator=self.generator)
        return out

    def input_like(self, t: torch.Tensor, example: bool) -> torch.Tensor:
        if example and not t.is_meta:
            return t.detach().to("cpu", copy=True)
        if t.is_floating_point():
            return torch.randn(tuple(t.shape), dtype=t.dtype, generator=self.generator)
        return torch.ones(tuple(t.shape), dtype=t.dtype)


class _RealLimits:
    """What bounds a forward run for real: the bytes it holds (weights, inputs and every tensor it makes, all kept
    alive by the trace) against the limit ``forward_bytes`` of :mod:`cnncalc.limits`."""

    def __init__(self, held: int) -> None:
        from cnncalc import limits

        self.bytes = held
        self.cap = limits.value("forward_bytes")

    def before(self, func: Any, args: tuple[Any, ...]) -> None:
        return None

    def product(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor | None:
        return None  # computed: a later operator may read its values

    def after(self, out: Any) -> None:
        self.bytes += _new_bytes(out)
        if self.bytes > self.cap:
            from cnncalc import limits
            from cnncalc.render import human_bytes

            what = (
                f"the forward, run for real on the CPU because it reads tensor values, holds {human_bytes(self.bytes)}"
            )
            limits.guard("forward_bytes", self.bytes, what)


def _model_bytes(model: nn.Module) -> int:
    """The bytes of the model's parameters, buffers and tensor attributes, each tensor once."""
    seen: dict[int, int] = {}
    for m in model.modules():
        for table in (m._parameters, m._buffers, vars(m)):
            for t in table.values():
                if isinstance(t, torch.Tensor) and not nn.parameter.is_lazy(t):
                    seen.setdefault(id(t), t.numel() * t.element_size())
    return sum(seen.values())


def _small(model: nn.Module, input_size: Any) -> bool:
    """Whether ``model`` on inputs of ``input_size`` is cheap to run on the CPU (see :class:`_Cpu`)."""
    weights = 0
    for t in list(model.parameters()) + list(model.buffers()):
        if (
            t.device.type not in ("cpu", "meta")
            or nn.parameter.is_lazy(t)
            or type(t) not in (torch.Tensor, nn.Parameter)
        ):
            return False
        weights += t.numel() * t.element_size()
    if weights > CPU_WEIGHT_BYTES:
        return False
    sizes = input_size.values() if isinstance(input_size, dict) else [input_size]
    elements = 0
    for item in sizes:
        items = [item] if isinstance(item, torch.Tensor) or _is_shape(item) else item
        for x in items if isinstance(items, (list, tuple)) else [items]:
            if isinstance(x, torch.Tensor):
                if x.device.type not in ("cpu", "meta"):
                    return False
                elements += x.numel()
            elif _is_shape(x):
                elements += math.prod(x)
    return elements <= CPU_INPUT_ELEMENTS


def fake_like(t: torch.Tensor, mode: Any, example: bool = False) -> torch.Tensor:
    """A fake tensor of ``t``'s shape, strides and dtype, on the CPU (a meta tensor's too), or a meta tensor
    when ``mode`` is :data:`META`; no data is copied, except an ``example`` input's for a forward run for real
    (:class:`_Real`)."""
    if mode is CPU:
        shape, stride = tuple(t.shape), tuple(t.stride())
        room = 1 + sum((n - 1) * step for n, step in zip(shape, stride)) if all(shape) else 0
        return torch.zeros(room, dtype=t.dtype).as_strided(shape, stride)
    if mode is META:
        return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype, device="meta")
    if isinstance(mode, _Real):
        return mode.input_like(t, example)
    device = "cpu" if t.is_meta else t.device
    with mode:
        return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype, device=device)


@contextmanager
def on_fake(model: nn.Module, mode: Any) -> Iterator[nn.Module]:
    """The model with every parameter, buffer and tensor attribute swapped for a fake tensor of ``mode``.

    Nothing is allocated: each tensor is replaced in place by a fake of the same
    shape, dtype and ``requires_grad`` (tied tensors stay tied), and the
    originals are put back on exit, so the user's model ends as it began.
    """
    fake_of: dict[int, torch.Tensor] = {}
    saved: list[tuple[dict[str, Any], str, Any]] = []

    def fake(t: torch.Tensor) -> torch.Tensor:
        if id(t) not in fake_of:
            f = mode.weight_like(t) if isinstance(mode, _Real) else fake_like(t, mode)
            if isinstance(t, nn.Parameter):
                f = nn.Parameter(f, requires_grad=t.requires_grad)
            fake_of[id(t)] = f
        return fake_of[id(t)]

    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if nn.parameter.is_lazy(p):
            raise SpecError(
                f"{name} is not initialised yet (a lazy module): its size is only known after a real forward",
                hint="run the model once on a real input, or give the layer its input size",
            )
    try:
        for m in model.modules():
            for table in (m._parameters, m._buffers, vars(m)):
                for key, t in list(table.items()):
                    if isinstance(t, torch.Tensor):
                        saved.append((table, key, t))
                        table[key] = fake(t)
        yield model
    finally:
        for table, key, t in reversed(saved):
            table[key] = t


# ---------------------------------------------------------------- the public entry points


def trace_graph(
    model: nn.Module,
    input_size: Any = None,
    *,
    input_dtype: Any = None,
    kwargs: dict[str, Any] | None = None,
    title: str = "",
    user_file: str | None = None,
    train: bool = False,
) -> Graph:
    """The Graph of ``model``'s forward on inputs of the given sizes (see :func:`from_torch`).

    ``user_file`` is the file the model came from, for pointing at its lines when the forward fails;
    ``train`` traces in training mode (dropout drops, batch norm uses the batch's statistics).
    """
    if not isinstance(model, nn.Module):
        raise SpecError(f"from_torch needs a torch.nn.Module (got {type_name(model)})")
    if not has_forward(model):
        return _parameters_only(model, title, given=input_size is not None)
    given = dict(input_dtype=input_dtype, kwargs=kwargs, title=title, user_file=user_file, train=train)
    if any(nn.parameter.is_lazy(t) for t in [*model.parameters(), *model.buffers()]):
        lazy = _materialised(model, input_size, input_dtype, kwargs, user_file)
        graph = trace_graph(lazy, input_size, **given)
        note = "Its lazy modules took their sizes from a forward run for real on a copy (your model is left lazy)"
        return replace(graph, notes=(*graph.notes, note))
    given["clock"] = _Clock()  # every way of running the forward below shares one limit on time
    if _small(model, input_size):
        try:  # a small model runs on the CPU, on zeros: quicker than PyTorch's first shape-only kernel in Python
            with _on_the_cpu():
                return _trace(model, input_size, CPU, **given)
        except (LimitError, UserCodeError):
            raise  # a cap the forward passed, or the model's own exit: the same on any device
        except CnnCalcError:
            pass  # it reads values, or is larger than it looked: the meta device, where values are never made up
    try:  # meta tensors next: most models run on them, and they cost nothing to set up
        return _trace(model, input_size, META, **given)
    except (LimitError, UserCodeError):
        raise
    except CnnCalcError:
        pass  # a forward that reads values or makes tensors on the CPU: fake tensors follow it, and say why if not
    with _quiet("torch._subclasses.fake_tensor"):  # it logs a model's error with a traceback, then raises it
        try:
            return _trace(model, input_size, fake_mode(), **given)
        except ReadsValues:  # once more with symbolic sizes, which follow some of what the plain mode cannot
            try:
                return _trace(model, input_size, fake_mode(symbolic=True), **given)
            except ReadsValues as e:
                reads = e
    # the forward reads values no shape-only trace can follow: it runs for real, if it is small enough
    real = _Real(_held_bytes(model, input_size, input_dtype, kwargs), reads.place)
    with _on_the_cpu(seed=True):
        return _trace(model, input_size, real, **given)


def has_forward(model: nn.Module) -> bool:
    """Whether the module defines a forward (a ModuleList, or a class holding parameters only, does not)."""
    if isinstance(model, torch.jit.ScriptModule):  # compiled from a forward
        return True
    return getattr(type(model), "forward", None) is not nn.Module.forward


def _parameters_only(model: nn.Module, title: str, given: bool) -> Graph:
    """The Graph of a module without a forward: its parameters and buffers, a row per module that holds them,
    as torchinfo lists them; nothing runs, so no shape, MACs or FLOPs."""
    tracer = Tracer(model)
    index: dict[str, int] = {}
    for name, m in model.named_modules():
        parent = index[name.rpartition(".")[0]] if name else None
        index[name] = len(tracer.scopes)
        tracer.scopes.append(
            _ScopeRecord(len(tracer.scopes), m, name or _kind(m), parent, name.count(".") + 1 if name else 0)
        )
    _unread(model, tracer)
    note = f"PyTorch {_kind(model)} has no forward: its parameters and buffers are listed by the module holding them"
    note += "; nothing ran, so there are no output shapes, MACs or FLOPs" + ("; the input is not used" if given else "")
    return _graph(model, tracer, [], (note,), title)


def _materialised(
    model: nn.Module, input_size: Any, input_dtype: Any, kwargs: dict[str, Any] | None, user_file: str | None
) -> nn.Module:
    """A copy of a model with lazy modules (``nn.LazyLinear``), their sizes set by one forward run for real.

    The copy holds random weights of the model's (:class:`_Real`) from the start, and fresh uninitialised
    parameters for the lazy ones, which the lazy modules' own hooks size and initialise on the forward; the
    user's model is not touched and stays lazy.
    """
    import copy

    from cnncalc.usercode import user_code

    real = _Real(_held_bytes(model, input_size, input_dtype, kwargs, "it has lazy modules"))
    memo: dict[int, Any] = {}
    for m in model.modules():
        for table in (m._parameters, m._buffers, vars(m)):
            for t in table.values():
                if not isinstance(t, torch.Tensor) or id(t) in memo:
                    continue
                if nn.parameter.is_lazy(t):
                    memo[id(t)] = type(t)(requires_grad=t.requires_grad, device="cpu", dtype=t.dtype)
                else:
                    f = real.weight_like(t)
                    memo[id(t)] = nn.Parameter(f, requires_grad=t.requires_grad) if isinstance(t, nn.Parameter) else f
    try:
        lazy = copy.deepcopy(model, memo)
    except Exception as e:  # noqa: BLE001 - an attribute that refuses to be copied (a lock, a file)
        raise SpecError(
            f"{_kind(model)} has lazy modules, whose sizes come from a forward run on a copy, and it cannot be "
            f"copied: {_said(e)}"
        ) from None
    args, kw = make_inputs(input_size, input_dtype, kwargs, real)
    lazy.eval()
    clock = _Timed(_Clock())
    with (
        _on_the_cpu(seed=True),
        torch.no_grad(),
        user_code(f"the forward of {_kind(model)}", file=user_file, skip=(_TORCH_DIR,)),
        clock,
    ):
        try:
            lazy(*args, **kw)
        except CnnCalcError:
            raise
        except Exception as e:  # noqa: BLE001 - the user's model failed
            line = _model_line(e, user_file)
            raise ShapeError(
                f"the model's forward failed{f' at {line}' if line else ''}, run to give its lazy modules their "
                f"sizes: {_said(e)}"
            ) from None
    return lazy


def _held_bytes(
    model: nn.Module,
    input_size: Any,
    input_dtype: Any,
    kwargs: dict[str, Any] | None,
    why: str = "the forward reads tensor values",
) -> int:
    """The bytes a forward run for real starts with, its weights and inputs; refused over ``forward_bytes``."""
    from cnncalc import limits
    from cnncalc.render import human_bytes

    args, kw = make_inputs(input_size, input_dtype, kwargs, META)
    inputs = sum(t.nbytes for t in _leaves((args, kw)) if isinstance(t, torch.Tensor))
    held = _model_bytes(model) + inputs
    what = f"its weights and inputs take {human_bytes(held)}"
    limits.guard("forward_bytes", held, f"{why}, so it must run for real on the CPU: {what}")
    return held


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """A logger of PyTorch's silenced: cnncalc says what went wrong once, as its own error."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


class ReadsValues(ShapeError):
    """The forward read a tensor's value (a data-dependent size or branch), which a shape-only trace cannot."""

    place = ""  # " in fc (Linear) at model.py:13 (...)": where it read the value


def _trace(
    model: nn.Module,
    input_size: Any,
    mode: Any,
    *,
    input_dtype: Any,
    kwargs: dict[str, Any] | None,
    title: str,
    user_file: str | None,
    train: bool,
    clock: _Clock,
) -> Graph:
    """One trace of the forward in ``mode`` (see :func:`trace_graph`)."""
    args, kw = make_inputs(input_size, input_dtype, kwargs, mode)
    check_input_names(model, kw)
    with on_fake(model, mode):
        tracer = Tracer(model)
        tracer.clock = clock
        if mode is CPU:
            tracer.limits = _CpuLimits()
        elif isinstance(mode, _Real):
            tracer.limits = _RealLimits(mode.held)
        inputs: list[torch.Tensor] = []
        for i, t in enumerate(args):
            inputs.append(_input_node(tracer, t, f"input{i + 1}" if len(args) > 1 else "input"))
        for name, t in kw.items():
            if isinstance(t, torch.Tensor):
                inputs.append(_input_node(tracer, t, name))
        params = list(model.parameters())
        dtype = dtype_text(params[0].dtype) if params and params[0].is_floating_point() else None
        _run(model, tracer, args, kw, mode, user_file, train)
        _unread(model, tracer)
        _drop_autograd_copies(tracer)
    if not tracer.scopes:
        raise SpecError("the model's forward ran no module", hint="call the model, not its forward method")
    how = (
        "run on the CPU with zeros for its weights and inputs (its own weights neither read nor changed)"
        if mode is CPU
        else "run for real on the CPU with random weights (its own weights neither read nor changed)"
        if isinstance(mode, _Real)
        else "traced with fake tensors (no weights allocated, nothing computed)"
    )
    notes = [f"PyTorch {_kind(model)} {how}, in {'training' if train else 'eval'} mode"]
    if isinstance(mode, _Real):
        notes.append(
            f"Its forward reads tensor values{mode.why}: the figures count what this run did, on seeded random "
            "weights and inputs (a branch, a mask's size, the experts a router picked are the ones these values "
            "gave)"
        )
    return _graph(model, tracer, inputs, tuple(notes), title, dtype)


def _graph(
    model: nn.Module,
    tracer: Tracer,
    inputs: list[torch.Tensor],
    notes: tuple[str, ...],
    title: str,
    dtype: str | None = None,
) -> Graph:
    """The Graph a trace recorded: its nodes, and a Scope for each module call."""
    batch = next((int(t.shape[0]) for t in inputs if t.dim() > 0), 1)
    scopes = tuple(
        Scope(
            r.index,
            r.path,
            _kind(r.module),
            r.parent,
            r.level,
            tuple(r.outputs),
            tuple(r.output_nodes),
            tuple(r.notes),
            id(r.module) in tracer.blocks,
            *_hooked(r.module),
            r.inputs,
            r.attrs,
        )
        for r in tracer.scopes
    )
    return Graph(
        tuple(tracer.nodes),
        title or _kind(model),
        scopes,
        Layout.chw,
        batch,
        notes,
        source="torch",
        depth=DEFAULT_DEPTH,
        dtype=dtype if dtype in ("float32", "float16", "bfloat16", "float64") else None,
        columns=COLUMNS,
    )


def _hooked(module: nn.Module) -> tuple[bool, tuple[tuple[str, int], ...]]:
    """Whether a module has no modules inside it, and its own parameters by name, with their elements."""
    leaf = not any(True for _ in module.children())
    return leaf, tuple((name, p.numel()) for name, p in module.named_parameters(recurse=False))


def _drop_autograd_copies(tracer: Tracer) -> None:
    """Leave out the copy autograd makes of an in-place operator's input (``hardtanh_`` of a tensor that needs a
    gradient clones it first, to differentiate at the old values): nothing reads it, autograd keeps it.

    cnncalc counts the in-place operator as an out-of-place one: a new tensor, its input
    kept for the backward. PyTorch holds the copy (kept) and the input overwritten: the
    same two tensors' bytes, so without the copy the figures come out as PyTorch's.
    """
    read = {i for n in tracer.nodes for i in n.inputs}
    read |= {i for r in tracer.scopes for i in r.output_nodes}
    drop = {
        a.id
        for a, b in zip(tracer.nodes, tracer.nodes[1:])
        if a.kind == "copy"
        and dict(a.kwargs).get("op") == "clone"
        and a.id not in read
        and base_name(b.label) != b.label
        and b.inputs[:1] == a.inputs
    }
    if drop:
        tracer.nodes[:] = [n for n in tracer.nodes if n.id not in drop]


def _input_node(tracer: Tracer, t: torch.Tensor, name: str) -> torch.Tensor:
    node_id = tracer.ids.new(name)
    kwargs = (("layout", "chw"),) if t.dim() else (("layout", "chw"), ("scalar", True))  # a 0-d input: no axes
    tracer.nodes.append(Node(node_id, "input", name, tuple(t.shape), kwargs, (), name, dtype=_int_dtype(t)))
    tracer.produce(t, node_id)
    return t


def _run(
    model: nn.Module,
    tracer: Tracer,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    mode: Any,
    user_file: str | None,
    train: bool = False,
) -> None:
    """Run the forward with the hooks and modes in place; the model's errors become ShapeErrors, its exits and
    interrupts UserCodeErrors (:func:`cnncalc.usercode.user_code`)."""
    from cnncalc.usercode import user_code

    training = {m: m.training for m in model.modules()}
    handles = []
    for m in model.modules():
        if not isinstance(m, torch.jit.ScriptModule):  # a scripted module takes no hooks of its own
            # first among the pre-hooks: one that reads parameters (pruning's mask, weight_norm) runs in the call
            handles.append(m.register_forward_pre_hook(tracer.pre, with_kwargs=True, prepend=True))
            handles.append(m.register_forward_hook(tracer.post, with_kwargs=True))
    if tracer.by_name:  # the outermost scripted modules' calls, seen by hooks on every module while the trace runs
        handles += _script_hooks(tracer)
    model.train(train)
    try:
        # Inference runs without autograd (in-place ops then make no copies), training with it, as each would
        # for real; the fused fast paths of nn.MultiheadAttention and the transformer layers are switched off
        # so that their matmuls are seen one by one.
        grad = torch.enable_grad() if train else torch.no_grad()
        with user_code(f"the forward of {_kind(model)}", file=user_file, skip=(_TORCH_DIR,)):
            try:
                with (
                    grad,
                    _no_fast_path(),
                    patched_functions(tracer.named),
                    mode,
                    _Functions(tracer),
                    _Operators(tracer),
                ):
                    model(*args, **kwargs)
            except CnnCalcError:
                raise
            except Exception as e:  # noqa: BLE001 - the user's model failed: say where and pass its message on
                raise _forward_failed(e, tracer, args, kwargs, user_file) from None
    finally:
        for h in handles:
            h.remove()
        for m, flag in training.items():
            m.train(flag)


def _script_hooks(tracer: Tracer) -> list[Any]:
    """Hooks on every module call that record the calls of the model's scripted modules (their own hooks are
    refused); the modules inside a scripted one run compiled and call no hook."""
    from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

    def pre(module: nn.Module, args: Any) -> None:
        if isinstance(module, torch.jit.ScriptModule) and id(module) in tracer.module_names:
            tracer.pre(module, args, {})

    def post(module: nn.Module, args: Any, output: Any) -> None:
        if isinstance(module, torch.jit.ScriptModule) and id(module) in tracer.module_names:
            tracer.post(module, args, {}, output)

    return [register_module_forward_pre_hook(pre), register_module_forward_hook(post)]


def _kind(module: nn.Module) -> str:
    """A module's class name as the user wrote it (a scripted module's original class, not RecursiveScriptModule)."""
    if isinstance(module, torch.jit.ScriptModule):
        return str(getattr(module, "original_name", None) or type(module).__name__)
    return type(module).__name__


@contextmanager
def _no_fast_path() -> Iterator[None]:
    """PyTorch's fused attention and transformer-layer kernels off for the trace, put back afterwards."""
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


@contextmanager
def _on_the_cpu(seed: bool = False) -> Iterator[None]:
    """How a forward on the CPU runs: on one thread, with attention by its plain formula, as on the meta device,
    and the random state put back afterwards (dropout draws from it).

    With its products not computed, what is left is writing zeros and small
    elementwise work, which threads only slow down (on a busy machine they wait on
    each other: 20 times slower here). The CPU's fused attention kernel returns its
    output in another memory layout, and a later reshape would then copy where the
    meta device's does not.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with sdpa_kernel([SDPBackend.MATH]), torch.random.fork_rng(devices=[]):
            if seed:  # a forward run for real draws (dropout, its own random tensors) the same numbers each time
                torch.manual_seed(0)
            yield
    finally:
        torch.set_num_threads(threads)


class SizeFromValues(Exception):  # noqa: N818 - named as PyTorch names its own, for the same handling
    """An operator's output size depends on values (a boolean mask, ``nonzero``): raised inside the forward."""


DATA_DEPENDENT = (
    "DataDependentOutputException",
    "DynamicOutputShapeException",
    "GuardOnDataDependentSymNode",
    "SizeFromValues",
)


def _forward_failed(
    e: Exception, tracer: Tracer, args: tuple[Any, ...], kwargs: dict[str, Any], user_file: str | None
) -> ShapeError:
    """The model's own error, with the module it ran in, the line of the model's code, and a way out."""
    where = f" in {tracer.stack[-1].path} ({_kind(tracer.stack[-1].module)})" if tracer.stack else ""
    line = _model_line(e, user_file)
    at = f" at {line}" if line else ""
    sizes = ", ".join(str(list(t.shape)) for t in list(args) + list(kwargs.values()) if hasattr(t, "shape"))
    if any(n in {c.__name__ for c in type(e).__mro__} for n in DATA_DEPENDENT):
        hint = "compute it from shapes, or pass the value in as an argument"
        if "expert" in line.lower() or "moe" in line.lower() or "mixtral" in line.lower():
            hint = (
                "this mixture-of-experts layer loops over the experts the router picked; choose "
                "experts_implementation='grouped_mm' or 'batched_mm' in the model's config (the same count)"
            )
        error = ReadsValues(
            f"the model's forward reads tensor values{where}{at}, which a shape-only trace cannot follow", hint=hint
        )
        error.place = f"{where}{at}"
        return error
    message = _said(e)
    hint = None
    if "indices" in message.lower() and ("float" in message.lower() or "long" in message.lower()):
        hint = "token ids are integers: give the input dtype int64 (--input NAME=SHAPE:int64)"
    return ShapeError(f"the model's forward failed{where}{at} on input {sizes}: {message}", hint=hint)


def _said(e: BaseException) -> str:
    """An error from the model's forward in words: its first line, without the name of Python's or PyTorch's class
    (``mat1 and mat2 shapes cannot be multiplied (2x4 and 5x3)``); a class of the user's own is named."""
    from cnncalc.usercode import described

    if type(e).__module__.split(".")[0] == "torch":
        text = str(e).strip()
        return text.splitlines()[0] if text else "an error without a message in PyTorch"
    text = described(e)
    return text.splitlines()[0] if text else text


def _model_line(e: BaseException, user_file: str | None) -> str:
    """``file.py:13 (if h.mean() > 0:)``: the innermost frame of the model's code, where it failed."""
    from cnncalc.usercode import user_line

    return user_line(e, user_file, skip=(_TORCH_DIR,))


_TORCH_DIR = str(Path(torch.__file__).parent)


def _unread(model: nn.Module, tracer: Tracer) -> None:
    """Parameters and buffers no operation read: a ``tensor`` node each, in the scope of their module's call."""
    first_call: dict[int, int] = {}
    for rec in tracer.scopes:
        first_call.setdefault(id(rec.module), rec.index)
    modules = dict(model.named_modules())
    for name, module in modules.items():
        for kind, table in (("parameters", module._parameters), ("buffers", module._buffers)):
            for key, t in table.items():
                if t is None or id(t) in tracer.counted:
                    continue
                host = name
                while host and id(modules.get(host)) not in first_call:
                    host = host.rpartition(".")[0]
                scope = first_call.get(id(modules[host]) if host else id(model))
                qualified = f"{name}.{key}" if name else key
                tracer.counted[id(t)] = qualified
                notes = ()
                if id(module) not in first_call:
                    notes = (f"includes {t.numel():,} {kind} of {name}, which did not run as a module",)
                tracer.nodes.append(
                    Node(
                        tracer.ids.new(key),
                        "tensor",
                        qualified,
                        tuple(t.shape),
                        source=qualified,
                        scope=scope,
                        tensors=(
                            Tensor(
                                qualified, tuple(t.shape), bool(t.requires_grad), kind == "buffers", dtype_text(t.dtype)
                            ),
                        ),
                        notes=notes,
                    )
                )


def from_torch(
    model: nn.Module,
    input_size: Any = None,
    *,
    depth: int = DEFAULT_DEPTH,
    flops: Any = None,
    input_dtype: Any = None,
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
    title: str = "",
    options: Options | None = None,
    user_file: str | None = None,
    **given: Any,
) -> Report:
    """Every module call's output shape, params, MACs and FLOPs, from a trace on the meta device.

    ``input_size`` is one size with the batch first, ``(1, 3, 224, 224)``, a list of
    sizes for several inputs, a dict of sizes by name
    (``{"input_ids": (1, 128), "attention_mask": (1, 128)}``), or example tensors
    (only their shapes and dtypes are used). ``dtypes`` (or ``input_dtype``) is one
    dtype or a dict by name; named ids and masks default to int64. Other keyword
    arguments of the forward go in ``kwargs`` (``{"use_cache": False}``). ``depth``
    is how deep the rows follow the module tree (torchinfo's idea): the work of
    deeper modules is counted in their ancestor's row. The report's other choices
    (``flops``, ``layout``, ``dtype``, ...) are :class:`~cnncalc.options.Options`.
    """
    from cnncalc.analyze import analyze_graph

    opts = Options.make(options, flops=flops, depth=depth, title=title or None, **given)
    dtype = dtypes if dtypes is not None else input_dtype
    graph = trace_graph(model, input_size, input_dtype=dtype, kwargs=kwargs, user_file=user_file, train=opts.train)
    return analyze_graph(graph, opts)


# ---------------------------------------------------------------- the CLI's SPEC: path/to/file.py:ModelClass


def load_model(spec: str) -> nn.Module:
    """Import ``file.py`` as the user's own code and build ``ModelClass()`` on the meta device.

    The file runs as Python (like ``python file.py`` would, minus ``__main__``); nothing is unpickled. Both
    steps run as the user's code (:func:`cnncalc.usercode.user_code`): what it prints goes to standard error,
    and an error, ``sys.exit`` or an interrupt is a UserCodeError naming the line of the file. The file is
    read once and compiled here, so that no cached bytecode is read or written beside it.
    """
    from cnncalc import limits
    from cnncalc.usercode import user_code

    m = TORCH_SPEC.match(spec)
    if m is None:
        raise SpecError(f"'{spec}' is not of the form path/to/file.py:ModelClass")
    path = Path(m["file"])
    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    limits.guard("file_bytes", path.stat().st_size, f"{path} has {path.stat().st_size:,} bytes")
    try:
        code = compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as e:
        raise SpecError(f"{path} is not valid Python: {e.msg}", line=e.lineno, column=e.offset) from None
    except ValueError as e:  # a null byte
        raise SpecError(f"{path} is not valid Python: {e}") from None
    module_name = "_cnncalc_user_" + re.sub(r"\W", "_", path.stem)
    spec_obj = importlib.util.spec_from_file_location(module_name, path)
    if spec_obj is None or spec_obj.loader is None:
        raise SpecError(f"cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec_obj)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        with user_code(f"importing {path}", file=str(path), skip=(_TORCH_DIR,)), torch.device("meta"):
            exec(code, module.__dict__)  # noqa: S102 - the user's own model file, run as `python file.py` would
    finally:
        sys.path.remove(folder)
    obj: Any = module
    for part in m["name"].split("."):
        if not hasattr(obj, part):
            found = sorted(n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module))
            hint = f"its nn.Module classes: {', '.join(found)}" if found else "it defines no nn.Module class"
            raise SpecError(f"{path} has no '{m['name']}'", hint=hint)
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, nn.Module)):
        what = f"a {type(obj).__name__}" if not isinstance(obj, type) else f"the class {obj.__name__}"
        raise SpecError(f"'{m['name']}' in {path} is not a torch.nn.Module subclass (it is {what})")
    _check_no_arguments(obj, m["name"])
    with user_code(f"building {m['name']}()", file=str(path), skip=(_TORCH_DIR,)), torch.device("meta"):
        return obj()


def _check_no_arguments(cls: type, name: str) -> None:
    """A class the command line builds with no arguments must take none."""
    import inspect

    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # no signature to read: building it says what is wrong
        return
    needed = [p.name for p in params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if needed:
        raise SpecError(
            f"{name}() needs {', '.join(needed)}",
            hint="the class is built with no arguments; give its arguments defaults",
        )


def graph_of_file(
    spec: str,
    *,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
    train: bool = False,
) -> Graph:
    """The Graph of ``path/to/file.py:Class`` on ``input``: sizes, or parsed ``--input NAME=SHAPE[:DTYPE]`` items."""
    from cnncalc.inputs import InputSpec, for_torch

    missing = input is None or input == () or input == []
    if missing:
        input = None
    if isinstance(input, str):
        from cnncalc.inputs import parse_inputs

        input = parse_inputs(input)
    if isinstance(input, tuple) and isinstance(input[0], InputSpec):
        input, named_dtypes = for_torch(input)
        if dtypes is None:
            dtypes = named_dtypes
        elif named_dtypes is not None:
            raise SpecError("give the input dtype once: in --input NAME=SHAPE:DTYPE or with --input-dtype")
    model = load_model(spec)
    if missing and has_forward(model):  # a module without a forward lists its parameters, and needs none
        raise SpecError("a PyTorch model needs --input with the batch first", hint="e.g. --input 1,3,224,224")
    user_file = TORCH_SPEC.match(spec)["file"]  # type: ignore[index]
    return trace_graph(model, input, input_dtype=dtypes, kwargs=kwargs, user_file=user_file, train=train)


__all__: Sequence[str] = ("from_torch", "graph_of_file", "load_model", "trace_graph")
