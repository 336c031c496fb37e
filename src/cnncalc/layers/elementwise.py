"""Elementwise work: the one table of activations, the arithmetic of pointwise ops, and reductions.

Every figure here is counted under the ``all`` convention only: FlopCounterMode
counts no elementwise operation, and neither do ``seed`` and ``matmul``.

>>> activation_name("lrelu"), ACTIVATION_FLOPS["softmax"]
('leakyrelu', 3)
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from cnncalc.conventions import core_shape, show_shape
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.registry import register


@dataclass(frozen=True, slots=True)
class Activation:
    """One activation function: its name, the other words for it, its FLOPs per element, PyTorch's operators.

    One evaluation of a pointwise function (or one comparison) is one FLOP;
    softmax is exp, a share of the sum and a divide: 3 per element.
    """

    name: str
    flops: int
    aliases: tuple[str, ...] = ()
    aten: tuple[str, ...] = ()


ACTIVATIONS: tuple[Activation, ...] = (
    Activation("relu", 1, ("rectifier",), ("relu", "threshold")),
    Activation("relu6", 1),  # PyTorch runs it as hardtanh(0, 6)
    Activation("leakyrelu", 1, ("leaky_relu", "lrelu"), ("leaky_relu",)),
    Activation("elu", 1, (), ("elu",)),
    Activation("selu", 1, (), ("selu",)),
    Activation("celu", 1, (), ("celu",)),
    Activation("gelu", 1, (), ("gelu",)),
    Activation("silu", 1, ("swish",), ("silu",)),
    Activation("mish", 1, (), ("mish",)),
    Activation("sigmoid", 1, ("logistic",), ("sigmoid",)),
    Activation("hardsigmoid", 1, (), ("hardsigmoid",)),
    Activation("tanh", 1, (), ("tanh",)),
    Activation("hardtanh", 1, (), ("hardtanh",)),
    Activation("hardswish", 1, (), ("hardswish",)),
    Activation("softplus", 1, (), ("softplus",)),
    Activation("softsign", 1),
    Activation("softmax", 3, (), ("_softmax", "_safe_softmax", "softmax")),
    Activation("logsoftmax", 3, ("log_softmax",), ("_log_softmax", "log_softmax")),
)
ACTIVATION_FLOPS: dict[str, int] = {a.name: a.flops for a in ACTIVATIONS}
ACTIVATION_WORDS: dict[str, str] = {w: a.name for a in ACTIVATIONS for w in (a.name, *a.aliases)}
ATEN_ACTIVATIONS: dict[str, str] = {op: a.name for a in ACTIVATIONS for op in a.aten}
NO_ACTIVATION = ("linear", "identity", "none")  # activation=linear: no activation at all (Keras' word)


def activation_name(word: object) -> str:
    """The canonical name of an activation fused into a layer (``activation=lrelu``), or an ArgumentError.

    ``linear``/``identity``/``none`` mean no activation. PReLU is refused: it
    learns a slope per channel, parameters a fused activation would not count.
    """
    key = str(word).lower()
    if key in NO_ACTIVATION:
        return "linear"
    if key == "prelu":
        raise ArgumentError(
            "prelu cannot be fused as activation=: it learns one slope per channel",
            hint="write it as a layer of its own, e.g. conv(16, f=3) -> prelu",
        )
    if key not in ACTIVATION_WORDS:
        near = difflib.get_close_matches(key, [*ACTIVATION_WORDS, *NO_ACTIVATION], n=3)
        raise ArgumentError(f"unknown activation '{word}'", hint=f"did you mean {' or '.join(near)}?" if near else None)
    return ACTIVATION_WORDS[key]


def activation_cost(c: Calc, name: str, size: int, *, label: bool = True) -> None:
    """Record ``name`` applied to ``size`` elements: its FLOPs per element, under ``all``."""
    per = ACTIVATION_FLOPS.get(name, 0)
    if per:
        body = f"{per}·{fmt(size)}" if per > 1 else fmt(size)
        c.elementwise(per * size, f"{name} {body}" if label else body)


def apply_activation(c: Calc, word: object, size: int) -> None:
    """Record a fused activation (``activation=relu``) on ``size`` outputs, if one is given."""
    if word is None:
        return
    name = activation_name(word)
    if name == "linear":
        return
    c.note(f"followed by {name}")
    activation_cost(c, name, size)


# ---------------------------------------------------------------- pointwise ops with several operands

# FLOPs per output element of the pointwise operators, under `all`: one arithmetic operation, comparison or
# function evaluation each, fused multiply-adds (addcmul, addcdiv, lerp) two.
POINTWISE_FLOPS: dict[str, int] = {
    **dict.fromkeys(
        "add sub rsub mul div neg pow sqrt rsqrt exp exp2 expm1 log log2 log10 log1p abs reciprocal sin cos tan "
        "asin acos atan sinh cosh atan2 erf erfc erfinv sign sgn floor ceil round trunc frac maximum minimum "
        "fmax fmin clamp clamp_min clamp_max fmod remainder floor_divide square eq ne lt le gt ge logical_not "
        "logical_and logical_or logical_xor bitwise_not bitwise_and bitwise_or bitwise_xor where masked_fill "
        "bernoulli isnan isinf nan_to_num hypot xlogy logaddexp sigmoid_backward".split(),
        1,
    ),
    **dict.fromkeys(("addcmul", "addcdiv", "lerp"), 2),
    "weight_norm": 3,  # w = g·v/‖v‖: a square and an add for the norm, a multiply by g/‖v‖, per element of v
}
# FLOPs per input element of the reductions, under `all`: one per element read (an add, a comparison, a
# bin); variance and standard deviation three (centre, square, sum).
REDUCE_FLOPS: dict[str, int] = {
    **dict.fromkeys(
        "sum mean amax amin max min prod argmax argmin logsumexp cumsum cumprod linalg_vector_norm norm any "
        "all topk kthvalue histc".split(),
        1,
    ),
    **dict.fromkeys(("var", "std", "var_mean", "std_mean"), 3),
    "aminmax": 2,  # a comparison for the least and one for the greatest
}


def broadcast_shown(shown: list[Shape], inputs: tuple[Shape, ...], c: Calc, what: str) -> Shape:
    """NumPy broadcasting of shapes as shown (``inputs`` name them in the message)."""
    rank = max(len(s) for s in shown)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shown if axis - rank + len(s) >= 0}
        big = sizes - {1}
        if len(big) > 1:
            listed = " and ".join(shown_text(x, c) for x in inputs)
            raise ShapeError(
                f"{what} cannot combine shapes {listed}: they differ on an axis and neither is 1",
                hint="the leading (batch) axes of a matmul must be equal or 1"
                if what == "matmul"
                else f"the inputs of {what} need equal (or broadcastable) shapes; a 1x1 conv can match the channels",
            )
        out.append(max(sizes))
    return tuple(out)


def shown_text(shape: Shape, c: Calc) -> str:
    return "(" + ", ".join(str(n) for n in show_shape(shape, c.layout)) + ")"


def broadcast(inputs: tuple[Shape, ...], c: Calc, what: str) -> Shape:
    """The shape of an elementwise op on ``inputs``: equal shapes, or NumPy broadcasting of shown shapes.

    Broadcasting is judged on the shapes as shown (channels last in hwc), as
    NumPy and PyTorch do on an NHWC or (L, d) tensor: ``(7, 7, 64)`` with ``(64,)`` works.
    """
    out = broadcast_shown([show_shape(x, c.layout) for x in inputs], inputs, c, what)
    return core_shape(out, c.layout)


def pointwise_cost(c: Calc, inputs: tuple[Shape, ...], op: str, per: int, words: str = "") -> Shape:
    """Set the broadcast output of ``op`` on ``inputs`` and record ``per`` FLOPs per output and extra operand.

    One operand (``neg``, ``exp``) is ``per`` per element; n operands combined
    pairwise (``add(a, b, c)``) are ``n − 1`` operations per element.
    """
    out = c.out(broadcast(inputs, c, op) if len(inputs) > 1 else inputs[0])
    n = prod(out)
    ops = max(len(inputs) - 1, 1) * per
    if len(set(inputs)) > 1:
        c.note("broadcasts " + " and ".join(shown_text(x, c) for x in inputs))
    words = words or op
    c.elementwise(ops * n, f"{ops}·{fmt(n)} {words}" if ops > 1 else f"{fmt(n)} {words}")
    return out


@register(
    "elementwise",
    params=(Param("op", ("operation", "fn"), positional=True, required=True),),
    aliases=("pointwise",),
    inputs=None,
    example="elementwise(a, b, op=sub)",
)
def elementwise(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A pointwise operation by name (``sub``, ``div``, ``exp``, ``where``): shape broadcast, no params.

    Under ``all`` one FLOP per output element and extra operand (``addcmul``,
    ``addcdiv``, ``lerp``: two); FlopCounterMode counts none.
    """
    op = str(a.raw("op")).lower()
    if op not in POINTWISE_FLOPS:
        near = difflib.get_close_matches(op, list(POINTWISE_FLOPS), n=3)
        raise ArgumentError(f"unknown pointwise op '{op}'", hint=f"did you mean {' or '.join(near)}?" if near else None)
    pointwise_cost(c, inputs, op, POINTWISE_FLOPS[op])


@register("zero", aliases=("zeros", "zeroize"), example="input(8,8,4) -> zero")
def zero(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Zeros of its input's shape, made as ``x.mul(0)``: the ``none`` edge of NAS-Bench-201's and DARTS' cells.

    No params; under ``all`` one FLOP per element (the product by 0); FlopCounterMode counts none.
    """
    pointwise_cost(c, inputs, "mul", 1, "mul by zero")


@register(
    "reduce",
    params=(
        Param("op", ("operation", "fn"), positional=True, required=True),
        Param("dims", ("dim", "axis", "axes"), default=None),
        Param("keepdim", ("keepdims",), default=False),
        Param("batch", (), default=False),
    ),
    aliases=("reduction",),
    example="reduce(mean, dims=0)",
)
def reduce(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """A reduction (``sum``, ``mean``, ``amax``, ``var``) over axes of the shape as shown (None: all of them).

    ``batch=true`` reduces over the batch too: one result for the whole batch (a step's loss).
    Under ``all`` one FLOP per input element (variance and standard deviation three).
    """
    (x,) = inputs
    op = str(a.raw("op")).lower()
    if op not in REDUCE_FLOPS:
        near = difflib.get_close_matches(op, list(REDUCE_FLOPS), n=3)
        raise ArgumentError(f"unknown reduction '{op}'", hint=f"did you mean {' or '.join(near)}?" if near else None)
    shown = show_shape(x, c.layout)
    dims = a.raw("dims")
    axes = range(len(shown)) if dims is None else (dims if isinstance(dims, tuple) else (dims,))
    picked = set()
    for d in axes:
        if isinstance(d, bool) or not isinstance(d, int) or not -len(shown) <= d < max(len(shown), 1):
            raise ArgumentError(f"reduce's dims must be axes from 0 to {len(shown) - 1} (got {dims!r})")
        picked.add(d % max(len(shown), 1))
    keep = a.bool("keepdim")
    out = (
        tuple(1 if i in picked else n for i, n in enumerate(shown))
        if keep
        else tuple(n for i, n in enumerate(shown) if i not in picked)
    )
    c.out(core_shape(out, c.layout))
    if a.bool("batch"):
        if dims is not None or keep:
            raise ArgumentError("reduce over the batch (batch=true) takes every axis: leave dims and keepdim out")
        c.batch_reduced = True
    per = REDUCE_FLOPS[op]
    n = prod(x)
    c.elementwise(per * n, f"{op} {per}·{fmt(n)}" if per > 1 else f"{op} {fmt(n)}")


@register(
    "sort",
    params=(Param("length", ("axis_length", "n"), positional=True, required=True),),
    aliases=("argsort",),
    example="sort(64)",
)
def sort(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Sorting along an axis of ``length`` L: ``⌈log₂ L⌉`` comparisons per element (a merge sort's depth).

    ``input(8, 64) -> sort(64)``: 512 elements, ``512·6 = 3,072`` comparisons (``⌈log₂ 64⌉ = 6``), counted
    under ``all`` only.
    """
    (x,) = inputs
    length = a.int("length")
    depth = max(1, math.ceil(math.log2(length))) if length > 1 else 0
    c.out(x)
    n = prod(x)
    c.elementwise(n * depth, f"{fmt(n)}·{depth} (comparisons per element, ⌈log₂ {length}⌉)")
