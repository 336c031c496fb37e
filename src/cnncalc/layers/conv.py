"""Convolutions: conv 1d/2d/3d (chosen by the input's rank), depthwise and transposed."""

from __future__ import annotations

from cnncalc.conventions import axis_names
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.layers.base import Alias, Args, Calc, Param, Shape, Step, need_spatial, prod, register, times
from cnncalc.layers.elementwise import apply_activation
from cnncalc.layers.spatial import resolve_padding, spatial_out, transposed_along

WINDOW = (
    Param("kernel", ("f", "k", "kernel_size", "filter", "size"), positional=True),
    Param("stride", ("s", "strides"), default=1),
    Param("padding", ("p", "pad"), default=0),
    Param("dilation", ("d", "dilation_rate"), default=1),
)
CONV = (
    Param("filters", ("out_channels", "n", "c", "channels"), positional=True, required=True),
    *WINDOW,
    Param("groups", ("g",), default=1),
    Param("bias", ("use_bias", "b"), default=True),
    Param("activation", ("act",), default=None),
    Param("rank", (), default=None),
)


def window_args(a: Args, x: Shape, filters: int, groups: int, what: str) -> tuple[Shape, Shape, Shape]:
    """Kernel, stride and dilation per spatial axis of a convolution, after checking the kernel and groups."""
    nd = len(x) - 1
    if not a.has("kernel"):
        raise ArgumentError(f"{what} needs a kernel size", hint=f"e.g. {what}({filters}, f=3)")
    kernel, stride, dilation = a.size("kernel", nd), a.size("stride", nd), a.size("dilation", nd)
    if x[0] % groups or filters % groups:
        raise ShapeError(
            f"channels must be divisible by groups: {x[0]} input and {filters} output channels, groups={groups}",
            hint="pick groups dividing both",
        )
    return kernel, stride, dilation


def conv_arith(a: Args, x: Shape, c: Calc, filters: int, groups: int, what: str) -> None:
    """Shape, parameters and MACs of a convolution with ``filters`` outputs in ``groups`` groups."""
    cin, sizes = x[0], x[1:]
    kernel, stride, dilation = window_args(a, x, filters, groups, what)
    pads, same = resolve_padding(a, "padding", sizes, kernel, stride, dilation)
    out = spatial_out(c, sizes, kernel, stride, pads, dilation, same=same)
    c.out((filters, *out))
    per_group = cin // groups
    cin_txt = str(cin) if groups == 1 else f"({cin}/{groups})"
    bias = a.bool("bias")
    weights = filters * per_group * prod(kernel)
    per_filter = per_group * prod(kernel)
    parts = (Step("WE", f"{times(kernel)}·{cin_txt}", per_filter), Step("", f"{per_filter}·{filters}", weights))
    if bias:
        parts += (Step("Bias", f"1·{filters}", filters),)
        c.params(weights + filters, f"({times(kernel)}·{cin_txt} + 1)·{filters}", tensors=2, parts=parts)
    else:
        c.params(weights, f"{times(kernel)}·{cin_txt}·{filters}", parts=parts)
    c.macs(weights * prod(out), f"{filters}·({times(kernel)}·{cin_txt})·({times(out)})")
    if bias:
        c.elementwise(filters * prod(out), f"bias {filters}·{times(out)}")
    apply_activation(c, a.raw("activation"), filters * prod(out))


@register(
    "conv",
    params=CONV,
    aliases=(*(Alias(f"conv{n}d", "conv", (("rank", n),)) for n in (1, 2, 3)), "convolution", "cnn"),
    example="conv(16, f=5, s=1, p=2)",
)
def conv(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Convolution: ``floor((n − f + 2p)/s) + 1`` per axis; params ``(f·f·C_in/g + 1)·filters``.

    Leaves out nothing the seeds count; FLOPs under ``all`` add one per bias add.
    """
    (x,) = inputs
    _need_rank(x, a, "conv")
    conv_arith(a, x, c, a.int("filters"), a.int("groups"), "conv")


@register(
    "depthwise",
    params=(*WINDOW, Param("multiplier", ("depth_multiplier", "m"), default=1), *CONV[6:]),
    aliases=("dwconv", "depthwiseconv", "depthwiseconv2d", "dw"),
    example="dwconv(f=3, s=1, p=1)",
)
def depthwise(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Depthwise convolution: one group per input channel, ``multiplier`` filters each."""
    (x,) = inputs
    _need_rank(x, a, "depthwise")
    m = a.int("multiplier")
    c.step("filters", f"{x[0]}·{m}", x[0] * m)
    conv_arith(a, x, c, x[0] * m, x[0], "depthwise")


@register(
    "convtranspose",
    params=(*CONV, Param("output_padding", ("op", "out_padding"), default=0)),
    aliases=(
        *(Alias(f"convtranspose{n}d", "convtranspose", (("rank", n),)) for n in (1, 2, 3)),
        Alias("conv2dtranspose", "convtranspose", (("rank", 2),)),
        "deconv",
        "upconv",
        "transposedconv",
    ),
    example="deconv(16, f=2, s=2)",
)
def convtranspose(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Transposed convolution: ``(n−1)·s − p_begin − p_end + d·(k−1) + output_padding + 1`` per axis.

    MACs ``C_in·(C_out/g)·∏k·∏S_in``: every input position scatters one kernel.
    """
    (x,) = inputs
    _need_rank(x, a, "convtranspose")
    cin, sizes = x[0], x[1:]
    nd = len(sizes)
    filters, groups = a.int("filters"), a.int("groups")
    kernel, stride, dilation = window_args(a, x, filters, groups, "convtranspose")
    opad = a.size("output_padding", nd, minimum=0)
    pad = a.padding("padding", nd)
    out = []
    for i, (ax, n, k, s, d, op) in enumerate(zip(axis_names(nd), sizes, kernel, stride, dilation, opad)):
        if op >= max(s, d):
            raise ShapeError(f"output_padding {op} on axis {ax} must be smaller than the stride or dilation")
        if pad == "same":
            out.append(c.step(f"output {ax}", f"{n}·{s}", n * s))
            continue
        pb, pe = (0, 0) if pad == "valid" else pad[i]
        value = transposed_along(n, k, s, pb, pe, d, op)
        pads = f"2·{pb}" if pb == pe else f"{pb} − {pe}"
        formula = f"({n} − 1)·{s} − {pads} + {d}·({k} − 1) + {op} + 1"
        if value <= 0:
            raise ShapeError(f"the output on axis {ax} would be {value}", hint="use less padding")
        out.append(c.step(f"output {ax}", formula, value))
    c.out((filters, *out))
    per_group = filters // groups
    gtxt = str(filters) if groups == 1 else f"({filters}/{groups})"
    weights = cin * per_group * prod(kernel)
    bias = a.bool("bias")
    if bias:
        c.params(weights + filters, f"{cin}·{gtxt}·{times(kernel)} + {filters}", tensors=2)
    else:
        c.params(weights, f"{cin}·{gtxt}·{times(kernel)}")
    c.macs(weights * prod(sizes), f"{cin}·{gtxt}·{times(kernel)}·({times(sizes)})")
    if bias:
        c.elementwise(filters * prod(out), f"bias {filters}·{times(out)}")
    apply_activation(c, a.raw("activation"), filters * prod(out))


def _need_rank(x: Shape, a: Args, what: str) -> None:
    rank = a.optional_int("rank")
    if rank is not None and len(x) - 1 != rank:
        raise ShapeError(
            f"{what} was asked for {rank} spatial axes, but its input {x} has {len(x) - 1}",
            hint=f"write conv{len(x) - 1}d or just conv" if 1 < len(x) <= 4 else None,
        )
    need_spatial(x, what)
