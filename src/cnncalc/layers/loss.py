"""Losses: what a training step computes after the model's outputs (``--loss``, :mod:`cnncalc.loss`).

No parameters and no multiply-accumulates: FlopCounterMode counts none, and under
``all`` each is the elementwise work it does. What autograd keeps for their
backward is :mod:`cnncalc.training`'s (``nll``: the log-probabilities, the
targets and a float32 total weight; ``mse``: the prediction and the target).

>>> from cnncalc.analyze import analyze_graph
>>> from cnncalc.graph import Graph, Node
>>> g = Graph((Node("x", "input", "x", (10,)), Node("t", "constant", "t", dtype="int64"),
...            Node("p", "logsoftmax", "p", (), (), ("x",)), Node("loss", "nll", "loss", (), (), ("p", "t"))))
>>> [r.flops for r in analyze_graph(g, flops="all").rows]   # log-softmax 3·10; one picked value
[0, 0, 30, 1]
"""

from __future__ import annotations

from cnncalc.errors import ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.registry import register

REDUCTIONS = ("mean", "sum", "none")
REDUCTION = Param("reduction", (), default="mean")


def _reduced(a: Args, c: Calc, each: Shape) -> None:
    """The loss's output: one number for the whole batch (``mean``, ``sum``), or one per ``each`` (``none``)."""
    if a.choice("reduction", REDUCTIONS) == "none":
        c.out(each)
    else:
        c.out(())
        c.batch_reduced = True


@register(
    "nll",
    params=(REDUCTION,),
    aliases=("nllloss", "nll_loss"),
    inputs=2,
    example="x = input(4, 10)\np = x -> logsoftmax\nt = input(4)\nnll(p, t)",
)
def nll(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The negative log-likelihood of class targets: ``−Σ logp[target]`` (over their number, for ``mean``).

    The first operand holds the log-probabilities (a log-softmax's output), the
    second one class index per target: the first's elements are the targets
    times the classes. Under ``all`` one FLOP per target (its value picked and
    summed). Cross-entropy is a log-softmax followed by it, as PyTorch computes
    ``F.cross_entropy``.
    """
    logp, targets = inputs
    n, total = prod(targets), prod(logp)
    if n == 0 or total % n:
        raise ShapeError(f"nll takes one target per row of log-probabilities: {total:,} values for {n:,} targets")
    c.note(f"{n:,} target{'s' if n != 1 else ''} of {total // n:,} classes")
    _reduced(a, c, targets)
    c.elementwise(n, f"{fmt(n)} (one log-probability picked per target, summed)")


@register(
    "mse",
    params=(REDUCTION,),
    aliases=("mseloss", "mse_loss", "l2loss"),
    inputs=2,
    example="y = input(4, 10)\nt = input(4, 10)\nmse(y, t)",
)
def mse(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The mean squared error between a prediction and a target of its shape: ``Σ (y − t)²`` over their number.

    Under ``all`` three FLOPs per element (the difference, its square, the sum).
    """
    y, t = inputs
    if prod(y) != prod(t):
        raise ShapeError(f"mse compares tensors of one size: {prod(y):,} and {prod(t):,} elements")
    _reduced(a, c, y)
    n = prod(y)
    c.elementwise(3 * n, f"3·{fmt(n)} (difference, square, sum)")
