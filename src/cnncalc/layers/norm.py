"""Normalisation: batch norm (γ, β trainable; running mean and variance as buffers)."""

from __future__ import annotations

from cnncalc.conventions import Framework, show_shape
from cnncalc.errors import ShapeError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape, fmt, prod
from cnncalc.layers.registry import Alias, register


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

    Under the keras convention the moving mean and variance are non-trainable
    parameters instead (``4·C`` params in all, as Keras' ``count_params()``).
    No MACs; under ``all`` 2 FLOPs per element (the folded scale and shift of inference).
    """
    (x,) = inputs
    a.float("eps", low=0.0, high=1.0)
    if a.raw("momentum") is not None:  # None: PyTorch's cumulative average
        a.float("momentum", low=0.0, high=1.0)
    c.out(x)
    ch = x[0]
    if a.bool("affine"):
        c.params(2 * ch, f"2·{ch} (γ and β per channel)", tensors=2)
    if a.bool("track_running_stats"):
        if c.framework is Framework.keras:
            c.params(2 * ch, f"2·{ch} (moving mean and variance, non-trainable)", trainable=False)
        else:
            c.buffers(2 * ch, f"2·{ch} (running mean and variance)")
    norm_cost(c, "batchnorm", prod(x))


# FLOPs per element under ``all``: one table for every normalisation, the notation's kinds and traced ops alike.
#   batch norm: the folded scale and shift of inference (2);
#   layer, group and instance norm: mean, centre, square, sum, scale (5), γ and β (+2);
#   RMS norm: square-and-add, scale (3), the weight (+1).
NORM_FLOPS = {"batchnorm": (2, 0), "layernorm": (5, 2), "groupnorm": (5, 2), "instancenorm": (5, 2), "rmsnorm": (3, 1)}


def norm_cost(c: Calc, kind: str, n: int, affine: bool = False, what: str = "") -> None:
    """Record a normalisation of ``n`` elements: its FLOPs per element from :data:`NORM_FLOPS`, under ``all``."""
    base, extra = NORM_FLOPS[kind]
    per = base + (extra if affine else 0)
    c.elementwise(per * n, f"{what}{per}·{fmt(n)}")


def normalize_flops(c: Calc, x: Shape, affine: bool, kind: str = "layernorm") -> None:
    """Record a layer, group or instance norm's elementwise FLOPs on ``x`` (counted under ``all`` only)."""
    norm_cost(c, kind, prod(x), affine)


def layernorm_params(c: Calc, n: int, affine: bool, bias: bool, what: str = "") -> None:
    """A layer norm's params over ``n`` features: ``2·n`` (γ, β), ``n`` without β, none without affine."""
    if affine and bias:
        c.params(2 * n, f"2·{n} (γ and β{what})", tensors=2)
    elif affine:
        c.params(n, f"{n} (γ{what})")


def _normalized_size(a: Args, x: Shape, c: Calc) -> int:
    """The size a layer norm normalises over: the features (channels) axis, or ``shape=`` as shown."""
    shape = a.raw("shape")
    if shape is None:
        return x[0]
    dims = shape if isinstance(shape, tuple) else (shape,)
    shown = show_shape(x, c.layout)
    if any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
        raise ShapeError(f"the normalised shape must be positive whole numbers (got {dims})")
    if tuple(shown[len(shown) - len(dims) :]) != tuple(dims):
        raise ShapeError(f"normalising over {dims} does not match the last axes of its input {shown}")
    return prod(dims)


@register(
    "layernorm",
    params=(
        Param("shape", ("normalized_shape",), positional=True, default=None),
        Param("eps", ("epsilon",), default=1e-5),
        Param("affine", ("elementwise_affine", "scale"), default=True),
        Param("bias", ("center",), default=True),
    ),
    aliases=("ln", "layernormalization"),
    example="layernorm",
)
def layernorm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Layer norm over each position's features: params ``2·d`` (γ, β); ViT-B: ``2·768 = 1,536``.

    No MACs (FlopCounterMode counts none); under ``all`` 5 FLOPs per element for
    the statistics and normalisation (mean, centre, square, sum, scale), plus 2 for γ and β.
    """
    (x,) = inputs
    c.out(x)
    n = _normalized_size(a, x, c)
    layernorm_params(c, n, a.bool("affine"), a.bool("bias"))
    normalize_flops(c, x, a.bool("affine"))


@register(
    "rmsnorm",
    params=(
        Param("shape", ("normalized_shape",), positional=True, default=None),
        Param("eps", ("epsilon",), default=1e-6),
        Param("affine", ("elementwise_affine", "weight", "scale"), default=True),
        Param("heads", ("per_head",), default=1),
    ),
    aliases=("rms", "rmsnormalization", "llamarmsnorm"),
    example="rmsnorm",
)
def rmsnorm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """RMS norm over each position's features (Llama, T5): params ``d`` (the weight γ), no β, no mean.

    ``input(16, 4096) -> rmsnorm``: params 4,096. No MACs; under ``all`` 3 FLOPs per
    element (square-and-add, scale), +1 for the weight. ``heads=h`` normalises each
    head's ``d/h`` features on its own with one weight of ``d/h`` (Qwen3's q_norm).
    """
    (x,) = inputs
    c.out(x)
    n = _normalized_size(a, x, c)
    heads = a.int("heads")
    if heads > 1:
        if n % heads:
            raise ShapeError(f"rmsnorm: {n} features do not split into {heads} heads")
        n //= heads
    if a.bool("affine"):
        c.params(n, f"{n} (γ)")
    normalize_flops(c, x, a.bool("affine"), "rmsnorm")


@register(
    "groupnorm",
    params=(
        Param("groups", ("num_groups", "g"), positional=True, required=True),
        Param("eps", ("epsilon",), default=1e-5),
        Param("affine", (), default=True),
    ),
    aliases=("gn",),
    example="groupnorm(32)",
)
def groupnorm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Group norm: channels in ``groups`` groups; params ``2·C`` (γ, β per channel), no buffers.

    No MACs; under ``all`` 5 FLOPs per element, 7 with γ and β, as layer norm.
    """
    (x,) = inputs
    g = a.int("groups")
    if x[0] % g:
        raise ShapeError(f"groupnorm: {x[0]} channels do not split into {g} groups", hint="pick a divisor")
    c.out(x)
    c.step("channels per group", f"{x[0]}/{g}", x[0] // g)
    if a.bool("affine"):
        c.params(2 * x[0], f"2·{x[0]} (γ and β per channel)", tensors=2)
    normalize_flops(c, x, a.bool("affine"), "groupnorm")


@register(
    "instancenorm",
    params=(
        Param("affine", (), default=False),
        Param("track_running_stats", ("stats",), default=False),
        Param("eps", ("epsilon",), default=1e-5),
    ),
    aliases=("in_norm", "instancenorm1d", "instancenorm2d", "instancenorm3d"),
    example="instancenorm(affine=true)",
)
def instancenorm(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Instance norm: each channel of each sample on its own; PyTorch's defaults have no params and no buffers.

    ``affine=true``: ``2·C`` params; ``track_running_stats=true``: ``2·C`` buffers. No MACs;
    under ``all`` 5 FLOPs per element, 7 with γ and β, as layer norm.
    """
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError("instancenorm needs spatial axes (or a sequence), got a flat vector")
    c.out(x)
    if a.bool("affine"):
        c.params(2 * x[0], f"2·{x[0]} (γ and β per channel)", tensors=2)
    if a.bool("track_running_stats"):
        c.buffers(2 * x[0], f"2·{x[0]} (running mean and variance)")
    normalize_flops(c, x, a.bool("affine"), "instancenorm")
