"""Layers that read several inputs: add, mul (elementwise, broadcasting), concat, matmul.

Their inputs are node references (``add(a, b)``); the front-ends put them in
``Node.inputs``, never in the arguments.
"""

from __future__ import annotations

from cnncalc.conventions import Layout, core_shape, show_shape
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.layers.base import Args, Calc, Param, Shape, fmt, prod, register, times


def _shown(shape: Shape, c: Calc) -> str:
    return "(" + ", ".join(str(n) for n in show_shape(shape, c.layout)) + ")"


def broadcast(inputs: tuple[Shape, ...], c: Calc, what: str) -> Shape:
    """The shape of an elementwise op on ``inputs``: equal shapes, or NumPy broadcasting of shown shapes.

    Broadcasting is judged on the shapes as shown (channels last in hwc), as
    NumPy and PyTorch do on an NHWC or (L, d) tensor: ``(7, 7, 64)`` with ``(64,)`` works.
    """
    if len(inputs) < 2:
        raise ShapeError(f"{what} needs at least two inputs, got {len(inputs)}", hint=f"e.g. {what}(a, b)")
    out = broadcast_shown([show_shape(x, c.layout) for x in inputs], inputs, c, what)
    return core_shape(out, c.layout)


def broadcast_shown(shown: list[Shape], inputs: tuple[Shape, ...], c: Calc, what: str) -> Shape:
    """NumPy broadcasting of shapes as shown (``inputs`` name them in the message)."""
    rank = max(len(s) for s in shown)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shown if axis - rank + len(s) >= 0}
        big = sizes - {1}
        if len(big) > 1:
            listed = " and ".join(_shown(x, c) for x in inputs)
            raise ShapeError(
                f"{what} cannot combine shapes {listed}: they differ on an axis and neither is 1",
                hint="the leading (batch) axes of a matmul must be equal or 1"
                if what == "matmul"
                else f"the inputs of {what} need equal (or broadcastable) shapes; a 1x1 conv can match the channels",
            )
        out.append(max(sizes))
    return tuple(out)


def _elementwise(inputs: tuple[Shape, ...], c: Calc, what: str, sign: str) -> None:
    out = c.out(broadcast(inputs, c, what))
    n = prod(out)
    ops = (len(inputs) - 1) * n
    if len(set(inputs)) > 1:
        c.note("broadcasts " + " and ".join(_shown(x, c) for x in inputs))
    c.elementwise(ops, f"{len(inputs) - 1}·{fmt(n)} {sign}" if len(inputs) > 2 else f"{fmt(n)} {sign}")


@register("add", aliases=("sum", "residual", "plus"), inputs=None, example="add(a, b)")
def add(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Elementwise sum of its inputs (a residual connection): no params, no MACs.

    Under ``all`` one FLOP per output element and extra input; FlopCounterMode counts no adds.
    """
    _elementwise(inputs, c, "add", "additions")


@register("mul", aliases=("multiply", "elementwisemul", "hadamard"), inputs=None, example="mul(a, b)")
def mul(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Elementwise product of its inputs (a gate): no params; one FLOP per element under ``all`` only.

    Not a MAC: FlopCounterMode counts no elementwise product, so neither does ``matmul``.
    """
    _elementwise(inputs, c, "mul", "multiplications")


def concat_axis(a: Args, rank: int, layout: Layout) -> int:
    """The core axis to join along: ``channels`` (default) or an index of the shown shape."""
    v = a.raw("axis")
    if isinstance(v, str) and v.lower() in ("channels", "channel", "c", "features", "depth", "d"):
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgumentError(f"'axis' must be 'channels' or an axis number (got {v!r})")
    if not -rank <= v < rank:
        raise ArgumentError(f"'axis' {v} is out of range for a shape of {rank} axes")
    v %= rank
    if layout is Layout.hwc and rank > 1:
        return 0 if v == rank - 1 else v + 1
    return v


@register(
    "concat",
    params=(Param("axis", ("dim",), default="channels"),),
    aliases=("cat", "concatenate", "join"),
    inputs=None,
    zero_cost=True,
    example="concat(a, b, axis=channels)",
)
def concat(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Concatenation along an axis (channels by default, as Inception and DenseNet): sizes add up, no cost."""
    if len(inputs) < 2:
        raise ShapeError(f"concat needs at least two inputs, got {len(inputs)}", hint="e.g. concat(a, b)")
    rank = len(inputs[0])
    if any(len(x) != rank for x in inputs):
        raise ShapeError("concat cannot join shapes of different ranks: " + " and ".join(_shown(x, c) for x in inputs))
    axis = concat_axis(a, rank, c.layout)
    for x in inputs[1:]:
        if any(x[i] != inputs[0][i] for i in range(rank) if i != axis):
            listed = " and ".join(_shown(x, c) for x in inputs)
            raise ShapeError(f"concat cannot join {listed}: they must agree on every axis but the joined one")
    total = sum(x[axis] for x in inputs)
    c.step("joined axis", " + ".join(str(x[axis]) for x in inputs), total)
    out = list(inputs[0])
    out[axis] = total
    c.out(out)


@register("matmul", aliases=("bmm", "mm", "matrixmultiply"), inputs=2, example="matmul(a, b)")
def matmul(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Matrix product of two inputs, on their shapes as shown: ``(…, n, k) @ (…, k, m)`` gives ``(…, n, m)``.

    MACs ``n·k·m`` per leading index (FlopCounterMode's ``bmm``: ``2·b·n·k·m`` FLOPs).
    """
    x, y = (show_shape(s, c.layout) for s in inputs)
    if len(x) < 2 or len(y) < 2:
        raise ShapeError(f"matmul needs two matrices, got shapes {_shown(inputs[0], c)} and {_shown(inputs[1], c)}")
    n, k = x[-2:]
    k2, m = y[-2:]
    if k != k2:
        raise ShapeError(
            f"matmul cannot multiply {_shown(inputs[0], c)} by {_shown(inputs[1], c)}: inner sizes {k} and {k2} differ"
        )
    lead = broadcast_shown([x[:-2], y[:-2]], inputs, c, "matmul")
    out = (*lead, n, m)
    c.out(core_shape(out, c.layout))
    b = prod(lead)
    c.macs(b * n * k * m, f"{times([*lead, n, k, m])}")
