"""What a traced model runs besides layers: the tensors it holds, tensors it creates, data it moves,
and operations no rule counts.

These kinds are made by the front-ends that read a model rather than the
notation (a PyTorch module, an ONNX file): each takes its output shape from
the front-end, as the framework computed it.
"""

from __future__ import annotations

from cnncalc.errors import ArgumentError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.registry import register

SHAPE = Param("shape", ("size",), positional=True, variadic=True, default=())


def _shape(a: Args) -> Shape:
    v = a.raw("shape")
    shape = v[0] if isinstance(v, tuple) and len(v) == 1 and isinstance(v[0], tuple) else v
    shape = shape if isinstance(shape, tuple) else (shape,)
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape):
        raise ArgumentError(f"a shape is whole numbers ≥ 0 (got {shape!r})")
    return tuple(shape)


@register(
    "tensor",
    params=(SHAPE,),
    aliases=("weights", "parameter"),
    inputs=0,
    zero_cost=True,
    view=True,
    example="tensor(64, 3)",
)
def tensor(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A tensor the model holds (a parameter, a buffer, a constant attribute), read by an operation.

    No arithmetic and no activation: its parameters are counted where the front-end gives them.
    """
    c.out(_shape(a))


@register("constant", params=(SHAPE, Param("op", (), default="")), inputs=0, zero_cost=True, example="constant(16, 16)")
def constant(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A tensor the forward creates (``torch.arange``, a mask of ones): it takes memory, no arithmetic."""
    c.out(_shape(a))


@register(
    "copy", params=(SHAPE, Param("op", (), default="")), inputs=None, zero_cost=True, example="copy(a, shape=(8, 8, 4))"
)
def copy(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Data moved without arithmetic into a new tensor (stack, pad, gather, repeat, index): no FLOPs."""
    c.out(_shape(a))
    if a.raw("op"):
        c.note(f"{a.raw('op')}: moves data, no arithmetic")


@register(
    "uncounted",
    params=(Param("op", (), positional=True, required=True), SHAPE),
    inputs=None,
    example="uncounted(a, op=solve, shape=(8, 8, 4))",
)
def uncounted(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """An operation cnncalc has no counting rule for: not in the MACs or FLOPs, and listed in the report."""
    c.out(_shape(a))
    c.note(f"{a.raw('op')} has no counting rule: it is not in the MACs or FLOPs")


@register("indexadd", inputs=2, example="indexadd(a, b)")
def indexadd(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The rows of a second tensor added into a first at indices (``index_add``: a mixture of experts gathering
    each expert's output back to its tokens): the first tensor's shape, one add per element added (``all`` only).

    No MACs: ``(8, 16)`` getting ``(3, 16)`` added in is 48 FLOPs under ``all``, 0 under ``seed`` and ``matmul``.
    """
    into, added = inputs
    c.out(into)
    c.elementwise(prod(added), f"add {fmt(prod(added))}")
