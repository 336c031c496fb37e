"""Activations. Given a size, ``softmax(10)`` is a dense layer of 10 followed by softmax (seed 001)."""

from __future__ import annotations

from cnncalc.errors import ArgumentError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.dense import dense_arith
from cnncalc.layers.elementwise import ACTIVATION_FLOPS, ACTIVATIONS, activation_cost
from cnncalc.layers.registry import register

ACT_PARAMS = (
    Param("units", ("n", "out"), positional=True, default=None),
    Param("bias", ("use_bias", "b"), default=True),
    Param("flatten", (), default=None),
)
EXTRA = {
    "leakyrelu": (Param("alpha", ("negative_slope", "slope"), default=0.01),),
    "elu": (Param("alpha", (), default=1.0),),
    "celu": (Param("alpha", (), default=1.0),),
    "softmax": (Param("axis", ("dim",), default=-1),),
    "logsoftmax": (Param("axis", ("dim",), default=-1),),
    "gelu": (Param("approximate", (), default="none"),),
}


def check_options(a: Args, name: str) -> None:
    """Options that change no figure must still be of the right kind, never silently ignored."""
    if a.raw("units") is None:
        for word in ("bias", "flatten"):
            if a.has(word):
                raise ArgumentError(
                    f"'{a.spelled.get(word, word)}' applies to {name} only with a size",
                    hint=f"e.g. {name}(10, {word}=false) is a dense layer of 10 followed by {name}",
                )
    if a.has("alpha"):
        a.float("alpha")
    if a.has("axis"):
        a.int("axis", minimum=-(2**63))
    if a.raw("approximate") is not None:
        a.choice("approximate", ("none", "tanh"))


def make_activation(name: str):  # noqa: ANN201 - returns the kind function
    per = ACTIVATION_FLOPS[name]

    def activation(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
        (x,) = inputs
        check_options(a, name)
        if a.raw("units") is not None:
            c.note(f"{name}({a.raw('units')}) is a dense layer of {a.raw('units')} followed by {name}")
            dense_arith(a, x, c, a.int("units"))
            x = c.shape or x
        else:
            c.out(x)
        activation_cost(c, name, prod(x), label=False)

    activation.__doc__ = (
        f"{name}: shape unchanged, no parameters; {per} FLOP(s) per element under ``all``. "
        f"With a size, a dense layer followed by {name}."
    )
    activation.__name__ = name
    return activation


for _act in ACTIVATIONS:  # one kind per entry of the one activation table
    register(_act.name, params=ACT_PARAMS + EXTRA.get(_act.name, ()), aliases=_act.aliases, example=_act.name)(
        make_activation(_act.name)
    )


@register("prelu", params=(Param("shared", (), default=False),), example="prelu")
def prelu(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """PReLU: one learned slope per channel (``shared=true``: one in all)."""
    (x,) = inputs
    c.out(x)
    if a.bool("shared"):
        c.params(1, "one shared slope")
    else:
        c.params(x[0], f"one slope per channel ({x[0]})")
    c.elementwise(prod(x), fmt(prod(x)))
