"""Layers that read several inputs: add, mul (elementwise, broadcasting), concat, matmul.

Their inputs are node references (``add(a, b)``); the front-ends put them in
``Node.inputs``, never in the arguments.
"""

from __future__ import annotations

from cnncalc.conventions import Layout, core_shape, show_shape
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, prod, times
from cnncalc.layers.elementwise import broadcast_shown, pointwise_cost, shown_text
from cnncalc.layers.registry import register


def _elementwise(inputs: tuple[Shape, ...], c: Calc, what: str, sign: str) -> None:
    if len(inputs) < 2:
        raise ShapeError(f"{what} needs at least two inputs, got {len(inputs)}", hint=f"e.g. {what}(a, b)")
    pointwise_cost(c, inputs, what, 1, sign)


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
        raise ShapeError(
            "concat cannot join shapes of different ranks: " + " and ".join(shown_text(x, c) for x in inputs)
        )
    axis = concat_axis(a, rank, c.layout)
    for x in inputs[1:]:
        if any(x[i] != inputs[0][i] for i in range(rank) if i != axis):
            listed = " and ".join(shown_text(x, c) for x in inputs)
            raise ShapeError(f"concat cannot join {listed}: they must agree on every axis but the joined one")
    total = sum(x[axis] for x in inputs)
    c.step("joined axis", " + ".join(str(x[axis]) for x in inputs), total)
    out = list(inputs[0])
    out[axis] = total
    c.out(out)


@register(
    "matmul",
    params=(Param("bias", ("add",), default=False),),
    aliases=("bmm", "mm", "matrixmultiply"),
    inputs=2,
    example="matmul(a, b)",
)
def matmul(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Matrix product of two inputs, on their shapes as shown: ``(…, n, k) @ (…, k, m)`` gives ``(…, n, m)``.

    MACs ``n·k·m`` per leading index (FlopCounterMode's ``bmm``: ``2·b·n·k·m`` FLOPs); a vector operand
    is a matrix of one row or column (``mv``, ``dot``). ``bias=true`` adds a term to every output
    (PyTorch's ``addmm``, ``baddbmm``), counted under ``all`` only.
    """
    x, y = (show_shape(s, c.layout) for s in inputs)
    if not x or not y:
        raise ShapeError(
            f"matmul needs two matrices, got shapes {shown_text(inputs[0], c)} and {shown_text(inputs[1], c)}"
        )
    vec_x, vec_y = len(x) == 1, len(y) == 1
    x = (1, *x) if vec_x else x
    y = (*y, 1) if vec_y else y
    n, k = x[-2:]
    k2, m = y[-2:]
    if k != k2:
        a_txt, b_txt = shown_text(inputs[0], c), shown_text(inputs[1], c)
        raise ShapeError(f"matmul cannot multiply {a_txt} by {b_txt}: inner sizes {k} and {k2} differ")
    lead = broadcast_shown([x[:-2], y[:-2]], inputs, c, "matmul") if len(x) > 2 or len(y) > 2 else ()
    out = (*lead, *(() if vec_x else (n,)), *(() if vec_y else (m,)))
    c.out(core_shape(out, c.layout))
    b = prod(lead)
    c.macs(b * n * k * m, f"{times([*lead, n, k, m])}")
    if a.bool("bias"):
        c.elementwise(b * n * m, f"bias {times([*lead, n, m])}")


@register(
    "groupedmm",
    params=(Param("groups", ("g",), default=None),),
    aliases=("grouped_mm",),
    inputs=2,
    example="groupedmm(a, b, groups=2)",
)
def groupedmm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A grouped matrix product (mixture-of-experts layers): each row of ``x`` meets one group's matrix.

    ``(M, K) @ (G, K, N)`` (rows split among G groups by offsets): ``M·K·N`` MACs,
    whatever the split; ``(G, M, K) @ (G, K, N)``: ``G·M·K·N``; ``(M, K) @ (K, N)``
    split along K into ``groups``: ``M·K·N`` MACs and a ``(G, M, N)`` output.
    """
    x, y = (show_shape(s, c.layout) for s in inputs)
    if len(x) == 2 and len(y) == 3:
        (rows, k), (g, k2, n) = x, y
        out: tuple[int, ...] = (rows, n)
        macs, text = rows * k * n, f"{rows}·{k}·{n}"
    elif len(x) == 3 and len(y) == 3:
        (g, rows, k), (_, k2, n) = x, y
        out, macs, text = (g, rows, n), g * rows * k * n, f"{g}·{rows}·{k}·{n}"
    elif len(x) == 2 and len(y) == 2:
        (rows, k), (k2, n) = x, y
        g = a.int("groups")
        out, macs, text = (g, rows, n), rows * k * n, f"{rows}·{k}·{n}"
    else:
        raise ShapeError(f"groupedmm takes (M, K) or (G, M, K) by (G, K, N) or (K, N), got {x} and {y}")
    if k != k2:
        raise ShapeError(f"groupedmm cannot multiply {x} by {y}: inner sizes {k} and {k2} differ")
    c.out(core_shape(out, c.layout))
    c.macs(macs, text)
