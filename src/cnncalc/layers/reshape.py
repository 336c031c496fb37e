"""Layers that move numbers without arithmetic: input, output, flatten, dropout, identity."""

from __future__ import annotations

from cnncalc.conventions import Layout, core_shape, show_shape
from cnncalc.errors import ArgumentError, ShapeError
from cnncalc.layers.base import Args, Calc, Param, Shape, fmt, prod, register, times


def _numbers(a: Args, name: str) -> tuple | None:
    """A variadic argument written any way: ``reshape(196, 768)``, ``reshape((196, 768))``, ``reshape(shape=192)``."""
    v = a.raw(name)
    if v is None or not isinstance(v, tuple):
        return None if v is None else (v,)
    return v[0] if len(v) == 1 and isinstance(v[0], tuple) else v


@register(
    "input",
    params=(
        Param("shape", ("size",), positional=True, variadic=True, default=None),
        Param("layout", (), default="hwc"),
        Param("scalar", (), default=False),
    ),
    inputs=0,
    zero_cost=True,
    example="input(32,32,3)",
)
def input_(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The input: its shape as written, channels last (``input(32,32,3)``), or ``layout=chw``; ``input(scalar=true)``
    is one number with no axes (a traced model's 0-d input, as a diffusion model's timestep)."""
    shape = _numbers(a, "shape")
    if a.bool("scalar"):
        if shape:
            raise ArgumentError(f"a scalar input has no axes (got the shape {shape})", hint="write input(scalar=true)")
        c.out(())
        c.step("size", "1", 1)
        return
    if shape is None:
        raise ArgumentError("input needs a shape", hint="write input(32,32,3) or give --input 32,32,3")
    if not shape:
        raise ArgumentError("input needs a shape, got an empty one", hint="write input(32,32,3)")
    shape = tuple(_size(n) for n in shape)
    layout = Layout(a.choice("layout", [m.value for m in Layout]))
    c.out(core_shape(tuple(shape), layout))
    c.step("size", times(shape), prod(shape))


def _size(n: object) -> int:
    """One input size: a positive whole number, also when written ``1e9`` (1,000,000,000) or ``32.0``."""
    if isinstance(n, float) and n.is_integer() and not isinstance(n, bool):
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        shown = f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else f"{n!r}"
        raise ArgumentError(f"input sizes must be positive whole numbers (got {shown})")
    return n


@register("output", aliases=("out", "result"), zero_cost=True, view=True)
def output(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The network's output: passes its input through."""
    c.out(inputs[0])


@register("identity", aliases=("noop",), zero_cost=True, view=True)
def identity(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Passes its input through unchanged."""
    c.out(inputs[0])


@register(
    "dropout",
    params=(Param("rate", ("p", "r"), positional=True, default=0.5),),
    aliases=("drop", *(f"dropout{n}d" for n in (1, 2, 3)), "spatialdropout", "alphadropout"),
    zero_cost=True,
    view=True,
    example="dropout(0.2)",
)
def dropout(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Dropout: identity at inference, no parameters, no FLOPs counted."""
    a.float("rate", low=0.0, high=1.0)
    c.out(inputs[0])


@register("flatten", aliases=("flat",), zero_cost=True, view=True)
def flatten(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Flatten: ``(C, *S)`` to one vector; the explanation shows the product."""
    (x,) = inputs
    n = c.step("output", c.shown(x), prod(x))
    c.out((n,))
    if len(x) > 1:
        c.note(f"multiplies {c.shown(x)} = {fmt(n)}")


# ---------------------------------------------------------------- rearranging (issue 5)


@register(
    "reshape",
    params=(Param("shape", ("size", "target_shape"), positional=True, variadic=True, required=True),),
    aliases=("view",),
    zero_cost=True,
    view=True,
    example="reshape(196, 768)",
)
def reshape(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Reshape to a shape as shown (channels last in hwc); one size may be -1. No arithmetic."""
    (x,) = inputs
    shape = _numbers(a, "shape")
    total = prod(x)
    if any(isinstance(n, bool) or not isinstance(n, int) or (n < 1 and n != -1) for n in shape):
        raise ArgumentError(f"reshape sizes must be positive whole numbers or one -1 (got {shape})")
    if list(shape).count(-1) > 1:
        raise ArgumentError("reshape takes at most one -1")
    known = prod([n for n in shape if n != -1])
    if -1 in shape:
        if total % known:
            raise ShapeError(f"reshape cannot fit {total:,} values into {shape}")
        shape = tuple(total // known if n == -1 else n for n in shape)
    if prod(shape) != total:
        raise ShapeError(f"reshape cannot turn {c.shown(x)} = {total:,} values into {times(shape)} = {prod(shape):,}")
    c.out(core_shape(tuple(shape), c.layout))


@register(
    "permute",
    params=(Param("dims", ("axes", "order"), positional=True, variadic=True, required=True),),
    zero_cost=True,
    view=True,
    example="permute(1, 0)",
)
def permute(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Reorder the axes of the shape as shown (no batch axis): ``permute(1, 0)`` swaps L and d."""
    (x,) = inputs
    shown = show_shape(x, c.layout)
    v = _numbers(a, "dims")
    dims = []
    for d in v:
        if isinstance(d, bool) or not isinstance(d, int) or not -len(shown) <= d < len(shown):
            raise ArgumentError(f"permute takes axis numbers from 0 to {len(shown) - 1} (got {v})")
        dims.append(d % len(shown))
    if sorted(dims) != list(range(len(shown))):
        raise ArgumentError(f"permute needs each of the {len(shown)} axes once (got {tuple(v)})")
    c.out(core_shape(tuple(shown[d] for d in dims), c.layout))


@register(
    "transpose",
    params=(
        Param("dim0", ("a",), positional=True, default=0),
        Param("dim1", ("b",), positional=True, default=1),
    ),
    zero_cost=True,
    view=True,
    example="transpose(0, 1)",
)
def transpose(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Swap two axes of the shape as shown (default the first two)."""
    (x,) = inputs
    shown = list(show_shape(x, c.layout))
    for name in ("dim0", "dim1"):
        d = a.raw(name)
        if isinstance(d, bool) or not isinstance(d, int) or not -len(shown) <= d < len(shown):
            raise ArgumentError(f"transpose's '{name}' must be an axis from 0 to {len(shown) - 1} (got {d!r})")
    i, j = a.raw("dim0") % len(shown), a.raw("dim1") % len(shown)
    shown[i], shown[j] = shown[j], shown[i]
    c.out(core_shape(tuple(shown), c.layout))


@register(
    "channelshuffle",
    params=(Param("groups", ("g",), positional=True, required=True),),
    aliases=("shuffle",),
    zero_cost=True,
    example="channelshuffle(2)",
)
def channelshuffle(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """ShuffleNet's channel shuffle: reorders channels between groups; shape unchanged, no arithmetic."""
    (x,) = inputs
    g = a.int("groups")
    if len(x) < 2 or x[0] % g:
        raise ShapeError(f"channelshuffle: {x[0]} channels do not split into {g} groups")
    c.out(x)


@register(
    "pixelshuffle",
    params=(Param("factor", ("upscale_factor", "r", "scale"), positional=True, required=True),),
    aliases=("depthtospace", "subpixel"),
    zero_cost=True,
    example="pixelshuffle(2)",
)
def pixelshuffle(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Pixel shuffle: ``(H, W, C·r²)`` to ``(H·r, W·r, C)``; no arithmetic."""
    (x,) = inputs
    r = a.int("factor")
    if len(x) != 3 or x[0] % (r * r):
        raise ShapeError(f"pixelshuffle({r}) needs an image whose channels divide by {r * r}, got {c.shown(x)}")
    c.step("channels", f"{x[0]}/{r}²", x[0] // (r * r))
    c.out((x[0] // (r * r), x[1] * r, x[2] * r))


@register(
    "upsample",
    params=(
        Param("scale", ("scale_factor", "factor", "size_factor"), positional=True, default=None),
        Param("size", ("output_size",), default=None),
        Param("mode", (), default="nearest"),
        Param("align_corners", (), default=None),
    ),
    aliases=("interpolate", "upsampling2d", "resize", "upsamplingnearest2d", "upsamplingbilinear2d"),
    example="upsample(2)",
)
def upsample(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Upsample / interpolate each spatial axis by ``scale`` (or to ``size``): no params, no MACs.

    Interpolation is elementwise work (``all`` only): 0 per output for nearest,
    ``2^axes`` weighted reads for (bi/tri)linear; FlopCounterMode counts none.
    """
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError("upsample needs spatial axes, got a flat vector")
    nd = len(x) - 1
    mode = a.choice("mode", ("nearest", "linear", "bilinear", "trilinear", "bicubic", "area", "nearest-exact"))
    if a.raw("size") is not None:
        out = a.size("size", nd)
    elif a.raw("scale") is not None:
        scale = a.raw("scale")
        scales = scale if isinstance(scale, tuple) else (scale,) * nd
        if len(scales) != nd or any(isinstance(s, bool) or not isinstance(s, (int, float)) or s <= 0 for s in scales):
            raise ArgumentError(f"'scale' must be a positive number or one per spatial axis (got {scale})")
        out = tuple(int(n * s) for n, s in zip(x[1:], scales))
    else:
        raise ArgumentError("upsample needs a scale, upsample(2), or a size, upsample(size=(56, 56))")
    c.out((x[0], *out))
    per = {"nearest": 0, "nearest-exact": 0, "area": 1, "bicubic": 4**nd}.get(mode, 2**nd)
    c.elementwise(per * prod((x[0], *out)), f"{per}·{fmt(prod((x[0], *out)))}")


@register(
    "zeropad",
    params=(Param("padding", ("p", "pad"), positional=True, default=1),),
    aliases=("zeropadding2d", "zeropad2d", "pad", "constantpad"),
    zero_cost=True,
    example="zeropad(1)",
)
def zeropad(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Zero padding of the spatial axes: ``p``, one per axis, or ``((begin, end), ...)``; no arithmetic."""
    (x,) = inputs
    if len(x) < 2:
        raise ShapeError("zeropad needs spatial axes, got a flat vector")
    pads = a.padding("padding", len(x) - 1)
    if isinstance(pads, str):
        raise ArgumentError("zeropad takes numbers, not 'same' or 'valid'")
    c.out((x[0], *(n + b + e for n, (b, e) in zip(x[1:], pads))))


@register(
    "select",
    params=(Param("index", ("position", "token", "i"), positional=True, default=0),),
    aliases=("firsttoken", "token", "pooler_token"),
    zero_cost=True,
    view=True,
    example="select(0)",
)
def select(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """One position of a sequence ``(L, d)`` as a vector ``(d,)``: the class token of ViT and BERT.

    ``select(0)`` on ``(197, 768)`` takes position 0, the class token: ``(768,)``; ``select(-1)``
    takes position ``197 − 1 = 196``, the last. No parameters, no arithmetic.
    """
    (x,) = inputs
    if len(x) != 2:
        raise ShapeError(f"select takes one position of a sequence (L, d), got {c.shown(x)}")
    i = a.int("index", minimum=-x[1])
    if i >= x[1]:
        raise ShapeError(f"select({i}) is past the end of a sequence of {x[1]}")
    if i < 0:  # counted from the end, as Python and PyTorch count
        c.step("position", f"{x[1]} − {-i}", x[1] + i)
    else:
        c.step("position", "", i)
    c.note(f"takes position {x[1] + i if i < 0 else i} of {x[1]} (counting from 0){', the first' if i == 0 else ''}")
    c.out((x[0],))


@register(
    "split",
    params=(
        Param("size", ("features", "n"), positional=True, required=True),
        Param("start", ("offset",), default=0),
    ),
    aliases=("chunk", "narrowfeatures"),
    zero_cost=True,
    view=True,
    example="split(32, start=32)",
)
def split(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """Features ``start`` to ``start + size`` of each position (a fused projection's query, key or value part).

    A view of its input, as ``torch.split`` gives: ``(L, 12288) -> split(4096, start=4096)`` is ``(L, 4096)``.
    """
    (x,) = inputs
    size, start = a.int("size"), a.int("start", minimum=0)
    if start + size > x[0]:
        raise ShapeError(f"split({size}, start={start}) is past the end of {x[0]} features")
    c.out((size, *x[1:]))


@register(
    "expand",
    params=(Param("times", ("n", "repeats"), positional=True, required=True),),
    aliases=("broadcast",),
    zero_cost=True,
    view=True,
    example="expand(128)",
)
def expand(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:
    """The features seen ``times`` times, without copying (``Tensor.expand``: one rotary key shared by every head).

    ``(L, 64) -> expand(128)`` is ``(L, 8192)``, no storage of its own.
    """
    (x,) = inputs
    n = a.int("times")
    c.out((x[0] * n, *x[1:]))
