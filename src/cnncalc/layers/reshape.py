"""Layers that move numbers without arithmetic: input, output, flatten, dropout, identity."""

from __future__ import annotations

from cnncalc.conventions import Layout, core_shape
from cnncalc.errors import ArgumentError
from cnncalc.layers.base import Args, Calc, Param, Shape, fmt, prod, register, times


@register(
    "input",
    params=(
        Param("shape", ("size",), positional=True, variadic=True, default=None),
        Param("layout", (), default="hwc"),
    ),
    inputs=0,
    zero_cost=True,
    example="input(32,32,3)",
)
def input_(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The input: its shape as written, channels last (``input(32,32,3)``), or ``layout=chw``."""
    shape = a.raw("shape")
    if shape is None:
        raise ArgumentError("input needs a shape", hint="write input(32,32,3) or give --input 32,32,3")
    if len(shape) == 1 and isinstance(shape[0], tuple):
        shape = shape[0]
    if not shape:
        raise ArgumentError("input needs a shape, got an empty one", hint="write input(32,32,3)")
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ArgumentError(f"input sizes must be positive whole numbers (got {n!r})")
    layout = Layout(a.choice("layout", [m.value for m in Layout]))
    c.out(core_shape(tuple(shape), layout))
    c.step("size", times(shape), prod(shape))


@register("output", aliases=("out", "result"), zero_cost=True)
def output(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The network's output: passes its input through."""
    c.out(inputs[0])


@register("identity", aliases=("noop",), zero_cost=True)
def identity(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Passes its input through unchanged."""
    c.out(inputs[0])


@register(
    "dropout",
    params=(Param("rate", ("p", "r"), positional=True, default=0.5),),
    aliases=("drop", *(f"dropout{n}d" for n in (1, 2, 3)), "spatialdropout", "alphadropout"),
    zero_cost=True,
    example="dropout(0.2)",
)
def dropout(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Dropout: identity at inference, no parameters, no FLOPs counted."""
    a.float("rate", low=0.0, high=1.0)
    c.out(inputs[0])


@register("flatten", aliases=("flat",), zero_cost=True)
def flatten(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Flatten: ``(C, *S)`` to one vector; the explanation shows the product."""
    (x,) = inputs
    n = c.step("output", c.shown(x), prod(x))
    c.out((n,))
    if len(x) > 1:
        c.note(f"multiplies {c.shown(x)} = {fmt(n)}")
