"""Pooling: max and average windows, global and adaptive pools, and the seeds' flat pool."""

from __future__ import annotations

import math

from cnncalc.conventions import Convention, axis_names
from cnncalc.errors import ShapeError
from cnncalc.layers.base import Alias, Args, Calc, Param, Shape, fmt, prod, register, times
from cnncalc.layers.spatial import check_pad_half, resolve_padding, spatial_out

SEED_ALL = (Convention.seed, Convention.all)

POOL = (
    Param("window", ("f", "k", "kernel", "kernel_size", "pool_size", "size"), positional=True, required=True),
    Param("stride", ("s", "strides"), default=None),
    Param("padding", ("p", "pad"), default=0),
    Param("dilation", ("d",), default=1),
    Param("ceil_mode", ("ceil",), default=False),
    Param("rank", (), default=None),
)


def pool_arith(a: Args, x: Shape, c: Calc, mode: str) -> None:
    """Shared by max and average pooling; ``mode`` is 'max' or 'avg'.

    A flat vector is seed 003's flat pool: the window slides along it as along one axis.
    """
    ceil_mode = a.bool("ceil_mode")
    flat = len(x) == 1
    channels, sizes = (1, x) if flat else (x[0], x[1:])
    nd = len(sizes)
    rank = a.optional_int("rank")
    if rank is not None and rank != nd:
        raise ShapeError(f"this pool was asked for {rank} spatial axes, but its input {x} has {nd}")
    kernel = a.size("window", nd)
    stride = a.size("stride", nd) if a.raw("stride") is not None else kernel
    dilation = a.size("dilation", nd)
    if mode == "avg" and any(d != 1 for d in dilation):
        raise ShapeError("average pooling has no dilation")
    pads, same = resolve_padding(a, "padding", sizes, kernel, stride, dilation)
    if not same:
        check_pad_half(pads, kernel, dilation)
    if flat:
        c.note(f"flat pool over a vector of {x[0]:,}: window {kernel[0]}, stride {stride[0]}")
    out = spatial_out(
        c,
        sizes,
        kernel,
        stride,
        pads,
        dilation,
        same=same,
        ceil_mode=ceil_mode,
        words=("window", "f"),
        names=("N",) if flat else None,
    )
    c.out(out if flat else (channels, *out))
    window = prod(kernel)
    outputs = channels * prod(out)
    shape_txt = times(out) if channels == 1 else f"{times(out)}·{channels}"
    c.flops_extra(outputs, f"{shape_txt} (1 per output)", (Convention.seed,))
    if mode == "max":
        c.elementwise((window - 1) * outputs, f"({window} − 1) comparisons · {fmt(outputs)} outputs")
    else:
        c.elementwise(window * outputs, f"{window} adds and divide · {fmt(outputs)} outputs")


@register(
    "maxpool",
    params=POOL,
    aliases=(
        "pool",
        "maxpooling",
        *(Alias(f"maxpool{n}d", "maxpool", (("rank", n),)) for n in (1, 2, 3)),
        "maxpooling2d",
    ),
    example="maxpool(2)",
)
def maxpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Max pooling: ``floor((n + 2p − k)/s) + 1`` per axis, stride defaulting to the window; no params.

    FLOPs: 1 per output under ``seed`` (the seeds' ``(H/S)·(W/S)·depth``), k−1 comparisons per output under ``all``.
    """
    pool_arith(a, inputs[0], c, "max")


@register(
    "avgpool",
    params=POOL,
    aliases=(
        "averagepool",
        "meanpool",
        "averagepooling",
        "averagepooling2d",
        *(Alias(f"avgpool{n}d", "avgpool", (("rank", n),)) for n in (1, 2, 3)),
    ),
    example="avgpool(2)",
)
def avgpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Average pooling: as max pooling; under ``all`` k adds-and-divide per output."""
    pool_arith(a, inputs[0], c, "avg")


def global_arith(x: Shape, c: Calc, mode: str) -> None:
    if len(x) == 1:
        raise ShapeError(f"a global pool needs spatial axes, but it gets a flat vector of {x[0]:,}")
    sizes = x[1:]
    c.step("output", f"{x[0]} (one value per channel over {times(sizes)})", x[0])
    c.out((x[0],))
    c.flops_extra(x[0], f"{x[0]} (1 per output)", (Convention.seed,))
    n = prod(sizes)
    if mode == "max":
        c.elementwise((n - 1) * x[0], f"({n} − 1)·{x[0]}")
    else:
        c.elementwise(n * x[0], f"{n}·{x[0]}")


@register(
    "globalavgpool",
    aliases=("gap", "globalaveragepooling2d", "globalavgpool2d", "globalaveragepool", "globalaveragepooling"),
)
def globalavgpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Global average pooling: ``(C, *S)`` to ``(C,)``."""
    global_arith(inputs[0], c, "avg")


@register("globalmaxpool", aliases=("gmp", "globalmaxpooling2d", "globalmaxpool2d", "globalmaxpooling"))
def globalmaxpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Global max pooling: ``(C, *S)`` to ``(C,)``."""
    global_arith(inputs[0], c, "max")


ADAPTIVE = (Param("output_size", ("size", "out"), positional=True, default=1),)


def adaptive_arith(a: Args, x: Shape, c: Calc, mode: str) -> None:
    """Adaptive pooling: window i on an axis of n spans ``floor(i·n/o)`` to ``ceil((i+1)·n/o)``."""
    if len(x) == 1:
        raise ShapeError(f"an adaptive pool needs spatial axes, but it gets a flat vector of {x[0]:,}")
    sizes = x[1:]
    target = a.size("output_size", len(sizes))
    window_sum = 1
    for ax, n, o in zip(axis_names(len(sizes)), sizes, target):
        c.step(f"output {ax}", "", o)
        # Σ_i ceil((i+1)·n/o) − floor(i·n/o) = n + o − gcd(n, o), in closed form (a loop over o can be huge)
        window_sum *= n + o - math.gcd(n, o)
    c.out((x[0], *target))
    outputs = x[0] * prod(target)
    c.flops_extra(outputs, f"{times(target)}·{x[0]} (1 per output)", (Convention.seed,))
    if mode == "max":
        c.elementwise(
            x[0] * (window_sum - prod(target)),
            f"{x[0]}·({window_sum} − {prod(target)}) (window − 1 comparisons per output)",
        )
    else:
        c.elementwise(x[0] * window_sum, f"{x[0]}·{window_sum} (window adds and divide per output)")


@register(
    "adaptiveavgpool",
    params=ADAPTIVE,
    aliases=("adaptiveavgpool1d", "adaptiveavgpool2d", "adaptiveavgpool3d"),
    example="adaptiveavgpool(1)",
)
def adaptiveavgpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Adaptive average pooling to a target size: ``(C, *S)`` to ``(C, *target)``."""
    adaptive_arith(a, inputs[0], c, "avg")


@register(
    "adaptivemaxpool",
    params=ADAPTIVE,
    aliases=("adaptivemaxpool1d", "adaptivemaxpool2d", "adaptivemaxpool3d"),
    example="adaptivemaxpool(1)",
)
def adaptivemaxpool(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Adaptive max pooling to a target size."""
    adaptive_arith(a, inputs[0], c, "max")
