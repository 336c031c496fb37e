"""Mixture of experts: a router picks ``k`` of ``E`` experts for each position; only theirs run.

The parts a mixture-of-experts layer is made of, as Hugging Face's batched
experts run them: the router's scores (a dense layer, then softmax or sigmoid),
``topk`` (the picked experts' weights), ``dispatch`` (each position copied
once per picked expert), ``expertdense`` (every copy meets its expert's matrix)
and ``combine`` (the weighted sum back to one vector per position). The
composite ``moe`` (:mod:`cnncalc.layers.decoder`) puts them together.

A routed tensor is ``(d, k, L)``: features, the k picks, positions.
"""

from __future__ import annotations

from cnncalc.errors import ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.registry import register


@register(
    "topk",
    params=(
        Param("k", ("top_k", "num_experts_per_tok"), positional=True, required=True),
        Param("normalize", ("norm_topk_prob",), default=False),
        Param("correction", ("e_score_correction_bias",), default=False),
    ),
    aliases=("router", "topkrouter"),
    example="topk(2, normalize=true)",
)
def topk(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The router's pick: the ``k`` best of ``E`` scores per position, ``(E, L)`` to ``(k, L)``; no MACs.

    Under ``all`` one comparison per score, and with ``normalize`` the picked
    weights summed and divided (``2·k`` per position). ``correction=true``: a
    buffer of ``E`` biases added to the scores before the pick (DeepSeek-V3).
    ``input(128, 8) -> topk(2)``: ``(128, 2)``, ``8·128 = 1,024`` comparisons.
    """
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError(f"topk reads router scores (L, E), got a flat vector of {x[0]:,}")
    experts, positions = x[0], prod(x[1:])
    k = a.int("k")
    if k > experts:
        raise ShapeError(f"topk: the router picks {k} of {experts} experts", hint=f"k must be at most {experts}")
    c.out((k, *x[1:]))
    c.elementwise(experts * positions, f"{experts}·{fmt(positions)} comparisons")
    if a.bool("normalize"):
        c.elementwise(2 * k * positions, f"normalise 2·{k}·{fmt(positions)}")
    if a.bool("correction"):
        c.buffers(experts, f"{experts} (score correction biases)")
        c.elementwise(experts * positions, f"correction {experts}·{fmt(positions)}")


@register(
    "dispatch",
    params=(Param("k", ("top_k",), positional=True, required=True),),
    aliases=("route",),
    zero_cost=True,
    example="dispatch(2)",
)
def dispatch(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Each position copied once per picked expert: ``(d, L)`` to ``(d, k, L)``; data moved, no arithmetic.

    Hugging Face's batched experts repeat every token ``k`` times (``repeat_interleave``).
    """
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError(f"dispatch reads a sequence (L, d), got a flat vector of {x[0]:,}")
    c.out((x[0], a.int("k"), *x[1:]))


@register(
    "expertdense",
    params=(
        Param("units", ("out_features", "n"), positional=True, required=True),
        Param("experts", ("num_experts", "e"), required=True),
        Param("top_k", ("k",), required=True),
        Param("bias", (), default=False),
        Param("tp", ("parallel",), default=None),
    ),
    aliases=("experts", "expertlinear"),
    example="dispatch(2) -> expertdense(64, experts=4, top_k=2)",
)
def expertdense(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """``E`` linear maps, one per expert; each routed copy ``(d, k, L)`` meets the matrix of the expert it was sent to.

    Params ``E·in·out`` (+ ``E·out`` bias); MACs ``in·out·k·L``, as Hugging Face's
    batched experts compute; the ``(E − k)/E`` share of the params a position does
    not use is its inactive part (Mixtral-8x7B: ``8·4096·28672`` params, 2 of 8
    experts active per token).
    """
    from cnncalc.layers.dense import tp_style

    tp_style(a)
    (x,) = inputs
    experts, k, units = a.int("experts"), a.int("top_k"), a.int("units")
    if len(x) < 3 or x[1] != k:
        raise ShapeError(
            f"expertdense reads routed copies (features, {k} picks, positions)", hint=f"put dispatch({k}) before it"
        )
    if k > experts:
        raise ShapeError(f"expertdense: {k} picks of {experts} experts")
    n_in, copies = x[0], prod(x[1:])
    c.out((units, *x[1:]))
    per = n_in * units + (units if a.bool("bias") else 0)
    c.params(experts * per, f"{experts}·" + (f"({n_in} + 1)·{units}" if a.bool("bias") else f"{n_in}·{units}"))
    c.macs(n_in * units * copies, f"{n_in}·{units}·{k}·{fmt(copies // k)}")
    if a.bool("bias"):
        c.elementwise(units * copies, f"bias {units}·{fmt(copies)}")
    c.inactive += (experts - k) * per
    c.quantizable += experts * n_in * units
    c.note(f"{experts} experts, {k} used per position: {fmt((experts - k) * per)} params idle for each")


@register(
    "combine",
    params=(),
    aliases=("expertsum",),
    inputs=2,
    example=(
        "x = input(10,32)\nw = x -> dense(4, bias=false) -> softmax -> topk(2)\n"
        "h = x -> dispatch(2) -> expertdense(32, experts=4, top_k=2)\ncombine(h, w)"
    ),
)
def combine(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The experts' outputs ``(d, k, L)`` weighted by the router's ``(k, L)`` and summed: ``(d, L)``; no MACs.

    Under ``all`` ``k·d·L`` products and ``(k − 1)·d·L`` additions.
    """
    x, w = inputs
    if len(x) < 3 or tuple(w) != tuple(x[1:]):
        raise ShapeError(f"combine reads routed outputs (d, k, L) and their weights (k, L), got {x} and {w}")
    d, k, positions = x[0], x[1], prod(x[2:])
    c.out((d, *x[2:]))
    c.elementwise(k * d * positions, f"weights {k}·{d}·{fmt(positions)}")
    c.elementwise((k - 1) * d * positions, f"sum {k - 1}·{d}·{fmt(positions)}")
