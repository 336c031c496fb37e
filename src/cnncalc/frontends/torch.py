"""The PyTorch front-end: an ``nn.Module`` in, a Report out, without running the model.

The module is traced on the meta device (shapes only: no weight is allocated and
no arithmetic runs). Forward hooks give the module hierarchy, call order and
output shapes; a dispatch mode sees every aten operator that runs, including the
functional calls inside ``forward`` (``F.conv2d``, ``x @ w``, ``torch.bmm``,
in-place adds), and charges it to the innermost module running. Each operator is
counted by one rule in :mod:`cnncalc.frontends.torch_ops`; an operator without a
rule is listed in the report as uncounted, never added as a silent zero.

This is the only module (with ``torch_ops``, which only it imports) that imports torch.

>>> import torch.nn as nn
>>> r = from_torch(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), (1, 3, 32, 32))
>>> r.rows[0].params, r.rows[0].macs            # (3·3·3 + 1)·8 ;  8·30·30·(3·3·3)
(224, 194400)
>>> r.rows[0].shape_text
'[-1, 8, 30, 30]'
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from cnncalc.analyze import enum_option
from cnncalc.conventions import Convention, Layout
from cnncalc.errors import ArgumentError, CnnCalcError, ShapeError, SpecError
from cnncalc.frontends import TORCH_SPEC
from cnncalc.frontends.torch_ops import ZERO_COST, OpCost, attention_cost, base_name, cost, numel
from cnncalc.layers.base import Step, fmt, times
from cnncalc.report import Report, Row, Totals, UncountedOp

COLUMNS = ("index", "name", "source", "output_shape", "params", "trainable_params", "buffers", "macs", "flops")


def _columns(rows: Sequence[Row]) -> tuple[str, ...]:
    """The table's columns: Trainable only when some parameters are frozen, Buffers only when there are some."""
    drop = set()
    if all(r.trainable_params == r.params for r in rows):
        drop.add("trainable_params")
    if not any(r.buffers for r in rows):
        drop.add("buffers")
    return tuple(c for c in COLUMNS if c not in drop)


DEFAULT_DEPTH = 3


@dataclass(eq=False)
class Call:
    """One call of one module during the trace."""

    order: int
    module: nn.Module
    path: str
    level: int
    parent: Call | None
    outputs: list[tuple[int, ...]] = field(default_factory=list)
    ops: list[tuple[str, OpCost]] = field(default_factory=list)
    uncounted: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    children: int = 0


class Tracer:
    """Module hooks that keep the stack of running modules; operators are charged to its top."""

    def __init__(self, model: nn.Module) -> None:
        self.names = {id(m): name for name, m in model.named_modules()}
        self.root = model
        self.calls: list[Call] = []
        self.stack: list[Call] = []
        self.suppress = 0

    def pre(self, module: nn.Module, args: Any) -> None:
        parent = self.stack[-1] if self.stack else None
        path = self.names.get(id(module), type(module).__name__)
        call = Call(len(self.calls), module, path or type(module).__name__, len(self.stack), parent)
        if parent is not None:
            parent.children += 1
        self.calls.append(call)
        self.stack.append(call)

    def post(self, module: nn.Module, args: Any, output: Any) -> None:
        while self.stack:
            call = self.stack.pop()
            if call.module is module:
                call.outputs = tensor_shapes(output)
                return

    def record(self, name: str, namespace: str, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        if self.suppress or not self.stack:
            return
        if namespace == "aten" and base_name(name) in ZERO_COST:
            return
        call = self.stack[-1]
        c = cost(name, shapes(args), shapes(kwargs), shapes(out)) if namespace == "aten" else None
        if c is None:
            call.uncounted[f"{namespace}.{name}"] += 1
        elif c.macs or c.seed or c.all:
            call.ops.append((name, c))


class _Operators(TorchDispatchMode):
    """Sees every aten operator after autograd and decompositions, as FlopCounterMode does."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.tracer.record(func.overloadpacket.__name__, func.namespace, args, kwargs, out)
        return out


def _attention(call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, OpCost]:
    names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal")
    given = dict(zip(names, args))
    given.update(kwargs)
    causal = bool(given.get("is_causal", False))
    masked = causal or given.get("attn_mask") is not None
    q, k, v = (tuple(given[n].shape) for n in names[:3])
    if causal:
        call.notes.append(
            "scaled_dot_product_attention is_causal=True: the masked half of the scores is counted "
            "in full, as FlopCounterMode does"
        )
    return "scaled_dot_product_attention", attention_cost(q, k, v, masked=masked)


def _adaptive_avg_pool(nd: int) -> Any:
    def whole(call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, OpCost]:
        x = tuple(args[0].shape)
        size = args[1] if len(args) > 1 else kwargs["output_size"]
        size = list(size) if isinstance(size, (list, tuple)) else [size] * nd
        size = [x[len(x) - nd + i] if n is None else n for i, n in enumerate(size)]  # None keeps the input's size
        name = f"adaptive_avg_pool{nd}d"
        return name, cost(name, (x, size), {}, None)  # type: ignore[return-value]

    return whole


# Functions counted whole, before they decompose: attention (is_causal is lost below it), and adaptive average
# pooling, which PyTorch runs as aten.mean when the target is 1 (ResNet's avgpool) and would lose its pooling.
WHOLE = {
    F.scaled_dot_product_attention: _attention,
    F.adaptive_avg_pool1d: _adaptive_avg_pool(1),
    F.adaptive_avg_pool2d: _adaptive_avg_pool(2),
    F.adaptive_avg_pool3d: _adaptive_avg_pool(3),
}


class _Functions(TorchFunctionMode):
    """Catches the functions in :data:`WHOLE` before they decompose, to count each call as one operator."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        t = self.tracer
        count = WHOLE.get(func)
        if count is None or t.suppress or not t.stack:
            return func(*args, **kwargs)
        call = t.stack[-1]
        call.ops.append(count(call, args, kwargs))
        t.suppress += 1
        try:
            return func(*args, **kwargs)
        finally:
            t.suppress -= 1


def tensor_shapes(value: Any) -> list[tuple[int, ...]]:
    """Shapes of every tensor in a module's output (tensors, tuples, lists, dicts, dataclass-like outputs)."""
    leaves, _ = torch.utils._pytree.tree_flatten(value)
    found = [tuple(x.shape) for x in leaves if isinstance(x, torch.Tensor)]
    if not found and hasattr(value, "__dict__"):  # e.g. a plain object holding tensors
        leaves, _ = torch.utils._pytree.tree_flatten(list(vars(value).values()))
        found = [tuple(x.shape) for x in leaves if isinstance(x, torch.Tensor)]
    return found


def shapes(value: Any) -> Any:
    """``value`` with every tensor replaced by its shape, for the counting rules."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, tuple):
        return tuple(shapes(v) for v in value)
    if isinstance(value, list):
        return [shapes(v) for v in value]
    if isinstance(value, dict):
        return {k: shapes(v) for k, v in value.items()}
    return value


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


def make_inputs(inputs: Any, dtype: Any = None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Meta tensors for the forward: from one shape, several shapes, or example tensors (moved to meta)."""
    dt = _dtype(dtype)

    def one(item: Any) -> Any:
        if isinstance(item, torch.Tensor):
            return item.to("meta")
        if _is_shape(item):
            if any(n < 0 for n in item):
                raise ArgumentError(f"an input size must not be negative (got {tuple(item)})")
            return torch.empty(tuple(item), dtype=dt, device="meta")
        raise ArgumentError(
            f"an input must be a size like (1, 3, 224, 224) or a tensor (got {type(item).__name__})",
        )

    if inputs is None:
        raise ArgumentError("a PyTorch model needs an input size", hint="e.g. input_size=(1, 3, 224, 224)")
    if isinstance(inputs, dict):
        return (), {k: one(v) for k, v in inputs.items()}
    if isinstance(inputs, torch.Tensor) or _is_shape(inputs):
        return (one(inputs),), {}
    if isinstance(inputs, (tuple, list)) and inputs:
        return tuple(one(x) for x in inputs), {}
    raise ArgumentError(f"cannot read the input {inputs!r}", hint="e.g. (1, 3, 224, 224) or [(1, 16), (1, 16)]")


@contextmanager
def on_meta(model: nn.Module) -> Iterator[nn.Module]:
    """The model with every parameter, buffer and tensor attribute swapped for an empty meta tensor.

    Nothing is copied: each tensor is replaced in place by a meta tensor of the
    same shape, dtype and ``requires_grad`` (tied tensors stay tied), and the
    originals are put back on exit, so the user's model ends as it began.
    """
    meta_of: dict[int, torch.Tensor] = {}
    saved: list[tuple[dict[str, Any], str, Any]] = []

    def meta(t: torch.Tensor) -> torch.Tensor:
        if id(t) not in meta_of:
            empty = torch.empty_like(t, device="meta")
            if isinstance(t, nn.Parameter):
                empty = nn.Parameter(empty, requires_grad=t.requires_grad)
            meta_of[id(t)] = empty
        return meta_of[id(t)]

    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if nn.parameter.is_lazy(p):
            raise SpecError(
                f"{name} is not initialised yet (a lazy module): its size is only known after a real forward",
                hint="run the model once on a real input, or give the layer its input size",
            )
    try:
        for m in model.modules():
            tables = [m._parameters, m._buffers, vars(m)]
            for table in tables:
                for key, t in list(table.items()):
                    if isinstance(t, torch.Tensor) and not t.is_meta:
                        saved.append((table, key, t))
                        table[key] = meta(t)
        yield model
    finally:
        for table, key, t in reversed(saved):
            table[key] = t


# ---------------------------------------------------------------- the public entry point


def from_torch(
    model: nn.Module,
    input_size: Any = None,
    *,
    depth: int = DEFAULT_DEPTH,
    flops: Convention | str = Convention.seed,
    input_dtype: Any = None,
    title: str = "",
) -> Report:
    """Every module call's output shape, params, MACs and FLOPs, from a trace on the meta device.

    ``input_size`` is one size with the batch first, ``(1, 3, 224, 224)``, a list of
    sizes for several inputs, or example tensors (only their shapes and dtypes are
    used). ``input_dtype`` (default float32) serves sizes; ``int64`` for token ids.
    ``depth`` is how deep the rows follow the module tree (torchinfo's idea): the
    work of deeper modules is counted in their ancestor's row.
    """
    if not isinstance(model, nn.Module):
        raise SpecError(f"from_torch needs a torch.nn.Module (got {type(model).__name__})")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ArgumentError(f"depth must be a whole number ≥ 0 (got {depth!r})")
    convention = enum_option(Convention, flops, "flops convention")
    args, kwargs = make_inputs(input_size, input_dtype)
    with on_meta(model):
        tracer = trace(model, args, kwargs)
        return build_report(model, tracer, args, kwargs, depth=depth, convention=convention, title=title)


def trace(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tracer:
    """Run the forward on meta tensors with the hooks and modes in place; the model's errors become ShapeErrors."""
    tracer = Tracer(model)
    training = {m: m.training for m in model.modules()}
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(tracer.pre))
        handles.append(m.register_forward_hook(tracer.post))
    model.eval()
    try:
        # Grad stays on: it keeps nn.MultiheadAttention and the transformer layers off their fused
        # inference fast paths, so their matmuls are seen one by one.
        with torch.device("meta"), torch.enable_grad(), _Functions(tracer), _Operators(tracer):
            model(*args, **kwargs)
    except CnnCalcError:
        raise
    except Exception as e:  # noqa: BLE001 - the user's model failed: say where and pass its message on
        where = f" in {tracer.stack[-1].path} ({type(tracer.stack[-1].module).__name__})" if tracer.stack else ""
        sizes = ", ".join(str(list(t.shape)) for t in list(args) + list(kwargs.values()) if hasattr(t, "shape"))
        message = str(e).strip() or type(e).__name__
        hint = None
        if "meta" in message.lower() and ("item" in message.lower() or "data-dependent" in message.lower()):
            hint = "the forward reads tensor values (.item(), if x.sum() > 0, nonzero), which a shape-only trace cannot"
        raise ShapeError(
            f"the model's forward failed{where} on input {sizes}: {type(e).__name__}: {message}", hint=hint
        ) from None
    finally:
        for h in handles:
            h.remove()
        for m, flag in training.items():
            m.train(flag)
    return tracer


# ---------------------------------------------------------------- rows


def shape_text(shape: tuple[int, ...], batch: int | None) -> str:
    """torchsummary's way: ``[-1, 16, 28, 28]``, the batch axis shown as -1."""
    items = [str(n) for n in shape]
    if items and batch is not None and shape[0] == batch:
        items[0] = "-1"
    return "[" + ", ".join(items) + "]"


@dataclass
class _Agg:
    call: Call
    ops: list[tuple[str, OpCost]] = field(default_factory=list)
    uncounted: Counter = field(default_factory=Counter)
    params: int = 0
    trainable: int = 0
    buffers: int = 0
    notes: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the parameter tensors' sizes, for the params step

    def count(self, kind: str, t: torch.Tensor) -> None:
        """Add one parameter (``kind == "param"``) or buffer tensor to this row's figures."""
        if kind == "param":
            self.params += t.numel()
            self.trainable += t.numel() if t.requires_grad else 0
            self.terms.append(times(tuple(t.shape)))
        else:
            self.buffers += t.numel()


def build_report(
    model: nn.Module,
    tracer: Tracer,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    depth: int,
    convention: Convention,
    title: str = "",
) -> Report:
    """Rows from the traced calls: one per module call down to ``depth``; totals from the model itself."""
    inputs = [t for t in list(args) + list(kwargs.values()) if isinstance(t, torch.Tensor)]
    batch = inputs[0].shape[0] if inputs and inputs[0].dim() > 0 else None
    calls = tracer.calls
    if not calls:
        raise SpecError("the model's forward ran no module", hint="call the model, not its forward method")

    def target(call: Call) -> Call:
        while call.level > depth and call.parent is not None:
            call = call.parent
        return call

    aggs: dict[int, _Agg] = {}
    owner: dict[int, tuple[str, str]] = {}  # id(tensor) -> (qualified name, path of the call that counted it)
    seen_modules: dict[int, str] = {}
    for call in calls:
        agg = aggs.setdefault(target(call).order, _Agg(target(call)))
        agg.ops.extend(call.ops)
        agg.uncounted.update(call.uncounted)
        agg.notes.extend(call.notes)
        again = id(call.module) in seen_modules
        if again and call.module._parameters:
            agg.notes.append(f"{call.path} runs again: its parameters are counted at its first call")
        seen_modules.setdefault(id(call.module), call.path)
        prefix = f"{call.path}." if call.module is not tracer.root else ""
        for kind, table in (("param", call.module._parameters), ("buffer", call.module._buffers)):
            for name, t in table.items():
                if t is None:
                    continue
                qualified = prefix + name
                if id(t) in owner:
                    first, _ = owner[id(t)]
                    if not again and first != qualified:
                        agg.notes.append(f"{qualified} is tied to {first}: its {t.numel():,} values are counted once")
                    continue
                owner[id(t)] = (qualified, call.path)
                agg.count(kind, t)

    # Submodules that never ran as modules (nn.MultiheadAttention's out_proj, whose weight its parent uses
    # functionally; or a layer the forward skips) have their parameters counted in the nearest ancestor that ran.
    first_call: dict[int, Call] = {}
    for call in calls:
        first_call.setdefault(id(call.module), call)
    modules = dict(model.named_modules())
    for name, module in modules.items():
        if id(module) in first_call or not (module._parameters or module._buffers):
            continue
        parent = name
        while parent and id(modules.get(parent)) not in first_call:
            parent = parent.rpartition(".")[0]
        host = first_call.get(id(modules[parent]) if parent else id(model))
        if host is None:
            continue
        agg = aggs.setdefault(target(host).order, _Agg(target(host)))
        counted = 0
        for kind, table in (("param", module._parameters), ("buffer", module._buffers)):
            for pname, t in table.items():
                if t is None or id(t) in owner:
                    continue
                owner[id(t)] = (f"{name}.{pname}", host.path)
                counted += t.numel()
                agg.count(kind, t)
        if counted:
            agg.notes.append(f"includes {counted:,} parameters/buffers of {name}, which did not run as a module")

    root = calls[0]
    shown = [c for c in calls if c.order in aggs and c is not root]
    r_agg = aggs.get(root.order)
    if r_agg is not None and (not shown or _has_figures(r_agg)):
        shown.insert(0, root)
    rows = []
    parent_rows = False
    for index, call in enumerate(shown, start=1):
        agg = aggs[call.order]
        if call.children and call.level < depth:
            parent_rows = True
        rows.append(_row(index, call, agg, convention, batch))

    uncounted: dict[str, tuple[int, list[str]]] = {}
    for call in calls:
        for name, n in call.uncounted.items():
            calls_so_far, where = uncounted.get(name, (0, []))
            if call.path not in where:
                where.append(call.path)
            uncounted[name] = (calls_so_far + n, where)
    params = list(model.parameters())
    unused = [(n, p) for n, p in model.named_parameters() if id(p) not in owner]
    leaf_outputs = sum(sum(numel(s) for s in c.outputs) for c in calls if not c.children)
    totals = Totals(
        params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        non_trainable_params=sum(p.numel() for p in params if not p.requires_grad),
        buffers=sum(b.numel() for b in model.buffers()),
        macs=sum(r.macs for r in rows),
        flops=sum(r.flops for r in rows),
        activation_size=sum(t.numel() for t in inputs) + leaf_outputs,
    )
    notes = [
        f"PyTorch {type(model).__name__} traced on the meta device (no weights allocated, nothing computed), "
        f"in eval mode; rows follow the module calls to depth {depth}, deeper modules counted in their ancestor's row"
    ]
    if parent_rows:
        notes.append("A row whose module has rows below it shows only the work done directly in that module")
    if unused:
        count = sum(p.numel() for _, p in unused)
        names = ", ".join(n for n, _ in unused[:5]) + (", …" if len(unused) > 5 else "")
        notes.append(f"{count:,} parameters belong to modules that did not run in this forward: {names}")
    return Report(
        rows=tuple(rows),
        totals=totals,
        convention=convention,
        layout=Layout.chw,
        batch=batch or 1,
        title=title or type(model).__name__,
        notes=tuple(notes),
        uncounted_ops=tuple(UncountedOp(name, n, tuple(where)) for name, (n, where) in sorted(uncounted.items())),
        columns=_columns(rows),
    )


def _has_figures(agg: _Agg) -> bool:
    return bool(agg.params or agg.buffers or agg.uncounted or any(c.macs or c.seed or c.all for _, c in agg.ops))


def _row(index: int, call: Call, agg: _Agg, convention: Convention, batch: int | None) -> Row:
    cls = type(call.module).__name__
    first = call.outputs[0] if call.outputs else ()
    core = first[1:] if first and batch is not None and first[0] == batch else first
    text = ", ".join(shape_text(s, batch) for s in call.outputs[:3]) + (", …" if len(call.outputs) > 3 else "")
    steps: list[Step] = []
    groups: dict[str, list[OpCost]] = {}
    for name, c in agg.ops:
        groups.setdefault(name, []).append(c)
    macs = flops = 0
    for name, costs in groups.items():
        m = sum(c.macs for c in costs)
        f = sum(c.flops(convention) for c in costs)
        macs += m
        flops += f
        label = f"aten.{name}" + (f" ×{len(costs)}" if len(costs) > 1 else "")
        if m:
            formula = costs[0].formula if len(costs) == 1 else " + ".join(fmt(c.macs) for c in costs[:4])
            formula += " + …" if len(costs) > 4 else ""
            steps.append(Step(f"MACs of {label}", formula, m))
        if f != 2 * m:
            steps.append(Step(f"extra FLOPs of {label} ({convention.value})", "", f - 2 * m))
    if macs:
        steps.append(Step("MACs", "", macs))
    if flops:
        steps.append(Step("FLOPs", f"2·{fmt(macs)} + {fmt(flops - 2 * macs)}" if flops != 2 * macs else "", flops))
    if agg.params:
        terms = agg.terms if len(agg.terms) <= 6 else [*agg.terms[:6], "…"]
        steps.append(Step("params", " + ".join(terms), agg.params))
    notes = list(dict.fromkeys(agg.notes))
    if agg.uncounted:
        listed = ", ".join(f"{n} ×{k}" for n, k in sorted(agg.uncounted.items()))
        notes.append(f"uncounted (no counting rule, not in MACs/FLOPs): {listed}")
    return Row(
        index=index,
        name=f"{cls}-{index}",
        kind=cls,
        node_id=call.path,
        inputs=(call.parent.path,) if call.parent is not None else (),
        output_shape=tuple(core),
        activation_size=sum(numel(s) for s in call.outputs),
        params=agg.params,
        trainable_params=agg.trainable,
        buffers=agg.buffers,
        macs=macs,
        flops=flops,
        source=call.path,
        steps=tuple(steps),
        notes=tuple(notes),
        shape_text=text,
    )


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


def parse_inputs(text: str | None) -> list[tuple[int, ...]]:
    """``--input 1,3,224,224`` (batch first); several inputs separated by ``;``: ``1,16;1,16``."""
    from cnncalc.api import parse_shape

    if text is None or not text.strip():
        raise SpecError("a PyTorch model needs --input with the batch first", hint="e.g. --input 1,3,224,224")
    return [parse_shape(part) for part in text.split(";") if part.strip()]


def summarize_file(
    spec: str,
    input_text: str | None,
    *,
    depth: int = DEFAULT_DEPTH,
    flops: Convention | str = Convention.seed,
    input_dtype: str | None = None,
) -> Report:
    """What ``cnncalc summary file.py:Class --input ...`` reports."""
    sizes = parse_inputs(input_text)
    model = load_model(spec)
    return from_torch(model, sizes[0] if len(sizes) == 1 else sizes, depth=depth, flops=flops, input_dtype=input_dtype)


__all__: Sequence[str] = ("from_torch", "load_model", "summarize_file")
