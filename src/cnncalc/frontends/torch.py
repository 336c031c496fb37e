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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from cnncalc.conventions import Layout
from cnncalc.errors import ArgumentError, CnnCalcError, ShapeError, SpecError
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
    outputs: list[tuple[int, ...]] = field(default_factory=list)
    output_nodes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
        self.limits: _CpuLimits | None = None  # set when the forward runs on the CPU for real
        floats = [p.dtype for p in model.parameters() if p.is_floating_point()]
        self.float_dtype = floats[0] if floats else None  # the activations' dtype unless an op says otherwise

    # -- scopes

    def pre(self, module: nn.Module, args: Any, kwargs: Any) -> None:
        parent = self.stack[-1] if self.stack else None
        path = self.module_names.get(id(module)) or type(module).__name__
        rec = _ScopeRecord(len(self.scopes), module, path, parent.index if parent else None, len(self.stack))
        if id(module) in self.seen_modules and any(True for _ in module.parameters(recurse=False)):
            rec.notes.append(f"{path} runs again: its parameters are counted at its first call")
        self.seen_modules.add(id(module))
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
        self.nodes.append(
            Node(
                node_id,
                low.kind,
                label,
                (),
                kwargs,
                inputs,
                source=label,
                scope=self.stack[-1].index if self.stack else None,
                shapes=shapes,
                lead=low.lead,
                tensors=tuple(tensors),
                dtype=self.dtype_of(first),
                notes=tuple(notes),
                output=tuple(first.shape),
                grad=tuple(bool(w.requires_grad) for w in low.weights) if low.weights else None,
            )
        )
        for t in outs:
            self.produce(t, node_id)
        return node_id

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
        self.nodes.append(
            Node(
                node_id,
                "tensor",
                name,
                tuple(t.shape),
                (),
                (),
                source=name,
                scope=self.stack[-1].index if self.stack else None,
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
        self.add(FUNCTIONS[func](args, kwargs, out), out, getattr(func, "__name__", "function"))
        return out

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


def _leaves(value: Any) -> list[Any]:
    leaves, _ = torch.utils._pytree.tree_flatten(value)
    if not any(isinstance(x, torch.Tensor) for x in leaves) and hasattr(value, "__dict__"):
        leaves, _ = torch.utils._pytree.tree_flatten(list(vars(value).values()))  # an output object holding tensors
    return leaves


def _int_dtype(t: torch.Tensor) -> str | None:
    """A tensor's dtype when it is not a floating-point activation (token ids, masks), else None."""
    return None if t.is_floating_point() else dtype_text(t.dtype)


class _Operators(TorchDispatchMode):
    """Sees every aten operator after autograd and decompositions, as FlopCounterMode does."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # PyTorch wraps a mode's __torch_dispatch__ to keep torch.compile out of it, importing the compiler
        # (a second or two) at the first operator; a trace is never compiled, so the mode stays unwrapped
        return False

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func.namespace == "prim":  # a fake tensor's .device and the like: no tensor the network computes
            return func(*args, **kwargs)
        limits = self.tracer.limits
        out = None
        if limits is not None:
            limits.before(func, args)
            out = _unworked_product(func, args, kwargs)
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
        if func not in FUNCTIONS or t.suppress or not t.stack:
            return func(*args, **kwargs)
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
            return fake_like(item.detach(), mode)
        if _is_shape(item):
            if any(n < 0 for n in item):
                raise ArgumentError(f"an input size must not be negative (got {tuple(item)})")
            return fake_like(torch.empty(tuple(item), dtype=dtype_for(name), device="meta"), mode)
        raise ArgumentError(
            f"an input must be a size like (1, 3, 224, 224) or a tensor (got {type(item).__name__})",
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

    def after(self, out: Any) -> None:
        self.bytes += sum(t.nbytes for t in _leaves(out) if isinstance(t, torch.Tensor) and not t._is_view())
        if self.bytes > CPU_OUTPUT_BYTES or time.perf_counter() - self.start > CPU_SECONDS:
            raise _LeaveCpu("too large or slow to compute")


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


def fake_like(t: torch.Tensor, mode: Any) -> torch.Tensor:
    """A fake tensor of ``t``'s shape, strides and dtype, on the CPU (a meta tensor's too), or a meta tensor
    when ``mode`` is :data:`META`; no data is copied."""
    if mode is CPU:
        shape, stride = tuple(t.shape), tuple(t.stride())
        room = 1 + sum((n - 1) * step for n, step in zip(shape, stride)) if all(shape) else 0
        return torch.zeros(room, dtype=t.dtype).as_strided(shape, stride)
    if mode is META:
        return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype, device="meta")
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
            f = fake_like(t, mode)
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
        raise SpecError(f"from_torch needs a torch.nn.Module (got {type(model).__name__})")
    given = dict(input_dtype=input_dtype, kwargs=kwargs, title=title, user_file=user_file, train=train)
    if _small(model, input_size):
        try:  # a small model runs on the CPU, on zeros: quicker than PyTorch's first shape-only kernel in Python
            with _on_the_cpu():
                return _trace(model, input_size, CPU, **given)
        except CnnCalcError:
            pass  # it reads values, or is larger than it looked: the meta device, where values are never made up
    try:  # meta tensors next: most models run on them, and they cost nothing to set up
        return _trace(model, input_size, META, **given)
    except CnnCalcError:
        pass  # a forward that reads values or makes tensors on the CPU: fake tensors follow it, and say why if not
    with _quiet("torch._subclasses.fake_tensor"):  # it logs a model's error with a traceback, then raises it
        try:
            return _trace(model, input_size, fake_mode(), **given)
        except ReadsValues:  # once more with symbolic sizes, which follow some of what the plain mode cannot
            return _trace(model, input_size, fake_mode(symbolic=True), **given)


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
) -> Graph:
    """One trace of the forward in ``mode`` (see :func:`trace_graph`)."""
    args, kw = make_inputs(input_size, input_dtype, kwargs, mode)
    check_input_names(model, kw)
    with on_fake(model, mode):
        tracer = Tracer(model)
        if mode is CPU:
            tracer.limits = _CpuLimits()
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
    batch = next((int(t.shape[0]) for t in inputs if t.dim() > 0), 1)
    scopes = tuple(
        Scope(
            r.index,
            r.path,
            type(r.module).__name__,
            r.parent,
            r.level,
            tuple(r.outputs),
            tuple(r.output_nodes),
            tuple(r.notes),
            id(r.module) in tracer.blocks,
        )
        for r in tracer.scopes
    )
    how = (
        "run on the CPU with zeros for its weights and inputs (its own weights neither read nor changed)"
        if mode is CPU
        else "traced with fake tensors (no weights allocated, nothing computed)"
    )
    notes = [f"PyTorch {type(model).__name__} {how}, in {'training' if train else 'eval'} mode"]
    return Graph(
        tuple(tracer.nodes),
        title or type(model).__name__,
        scopes,
        Layout.chw,
        batch,
        tuple(notes),
        source="torch",
        depth=DEFAULT_DEPTH,
        dtype=dtype if dtype in ("float32", "float16", "bfloat16", "float64") else None,
        columns=COLUMNS,
    )


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
    tracer.nodes.append(
        Node(node_id, "input", name, tuple(t.shape), (("layout", "chw"),), (), name, dtype=_int_dtype(t))
    )
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
    """Run the forward on fake tensors with the hooks and modes in place; the model's errors become ShapeErrors."""
    training = {m: m.training for m in model.modules()}
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(tracer.pre, with_kwargs=True))
        handles.append(m.register_forward_hook(tracer.post, with_kwargs=True))
    model.train(train)
    try:
        # Inference runs without autograd (in-place ops then make no copies), training with it, as each would
        # for real; the fused fast paths of nn.MultiheadAttention and the transformer layers are switched off
        # so that their matmuls are seen one by one.
        grad = torch.enable_grad() if train else torch.no_grad()
        with grad, _no_fast_path(), mode, _Functions(tracer), _Operators(tracer):
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
def _on_the_cpu() -> Iterator[None]:
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
    where = f" in {tracer.stack[-1].path} ({type(tracer.stack[-1].module).__name__})" if tracer.stack else ""
    line = _model_line(e, user_file)
    at = f" at {line}" if line else ""
    sizes = ", ".join(str(list(t.shape)) for t in list(args) + list(kwargs.values()) if hasattr(t, "shape"))
    message = (str(e).strip() or type(e).__name__).splitlines()[0]
    name = type(e).__name__
    if any(n in {c.__name__ for c in type(e).__mro__} for n in DATA_DEPENDENT):
        hint = "compute it from shapes, or pass the value in as an argument"
        if "expert" in line.lower() or "moe" in line.lower() or "mixtral" in line.lower():
            hint = (
                "this mixture-of-experts layer loops over the experts the router picked; choose "
                "experts_implementation='grouped_mm' or 'batched_mm' in the model's config (the same count)"
            )
        return ReadsValues(
            f"the model's forward reads tensor values{where}{at} ({name}), which a shape-only trace cannot follow",
            hint=hint,
        )
    hint = None
    if "indices" in message.lower() and ("float" in message.lower() or "long" in message.lower()):
        hint = "token ids are integers: give the input dtype int64 (--input NAME=SHAPE:int64)"
    return ShapeError(f"the model's forward failed{where}{at} on input {sizes}: {name}: {message}", hint=hint)


def _model_line(e: Exception, user_file: str | None) -> str:
    """``file.py:13 (if h.mean() > 0:)``: the innermost frame of the model's code, where it failed."""
    import os
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    skip = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)))
    wanted = [f for f in frames if user_file and os.path.abspath(f.filename) == os.path.abspath(user_file)]
    if not wanted:
        wanted = [f for f in frames if not f.filename.startswith(skip) and "<" not in f.filename]
    if not wanted:
        return ""
    f = wanted[-1]
    code = f" ({f.line.strip()})" if f.line else ""
    return f"{os.path.basename(f.filename)}:{f.lineno}{code}"


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

    The file runs as Python (like ``python file.py`` would, minus ``__main__``); nothing is unpickled.
    """
    m = TORCH_SPEC.match(spec)
    if m is None:
        raise SpecError(f"'{spec}' is not of the form path/to/file.py:ModelClass")
    path = Path(m["file"])
    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    module_name = "_cnncalc_user_" + re.sub(r"\W", "_", path.stem)
    spec_obj = importlib.util.spec_from_file_location(module_name, path)
    if spec_obj is None or spec_obj.loader is None:
        raise SpecError(f"cannot import {path} as Python")
    module = importlib.util.module_from_spec(spec_obj)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        with torch.device("meta"):
            spec_obj.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - the user's file failed to import
        raise SpecError(f"importing {path} failed: {type(e).__name__}: {e}") from None
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
    try:
        with torch.device("meta"):
            return obj()
    except Exception as e:  # noqa: BLE001 - the user's constructor failed
        raise SpecError(
            f"building {m['name']}() failed: {type(e).__name__}: {e}",
            hint="the class is built with no arguments; give its arguments defaults",
        ) from None


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

    if input is None or input == () or input == []:
        raise SpecError("a PyTorch model needs --input with the batch first", hint="e.g. --input 1,3,224,224")
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
    user_file = TORCH_SPEC.match(spec)["file"]  # type: ignore[index]
    return trace_graph(model, input, input_dtype=dtypes, kwargs=kwargs, user_file=user_file, train=train)


__all__: Sequence[str] = ("from_torch", "graph_of_file", "load_model", "trace_graph")
