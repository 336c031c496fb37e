"""Fully connected layers: dense / fc / linear, with or without bias."""

from __future__ import annotations

from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, Step, fmt, prod
from cnncalc.layers.elementwise import apply_activation
from cnncalc.layers.registry import Alias, register

DENSE = (
    Param("units", ("out_features", "n", "neurons", "out"), positional=True, required=True),
    Param("bias", ("use_bias", "b"), default=True),
    Param("activation", ("act",), default=None),
    Param("flatten", (), default=None),
    Param("trainable", ("requires_grad",), default=True),
    Param("tied", ("shared",), default=False),
    Param("tp", ("parallel", "tp_plan"), default=None),
)


def dense_arith(a: Args, x: Shape, c: Calc, units: int) -> None:
    """A dense layer of ``units`` on input ``x``: params ``(in + 1)·out``, MACs ``in·out`` per position.

    A flat input is used as it is. An input with spatial axes is flattened
    first, as the seeds do (``fc(128)`` after ``(24, 24, 5)`` sees 2,880
    inputs), except a two-axis ``(L, d)`` sequence, where the layer applies to
    every position's ``d`` features as in PyTorch and Keras; ``flatten=`` overrides.
    """
    tp_style(a)
    flatten = a.raw("flatten")
    flatten = (len(x) > 2) if flatten is None else a.bool("flatten")
    if len(x) == 1 or flatten:
        n_in = c.step("inputs", c.shown(x) if len(x) > 1 else "", prod(x))
        if len(x) > 1:
            c.note(f"flattens its input first: {c.shown(x)} = {fmt(n_in)}")
        positions = 1
        c.out((units,))
    else:
        n_in, positions = x[0], prod(x[1:])
        c.note(f"applied at each of {fmt(positions)} positions to {n_in} features")
        c.out((units, *x[1:]))
    if a.raw("tied") is not None and a.bool("tied"):  # another layer's weights (tied embeddings): counted there
        c.macs(n_in * units * positions, f"{n_in}·{units}" + ("" if positions == 1 else f"·{positions}"))
        c.note("its weights are another layer's (tied): counted there")
        c.tied = True
        if a.bool("bias"):  # BERT's decoder: the weights are the embedding's, the bias its own
            c.params(units, f"{units} (bias)")
            c.elementwise(units * positions, f"bias {units}·{positions}")
    else:
        trainable = a.raw("trainable") is None or a.bool("trainable")
        linear_cost(c, n_in, units, positions, bias=a.bool("bias"), trainable=trainable)
    apply_activation(c, a.raw("activation"), units * positions)


def tp_style(a: Args) -> str | None:
    """The ``tp=`` a layer is given (how tensor parallelism splits it: colwise, rowwise, ...), checked."""
    word = a.raw("tp")
    if word is None:
        return None
    from cnncalc.parallel.plan import style_word

    return style_word(word, "tp=")


def linear_cost(
    c: Calc, n_in: int, units: int, positions: int = 1, *, bias: bool = True, trainable: bool = True
) -> None:
    """A linear map of ``n_in`` to ``units`` at ``positions`` positions.

    Params ``(in + 1)·out`` (``in·out`` without bias; non-trainable when frozen), MACs
    ``in·out`` per position, the bias add ``out`` per position under ``all`` only.
    """
    weights = Step("WE", f"{n_in}·{units}", n_in * units)
    if bias:
        parts = (weights, Step("Bias", f"1·{units}", units))
        c.params(n_in * units + units, f"({n_in} + 1)·{units}", tensors=2, trainable=trainable, parts=parts)
    else:
        c.params(n_in * units, f"{n_in}·{units}", trainable=trainable, parts=(weights,))
    c.quantizable += n_in * units
    pos = "" if positions == 1 else f"·{positions}"
    c.macs(n_in * units * positions, f"{n_in}·{units}{pos}")
    if bias:
        c.elementwise(units * positions, f"bias {units}{pos}")


@register(
    "dense",
    params=DENSE,
    aliases=("fc", "linear", "fullyconnected", "ip", "innerproduct", "mlp", Alias("fcwb", "dense", (("bias", True),))),
    example="fc(128)",
)
def dense(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Fully connected: params ``(in + 1)·out`` (seed 001: ``(400 + 1)·120 = 48,120``), FLOPs ``2·in·out``.

    ``FCwB`` always has a bias; ``FC = dense(bias=false)`` makes seed 003's FC.
    Bias additions are counted only under ``all``. ``trainable=false`` freezes it
    (its params count as non-trainable, as a LoRA base layer's); ``tied=true`` uses
    another layer's weights (a head tied to the embedding): no params but its bias, the same MACs.
    ``tp=colwise`` (or ``rowwise``, ``colwise_gather``, ``replicate``) says how tensor parallelism splits it
    under ``--parallel tp=N`` (docs/parallel.md).
    """
    dense_arith(a, inputs[0], c, a.int("units"))
