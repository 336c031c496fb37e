"""What an ONNX operator becomes in the Graph: a translation table, no arithmetic on counts.

Imported only by :mod:`cnncalc.frontends.onnx`. :data:`LOWER` maps an op type
(``Conv``, ``com.microsoft.FusedConv``) to a function of the node's attributes,
its input names and a :class:`Reader` (the shapes and known values of what it
reads) that returns the nodes it is made of (:class:`Op`): a core kind, its
arguments, the values it reads as data and those in its weight slots. Most
ops are one node; a fused op is the few nodes it fuses (``SkipLayerNormalization``
is an add and a layer norm), so its math is counted once.

Operators that only move data are in :mod:`cnncalc.frontends.onnx_shapes`;
anything in neither table is an ``uncounted`` node, listed in the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cnncalc.errors import ShapeError
from cnncalc.layers.elementwise import ACTIVATION_WORDS, POINTWISE_FLOPS, REDUCE_FLOPS

Shape = tuple[int, ...]


class Reader(Protocol):
    """What a lowering may ask about the values a node reads (by name; ``""`` is an absent optional input)."""

    def shape(self, name: str) -> Shape: ...
    def value(self, name: str) -> Any: ...  # a known small value (numpy), or None
    def is_weight(self, name: str) -> bool: ...  # made of the model's tensors only, no activation


@dataclass
class Op:
    """One node to add: its kind and arguments, the values it reads as data, and those in its weight slots.

    ``weights`` are counted as trainable parameters and ``buffers`` as buffers
    (running statistics, quantisation scales); ``lead`` leading axes of the
    operands are repetitions; ``shapes`` the operands as the kind reads them,
    when reordered; ``output`` the output as ONNX lays it out, when the kind's
    order differs; ``produces`` the value it makes (default: the node's first
    output) and ``extra`` the node's other outputs with their shapes;
    ``packed`` a stored tensor's logical shape and dtype (4-bit weights).
    """

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    operands: Sequence[str] = ()
    weights: Sequence[str] = ()
    buffers: Sequence[str] = ()
    lead: int = 0
    shapes: Sequence[Shape] | None = None
    output: Shape | None = None
    produces: str | None = None
    extra: dict[str, Shape] = field(default_factory=dict)
    packed: dict[str, tuple[Shape, str]] = field(default_factory=dict)
    label: str = ""


Lower = Callable[[dict[str, Any], list[str], list[str], Reader], list[Op]]


def _present(names: Sequence[str], i: int) -> str:
    return names[i] if len(names) > i and names[i] else ""


def _pairs(pads: Sequence[int], nd: int) -> tuple[tuple[int, int], ...]:
    """ONNX pads ``[x1_begin, x2_begin, …, x1_end, x2_end, …]`` as (begin, end) per axis."""
    pads = list(pads) or [0] * (2 * nd)
    if len(pads) != 2 * nd:
        raise ShapeError(f"pads {listed(pads)} does not give a begin and an end for each of {nd} spatial axes")
    return tuple((int(pads[i]), int(pads[i + nd])) for i in range(nd))


def _auto_pads(
    a: dict[str, Any], sizes: Shape, kernel: Shape, stride: Shape, dilation: Shape
) -> tuple[tuple[int, int], ...] | str:
    """The padding ``auto_pad`` asks for: SAME_UPPER is TensorFlow's 'same'; SAME_LOWER puts the extra first."""
    mode = a.get("auto_pad", "NOTSET")
    if mode == "VALID":
        return tuple((0, 0) for _ in sizes)
    if mode == "SAME_UPPER":
        return "same"
    if mode == "SAME_LOWER":
        pairs = []
        for n, k, s, d in zip(sizes, kernel, stride, dilation):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pairs.append((total - total // 2, total // 2))
        return tuple(pairs)
    return _pairs(a.get("pads", ()), len(sizes))


def listed(values: Sequence[Any], most: int = 8) -> str:
    """A list for a message, cut after ``most`` values: ``[1, 1, 1, 1, 1, 1, 1, 1, … 300,000 values]``.

    >>> listed([3, 3]), listed([1] * 300_000)
    ('[3, 3]', '[1, 1, 1, 1, 1, 1, 1, 1, … 300,000 values]')
    """
    values = list(values)
    if len(values) <= most:
        return str(values)
    return "[" + ", ".join(str(v) for v in values[:most]) + f", … {len(values):,} values]"


def _window(a: dict[str, Any], nd: int, name: str, default: int = 1) -> Shape:
    value = a.get(name)
    if value and len(value) != nd:
        raise ShapeError(f"attribute {name} {listed(value)} has {len(value)} values for {nd} spatial axes")
    return tuple(int(v) for v in value) if value else (default,) * nd


def _weight_fits(x: Shape, w: Shape, name: str, op: str, a: dict[str, Any], channels_at: int) -> int:
    """A convolution's weight against its input and attributes (ONNX's Conv and ConvTranspose refuse a
    mismatch at run time): the number of spatial axes. ``channels_at``: the weight axis that holds the
    input channels (1 for Conv, C/group; 0 for ConvTranspose, C)."""
    if len(w) < 3:
        raise ShapeError(f"{op}'s weight {name} has shape {w}: it needs (out, in, kernel…), at least 3 axes")
    nd = len(w) - 2
    if len(x) != len(w):
        raise ShapeError(f"{op} reads an input of shape {x} ({len(x)} axes) with a weight of {len(w)} axes {w}")
    kernel = a.get("kernel_shape")
    if kernel is not None and tuple(int(k) for k in kernel) != tuple(w[2:]):
        raise ShapeError(f"attribute kernel_shape {listed(kernel)} contradicts the weight {name}'s kernel {w[2:]}")
    groups = int(a.get("group", 1))
    expected = w[1] * groups if channels_at == 1 else w[0]
    if x[1] != expected:
        per = f"{w[1]} × group {groups}" if channels_at == 1 else f"its first axis, {w[0]}"
        raise ShapeError(f"the input has {x[1]} channels, but the weight {name} {w} reads {expected} ({per})")
    if channels_at == 1 and w[0] % groups:
        raise ShapeError(f"the weight {name} has {w[0]} filters, which group {groups} does not divide")
    if channels_at == 0 and w[0] % groups:
        raise ShapeError(f"the weight {name} reads {w[0]} channels, which group {groups} does not divide")
    return nd


def _bias_fits(g: Reader, name: str, units: int, op: str) -> None:
    if name and _numel(g.shape(name)) != units:
        raise ShapeError(f"{op}'s bias {name} has shape {g.shape(name)}, not the {units} values its output needs")


def _numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# ---------------------------------------------------------------- convolutions and linear layers


def _conv(a: dict[str, Any], i: list[str], o: list[str], g: Reader, activation: Any = None) -> list[Op]:
    x, w = g.shape(i[0]), g.shape(i[1])
    nd = _weight_fits(x, w, i[1], "Conv", a, 1)
    _bias_fits(g, _present(i, 2), w[0], "Conv")
    kernel = tuple(w[2:])
    stride, dilation = _window(a, nd, "strides"), _window(a, nd, "dilations")
    kw = {
        "filters": w[0],
        "kernel": kernel,
        "stride": stride,
        "padding": _auto_pads(a, x[-nd:], kernel, stride, dilation),
        "dilation": dilation,
        "groups": int(a.get("group", 1)),
        "bias": bool(_present(i, 2)),
        "rank": nd,
    }
    if activation is not None:
        kw["activation"] = activation
    return [Op("conv", kw, [i[0]], [i[1], _present(i, 2)], lead=len(x) - nd - 1)]


def _conv_transpose(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x, w = g.shape(i[0]), g.shape(i[1])
    nd, groups = _weight_fits(x, w, i[1], "ConvTranspose", a, 0), int(a.get("group", 1))
    _bias_fits(g, _present(i, 2), w[1] * groups, "ConvTranspose")
    kernel = tuple(w[2:])
    stride, dilation = _window(a, nd, "strides"), _window(a, nd, "dilations")
    opad = _window(a, nd, "output_padding", 0)
    if a.get("output_shape"):  # the pads follow from the output asked for
        pads = []
        for n, k, s, d, op, out in zip(x[-nd:], kernel, stride, dilation, opad, a["output_shape"][-nd:]):
            total = max(s * (n - 1) + op + (k - 1) * d + 1 - int(out), 0)
            lower = a.get("auto_pad") == "SAME_LOWER"
            pads.append((total - total // 2, total // 2) if lower else (total // 2, total - total // 2))
        padding: Any = tuple(pads)
    elif a.get("auto_pad") in ("SAME_UPPER", "SAME_LOWER"):
        padding = "same"
    else:
        padding = _pairs(a.get("pads", ()), nd) if a.get("auto_pad", "NOTSET") != "VALID" else ((0, 0),) * nd
    kw = {
        "filters": w[1] * groups,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": opad,
        "dilation": dilation,
        "groups": groups,
        "bias": bool(_present(i, 2)),
        "rank": nd,
    }
    return [Op("convtranspose", kw, [i[0]], [i[1], _present(i, 2)], lead=len(x) - nd - 1)]


def _gemm(a: dict[str, Any], i: list[str], o: list[str], g: Reader, activation: Any = None) -> list[Op]:
    x, w = g.shape(i[0]), g.shape(i[1])
    bias = _present(i, 2)
    if len(x) != 2 or len(w) != 2:
        raise ShapeError(f"Gemm multiplies two matrices; it reads shapes {x} and {w}")
    inner_a = x[0] if a.get("transA") else x[1]
    inner_b = w[1] if a.get("transB") else w[0]
    if inner_a != inner_b:
        raise ShapeError(
            f"Gemm cannot multiply {x} by {w}{' (transposed)' if a.get('transB') else ''}: {inner_a} ≠ {inner_b}"
        )
    if g.is_weight(i[1]) and not a.get("transA") and len(w) == 2:
        units = w[0] if a.get("transB") else w[1]
        if bias and g.is_weight(bias) and _numel(g.shape(bias)) not in (1, units):
            raise ShapeError(f"Gemm's bias {bias} has shape {g.shape(bias)}, which does not broadcast to {units}")
        kw: dict[str, Any] = {"units": units, "bias": bool(bias)}
        if activation is not None:
            kw["activation"] = activation
        return [Op("dense", kw, [i[0]], [i[1], bias], lead=len(x) - 1)]
    shapes = [x[::-1] if a.get("transA") else x, w[::-1] if a.get("transB") else w]
    return [Op("matmul", {"bias": bool(bias)}, [i[0], i[1]], [bias], shapes=shapes)]


def _matmul(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x, w = g.shape(i[0]), g.shape(i[1])
    if g.is_weight(i[1]) and not g.is_weight(i[0]) and len(w) == 2 and len(x) >= 1:
        if x[-1] != w[0]:
            raise ShapeError(f"MatMul cannot multiply {x} by the weight {i[1]} {w}: {x[-1]} ≠ {w[0]}")
        return [Op("dense", {"units": w[1], "bias": False, "flatten": False}, [i[0]], [i[1]], lead=len(x) - 1)]
    return [Op("matmul", {}, [i[0], i[1]])]


def _fused_matmul(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x, w = g.shape(i[0]), g.shape(i[1])

    def t(s: Shape, flag: Any) -> Shape:
        return (*s[:-2], s[-1], s[-2]) if flag and len(s) >= 2 else s

    if g.is_weight(i[1]) and len(w) == 2 and not a.get("transA"):
        units = w[0] if a.get("transB") else w[1]
        return [Op("dense", {"units": units, "bias": False, "flatten": False}, [i[0]], [i[1]], lead=len(x) - 1)]
    return [Op("matmul", {}, [i[0], i[1]], shapes=[t(x, a.get("transA")), t(w, a.get("transB"))])]


def _matmul_nbits(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """com.microsoft.MatMulNBits: a dense layer whose weight is stored packed, ``bits`` to a value."""
    x = g.shape(i[0])
    k, n, bits = int(a["K"]), int(a["N"]), int(a.get("bits", 4))
    bias = _present(i, 5)
    return [
        Op(
            "dense",
            {"units": n, "bias": bool(bias), "flatten": False},
            [i[0]],
            [i[1], bias],
            buffers=[_present(i, 2), _present(i, 3)],
            lead=len(x) - 1,
            packed={i[1]: ((n, k), f"int{bits}")},
        )
    ]


def _qlinear_conv(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """QLinearConv: the convolution on int8 values; its scales and zero points are buffers."""
    ops = _conv(a, [i[0], i[3], _present(i, 8)], o, g)
    ops[0].buffers = [n for n in (i[1], i[2], i[4], i[5], i[6], i[7]) if n]
    return ops


def _qlinear_matmul(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    ops = _matmul(a, [i[0], i[3]], o, g)
    ops[0].buffers = [n for n in (i[1], i[2], i[4], i[5], i[6], i[7]) if n]
    return ops


def _integer(base: Lower) -> Lower:
    """ConvInteger and MatMulInteger: the product on integers; the zero points are buffers."""

    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        ops = base(a, i[:2], o, g)
        ops[0].buffers = [n for n in i[2:] if n]
        return ops

    return lower


# ---------------------------------------------------------------- normalisation, pools, resizing


def _per_channel(g: Reader, names: Sequence[str], channels: int, op: str) -> None:
    """Each of ``names`` (a norm's scale, shift, statistics) holds one value per channel."""
    for name in names:
        if name and _numel(g.shape(name)) != channels:
            raise ShapeError(f"{op}'s {name} has shape {g.shape(name)}, not one value for each of {channels} channels")


def _batch_norm(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x = g.shape(i[0])
    if len(x) < 2 or len(i) < 5:
        raise ShapeError("BatchNormalization reads (N, C, …) and its scale, bias, mean and variance")
    _per_channel(g, i[1:5], x[1], "BatchNormalization")
    extra = {name: (x[1],) for name in o[1:] if name}  # training mode: the running statistics out
    return [
        Op(
            "batchnorm",
            {"affine": True, "momentum": None},
            [i[0]],
            [i[1], i[2]],
            buffers=[i[3], i[4]],
            lead=1 if len(x) > 1 else 0,
            extra=extra,
        )
    ]


def _layer_norm(kind: str) -> Lower:
    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x = g.shape(i[0])
        axis = int(a.get("axis", -1)) % len(x)
        kw: dict[str, Any] = {"shape": x[axis:], "affine": bool(_present(i, 1))}
        if kind == "layernorm":
            kw["bias"] = bool(_present(i, 2))
        stats = x[:axis] + (1,) * (len(x) - axis)
        extra = {name: stats for name in o[1:] if name}
        weights = [_present(i, 1), _present(i, 2)] if kind == "layernorm" else [_present(i, 1)]
        return [Op(kind, kw, [i[0]], weights, lead=axis, extra=extra)]

    return lower


def _skip_norm(kind: str) -> Lower:
    """com.microsoft.Skip(Simplified)LayerNormalization: the residual add (and a bias), then the norm."""

    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x = g.shape(i[0])
        total = f"{o[0]}#sum"
        bias = _present(i, 4 if kind == "layernorm" else 3)
        ops = [Op("elementwise", {"op": "add"}, [i[0], i[1], *([bias] if bias else [])], produces=total)]
        kw: dict[str, Any] = {"shape": x[-1:], "affine": True}
        weights = [i[2]]
        if kind == "layernorm":
            kw["bias"] = bool(_present(i, 3))
            weights.append(_present(i, 3))
        extra = {name: x for name in o[3:4] if name}
        ops.append(Op(kind, kw, [total], weights, lead=len(x) - 1, extra=extra))
        if len(o) > 3 and o[3]:
            ops[0].extra = {}
        return ops

    return lower


def _instance_norm(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    _per_channel(g, i[1:3], g.shape(i[0])[1], "InstanceNormalization")
    return [Op("instancenorm", {"affine": True}, [i[0]], [i[1], i[2]], lead=1)]


def _group_norm(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    return [Op("groupnorm", {"groups": int(a["num_groups"])}, [i[0]], [i[1], i[2]], lead=1)]


def _pool(kind: str) -> Lower:
    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x = g.shape(i[0])
        kernel = tuple(int(k) for k in a["kernel_shape"])
        nd = len(kernel)
        stride = _window(a, nd, "strides")
        dilation = _window(a, nd, "dilations")
        kw: dict[str, Any] = {
            "window": kernel,
            "stride": stride,
            "padding": _auto_pads(a, x[-nd:], kernel, stride, dilation),
            "ceil_mode": bool(a.get("ceil_mode", 0)),
            "rank": nd,
        }
        if kind == "maxpool":
            kw["dilation"] = dilation
        extra = {name: None for name in o[1:] if name}  # MaxPool's indices: the output's shape
        return [Op(kind, kw, [i[0]], lead=len(x) - nd - 1, extra=extra)]  # type: ignore[arg-type]

    return lower


def _global_pool(kind: str) -> Lower:
    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x = g.shape(i[0])
        return [Op(kind, {"output_size": (1,) * (len(x) - 2)}, [i[0]], lead=1)]

    return lower


def _resize(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x = g.shape(i[0])
    sizes = g.value(_present(i, 3)) if _present(i, 3) else None
    scales_name = _present(i, 2) if len(i) > 2 else _present(i, 1)
    if sizes is not None and sizes.ndim != 1:
        raise ShapeError(f"Resize's sizes must be a list of sizes, not a tensor of shape {sizes.shape}")
    factors: list[float] = []
    if sizes is not None and len(sizes):
        out = tuple(int(n) for n in sizes.ravel())
        axes = a.get("axes")
        if axes:  # opset 18: sizes for some axes only
            full = list(x)
            for ax, n in zip(axes, out):
                full[int(ax) % len(x)] = n
            out = tuple(full)
    else:
        scales = g.value(scales_name) if scales_name else a.get("scales")
        if scales is None:
            raise ShapeError("Resize's scales and sizes are computed when the model runs; cnncalc needs them known")
        factors = [float(s) for s in list(scales.ravel() if hasattr(scales, "ravel") else scales)]
        out = tuple(int(n * s) for n, s in zip(x, factors))
    if out[:2] != x[:2]:
        return [Op("copy", {"shape": out, "op": "Resize"}, [i[0]])]
    given = {"scale": tuple(factors[2:])} if factors else {"size": out[2:]}  # tools count a scale and a size apart
    return [Op("upsample", {**given, **_resize_mode(a, len(x) - 2)}, [i[0]], lead=1)]


def _resize_mode(a: dict[str, Any], spatial: int) -> dict[str, Any]:
    """Resize's mode in PyTorch's words (ONNX's linear is n-linear: bilinear on an image), and its corners."""
    mode = str(a.get("mode", "nearest"))
    if mode == "linear":
        found: dict[str, Any] = {"mode": {1: "linear", 2: "bilinear", 3: "trilinear"}.get(spatial, "linear")}
    else:
        found = {"mode": {"cubic": "bicubic"}.get(mode, "nearest")}
    if str(a.get("coordinate_transformation_mode", "")) == "align_corners":
        found["align_corners"] = True
    return found


# ---------------------------------------------------------------- recurrent layers and attention

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _recurrent(op: str) -> Lower:
    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x, w = g.shape(i[0]), g.shape(i[1])
        dirs = 2 if a.get("direction", "forward") == "bidirectional" else 1
        gates = GATES[op]
        hidden = int(a.get("hidden_size") or w[1] // gates)
        if len(x) != 3 or len(w) != 3:
            raise ShapeError(f"{op} reads a sequence (3 axes) and a weight W (3 axes); it gets {x} and {w}")
        if w != (dirs, gates * hidden, x[2]):
            raise ShapeError(
                f"{op}'s weight W {i[1]} is {w}, but {dirs} direction(s) of {gates}·{hidden} gates over "
                f"{x[2]} input features need {(dirs, gates * hidden, x[2])}"
            )
        r = g.shape(i[2])
        if r != (dirs, gates * hidden, hidden):
            raise ShapeError(f"{op}'s weight R {i[2]} is {r}, not {(dirs, gates * hidden, hidden)}")
        if _present(i, 3) and g.shape(i[3]) != (dirs, 2 * gates * hidden):
            raise ShapeError(f"{op}'s bias B {i[3]} is {g.shape(i[3])}, not {(dirs, 2 * gates * hidden)}")
        batch_first = bool(a.get("layout", 0))
        length, n = (x[1], x[0]) if batch_first else (x[0], x[1])
        kw = {"hidden": hidden, "bidirectional": dirs == 2, "bias": bool(_present(i, 3))}
        y = (n, length, dirs, hidden) if batch_first else (length, dirs, n, hidden)
        state = (n, dirs, hidden) if batch_first else (dirs, n, hidden)
        extra = {name: state for name in o[1:] if name}
        weights = [i[1], i[2], _present(i, 3)] + ([_present(i, 7)] if op == "LSTM" else [])
        return [
            Op(
                op.lower(),
                kw,
                [i[0]],
                weights,
                lead=1,
                shapes=[(n, x[2], length)],
                output=y,
                produces=o[0] or next((name for name in o if name), ""),
                extra={k: v for k, v in extra.items() if k != o[0]},
            )
        ]

    return lower


def _heads_shapes(shape: Shape, heads: int) -> Shape:
    """A sequence ``(B, L, H·E)`` or ``(B, H, L, E)`` as the sdpa kind reads it: ``(B, H, E, L)``."""
    if len(shape) == 4:
        return (shape[0], shape[1], shape[3], shape[2])
    if len(shape) != 3:
        raise ShapeError(f"attention reads (batch, length, features) or (batch, heads, length, features), not {shape}")
    b, length, d = shape
    if d % heads:
        raise ShapeError(f"{d} features do not split into {heads} heads")
    return (b, heads, d // heads, length)


def _attention(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """ONNX Attention (opset 23): scaled dot-product attention of Q, K and V (and a mask)."""
    q = g.shape(i[0])
    heads_q = int(a.get("q_num_heads", 1))
    heads_kv = int(a.get("kv_num_heads", heads_q))
    shapes = [_heads_shapes(q, heads_q), _heads_shapes(g.shape(i[1]), heads_kv), _heads_shapes(g.shape(i[2]), heads_kv)]
    mask = _present(i, 3)
    operands = [i[0], i[1], i[2]] + ([mask] if mask else [])
    if mask:
        shapes.append(g.shape(mask))
    ev = shapes[2][2]
    out = (q[0], q[1], q[2], ev) if len(q) == 4 else (q[0], q[1], heads_q * ev)
    kw = {"causal": bool(a.get("is_causal", 0)), "masked": bool(mask)}
    return [Op("sdpa", kw, operands, lead=2, shapes=shapes, output=out)]


def _ms_attention(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """com.microsoft.Attention: the packed Q, K, V projection, then scaled dot-product attention."""
    x, w = g.shape(i[0]), g.shape(i[1])
    heads = int(a["num_heads"])
    qkv = f"{o[0]}#qkv"
    sizes = a.get("qkv_hidden_sizes") or [w[1] // 3] * 3
    proj = Op("dense", {"units": w[1], "bias": bool(_present(i, 2)), "flatten": False}, [i[0]], [i[1], _present(i, 2)])
    proj.lead, proj.produces = len(x) - 1, qkv
    b, length = x[0], x[1]
    shapes = [_heads_shapes((b, length, int(s)), heads) for s in sizes]
    out = (b, length, int(sizes[2]))
    sdpa = Op("sdpa", {"masked": bool(_present(i, 3))}, [qkv, qkv, qkv], lead=2, shapes=shapes, output=out)
    return [proj, sdpa]


def _ms_multihead(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """com.microsoft.MultiHeadAttention on projected Q, K, V (the projections are nodes of their own)."""
    heads = int(a["num_heads"])
    q = g.shape(i[0])
    k_name, v_name = _present(i, 1) or i[0], _present(i, 2) or i[0]
    shapes = [_heads_shapes(q, heads), _heads_shapes(g.shape(k_name), heads), _heads_shapes(g.shape(v_name), heads)]
    out = (q[0], q[1], heads * shapes[2][2]) if len(q) == 3 else (q[0], q[2], q[1] * q[3])
    masked = bool(_present(i, 4) or _present(i, 5))
    return [Op("sdpa", {"masked": masked}, [i[0], k_name, v_name], lead=2, shapes=shapes, output=out)]


def _einsum(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """A two-operand Einsum as the matrix product it is: batch, free and contracted letters grouped."""
    equation = str(a["equation"]).replace(" ", "")
    m = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]*)", equation)
    if m is None or len(i) != 2:
        return []
    left, right, out = m.groups()
    x, y = g.shape(i[0]), g.shape(i[1])
    if len(left) != len(x) or len(right) != len(y):
        raise ShapeError(f"Einsum '{equation}' does not fit shapes {x} and {y}")
    size = {**dict(zip(left, x)), **dict(zip(right, y))}
    if any(c not in out and (c not in left or c not in right) for c in size):
        return []  # a letter summed within one operand: not a matrix product

    def n(letters: Sequence[str]) -> int:
        p = 1
        for c in letters:
            p *= size[c]
        return p

    batch = [c for c in out if c in left and c in right]
    contract = [c for c in left if c in right and c not in out]
    free_l = [c for c in out if c in left and c not in right]
    free_r = [c for c in out if c in right and c not in left]
    shapes = [(n(batch), n(free_l), n(contract)), (n(batch), n(contract), n(free_r))]
    return [Op("matmul", {}, [i[0], i[1]], shapes=shapes, output=tuple(size[c] for c in out))]


def _embedding_or_none(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    """Gather from a weight table by token ids: an embedding (other Gathers move data)."""
    table, ids = g.shape(i[0]), g.shape(i[1])
    if g.is_weight(i[0]) and len(table) == 2 and int(a.get("axis", 0)) == 0:
        kw = {"vocab": table[0], "dim": table[1]}
        return [Op("embedding", kw, [i[1]], [i[0]], lead=len(ids), shapes=[ids])]
    return []


# ---------------------------------------------------------------- elementwise work


def _activation(name: str) -> Lower:
    return lambda a, i, o, g: [Op(name, {}, [i[0]])]


def _bias_activation(name: str) -> Lower:
    """An activation with a fused bias add (FastGelu, BiasGelu): the activation, on the input's shape."""
    return lambda a, i, o, g: [Op(name, {}, [i[0]])]


def _clip(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    low = g.value(_present(i, 1)) if _present(i, 1) else a.get("min")
    high = g.value(_present(i, 2)) if _present(i, 2) else a.get("max")
    bounds = (_one_bound(low, "min"), _one_bound(high, "max"))
    if bounds == (0.0, 6.0):
        return [Op("relu6", {}, [i[0]])]
    if bounds == (0.0, None):
        return [Op("relu", {}, [i[0]])]
    return [Op("elementwise", {"op": "clamp"}, [i[0]])]


def _one_bound(bound: Any, which: str) -> float | None:
    """Clip's ``min`` or ``max``: one number (an input of one element, or the attribute), or None."""
    if bound is None:
        return None
    size = getattr(bound, "size", 1)
    if size != 1:
        raise ShapeError(f"Clip's {which} must be one number (got {size:,} values)")
    return float(bound.reshape(()) if hasattr(bound, "reshape") else bound)


def _prelu(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    x, slope = g.shape(i[0]), g.shape(i[1])
    shared = 1
    for d in slope:
        shared *= d
    return [Op("prelu", {"shared": shared == 1}, [i[0]], [i[1]], lead=1 if len(x) > 1 else 0)]


def _pointwise(op: str) -> Lower:
    return lambda a, i, o, g: [Op("elementwise", {"op": op}, [n for n in i if n])]


def _reduce(op: str) -> Lower:
    def lower(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
        x = g.shape(i[0])
        if _present(i, 1):  # opset 13 (ReduceSum) and 18 (the others) on: the axes are an input
            known = g.value(i[1])
            if known is None:
                raise ShapeError(f"{op}'s axes are computed when the model runs; cnncalc needs them known")
            axes: list[int] = [int(d) for d in known.ravel()]
        elif "axes" in a or "axis" in a:
            axes = [int(d) for d in (a["axes"] if "axes" in a else [a["axis"]])]
        else:
            axes = []
        if axes and not x:
            raise ShapeError(f"{op} over axes {axes} of a scalar (a tensor of no axes)")
        if not axes and a.get("noop_with_empty_axes"):
            return [Op("identity", {}, [i[0]])]
        keep = bool(a.get("keepdims", 1))
        spatial = len(x) >= 4 and sorted(d % len(x) for d in axes) == list(range(2, len(x)))
        if op == "mean" and keep and spatial:  # (N, C, H, W) → (N, C, 1, 1): PyTorch's adaptive_avg_pool2d(x, 1)
            return [Op("adaptiveavgpool", {"output_size": (1,) * (len(x) - 2)}, [i[0]], lead=1)]
        kw: dict[str, Any] = {"op": op, "keepdim": bool(a.get("keepdims", 1))}
        if axes:
            kw["dims"] = tuple(d % len(x) for d in axes)
        return [Op("reduce", kw, [i[0]])]

    return lower


def _cumsum(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    return [Op("reduce", {"op": "cumsum", "dims": ()}, [i[0]], output=g.shape(i[0]))]


def _concat(a: dict[str, Any], i: list[str], o: list[str], g: Reader) -> list[Op]:
    full = [n for n in i if n and g.shape(n) != (0,)]
    if len(full) < 2:
        return [Op("copy", {"shape": g.shape(full[0]) if full else (0,), "op": "Concat"}, full)]
    return [Op("concat", {"axis": int(a.get("axis", 0))}, full)]


POINTWISE = {
    **{op: op.lower() for op in "Add Sub Mul Div Pow Sqrt Reciprocal Exp Log Abs Neg Floor Ceil Round Sin Cos".split()},
    **{op: op.lower() for op in "Tan Asin Acos Atan Sinh Cosh Erf Sign Where".split()},
    "Max": "maximum",
    "Min": "minimum",
    "Sum": "add",
    "Mean": "add",
    "Equal": "eq",
    "Less": "lt",
    "Greater": "gt",
    "LessOrEqual": "le",
    "GreaterOrEqual": "ge",
    "Not": "logical_not",
    "And": "logical_and",
    "Or": "logical_or",
    "Xor": "logical_xor",
    "IsNaN": "isnan",
    "IsInf": "isinf",
    "Mod": "fmod",
    "BitwiseAnd": "bitwise_and",
    "BitwiseOr": "bitwise_or",
    "BitwiseXor": "bitwise_xor",
    "BitwiseNot": "bitwise_not",
}
"""ONNX's pointwise operators and their names in :data:`~cnncalc.layers.elementwise.POINTWISE_FLOPS`."""

REDUCE = {
    "ReduceMean": "mean",
    "ReduceSum": "sum",
    "ReduceMax": "amax",
    "ReduceMin": "amin",
    "ReduceProd": "prod",
    "ReduceL1": "norm",
    "ReduceL2": "norm",
    "ReduceSumSquare": "norm",
    "ReduceLogSumExp": "logsumexp",
    "ArgMax": "argmax",
    "ArgMin": "argmin",
}
"""ONNX's reductions and their names in :data:`~cnncalc.layers.elementwise.REDUCE_FLOPS`."""

ACTIVATION_OPS = tuple(
    "Relu LeakyRelu Elu Selu Celu Gelu Sigmoid HardSigmoid Tanh HardSwish Softplus Softsign Softmax "
    "LogSoftmax Mish".split()
)
"""ONNX's activations: each is the activation of the one table its lower-case name is a word of."""

MS = "com.microsoft."

LOWER: dict[str, Lower] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Einsum": _einsum,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm("layernorm"),
    "InstanceNormalization": _instance_norm,
    "GroupNormalization": _group_norm,
    "MaxPool": _pool("maxpool"),
    "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _global_pool("adaptiveavgpool"),
    "GlobalMaxPool": _global_pool("adaptivemaxpool"),
    "Resize": _resize,
    "Upsample": _resize,
    "LSTM": _recurrent("LSTM"),
    "GRU": _recurrent("GRU"),
    "RNN": _recurrent("RNN"),
    "Attention": _attention,
    "Gather": _embedding_or_none,
    "Clip": _clip,
    "PRelu": _prelu,
    "Concat": _concat,
    "CumSum": _cumsum,
    "QLinearConv": _qlinear_conv,
    "QLinearMatMul": _qlinear_matmul,
    "ConvInteger": _integer(_conv),
    "MatMulInteger": _integer(_matmul),
    **{op: _activation(ACTIVATION_WORDS[op.lower()]) for op in ACTIVATION_OPS},
    **{op: _pointwise(name) for op, name in POINTWISE.items()},
    **{op: _reduce(name) for op, name in REDUCE.items()},
    # com.microsoft: onnxruntime's fused operators, each lowered to the nodes it fuses
    MS + "FusedConv": lambda a, i, o, g: _conv(a, i, o, g, _fused_activation(a)),
    MS + "FusedGemm": lambda a, i, o, g: _gemm(a, i, o, g, _fused_activation(a)),
    MS + "FusedMatMul": _fused_matmul,
    MS + "MatMulNBits": _matmul_nbits,
    MS + "Gelu": _activation("gelu"),
    MS + "FastGelu": _bias_activation("gelu"),
    MS + "BiasGelu": _bias_activation("gelu"),
    MS + "QuickGelu": _activation("gelu"),
    MS + "SkipLayerNormalization": _skip_norm("layernorm"),
    MS + "SkipSimplifiedLayerNormalization": _skip_norm("rmsnorm"),
    MS + "SimplifiedLayerNormalization": _layer_norm("rmsnorm"),
    MS + "LayerNormalization": _layer_norm("layernorm"),
    MS + "Attention": _ms_attention,
    MS + "MultiHeadAttention": _ms_multihead,
}
"""Operators that compute, by op type (``com.microsoft.`` before onnxruntime's own); a lowering that returns
no node leaves the operator to the data-moving rules."""


def _fused_activation(a: dict[str, Any]) -> str | None:
    name = str(a.get("activation", "")).lower()
    return ACTIVATION_WORDS.get(name, "relu6" if name == "clip" else None)


_unknown = {name for name in POINTWISE.values() if name not in POINTWISE_FLOPS}
_unknown |= {name for name in REDUCE.values() if name not in REDUCE_FLOPS}
if _unknown:  # every name must be one the kinds know
    raise RuntimeError(f"ONNX lowering names unknown pointwise ops or reductions: {sorted(_unknown)}")
