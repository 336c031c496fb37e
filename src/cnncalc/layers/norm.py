"""Normalisation: batch norm (γ, β trainable; running mean and variance as buffers)."""

from __future__ import annotations

from cnncalc.layers.base import Alias, Args, Calc, Param, Shape, fmt, prod, register


@register(
    "batchnorm",
    params=(
        Param("affine", ("scale", "center"), default=True),
        Param("eps", ("epsilon",), default=1e-5),
        Param("momentum", (), default=0.1),
        Param("track_running_stats", ("stats",), default=True),
    ),
    aliases=("bn", *(Alias(f"batchnorm{n}d", "batchnorm") for n in (1, 2, 3)), "batchnormalization"),
    example="bn",
)
def batchnorm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Batch norm over the channel axis: params ``2·C`` (γ, β), buffers ``2·C`` (running mean, variance).

    No MACs; under ``all`` 2 FLOPs per element (the folded scale and shift of inference).
    """
    (x,) = inputs
    a.float("eps", low=0.0, high=1.0)
    if a.raw("momentum") is not None:  # None: PyTorch's cumulative average
        a.float("momentum", low=0.0, high=1.0)
    c.out(x)
    ch = x[0]
    if a.bool("affine"):
        c.params(2 * ch, f"2·{ch} (γ and β per channel)")
    if a.bool("track_running_stats"):
        c.buffers(2 * ch, f"2·{ch} (running mean and variance)")
    c.elementwise(2 * prod(x), f"2·{fmt(prod(x))}")
