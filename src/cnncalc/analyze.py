"""Walk a Graph in execution order, apply each node's kind, and gather a Report."""

from __future__ import annotations

from cnncalc.conventions import Convention, Layout
from cnncalc.errors import ArgumentError, CnnCalcError, ShapeError
from cnncalc.graph import Graph, Node
from cnncalc.layers import REGISTRY, bind
from cnncalc.layers.base import Calc, Step, prod, unknown_layer
from cnncalc.memory import element_bytes, memory, traffic_for
from cnncalc.receptive import field_for
from cnncalc.report import Report, Row, Totals


def analyze_graph(
    graph: Graph,
    *,
    convention: Convention | str = Convention.seed,
    batch: int = 1,
    layout: Layout | str = Layout.hwc,
    title: str = "",
    dtype: str = "float32",
) -> Report:
    """Shapes, parameters, MACs and FLOPs of every node of ``graph``, with totals."""
    convention = enum_option(Convention, convention, "flops convention")
    layout = enum_option(Layout, layout, "layout")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ArgumentError(f"the batch must be a positive whole number (got {batch!r})")
    b = element_bytes(dtype)  # an unknown dtype is an error before any layer is analysed
    done: dict[str, Row] = {}
    rows: list[Row] = []
    for index, node in enumerate(graph.order(), start=1):
        try:
            row = _analyze_node(node, index, done, convention, layout, batch, b)
        except CnnCalcError as e:
            raise e.at_layer(index, node.source or node.label) from None
        done[node.id] = row
        rows.append(row)
    totals = _totals(rows)
    return Report(
        tuple(rows),
        totals,
        convention,
        layout,
        batch,
        title,
        dtype=str(getattr(dtype, "value", dtype)).lower(),
        memory=memory(rows, totals, dtype),
    )


def _analyze_node(
    node: Node, index: int, done: dict[str, Row], convention: Convention, layout: Layout, batch: int, elem_bytes: int
) -> Row:
    """One node's row, its receptive field and traffic (``elem_bytes`` per element) from the rows it reads."""
    kind = REGISTRY.get(node.kind)
    if kind is None:  # a Graph built by hand may name anything
        raise unknown_layer(node.kind)
    args = bind(kind, node.args, node.kwargs)
    sources = [done[i] for i in node.inputs]
    inputs = tuple(s.output_shape for s in sources)
    if kind.inputs is not None and len(inputs) != kind.inputs:
        if kind.inputs == 1 and not inputs:
            raise ShapeError(f"{node.label} has no input", hint="start the chain with input(...)")
        raise ShapeError(f"{kind.name} takes {kind.inputs} input(s), got {len(inputs)}")
    c = Calc(convention, layout)
    kind.infer(args, inputs, c)
    if c.shape is None:  # every kind sets its output; a kind that forgets is a bug, not a user error
        raise RuntimeError(f"layer kind {kind.name} did not set its output shape")
    size = prod(c.shape) * batch
    steps = list(c.steps)
    b = f"·{batch}" if batch > 1 else ""
    steps.append(Step("activation size", c.shown(c.shape) + b if len(c.shape) > 1 or b else "", size))
    macs = c.macs_total * batch
    macs_expr = " + ".join(c.macs_formulas)
    if c.macs_formulas:
        steps.append(Step("MACs", _scaled(macs_expr, batch, len(c.macs_formulas) > 1), macs))
    extra = c.extra[convention]
    flops = (2 * c.macs_total + sum(v for v, _ in extra)) * batch
    terms = []
    if c.macs_formulas:
        terms.append("2·" + (f"({macs_expr})" if len(c.macs_formulas) > 1 else macs_expr))
    terms += [f for _, f in extra]
    if flops or terms:
        steps.append(Step("FLOPs", _scaled(" + ".join(terms), batch, len(terms) > 1), flops))
    read, written = traffic_for(sources, c.params_total, c.buffers_total, size, elem_bytes)
    return Row(
        index=index,
        name=node.label,
        kind=kind.name,
        node_id=node.id,
        inputs=node.inputs,
        output_shape=c.shape,
        activation_size=size,
        params=c.params_total,
        trainable_params=c.trainable_total,
        buffers=c.buffers_total,
        macs=macs,
        flops=flops,
        source=node.source,
        steps=tuple(steps),
        notes=tuple(c.notes),
        windows=c.windows,
        receptive_field=field_for(c.shape, c.windows, sources),
        bytes_read=read,
        bytes_written=written,
    )


def _scaled(expr: str, batch: int, compound: bool) -> str:
    if batch == 1:
        return expr
    return f"({expr})·{batch}" if compound else f"{expr}·{batch}"


def _totals(rows: list[Row]) -> Totals:
    params = sum(r.params for r in rows)
    trainable = sum(r.trainable_params for r in rows)
    return Totals(
        params=params,
        trainable_params=trainable,
        non_trainable_params=params - trainable,
        buffers=sum(r.buffers for r in rows),
        macs=sum(r.macs for r in rows),
        flops=sum(r.flops for r in rows),
        activation_size=sum(r.activation_size for r in rows),
    )


def enum_option(enum: type, value: object, what: str):  # noqa: ANN202
    """An option's value as a member of ``enum`` (case-insensitive), or an ArgumentError listing the choices."""
    try:
        return enum(value.value if isinstance(value, enum) else str(value).lower())
    except ValueError:
        options = ", ".join(m.value for m in enum)
        raise ArgumentError(f"unknown {what} '{value}' (choose {options})") from None
