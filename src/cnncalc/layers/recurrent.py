"""Recurrent layers over a sequence ``(L, d)`` (core ``(d, L)``): LSTM, GRU and the plain RNN.

Parameters follow PyTorch's layout: per layer and direction ``W_ih (G·h × in)``,
``W_hh (G·h × r)`` and two bias vectors ``b_ih``, ``b_hh`` of ``G·h`` (G = 4
gates for LSTM, 3 for GRU, 1 for RNN), plus ``W_hr (r × h)`` for an LSTM with
``proj_size`` r. MACs are the matrix products at every time step; the bias
adds, the sum of the two products, the gate nonlinearities and the elementwise
state updates are counted under ``all`` only (FlopCounterMode counts the products alone).
"""

from __future__ import annotations

from cnncalc.conventions import Framework
from cnncalc.errors import ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape
from cnncalc.layers.registry import register

RNN_PARAMS = (
    Param("hidden", ("hidden_size", "units", "h"), positional=True, required=True),
    Param("num_layers", ("layers", "n"), default=1),
    Param("bidirectional", ("bi",), default=False),
    Param("bias", (), default=True),
    Param("batch_first", (), default=True),
    Param("dropout", (), default=0.0),
    Param("return_sequences", (), default=True),
)

# elementwise work per hidden unit and time step under `all`, besides the biases and the sum of the two
# products: LSTM 4 gate nonlinearities, tanh(c), f·c, i·g, o·tanh(c) and the add of c;
# GRU 3 gate nonlinearities, r·(W_hn·h + b_hn) and h' = n + z·(h − n) (a subtract, a product, an add); RNN tanh
STEP_OPS = {"lstm": 4 + 1 + 3 + 1, "gru": 3 + 1 + 3, "rnn": 1}


def sequence_of(x: Shape, what: str) -> tuple[int, int]:
    """``(features d, length L)`` of a sequence input, or a ShapeError saying what is expected."""
    if len(x) == 1:
        raise ShapeError(
            f"{what} needs a sequence (L, d), but it gets a flat vector of {x[0]:,}",
            hint="write input(L, d), e.g. input(20, 32), or put an embedding first",
        )
    if len(x) != 2:
        raise ShapeError(f"{what} needs a sequence (L, d), but it gets {len(x) - 1} spatial axes")
    return x[0], x[1]


def recurrent_arith(a: Args, x: Shape, c: Calc, name: str, gates: int) -> None:
    d, length = sequence_of(x, name)
    h = a.int("hidden")
    layers = a.int("num_layers")
    dirs = 2 if a.bool("bidirectional") else 1
    bias = a.bool("bias")
    # PyTorch keeps two bias vectors (b_ih, b_hh); Keras one, except a GRU with reset_after (its default)
    keras_one = c.framework is Framework.keras and not (name == "gru" and a.bool("reset_after"))
    biases = (1 if keras_one else 2) if bias else 0
    proj = a.int("proj_size", minimum=0) if a.has("proj_size") else 0
    if proj >= h and proj:
        raise ShapeError(f"proj_size {proj} must be smaller than hidden {h}")
    r = proj or h
    g = f"{gates}·" if gates > 1 else ""
    for layer in range(layers):
        n_in = d if layer == 0 else r * dirs
        per_dir = gates * h * n_in + gates * h * r + biases * gates * h + (proj * h)
        parts = [f"{g}{h}·{n_in}", f"{g}{h}·{r}"]
        if biases:
            parts.append(f"2·{g}{h}" if biases == 2 else f"{g}{h}")
        if proj:
            parts.append(f"{proj}·{h}")
        text = " + ".join(parts)
        formula = f"{dirs}·({text})" if dirs > 1 else text
        tensors = dirs * (2 + (2 if biases == 2 else biases) + (1 if proj else 0))  # W_ih, W_hh, the biases, W_hr
        c.params(dirs * per_dir, f"{formula} (layer {layer + 1})" if layers > 1 else formula, tensors=tensors)
        step = gates * h * n_in + gates * h * r + proj * h
        prj = f" + {proj}·{h}" if proj else ""
        c.macs(dirs * length * step, f"{dirs}·{length}·({g}{h}·{n_in} + {g}{h}·{r}{prj})".removeprefix("1·"))
    if a.bool("return_sequences"):
        c.out((r * dirs, length))
    else:  # Keras' return_sequences=False: the last step's hidden state, every step still computed
        c.out((r * dirs,))
        last = f"the last of {length} steps"
        c.step("output", f"{last}: {dirs}·{r}" if dirs > 1 else last, r * dirs)
        c.note(f"return_sequences=false: the output is the hidden state after the last of the {length} steps")
    vectors = {2: "two bias vectors (PyTorch's b_ih and b_hh)", 1: "one bias vector (Keras)", 0: "no bias"}[biases]
    c.note(f"{layers} layer(s), {dirs} direction(s), {length} time steps, {vectors}")
    steps = f"{h}·{length}·{dirs}·{layers}"
    per_step = h * length * dirs * layers
    c.elementwise(STEP_OPS[name] * per_step, f"gates and state {STEP_OPS[name]}·{steps}")
    c.elementwise(gates * per_step, f"sum of the two products {g}{steps}")
    if biases:
        c.elementwise(biases * gates * per_step, f"biases {biases}·{g}{steps}")


@register(
    "lstm",
    params=(*RNN_PARAMS, Param("proj_size", ("projection",), default=0)),
    example="lstm(128, num_layers=2, bidirectional=true)",
)
def lstm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """LSTM: params ``4·(h·in + h·r + 2h) (+ r·h)`` per layer and direction; output ``(L, r·directions)``.

    Example: ``input(10, 32) -> lstm(64)``: ``4·(64·32 + 64·64 + 2·64) = 25,088``
    params; MACs ``10·(4·64·32 + 4·64·64) = 245,760``. Leaves out the gate
    nonlinearities and cell updates (``all`` only) and the initial states.
    ``return_sequences=false`` (as Keras users write it) keeps only the last step's
    output, ``(r·directions,)``: ``lstm(64, return_sequences=false)`` gives ``(64,)``,
    with the same params and MACs, since every step is still computed.
    """
    recurrent_arith(a, inputs[0], c, "lstm", 4)


@register("gru", params=(*RNN_PARAMS, Param("reset_after", (), default=True)), example="gru(64)")
def gru(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """GRU: params ``3·(h·in + h·h + 2h)`` per layer and direction; MACs the same products per step.

    Example: ``input(10, 32) -> gru(64)``: ``3·(64·32 + 64·64 + 2·64) = 18,816`` params;
    MACs ``10·(3·64·32 + 3·64·64) = 184,320``. Leaves out the gates' nonlinearities and
    the reset product (``all`` only). ``return_sequences=false`` keeps the last step: ``(h,)``.
    """
    recurrent_arith(a, inputs[0], c, "gru", 3)


@register("rnn", params=RNN_PARAMS, aliases=("simplernn", "elman"), example="rnn(64)")
def rnn(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Plain (Elman) RNN with tanh: params ``h·in + h·h + 2h`` per layer and direction.

    Example: ``input(10, 32) -> rnn(64)``: ``64·32 + 64·64 + 2·64 = 6,272`` params; MACs
    ``10·(64·32 + 64·64) = 61,440``. ``return_sequences=false`` keeps the last step: ``(h,)``.
    """
    recurrent_arith(a, inputs[0], c, "rnn", 1)
