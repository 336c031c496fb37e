"""The ONNX front-end: a ``.onnx`` file in, a Graph of core kinds out, without loading its weights.

The file is read with ``load_external_data=False``: an initializer is its name,
shape and dtype, so a model whose weights live in other files counts without
them. Each node is lowered to nodes of the core kinds
(:mod:`cnncalc.frontends.onnx_lower`); views, shape arithmetic and data moves
follow :mod:`cnncalc.frontends.onnx_shapes`. Shapes come from cnncalc's own
rules: each node's output is what its kind infers (the arithmetic lives in
:mod:`cnncalc.layers`, as for the notation and PyTorch models). The
parameters are the initializers (or Constant outputs) that reach a weight slot,
counted at their first use; batch-norm statistics and quantisation scales are
buffers. Rows follow the exporter's node-name scopes (``/layer1/0/conv1/Conv``)
to ``depth``. Any operator without a rule is an ``uncounted`` node, listed in
the report, never a silent zero.

>>> import onnx
>>> from onnx import TensorProto, helper
>>> g = helper.make_graph(
...     [helper.make_node("Conv", ["x", "w"], ["y"], name="/conv/Conv", kernel_shape=[3, 3])],
...     "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])], [],
...     [helper.make_tensor("w", TensorProto.FLOAT, [8, 3, 3, 3], [0.0] * 216)])
>>> r = from_onnx(helper.make_model(g))
>>> r.rows[-1].params, r.rows[-1].macs          # 8·3·3·3 ;  8·(3·3·3)·(30·30)
(216, 194400)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from cnncalc.conventions import Convention, Framework, Layout
from cnncalc.errors import CnnCalcError, LimitError, ShapeError, SpecError, wrong_type
from cnncalc.frontends.onnx_file import read, values_left_out
from cnncalc.frontends.onnx_lower import LOWER, Op, listed
from cnncalc.frontends.onnx_shapes import COPIES, MOVES, SMALL, VALUES, VIEWS, predicted_size, split_shapes
from cnncalc.graph import Graph, Node, NodeIds, Scope, Tensor
from cnncalc.inputs import InputSpec
from cnncalc.layers import REGISTRY, bind
from cnncalc.layers.calc import Calc
from cnncalc.limits import guard
from cnncalc.limits import value as limit_value
from cnncalc.numbers import finite
from cnncalc.options import Options
from cnncalc.report import Report

Shape = tuple[int, ...]
COLUMNS = ("index", "name", "source", "output_shape", "params", "trainable_params", "buffers", "macs", "flops")
DEFAULT_DEPTH = 3
FLOATS = ("float32", "float16", "bfloat16", "float64")
FEW = 16  # a float initializer this small is also read for its values (a Resize's scales): it stays a tensor
SHAPE_TYPES = ("int64", "int32", "bool")  # the element types of shape arithmetic
ANONYMOUS = re.compile(r"^(?:_?val_\d+|onnx::.*|.*Constant(?:_\d+)?_output_\d+|const(?:ant)?_.*|ortshared_.*)$")
"""The names exporters give the constants they store as initializers (PyTorch's two exporters, onnxruntime's
optimiser); a model's own parameters are named after it (``layer1.0.conv1.weight``, ``pos_embedding``)."""


@dataclass
class Value:
    """A tensor of the ONNX graph as the walk knows it.

    ``node``: the Graph node holding its data (an activation, or a ``tensor``
    node made when a weight is read as data); ``data``: computed from the
    inputs (an activation); ``known``: its value, for the small tensors shapes
    are computed with; ``sources``: the model tensors it is made of (a weight
    sliced, transposed or dequantised), each with whether it is a buffer.
    """

    shape: Shape | None
    node: str | None = None
    data: bool = False
    known: Any = None
    sources: tuple[tuple[str, bool], ...] = ()
    dtype: str | None = None
    made_by: str = ""
    why: CnnCalcError | None = None  # why its value is unknown, when a value in the file could have been known


@dataclass
class Stored:
    """A tensor the file holds: an initializer or a Constant's output (``alias_of``: the one it repeats)."""

    name: str
    shape: Shape
    dtype: str
    alias_of: str | None = None
    constant: bool = (
        False  # a Constant node's output, or an exporter's unnamed constant: a parameter only in a weight slot
    )


def dtype_name(elem: int) -> str:
    name = onnx.TensorProto.DataType.Name(elem).lower() if elem else "float"
    return {"float": "float32", "double": "float64"}.get(name, name)


POSITIVE = frozenset(
    "kernel_shape strides dilations group blocksize hidden_size num_heads q_num_heads kv_num_heads num_groups "
    "K N bits block_size num_outputs".split()
)
"""Attributes whose every value is a whole number ≥ 1 (a window, a count of groups or heads)."""
WINDOW_OPS = frozenset("Conv ConvTranspose MaxPool AveragePool LpPool QLinearConv ConvInteger FusedConv".split())
"""Operators whose ``pads`` and ``output_padding`` add (≥ 0); Pad's own pads may also remove."""


def attributes(node: onnx.NodeProto) -> dict[str, Any]:
    """A node's attributes as Python values, each number checked where it enters.

    Floats are finite; windows, groups and heads are ≥ 1; a convolution's or pool's pads ≥ 0; a list or a
    tensor is bounded (``onnx_elements``) before it is made. A tensor whose values are not in the file
    (external data, or too large to read) stays a ``TensorProto``: its dims are known, its values not.
    """
    out: dict[str, Any] = {}
    A = onnx.AttributeProto
    for a in node.attribute:
        what = f"attribute {a.name}"
        if a.type in (A.INTS, A.FLOATS, A.STRINGS, A.TENSORS, A.GRAPHS):
            n = max(len(a.ints), len(a.floats), len(a.strings), len(a.tensors), len(a.graphs))
            guard("onnx_elements", n, f"{what} lists {n:,} values")
        if a.type == A.FLOAT:
            v: Any = finite(a.f, what)
        elif a.type == A.FLOATS:
            v = [finite(x, what) for x in a.floats]
        elif a.type == A.INT:
            v = int(a.i)
        elif a.type == A.INTS:
            v = [int(x) for x in a.ints]
        elif a.type == A.STRING:
            v = a.s.decode("utf-8", "replace")
        elif a.type == A.STRINGS:
            v = [x.decode("utf-8", "replace") for x in a.strings]
        elif a.type == A.TENSOR:
            value = tensor_value(a.t, what)
            v = a.t if value is None else value
        elif a.type == A.GRAPH:
            v = a.g
        elif a.type == A.GRAPHS:
            v = list(a.graphs)
        elif a.type == A.UNDEFINED:
            raise SpecError(f"{what} has no type (the file may be damaged)")
        else:
            continue  # sparse tensors and type protos: no rule reads them
        if a.name in POSITIVE:
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, (int, float)) and x < 1:
                    raise SpecError(f"{what} must be ≥ 1 (got {x})", hint="a window, a group or a head count")
        elif a.name in ("pads", "output_padding") and node.op_type in WINDOW_OPS:
            if any(x < 0 for x in v):
                raise SpecError(f"{what} must be ≥ 0 (got {listed(v)})")
        out[a.name] = v
    return out


def _scope_parts(name: str) -> tuple[str, ...]:
    """``/layer1/layer1.0/conv1/Conv`` → ``("layer1", "0", "conv1")``: the module path an exporter wrote.

    PyTorch's exporter names a level by its path from the level above (``layer1.0`` inside ``layer1``).

    >>> _scope_parts("/layer1/layer1.0/conv1/Conv"), _scope_parts("/Relu"), _scope_parts("Gemm_3")
    (('layer1', '0', 'conv1'), (), ())
    """
    parts = [p for p in name.split("/") if p][:-1]
    out: list[str] = []
    for part in parts:
        above = ".".join(out)
        out.append(part[len(above) + 1 :] if above and part.startswith(above + ".") else part)
    return tuple(out)


class Walk:
    """Builds the Graph node by node: values by name, tensors counted at their first use, scopes by path."""

    def __init__(self, model: onnx.ModelProto, title: str) -> None:
        self.model = model
        self.title = title
        self.values: dict[str, Value] = {}
        self.stored: dict[str, Stored] = {}
        self.counted: dict[str, str] = {}  # tensor key -> the label it was counted under
        self.nodes: list[Node] = []
        self.ids = NodeIds()
        self.paths: list[tuple[str, ...]] = []  # per node: its scope path
        self.notes: list[str] = []
        self.repeat = 1  # a Loop body's trip count while its nodes are added
        self.prefix: tuple[str, ...] = ()  # the scope of an If/Loop whose body is walked
        self.inferred: dict[str, Shape] | None = None
        self.opset = {o.domain or "ai.onnx": o.version for o in model.opset_import}
        self.scopes: list[dict[str, str]] = [{}]  # the names made in the graph and in each body being walked
        self.evaluated = 0  # elements of the values worked out so far
        self.folded: list[int] = []  # the channels of each convolution an exporter folded a batch norm into
        self.unmade: CnnCalcError | None = None  # why the value of the node being read was not worked out

    # -- what a lowering may ask (the Reader protocol)

    def get(self, name: str) -> Value:
        if name not in self.values:
            raise SpecError(f"the graph reads '{name}', which no node, input or initializer makes")
        return self.values[name]

    def shape(self, name: str) -> Shape:
        v = self.get(name)
        if v.shape is None:
            raise ShapeError(
                f"'{name}' comes from {v.made_by}, which cnncalc has no rule for and whose shape it cannot work out",
                hint="that operator is listed as uncounted; its output cannot be read by a counted one",
            )
        return v.shape

    def value(self, name: str) -> Any:
        return self.get(name).known if name else None

    def is_weight(self, name: str) -> bool:
        v = self.get(name)
        return not v.data and bool(v.sources)

    def is_constant(self, name: str) -> bool:
        """A value the file holds that is no parameter when read as data: a Constant, an exporter's unnamed
        initializer (``val_12``, ``onnx::Mul_5``), shape arithmetic. It is no row and no activation."""
        v = self.get(name)
        return not v.data and v.node is None and all(self.stored[k].constant for k, _ in v.sources)

    # -- inputs and stored tensors

    def add_stored(self, t: onnx.TensorProto) -> None:
        what = f"initializer '{t.name}'"
        if not t.name:
            raise SpecError("an initializer has no name, so no node can read it", hint="the file may be damaged")
        shape, dtype = dims_of(t, what), dtype_name(t.data_type)
        self.define(t.name, what)
        self.stored[t.name] = Stored(t.name, shape, dtype, constant=bool(ANONYMOUS.match(t.name)))
        known, why = None, None
        shape_arithmetic = dtype in SHAPE_TYPES and _numel(shape) <= SMALL
        if shape_arithmetic or (dtype in FLOATS and _numel(shape) <= FEW):  # and a Resize's scales, a Clip's bounds
            known = tensor_value(t, what)  # shape constants: a reshape's target, a slice's bounds
            if known is None:
                why = _not_in_file(t, what)
        sources = () if shape_arithmetic and known is not None else ((t.name, False),)  # weights, int8 and int4 too
        self.values[t.name] = Value(shape, known=known, sources=sources, dtype=dtype, made_by=what, why=why)

    def define(self, name: str, what: str) -> None:
        """Note that ``name`` is made here: a name made twice in one scope (or over an outer one's) is an error."""
        first = next((scope[name] for scope in self.scopes if name in scope), None)
        if first is not None:
            raise SpecError(
                f"'{name}' is made twice, as {first} and as {what}: ONNX names each value once",
                hint="the file may be damaged; which of the two a reader gets is not defined",
            )
        self.scopes[-1][name] = what

    def add_input(self, name: str, shape: Shape, dtype: str) -> None:
        node_id = self.ids.new(name)
        self.nodes.append(
            Node(
                node_id,
                "input",
                name,
                shape,
                (("layout", "chw"),),
                (),
                name,
                dtype=None if dtype in FLOATS else dtype,
            )
        )
        self.paths.append(())
        self.define(name, f"input {name}")
        self.values[name] = Value(shape, node_id, True, dtype=dtype, made_by=f"input {name}")

    # -- tensors the nodes read

    def tensors_of(
        self, names: Sequence[str], buffer: bool, packed: dict[str, tuple[Shape, str]], data: bool = False
    ) -> tuple:
        """The model tensors behind ``names`` not counted yet (then counted here), and notes for the others.

        ``data``: read as data, where a Constant's values are not parameters (in a weight slot they are).
        """
        found: list[Tensor] = []
        notes: list[str] = []
        for name in names:
            if not name:
                continue
            for key, is_buffer in self.get(name).sources:
                s = self.stored[key]
                if data and s.constant:
                    continue
                if key in self.counted:
                    notes.append(f"{key} was counted at {self.counted[key]}: its {_numel(s.shape):,} values once")
                    continue
                self.counted[key] = name
                shape, dtype = packed.get(name, (s.shape, s.dtype))
                if s.alias_of:
                    notes.append(
                        f"{key} is stored as {s.alias_of} (Identity: the exporter kept one copy of equal values); "
                        f"counted here, {_numel(shape):,} values"
                    )
                if name in packed:
                    notes.append(f"{key} is stored packed as {s.shape} {s.dtype}: {_numel(shape):,} {dtype} values")
                buf = buffer or is_buffer
                found.append(Tensor(key, shape, not buf, buf, dtype))
        return found, notes

    def data_node(self, name: str, path: tuple[str, ...], reader: onnx.NodeProto | None = None) -> str:
        """The node holding a value read as data: its producer, or a ``tensor`` node for a weight or constant."""
        v = self.get(name)
        if v.node is not None:
            return v.node
        tensors, notes = self.tensors_of([name], False, {}, data=True)
        computed = _computed_by_exporter(reader, name) if reader is not None and tensors else ""
        if computed:
            self.notes.append(
                f"{name} ({_numel(self.shape(name)):,} values) is not one of the model's parameters but a value the "
                f"exporter computed from them ({computed}, constant folding): it is counted as parameters"
            )
        node_id = self.ids.new(name.rsplit("/", 1)[-1].rsplit(".", 1)[-1] or "tensor")
        self.nodes.append(
            Node(
                node_id,
                "tensor",
                name,
                self.shape(name),
                source=name,
                scope=None,
                tensors=tuple(tensors),
                notes=tuple(notes),
                dtype=None if (v.dtype or "float32") in FLOATS else v.dtype,
            )
        )
        self.paths.append(path)  # in the scope of the node that first reads it
        v.node = node_id
        return node_id

    # -- nodes

    def add(self, op: Op, onnx_node: onnx.NodeProto, path: tuple[str, ...]) -> None:
        """Add the node ``op`` describes; its value (and the node's other outputs) become the walk's."""
        operands = [n for n in op.operands if n]
        shapes = [tuple(s) for s in op.shapes] if op.shapes is not None else [self.shape(n) for n in operands]
        inputs = tuple(self.data_node(n, path, onnx_node) for n in operands if not self.is_constant(n))
        weights, notes = self.tensors_of(op.weights, False, op.packed)
        buffers, more = self.tensors_of(op.buffers, True, op.packed)
        kwargs = dict(op.kwargs)
        lead = op.lead
        out = infer(op.kind, kwargs, shapes, lead)
        if op.output is not None:
            if _numel(op.output) != _numel(out) and op.kind not in ("reduce",):
                raise ShapeError(f"{op.kind} gives {out}, but the node's output is {op.output}")
            out = tuple(op.output)
        label = op.label or onnx_node.op_type
        node_output = out
        if self.repeat != 1:  # a Loop body: every figure of the node is per iteration, times the trip count
            shapes = [(self.repeat, *s) for s in shapes]
            lead += 1
            node_output = (self.repeat, *out)
            if "shape" in kwargs:
                kwargs["shape"] = (self.repeat, *kwargs["shape"])
        node_id = self.ids.new(label)
        if op.kind == "conv" and len(op.weights) > 1 and op.weights[1] and _folded_here(onnx_node, *op.weights[:2]):
            self.folded.append(int(kwargs["filters"]))
        self.nodes.append(
            Node(
                node_id,
                op.kind,
                label,
                (),
                tuple(kwargs.items()),
                inputs,
                source=onnx_node.name or label,
                shapes=tuple(shapes),
                lead=lead if operands else 0,
                tensors=tuple(weights + buffers),
                notes=tuple(notes + more),
                output=node_output if (op.output is not None or self.repeat != 1) else None,
            )
        )
        self.paths.append(path)
        produced = op.produces if op.produces is not None else (onnx_node.output[0] if onnx_node.output else "")
        if produced:
            self.values[produced] = Value(out, node_id, True, made_by=onnx_node.op_type)
        for name, shape in op.extra.items():
            self.values[name] = Value(shape if shape is not None else out, node_id, True, made_by=onnx_node.op_type)

    def uncounted(self, node: onnx.NodeProto, op_name: str, path: tuple[str, ...]) -> None:
        """An operator without a rule: an ``uncounted`` node with the output shape the file or onnx infers."""
        shapes = [self.inferred_shape(n) for n in node.output]
        shape = shapes[0] if shapes and shapes[0] is not None else ()
        operands = [n for n in node.input if n and self.get(n).shape is not None]
        kw = {"op": op_name, "shape": shape}
        self.add(Op("uncounted", kw, operands, shapes=[self.shape(n) for n in operands]), node, path)
        for name, s in zip(node.output, shapes):
            v = self.values.get(name)
            if v is not None and v.node is not None:
                self.values[name] = replace(v, shape=s, made_by=f"{op_name} (node {node.name or node.op_type})")

    def inferred_shape(self, name: str) -> Shape | None:
        """An output's shape from ``onnx.shape_inference`` on the model with its inputs fixed (for uncounted ops)."""
        if self.inferred is None:
            self.inferred = infer_with_onnx(self.model, {k: v.shape for k, v in self.values.items() if v.data})
        return self.inferred.get(name)

    # -- the walk

    def walk(self, graph: onnx.GraphProto) -> None:
        for node in graph.node:
            where = node.name or node.op_type or "without a name"
            path = self.prefix + _scope_parts(node.name)
            try:
                for name in node.output:
                    if name:
                        self.define(name, f"an output of node {where}")
                self.visit(node, path)
            except CnnCalcError as e:
                why = next((v.why for n in node.input if n and (v := self.values.get(n)) and v.why), None)
                if why is not None and isinstance(e, ShapeError):
                    e = _fresh(why)  # a value it reads was in the file or could be worked out: why it is not says more
                self.unmade = None
                e.message = f"ONNX node {where} ({node.op_type or 'no operator'}): {e.message}"
                raise e from None
            except Exception:  # noqa: BLE001 - a form no rule foresaw: say which node, in the user's words
                raise SpecError(
                    f"ONNX node {where} ({node.op_type or 'no operator'}) cannot be read: its inputs or attributes "
                    "are not what its operator takes",
                    hint="the file may be damaged or use the op in a way its opset does not define",
                ) from None
            for name in node.output:  # a value the file held that is not known: say why where it is needed
                v = self.values.get(name)
                if v is not None and v.known is None and v.why is None and (self.unmade or not v.data):
                    v.why = self.unmade or next(
                        (u.why for n in node.input if n and (u := self.values.get(n)) and u.why), None
                    )
            self.unmade = None

    def visit(self, node: onnx.NodeProto, path: tuple[str, ...]) -> None:
        a = attributes(node)
        op = node.op_type
        domain = node.domain if node.domain not in ("", "ai.onnx") else ""
        key = f"{domain}.{op}" if domain else op
        ins = list(node.input)
        outs = list(node.output)
        self.check_form(node, a, domain)
        if domain == "" and op == "Constant":
            self.constant(node, a)
            return
        if domain == "" and op in ("If", "Loop"):
            (self.if_node if op == "If" else self.loop)(node, a, path)
            return
        present = [n for n in ins if n]
        values = [self.get(n) for n in present]
        if domain == "" and self.evaluate(op, a, ins, outs, values):
            return
        if domain == "" and op in ("Identity",) and present and self.is_weight(present[0]):
            self.alias(node, outs[0], present[0])
            return
        if domain == "" and present and not any(v.data for v in values) and self.derive(op, a, ins, outs, values):
            return
        if domain == "" and present and op in MOVES and not any(v.data for v in values):
            shape = MOVES[op](a, [self.shape(n) for n in present], [v.known for v in values])[0]
            self.values[outs[0]] = Value(shape, dtype=values[0].dtype, made_by=op)  # a constant too large to hold
            return
        if domain == "" and op in VIEWS and present and values[0].data:
            self.view(op, a, ins, outs)
            return
        rule = LOWER.get(key)
        if rule is not None:
            ops = rule(a, ins, outs, self)
            if ops:
                for one in ops:
                    self.add(one, node, path)
                return
        if domain == "" and op in COPIES and present and values[0].data:
            shape = MOVES[op](a, [self.shape(n) for n in present], [v.known for v in values])[0]
            self.add(Op("copy", {"shape": shape, "op": op}, present[:1]), node, path)  # pads, repeats: not data
            return
        if domain == "" and op == "Gather" and values[0].data:
            shape = MOVES[op](a, [self.shape(n) for n in present], [v.known for v in values])[0]
            if values[1].known is not None and np.asarray(values[1].known).ndim == 0:
                self.values[outs[0]] = replace(values[0], shape=shape)  # one index: a view, as PyTorch's select
            else:
                self.add(Op("copy", {"shape": shape, "op": op}, present), node, path)
            return
        if domain == "" and op in ("ConstantOfShape", "Range", "EyeLike", "RandomNormal", "RandomUniform"):
            shape = self.inferred_shape(outs[0])
            if op == "ConstantOfShape" and values:
                shape = (
                    tuple(int(n) for n in np.asarray(values[0].known).ravel()) if values[0].known is not None else shape
                )
            if shape is not None:
                self.add(Op("constant", {"shape": shape, "op": op}), node, path)
                return
        if domain not in ("", "com.microsoft", "ai.onnx.ml", "com.microsoft.nchwc"):
            if not outs or self.inferred_shape(outs[0]) is None:
                raise SpecError(
                    f"operator {op} is from the domain '{domain}', which cnncalc does not know",
                    hint="a custom operator: cnncalc cannot tell its output shape",
                )
        self.uncounted(node, key, path)

    def check_form(self, node: onnx.NodeProto, a: dict[str, Any], domain: str) -> None:
        """The node against its operator's ONNX schema (for the file's opset) and the ranks cnncalc's rules read:
        its required inputs present, no more inputs than it takes, its required attributes given, each attribute
        of its type. An operator without a schema here is left to the rules that follow."""
        version = self.opset.get(domain or "ai.onnx", 1)
        schema = _schema(node.op_type, version, domain)
        if schema is None:
            if not domain and node.op_type in LOWER:
                raise SpecError(f"{node.op_type} is not an operator of ONNX opset {version}, the file's opset")
            return
        given = list(node.input)
        if len(given) > schema.max_input:
            raise SpecError(f"{node.op_type} takes at most {schema.max_input} inputs; this one has {len(given)}")
        required = [p.name for p in schema.inputs if p.option == SINGLE]
        for k, name in enumerate(required):
            if k >= len(given) or not given[k]:
                raise SpecError(f"{node.op_type} needs its input {name} (input {k + 1}), which this node lacks")
        for name, spec in schema.attributes.items():
            if spec.required and name not in a:
                raise SpecError(f"{node.op_type} needs the attribute {name}, which this node lacks")
        for attr in node.attribute:
            spec = schema.attributes.get(attr.name)
            if spec is not None and attr.type and int(spec.type) != int(attr.type):
                kind = onnx.AttributeProto.AttributeType.Name(attr.type).lower()
                expected = onnx.AttributeProto.AttributeType.Name(int(spec.type)).lower()
                raise SpecError(f"attribute {attr.name} is {kind}, where {node.op_type} takes {expected}")
        least = MIN_RANK.get(node.op_type)
        if least is not None and given and given[0]:
            rank = len(self.shape(given[0]))
            if rank < least:
                raise ShapeError(f"{node.op_type} reads a tensor of at least {least} axes; {given[0]} has {rank}")

    def constant(self, node: onnx.NodeProto, a: dict[str, Any]) -> None:
        """A Constant node: a known value (shape arithmetic), or a stored tensor when it is large or float."""
        if not node.output or not node.output[0]:
            raise SpecError("the Constant has no output")
        value = a.get("value")
        why = None
        if isinstance(value, onnx.TensorProto):  # values not in the file, or too large to have been read
            shape, dtype, array = dims_of(value, "its value"), dtype_name(value.data_type), None
            why = _not_in_file(value, "the Constant's value")
        else:
            if value is None:
                found = [a[k] for k in ("value_int", "value_ints", "value_float", "value_floats") if k in a]
                if not found:
                    raise SpecError("the Constant holds no value cnncalc can read (a string or a sparse tensor)")
                value = found[0]
            array = np.asarray(value)
            dtype, shape = str(array.dtype), tuple(int(d) for d in array.shape)
        name = node.output[0]
        self.stored[name] = Stored(name, shape, dtype, constant=True)
        known = array if array is not None and array.size <= SMALL else None
        sources = ((name, False),)
        self.values[name] = Value(shape, known=known, sources=sources, dtype=dtype, made_by="Constant", why=why)

    def evaluate(self, op: str, a: dict[str, Any], ins: list[str], outs: list[str], values: list[Value]) -> bool:
        """Shape arithmetic on known small values, computed with numpy: no node."""
        if op == "Shape" and values and values[0].shape is not None:
            start, end = a.get("start", 0), a.get("end")
            shape = np.asarray(values[0].shape[slice(start, end)], dtype=np.int64)
            self.values[outs[0]] = Value(shape.shape, known=shape, dtype="int64", made_by="Shape")
            return True
        if op == "Size" and values and values[0].shape is not None:
            self.values[outs[0]] = Value((), known=np.asarray(_numel(values[0].shape)), dtype="int64", made_by="Size")
            return True
        rule = VALUES.get(op)
        if rule is None or not values or any(v.known is None or v.data for v in values):
            return False
        if any(not self.stored[k].constant for v in values for k, _ in v.sources):
            return False  # a weight stays a weight: its values are the model's, not shape arithmetic
        args: list[Any] = []
        for name in ins:
            args.append(self.get(name).known if name else None)
        size = predicted_size(op, a, args)  # before numpy makes anything
        cap, total = limit_value("onnx_elements"), limit_value("onnx_values")
        why: CnnCalcError | None = None
        if size > cap:
            why = LimitError(f"{op} would make a value of {size:,} elements", limit="onnx_elements", cap=cap)
        elif self.evaluated + size > total:
            what = f"the values worked out to know shapes would hold {self.evaluated + size:,} elements in all"
            why = LimitError(what, limit="onnx_values", cap=total)
        if why is not None:  # not made: its shape only, and why, for a node that needs its value
            self.unmade = why
            return False
        with np.errstate(all="ignore"):
            result = rule(a, args)
        self.evaluated += size
        for name, r in zip(outs, result):
            r = np.asarray(r)
            self.values[name] = Value(tuple(r.shape), known=r, dtype=str(r.dtype), made_by=op)
        return True

    def alias(self, node: onnx.NodeProto, out: str, source: str) -> None:
        """Identity of a weight: a tensor of its own name, stored once (the exporter merged equal values)."""
        v = self.get(source)
        if len(v.sources) == 1 and v.shape is not None:
            original = self.stored[v.sources[0][0]]
            self.stored[out] = Stored(out, original.shape, original.dtype, alias_of=original.alias_of or original.name)
            self.values[out] = Value(v.shape, known=v.known, sources=((out, v.sources[0][1]),), dtype=v.dtype)
        else:
            self.values[out] = replace(v, node=v.node)

    def derive(self, op: str, a: dict[str, Any], ins: list[str], outs: list[str], values: list[Value]) -> bool:
        """An op moving weights only (slices of an LSTM's gates, a transposed or dequantised weight)."""
        if op not in MOVES and op != "Split":
            return False
        if not any(v.sources for v in values):
            return False
        shapes = [self.shape(n) for n in ins if n]
        known = [self.get(n).known if n else None for n in ins]
        present_known = [self.get(n).known for n in ins if n]
        if op == "Split":
            out_shapes = split_shapes(a, shapes, known, len(outs))
        elif op == "Gather":
            out_shapes = MOVES[op](a, shapes, present_known)
        else:
            out_shapes = MOVES[op](a, shapes, known)
        sources: list[tuple[str, bool]] = []
        carried = values if op in ("Concat", "DequantizeLinear", "QuantizeLinear") else values[:1]  # not slice bounds
        for i, v in enumerate(carried):
            for key, buf in v.sources:
                # a dequantised weight: the quantised tensor is the parameter, its scale and zero point buffers
                entry = (key, buf or (op == "DequantizeLinear" and i > 0))
                if entry not in sources:
                    sources.append(entry)
        dtype = values[0].dtype
        for name, shape in zip(outs, out_shapes):
            self.values[name] = Value(shape, sources=tuple(sources), dtype=dtype, made_by=op)
        return True

    def view(self, op: str, a: dict[str, Any], ins: list[str], outs: list[str]) -> None:
        """A view of an activation: its outputs are the input's node, seen with new shapes."""
        present = [n for n in ins if n]
        shapes = [self.shape(n) for n in present]
        known = [self.get(n).known if n else None for n in ins]
        if op == "Split":
            out_shapes = split_shapes(a, shapes, known, len(outs))
        elif op in ("Reshape", "Expand", "Squeeze", "Unsqueeze", "Slice"):
            out_shapes = MOVES[op](a, [self.shape(ins[0])], known)
        else:
            out_shapes = MOVES[op](a, shapes, known)
        base = self.get(present[0])
        for name, shape in zip(outs, out_shapes):
            if name:
                self.values[name] = replace(base, shape=shape, made_by=op)
        for name in outs[len(out_shapes) :]:  # Dropout's mask, DynamicQuantizeLinear's scale
            if name:
                self.values[name] = replace(base, shape=base.shape, made_by=op)

    # -- control flow

    def if_node(self, node: onnx.NodeProto, a: dict[str, Any], path: tuple[str, ...]) -> None:
        for branch in ("then_branch", "else_branch"):
            if not isinstance(a.get(branch), onnx.GraphProto):
                raise SpecError(f"the If has no {branch.replace('_', '-')} (a graph attribute every If holds)")
        if not node.input or not node.input[0]:
            raise SpecError("the If has no condition input")
        cond = self.value(node.input[0])
        if cond is not None and np.asarray(cond).size != 1:
            raise ShapeError(f"the If's condition holds {np.asarray(cond).size} values, not one")
        branch = "then_branch" if cond is None or bool(np.asarray(cond).ravel()[0]) else "else_branch"
        where = node.name or "If"
        if cond is None:
            other = len(a["else_branch"].node)
            self.notes.append(
                f"{where}: the condition is only known when the model runs; its then-branch is counted "
                f"(the else-branch, {other} node(s), is not)"
            )
        else:
            self.notes.append(f"{where}: the condition is known ({bool(np.asarray(cond).ravel()[0])}): {branch}")
        if len(a[branch].output) < len([n for n in node.output if n]):
            raise SpecError(
                f"the If's {branch.replace('_', '-')} gives {len(a[branch].output)} output(s) "
                f"for its {len(node.output)}"
            )
        self.body(a[branch], path + (where.strip("/").split("/")[-1],), node.output)

    def trip_count(self, node: onnx.NodeProto, where: str) -> int | None:
        """How often a Loop's body runs, by ONNX's rule for its inputs M (trip count) and cond; None: unknown.

        The body runs while ``i < M`` and ``cond`` holds: M ≤ 0 or a false initial cond is 0 iterations;
        a loop with neither input never ends.
        """
        m_name = node.input[0] if node.input else ""
        c_name = node.input[1] if len(node.input) > 1 else ""
        if not m_name and not c_name:
            raise SpecError("the Loop has neither a trip count M nor a condition: it would never end")
        trips = self.value(m_name) if m_name else None
        cond = self.value(c_name) if c_name else None
        for name, known in ((m_name, trips), (c_name, cond)):
            if known is not None and np.asarray(known).size != 1:
                raise ShapeError(f"the Loop's input {name} holds {np.asarray(known).size} values, not one")
        if cond is not None and not bool(np.asarray(cond).ravel()[0]):
            self.notes.append(f"{where}: its condition is false before the first iteration: the body runs 0 times")
            return 0
        if trips is not None:
            count = max(int(np.asarray(trips).ravel()[0]), 0)
            until = " (or fewer, if its condition turns false)" if c_name else ""
            self.notes.append(f"{where}: its body is counted per iteration × {count:,} iterations{until}")
            return count
        why = "trip count" if m_name else "condition"
        self.notes.append(f"{where}: the {why} is only known when the model runs; one iteration is counted")
        return None

    def loop(self, node: onnx.NodeProto, a: dict[str, Any], path: tuple[str, ...]) -> None:
        body = a.get("body")
        if not isinstance(body, onnx.GraphProto):
            raise SpecError("the Loop has no body (a graph attribute every Loop holds)")
        where = node.name or "Loop"
        known = self.trip_count(node, where)
        count = 1 if known is None else known
        carried = list(node.input[2:])
        if len(body.input) != len(carried) + 2 or len(body.output) < len(carried) + 1:
            raise SpecError(
                f"the Loop carries {len(carried)} value(s), but its body takes {len(body.input)} input(s) "
                f"and gives {len(body.output)} output(s) (it needs {len(carried) + 2} and at least {len(carried) + 1})"
            )
        bindings = [("", (), "int64"), ("", (), "bool")] + [(n, self.shape(n), self.get(n).dtype) for n in carried]
        self.scopes.append({})
        outer_repeat, outer_prefix = self.repeat, self.prefix
        self.repeat, self.prefix = outer_repeat * count, path + (where.strip("/").split("/")[-1],)
        try:
            for (source, shape, dtype), inp in zip(bindings, body.input):
                self.define(inp.name, f"an input of {where}'s body")
                base = self.get(source) if source else None
                self.values[inp.name] = (
                    replace(base, shape=shape) if base is not None else Value(shape, dtype=dtype, made_by="Loop")
                )
            for t in body.initializer:
                self.add_stored(t)
            self.walk(body)
        finally:
            self.repeat, self.prefix = outer_repeat, outer_prefix
            self.scopes.pop()
        outs = [o.name for o in body.output]
        for i, name in enumerate(node.output):
            if not name:
                continue
            if i + 1 >= len(outs):
                raise SpecError(f"the Loop has {len(node.output)} outputs; its body gives {len(outs) - 1}")
            if i < len(carried) and count == 0:  # never run: a carried value leaves as it came
                self.values[name] = replace(self.get(carried[i]))
                continue
            inner = self.get(outs[i + 1])
            shape = inner.shape
            if i >= len(carried) and shape is not None:  # scan outputs: one slice per iteration
                shape = (count, *shape)
            self.values[name] = replace(inner, shape=shape)

    def body(self, graph: onnx.GraphProto, prefix: tuple[str, ...], outputs: Sequence[str]) -> None:
        outer = self.prefix
        self.prefix = prefix
        self.scopes.append({})
        try:
            for t in graph.initializer:
                self.add_stored(t)
            self.walk(graph)
        finally:
            self.prefix = outer
            self.scopes.pop()
        for name, inner in zip(outputs, graph.output):
            if name:
                self.values[name] = self.get(inner.name)


SINGLE = onnx.defs.OpSchema.FormalParameterOption.Single
MIN_RANK = {
    **dict.fromkeys("Conv ConvTranspose MaxPool AveragePool LpPool GlobalAveragePool GlobalMaxPool".split(), 3),
    **dict.fromkeys("InstanceNormalization GroupNormalization LSTM GRU RNN".split(), 3),
    **dict.fromkeys("DepthToSpace SpaceToDepth".split(), 4),
    **dict.fromkeys("BatchNormalization Gemm".split(), 2),
    **dict.fromkeys("MatMul Split Concat Gather LayerNormalization Resize Upsample Pad PRelu".split(), 1),
}
"""The fewest axes the first input of an operator has (ONNX's own rule, or the one cnncalc's lowering reads)."""


@functools.lru_cache(maxsize=512)
def _schema(op: str, version: int, domain: str) -> Any:
    """ONNX's schema of an operator at an opset, or None when onnx has none (a custom or unknown operator)."""
    try:
        return onnx.defs.get_schema(op, max(int(version), 1), domain)
    except Exception:  # noqa: BLE001 - onnx's SchemaError: no such operator here
        return None


def _not_in_file(t: onnx.TensorProto, what: str) -> CnnCalcError:
    """Why a stored tensor's values are not known: the error for a node that needs them."""
    if t.data_location == onnx.TensorProto.EXTERNAL:
        return ShapeError(
            f"{what} is stored outside the model file (external data), and cnncalc never reads another file; "
            "its size is known, its values are not",
            hint="a value that decides a shape must be inside the model: save it without external data for it",
        )
    return ShapeError(f"{what} is too large to be read as a shape ({_numel(dims_of(t, what)):,} elements)")


def _fresh(e: CnnCalcError) -> CnnCalcError:
    """A copy of an error kept for later, to raise with its own place (the original stays as it was)."""
    copy = e.__class__.__new__(e.__class__)
    copy.__dict__.update(e.__dict__)
    copy.args = e.args
    return copy


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def infer(kind: str, kwargs: dict[str, Any], shapes: Sequence[Shape], lead: int) -> Shape:
    """A node's output shape by its kind's own rule (the same the analysis applies), the lead axes kept."""
    k = REGISTRY[kind]
    args = bind(k, (), tuple(kwargs.items()))
    lead_dims = tuple(shapes[0][:lead]) if lead and shapes else ()
    c = Calc(Convention.seed, Layout.chw, Framework.torch)
    k.infer(args, tuple(tuple(s[lead:]) for s in shapes), c)
    return (*lead_dims, *(c.shape or ()))


def infer_with_onnx(model: onnx.ModelProto, fixed: dict[str, Shape | None]) -> dict[str, Shape]:
    """Output shapes onnx's own inference finds with the inputs fixed: only for operators cnncalc has no rule for."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for inp in copy.graph.input:
        shape = fixed.get(inp.name)
        if shape is not None and inp.type.HasField("tensor_type"):
            dims = inp.type.tensor_type.shape.dim
            del dims[:]
            for n in shape:
                dims.add().dim_value = n
    try:
        inferred = onnx.shape_inference.infer_shapes(copy, strict_mode=False)
    except Exception:  # noqa: BLE001 - inference is a fallback; without it the shape stays unknown
        return {}
    out: dict[str, Shape] = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
            out[vi.name] = tuple(int(d.dim_value) for d in t.shape.dim)
    return out


# ---------------------------------------------------------------- reading the file


def read_model(source: Any) -> tuple[onnx.ModelProto, str]:
    """The ModelProto of a path or a ModelProto, as :mod:`cnncalc.frontends.onnx_file` reads it.

    The weights' values and every external-data path are left out, the costs of reading it checked first;
    a damaged file, an empty model and a wrong argument are errors.
    """
    import mmap
    import os

    if isinstance(source, onnx.ModelProto):
        name = source.graph.name or "the ONNX model"
        try:
            data: Any = source.SerializeToString()
        except Exception:  # noqa: BLE001 - protobuf refuses a message over 2 GB: it cannot be an ONNX model
            raise SpecError(f"{name} is too large to be an ONNX model (a ModelProto holds at most 2 GB)") from None
        return _checked(read(data, name), name), source.graph.name or "onnx model"
    if not isinstance(source, (str, os.PathLike)):
        raise wrong_type("model", "a path to a .onnx file or an onnx.ModelProto", source)
    path = Path(source)
    if not path.is_file():
        raise SpecError(f"no such file: {path}" if not path.is_dir() else f"{path} is a folder, not a file")
    name = str(path)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise SpecError(f"{name} is empty, not an ONNX model")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                view = memoryview(mapped)
                try:
                    model = read(view, name)
                finally:
                    view.release()
    except OSError as e:
        raise SpecError(f"{name} cannot be read ({e.strerror or 'the system refused'})") from None
    return _checked(model, name), path.stem


def _checked(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """The model, when it holds a graph with nodes and inputs to count."""
    if not model.HasField("graph") or not model.graph.node:
        raise SpecError(f"{name} holds no ONNX graph (no nodes)", hint="the file may be truncated or not ONNX")
    stored = {t.name for t in model.graph.initializer}
    if not [i for i in model.graph.input if i.name not in stored]:
        raise SpecError(
            f"{name}'s graph has no inputs: nothing it computes depends on a size cnncalc could be given",
            hint="the file may be damaged, or its inputs were turned into constants",
        )
    return model


def tensor_value(t: onnx.TensorProto, what: str) -> np.ndarray | None:
    """A stored tensor's values (small ones only), or None when they are not in the file or were left out.

    The count of its elements is checked before anything is made, and its stored bytes against its dims.
    """
    if t.data_location == onnx.TensorProto.EXTERNAL or values_left_out(t):
        return None
    shape = dims_of(t, what)
    n = _numel(shape)
    guard("onnx_elements", n, f"{what} has {n:,} elements")
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type))
    except Exception:  # noqa: BLE001 - an element type onnx does not know
        raise SpecError(f"{what} has an element type ({t.data_type}) ONNX does not define") from None
    if t.data_type == onnx.TensorProto.STRING:
        return None  # text: never shape arithmetic
    if t.HasField("raw_data"):
        if len(t.raw_data) != -(-n * _bits(t.data_type) // 8):
            raise SpecError(f"{what} stores {len(t.raw_data):,} bytes, which do not fit its dims {shape}")
    else:
        stored = max(len(t.float_data), len(t.int32_data), len(t.int64_data), len(t.double_data), len(t.uint64_data))
        per = 2 if t.data_type in (onnx.TensorProto.COMPLEX64, onnx.TensorProto.COMPLEX128) else 1
        if stored != n * per and not (stored == 0 and n == 0):
            if n and _packed_ints(t.data_type) and stored == -(-n * _bits(t.data_type) // 32):
                pass  # 4-bit and 2-bit values packed into int32_data
            else:
                raise SpecError(f"{what} holds {stored:,} values where its dims {shape} ask for {n:,}")
    try:
        return numpy_helper.to_array(t)
    except Exception:  # noqa: BLE001 - a form of stored values onnx cannot turn into an array
        raise SpecError(f"{what}'s stored values cannot be read ({dtype} of dims {shape})") from None


def _bits(data_type: int) -> int:
    """Bits per element of an ONNX element type (4-bit and 2-bit types packed)."""
    if _packed_ints(data_type):
        return 4 if "4" in onnx.TensorProto.DataType.Name(data_type) else 2
    return 8 * np.dtype(helper.tensor_dtype_to_np_dtype(data_type)).itemsize


def _packed_ints(data_type: int) -> bool:
    name = onnx.TensorProto.DataType.Name(data_type)
    return name.endswith(("INT4", "INT2", "FLOAT4E2M1"))


def dims_of(t: onnx.TensorProto, what: str) -> Shape:
    """A stored tensor's dims, each a whole number ≥ 0."""
    shape = tuple(int(d) for d in t.dims)
    for d in shape:
        if d < 0:
            raise SpecError(f"{what} has a negative dimension ({d}) in its dims {list(shape)}")
    return shape


def input_shapes(graph: onnx.GraphProto, given: Any) -> list[tuple[str, Shape, str]]:
    """The graph's inputs with their shapes: the file's, with ``--input`` filling (or replacing) dynamic axes."""
    stored = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in stored]
    specs = _specs(given, inputs)
    out: list[tuple[str, Shape, str]] = []
    missing: list[str] = []
    for inp in inputs:
        t = inp.type.tensor_type
        dtype = dtype_name(t.elem_type)
        spec = specs.get(inp.name)
        dims = list(t.shape.dim) if t.HasField("shape") else None
        if spec is not None:
            if dims is not None and len(dims) != len(spec.shape):
                raise SpecError(
                    f"--input {inp.name}={','.join(map(str, spec.shape))} has {len(spec.shape)} axes; "
                    f"the model's input {inp.name} has {len(dims)} ({_dims_text(dims)})"
                )
            for i, (d, n) in enumerate(zip(dims or [], spec.shape)):
                if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != n:
                    raise SpecError(
                        f"--input {inp.name}: axis {i} is {d.dim_value} in the model, not {n}",
                        hint=f"the model's input is ({_dims_text(dims)})",
                    )
            out.append((inp.name, spec.shape, spec.dtype or dtype))
            continue
        if dims is None:
            missing.append(f"{inp.name} (no shape in the file)")
            continue
        symbolic = [f"axis {i} '{d.dim_param or '?'}'" for i, d in enumerate(dims) if not d.dim_value > 0]
        if symbolic:
            missing.append(f"{inp.name} ({_dims_text(dims)}: {', '.join(symbolic)})")
            continue
        out.append((inp.name, tuple(int(d.dim_value) for d in dims), dtype))
    if missing:
        example = " ".join(
            f"--input {inp.name}={_example(inp.type.tensor_type.shape.dim)}" for inp in inputs if inp.name not in specs
        )
        raise SpecError(
            "the model's inputs have dynamic axes cnncalc needs sizes for: " + "; ".join(missing),
            hint=f"give them with --input NAME=SHAPE, e.g. {example}",
        )
    return out


def _example(dims: Sequence[Any]) -> str:
    """A shape to suggest for ``--input``: the file's sizes, 1 for each dynamic axis."""
    return ",".join(str(d.dim_value) if d.dim_value > 0 else "1" for d in dims)


def _dims_text(dims: Sequence[Any]) -> str:
    return ", ".join(str(d.dim_value) if d.dim_value > 0 else (d.dim_param or "?") for d in dims)


def _specs(given: Any, inputs: Sequence[onnx.ValueInfoProto]) -> dict[str, InputSpec]:
    """``--input`` items (or sizes) by input name: named ones by name, unnamed ones in order."""
    if given is None or given == () or given == []:
        return {}
    if isinstance(given, str):
        from cnncalc.inputs import parse_inputs

        given = parse_inputs(given)
    if isinstance(given, dict):
        given = tuple(InputSpec(str(k), tuple(v)) for k, v in given.items())
    elif isinstance(given, (tuple, list)) and given and all(isinstance(n, int) for n in given):
        given = (InputSpec(None, tuple(given)),)
    elif isinstance(given, (tuple, list)) and given and not isinstance(given[0], InputSpec):
        given = tuple(InputSpec(None, tuple(s)) for s in given)
    names = [i.name for i in inputs]
    out: dict[str, InputSpec] = {}
    for i, spec in enumerate(given):
        if spec.name is None:
            if i >= len(names):
                raise SpecError(
                    f"{len(given)} input shapes given; the model has {len(names)} input(s): {', '.join(names)}"
                )
            out[names[i]] = spec
        elif spec.name not in names:
            raise SpecError(f"the model has no input '{spec.name}'", hint=f"its inputs: {', '.join(names)}")
        else:
            out[spec.name] = spec
    return out


def graph_of_model(source: Any, *, input: Any = None, title: str = "") -> Graph:  # noqa: A002
    """The Graph of an ONNX model (a path or a ModelProto) on the given input sizes (see :func:`from_onnx`)."""
    model, name = read_model(source)
    walk = Walk(model, title or name)
    for t in model.graph.initializer:
        walk.add_stored(t)
    for t in model.graph.sparse_initializer:
        walk.add_stored(t.values)
    for name_, shape, dtype in input_shapes(model.graph, input):
        walk.add_input(name_, shape, dtype)
    walk.walk(model.graph)
    return _graph(walk, model)


def _graph(walk: Walk, model: onnx.ModelProto) -> Graph:
    """The Graph of a finished walk: nodes with their scopes, the scope tree, notes."""
    index: dict[tuple[str, ...], int] = {(): 0}
    for path in walk.paths:
        for i in range(1, len(path) + 1):
            index.setdefault(path[:i], len(index))
    members: dict[tuple[str, ...], list[int]] = {}
    for n, path in enumerate(walk.paths):
        for i in range(len(path) + 1):
            members.setdefault(path[:i], []).append(n)
    nodes = [replace(node, scope=index[path]) for node, path in zip(walk.nodes, walk.paths)]
    inner = {path[:-1] for path in index if path}  # scopes with scopes below them
    scopes: list[Scope] = []
    for path, i in sorted(index.items(), key=lambda item: item[1]):
        inside = [nodes[n] for n in members.get(path, []) if nodes[n].kind not in ("input", "tensor")]
        last = inside[-1] if inside else None
        leaf = path not in inner
        kinds = list(dict.fromkeys(n.label for n in inside))
        kind = "Model" if not path else ("+".join(kinds) if leaf and 0 < len(kinds) <= 2 else "Block")
        output = _output_shape(last) if last is not None else ()
        scopes.append(
            Scope(
                i,
                ".".join(path) if path else walk.title,
                kind,
                None if not path else index[path[:-1]],
                len(path),
                (output,) if last is not None else (),
                (last.id,) if last is not None else (),
            )
        )
    notes = [
        f"ONNX model read without its weights (opset {walk.opset.get('ai.onnx', '?')}"
        + (f", made by {model.producer_name} {model.producer_version}".rstrip() if model.producer_name else "")
        + "): shapes from cnncalc's rules"
    ]
    stored = sum(_numel(s.shape) for s in walk.stored.values() if s.alias_of is None and s.name in walk.counted)
    read = sum(_numel(s.shape) for s in walk.stored.values() if s.name in walk.counted)
    if read != stored:
        notes.append(
            f"the file stores {stored:,} values the layers read as {read:,}: some initializers are shared "
            "through Identity nodes (equal values merged by the exporter) and counted per layer"
        )
    folded = _folded_norms(walk)
    if folded:
        notes.append(folded)
    notes += _transposed_copies(walk)
    parts = _written_as_parts(walk.nodes)
    if parts:
        notes.append(
            f"the file writes {' and '.join(parts)} as their parts: under --flops all each part's elementwise "
            "work is counted as written (the fused operation in PyTorch may count a little differently); MACs "
            "and the other conventions are the same"
        )
    notes += walk.notes
    dtypes = [s.dtype for s in walk.stored.values() if s.dtype in FLOATS and s.name in walk.counted]
    has_scopes = any(walk.paths)
    return Graph(
        tuple(nodes),
        walk.title,
        tuple(scopes) if has_scopes else (),
        Layout.chw,
        next((n.args[0] for n in nodes if n.kind == "input" and n.args), 1),
        tuple(notes),
        source="onnx",
        depth=DEFAULT_DEPTH if has_scopes else None,
        dtype=dtypes[0] if dtypes else None,
        columns=COLUMNS if has_scopes else (),
    )


def _output_shape(node: Node) -> Shape:
    if node.output is not None:
        return tuple(node.output)
    return infer(node.kind, dict(node.kwargs), node.shapes or (), node.lead)


def _folded_norms(walk: Walk) -> str:
    """A word when the exporter folded batch norms into the convolutions (constant folding), with what it removed.

    A convolution is a folded one when PyTorch's dynamo exporter recorded the batch norm as its origin (the
    node's ``pkg.torch.onnx`` metadata), or when the classic exporter gave its weight and bias names of its own
    (``onnx::Conv_12``). Each removed a norm of C channels: γ and β (2·C parameters) and the running mean and
    variance (2·C buffers). Without those signs, a file with no batch norm whose convolutions all carry a bias
    gets a word that they likely were.
    """
    if any(n.kind == "batchnorm" for n in walk.nodes):
        return ""
    if walk.folded:
        channels = sum(walk.folded)
        return (
            f"the exporter folded the batch norms into the convolutions before them ({len(walk.folded)} of them, "
            f"constant folding): their γ and β ({2 * channels:,} parameters) and running statistics "
            f"({2 * channels:,} buffers) are not in the file, and each of those convolutions carries a bias "
            f"({channels:,} values: its own, or the norm's shift the exporter made); under --flops all the norms' "
            "elementwise work is gone"
        )
    convs = [n for n in walk.nodes if n.kind == "conv"]
    biased = [n for n in convs if dict(n.kwargs).get("bias")]
    if not convs or not biased or not (len(biased) == len(convs) > 2):
        return ""
    return (
        f"no batch norm is left and {len(biased)} of {len(convs)} convolutions carry a bias: the exporter may have "
        "folded the batch norms into the convolutions (constant folding); their γ, β and statistics would then not "
        "be in the file, and the parameters are the folded convolutions'"
    )


def _written_as_parts(nodes: Sequence[Node]) -> list[str]:
    """The fused operations an exporter wrote as several nodes: attention as MatMul, Softmax, MatMul; SiLU as
    Sigmoid times its input; GELU with Erf.

    >>> a = Node("a", "matmul", "MatMul", inputs=("q", "k"))
    >>> s = Node("s", "softmax", "Softmax", inputs=("a",))
    >>> _written_as_parts([a, s, Node("o", "matmul", "MatMul", inputs=("s", "v"))])
    ['attention (MatMul, Softmax, MatMul)']
    """
    by_id = {n.id: n for n in nodes}
    readers: dict[str, list[Node]] = {}
    for n in nodes:
        for i in n.inputs:
            readers.setdefault(i, []).append(n)

    def back(node_id: str, steps: int) -> bool:  # a matmul within a few elementwise steps above
        n = by_id.get(node_id)
        if n is None or steps < 0:
            return False
        return n.kind == "matmul" or (n.kind == "elementwise" and any(back(i, steps - 1) for i in n.inputs))

    found = []
    if any(
        n.kind == "softmax"
        and any(back(i, 3) for i in n.inputs)
        and any(r.kind == "matmul" for r in readers.get(n.id, []))
        for n in nodes
    ):
        found.append("attention (MatMul, Softmax, MatMul)")
    if any(
        n.kind == "sigmoid"
        and any(
            r.kind == "elementwise" and dict(r.kwargs).get("op") == "mul" and set(n.inputs) <= set(r.inputs)
            for r in readers.get(n.id, [])
        )
        for n in nodes
    ):
        found.append("SiLU (Sigmoid times its input)")
    if any(n.kind == "elementwise" and dict(n.kwargs).get("op") == "erf" for n in nodes):
        found.append("GELU (with Erf)")
    return found


def _transposed_copies(walk: Walk) -> list[str]:
    """A word for each weight an exporter stored transposed under a name of its own beside the original.

    A tied output head (``head.weight = embed.weight``) reads the embedding's weight transposed; constant folding
    stores that transpose as a new initializer (``onnx::MatMul_25``, ``val_7``), so the file holds the values
    twice and both are counted. The sign: an unnamed weight whose shape is a named one's reversed.
    """
    named = {}
    for key in walk.counted:
        s = walk.stored[key]
        if not ANONYMOUS.match(key) and not s.constant and len(s.shape) == 2:
            named.setdefault(s.shape, key)
    said = []
    for key in walk.counted:
        s = walk.stored[key]
        twin = named.get(tuple(reversed(s.shape))) if ANONYMOUS.match(key) and len(s.shape) == 2 else None
        if twin is not None and s.shape[0] != s.shape[1]:
            said.append(
                f"{key} {s.shape} has the shape of {twin} transposed: if the two are one weight tied to two "
                f"layers, the exporter stored a transposed copy of it (constant folding) and its "
                f"{_numel(s.shape):,} values are counted twice"
            )
    return said


def _computed_by_exporter(node: onnx.NodeProto, name: str) -> str:
    """The operation PyTorch's dynamo exporter folded into the initializer ``name`` read by ``node``, or ''.

    Its metadata writes the node as the FX graph saw it: a parameter is an argument ``%p_<name>``, a value
    computed before export (then folded into the file) an argument ``%<name>`` made by an operation.
    """
    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.fx_node":
            if re.search(rf"%{re.escape(name)}\b", p.value) and not re.search(r"%[pbc]_", f"%{name}"):
                return name
    return ""


def _folded_here(node: onnx.NodeProto, weight: str, bias: str) -> bool:
    """Whether an exporter made this convolution by folding a batch norm into it (see :func:`_folded_norms`)."""
    for p in node.metadata_props:
        if p.key in ("pkg.torch.onnx.class_hierarchy", "pkg.torch.onnx.fx_node") and "batch_norm" in p.value.replace(
            "BatchNorm", "batch_norm"
        ):
            return True
    return weight.startswith("onnx::") and bias.startswith("onnx::")


def load(
    path: str,
    *,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
) -> Graph:
    """The Graph of a ``.onnx`` file: the entry in :data:`cnncalc.frontends.FILES`."""
    if kwargs:
        raise SpecError("an ONNX model takes no --kwarg: its graph is fixed in the file")
    if dtypes:
        raise SpecError("an ONNX model's input dtypes are in the file", hint="give sizes only: --input NAME=SHAPE")
    return graph_of_model(path, input=input)


def from_onnx(
    model: Any,
    input: Any = None,  # noqa: A002
    *,
    depth: int | None = None,
    flops: Any = None,
    title: str = "",
    options: Options | None = None,
    **given: Any,
) -> Report:
    """Every node's output shape, params, MACs and FLOPs of an ONNX model (a path or a ``ModelProto``).

    ``input`` gives the sizes of dynamic axes: one shape (``(4, 3, 224, 224)``),
    shapes by input name (``{"input_ids": (1, 128)}``), or parsed ``--input``
    items. The weights are never loaded. The report's other choices (``flops``,
    ``layout``, ``dtype``, ``framework``, ...) are :class:`~cnncalc.options.Options`.
    """
    from cnncalc.analyze import analyze_graph

    opts = Options.make(options, flops=flops, depth=depth, title=title or None, **given)
    return analyze_graph(graph_of_model(model, input=input), opts)


__all__: Sequence[str] = ("from_onnx", "graph_of_model", "load")
