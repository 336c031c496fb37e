"""cnncalc against PyTorch itself, on a few hundred random layer configurations.

Every case is drawn from a seeded ``random.Random`` (the same cases on every
run) and built twice: in cnncalc (through the text notation, or for some cases
a hand-built Graph) and as a ``torch.nn`` module. PyTorch is the oracle:

- output shape: a real forward pass;
- parameters: ``sum(p.numel() for p in module.parameters())``;
- buffers: the module's buffers (see ``torch_buffers`` for batch norm's counter);
- MACs: ``torch.utils.flop_counter.FlopCounterMode``, whose total is 2·MACs,
  which is exactly cnncalc's FLOPs under ``--flops matmul``.

When PyTorch rejects a configuration (kernel larger than the padded input, a
pool padded more than half its window, channels not divisible by groups, an
output of size zero, ...) cnncalc must reject it too, with a CnnCalcError.
The core is channels first; the notation's ``input(...)`` is channels last
unless ``layout=chw``, so inputs are written both ways at random.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.graph import Graph, Node  # noqa: E402

# PyTorch warns that 'same' with an even kernel copies the input; it is what these cases test
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

SEED = 20261127
N_SINGLE = 320
N_CHAINS = 40

Core = tuple[int, ...]


# ---------------------------------------------------------------- torch helpers


class Pad(nn.Module):
    """Explicit (begin, end) padding per spatial axis, H before W, with a fill value."""

    def __init__(self, pairs: tuple[tuple[int, int], ...], value: float = 0.0) -> None:
        super().__init__()
        self.flat = [x for pair in reversed(pairs) for x in pair]  # F.pad wants the last axis first
        self.value = value

    def forward(self, x):  # noqa: ANN001, ANN201
        return F.pad(x, self.flat, value=self.value)


class FlatPool(nn.Module):
    """Seed 003's pool on a flat vector: a 1-d pool over a single channel."""

    def __init__(self, pool: nn.Module) -> None:
        super().__init__()
        self.pool = pool

    def forward(self, x):  # noqa: ANN001, ANN201
        return self.pool(x.unsqueeze(1)).squeeze(1)


class Crop(nn.Module):
    """Drop (begin, end) positions per spatial axis: per-side padding of a transposed conv (as ONNX's pads)."""

    def __init__(self, pairs: tuple[tuple[int, int], ...]) -> None:
        super().__init__()
        self.pairs = pairs

    def forward(self, x):  # noqa: ANN001, ANN201
        index = [slice(None), slice(None)] + [slice(b, x.shape[2 + i] - e) for i, (b, e) in enumerate(self.pairs)]
        return x[tuple(index)]


class Transpose(nn.Module):
    """Swap the last two axes: (B, C, L) to (B, L, C) and back."""

    def forward(self, x):  # noqa: ANN001, ANN201
        return x.transpose(1, 2)


def tf_same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding of one axis, written out here independently of cnncalc.

    out = ceil(n/s); total = max((out − 1)·s + d·(k − 1) + 1 − n, 0); the odd one goes at the end.
    """
    out = math.ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return (total // 2, total - total // 2)


def torch_buffers(module: nn.Module) -> int:
    """Buffers as cnncalc counts them: the running statistics of batch norm.

    PyTorch's BatchNorm also keeps ``num_batches_tracked``, one int64 scalar that
    counts training steps (used only when momentum=None). It holds no statistic
    of the data, so cnncalc leaves it out; the test checks below that it is the
    only buffer left out, exactly one per batch norm that tracks statistics.
    """
    return sum(b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked"))


def n_step_counters(module: nn.Module) -> int:
    return sum(b.numel() for name, b in module.named_buffers() if name.endswith("num_batches_tracked"))


# ---------------------------------------------------------------- how a case is written


@dataclass
class Layer:
    """One layer written both ways: notation text, Graph node fields, and the torch module."""

    text: str
    kind: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    make: Callable[[], nn.Module]


@dataclass
class Case:
    name: str
    x: Core  # the input, channels first, no batch
    layers: list[Layer]
    batch: int = 1
    input_hwc: bool = True
    via_graph: bool = False
    show: str = "chw"  # the layout in which torch's output shape reads (sequences: hwc)
    notes: list[str] = field(default_factory=list)

    def spec(self) -> str:
        x = self.x
        if len(x) > 1 and self.input_hwc:
            head = f"input({', '.join(str(n) for n in (*x[1:], x[0]))})"
        elif len(x) > 1:
            head = f"input({', '.join(str(n) for n in x)}, layout=chw)"
        else:
            head = f"input({x[0]})"
        arrows = [" -> ", " → ", "->", "\n  -> "]
        text = head
        for i, layer in enumerate(self.layers):
            text += arrows[(i + len(self.name)) % len(arrows)] + layer.text
        return text

    def graph(self) -> Graph:
        nodes = [Node("in", "input", "input", self.x, (("layout", "chw"),), ())]
        for i, layer in enumerate(self.layers):
            prev = nodes[-1].id
            nodes.append(Node(f"n{i}", layer.kind, layer.kind, layer.args, layer.kwargs, (prev,)))
        return Graph(tuple(nodes))


def spell_size(rng: random.Random, v: tuple[int, ...]) -> str:
    """A per-axis size as a user may write it: ``5``, ``5x3``, ``(5, 3)``, ``(5,)``."""
    if len(set(v)) == 1 and rng.random() < 0.5:
        return str(v[0])
    if len(v) == 1:
        return rng.choice([str(v[0]), f"({v[0]},)"])
    return rng.choice(["x".join(map(str, v)), "(" + ", ".join(map(str, v)) + ")", "×".join(map(str, v))])


def spell_pairs(pairs: tuple[tuple[int, int], ...]) -> str:
    inner = ", ".join(f"({b}, {e})" for b, e in pairs)
    return f"({inner},)" if len(pairs) == 1 else f"({inner})"


def spell_bool(rng: random.Random, v: bool) -> str:
    return rng.choice(["true", "True", "yes", "1"] if v else ["false", "False", "no", "0"])


def kw(rng: random.Random, words: list[str], value: str) -> str:
    return f"{rng.choice(words)}={value}"


def rand_spatial(rng: random.Random, nd: int) -> Core:
    hi = {1: 24, 2: 15, 3: 7}[nd]
    return tuple(rng.randint(1 if rng.random() < 0.1 else 3, hi) for _ in range(nd))


def per_axis(rng: random.Random, nd: int, lo: int, hi: int, *, uniform: float = 0.5) -> tuple[int, ...]:
    if rng.random() < uniform:
        return (rng.randint(lo, hi),) * nd
    return tuple(rng.randint(lo, hi) for _ in range(nd))


CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
DECONV = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
MAXPOOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
AVGPOOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
ADAPTIVE_AVG = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
ADAPTIVE_MAX = {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d}
BATCHNORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}


# ---------------------------------------------------------------- generators: (rng, input) -> Layer


def gen_conv(rng: random.Random, x: Core) -> Layer:
    """conv 1d/2d/3d: odd and non-square kernels, strides above the kernel, dilation, groups, every padding form."""
    cin, sizes = x[0], x[1:]
    nd = len(sizes)
    style = rng.choice(["plain", "plain", "grouped", "depthwise", "dwconv"])
    if style == "grouped":
        g = rng.choice([d for d in (2, 3, 4) if cin % d == 0] or [1])
        # now and then groups that do not divide the output channels: both must refuse
        cout = g * rng.randint(1, 3) + (1 if rng.random() < 0.08 else 0)
    elif style in ("depthwise", "dwconv"):
        g = cin
        cout = cin * rng.randint(1, 2)
    else:
        g = 1
        cout = rng.randint(1, 8)
    k = per_axis(rng, nd, 1, 5)
    s = per_axis(rng, nd, 1, 4)  # often larger than the kernel
    d = (1,) * nd if rng.random() < 0.6 else per_axis(rng, nd, 1, 3)
    bias = rng.random() < 0.7
    mode = rng.choice(["none", "int", "tuple", "sides", "valid", "same", "same"])
    p_int = rng.randint(0, 3)
    p_tuple = tuple(rng.randint(0, 3) for _ in range(nd))
    p_sides = tuple((rng.randint(0, 3), rng.randint(0, 3)) for _ in range(nd))

    parts: list[str] = []
    kwargs: list[tuple[str, Any]] = []
    if style == "dwconv":
        m = cout // cin
        name = rng.choice(["dwconv", "depthwise", "DepthwiseConv2D"] if nd == 2 else ["dwconv", "depthwise"])
        kind, args = "depthwise", ()
        if m != 1 or rng.random() < 0.3:
            parts.append(kw(rng, ["multiplier", "depth_multiplier", "m"], str(m)))
            kwargs.append(("multiplier", m))
    else:
        name = rng.choice(["conv", "Conv", "CONV", f"conv{nd}d", f"Conv{nd}D", "convolution"])
        kind, args = "conv", (cout,)
        parts.append(str(cout) if rng.random() < 0.8 else f"out_channels={cout}")
    parts.append(kw(rng, ["f", "k", "kernel_size", "kernel"], spell_size(rng, k)))
    kwargs.append(("kernel", k))
    if s != (1,) * nd or rng.random() < 0.3:
        parts.append(kw(rng, ["s", "stride", "strides"], spell_size(rng, s)))
        kwargs.append(("stride", s))
    if mode == "int":
        parts.append(kw(rng, ["p", "padding", "pad"], str(p_int)))
        kwargs.append(("padding", p_int))
    elif mode == "tuple":
        parts.append(kw(rng, ["p", "padding"], "(" + ", ".join(map(str, p_tuple)) + ("," if nd == 1 else "") + ")"))
        kwargs.append(("padding", p_tuple))
    elif mode == "sides":
        parts.append(kw(rng, ["p", "padding"], spell_pairs(p_sides)))
        kwargs.append(("padding", p_sides))
    elif mode in ("valid", "same"):
        parts.append(kw(rng, ["p", "padding"], rng.choice([mode, mode.upper(), f"'{mode}'"])))
        kwargs.append(("padding", mode))
    if d != (1,) * nd:
        parts.append(kw(rng, ["d", "dilation", "dilation_rate"], spell_size(rng, d)))
        kwargs.append(("dilation", d))
    if g != 1 and style != "dwconv":
        parts.append(kw(rng, ["g", "groups"], str(g)))
        kwargs.append(("groups", g))
    if not bias or rng.random() < 0.2:
        parts.append(kw(rng, ["bias", "use_bias"], spell_bool(rng, bias)))
        kwargs.append(("bias", bias))
    text = f"{name}({', '.join(parts)})"
    if name.lower() == f"conv{nd}d":
        kwargs.append(("rank", nd))  # conv1d/2d/3d preset the rank; a Graph names it explicitly

    def make() -> nn.Module:
        conv = CONV[nd]
        if mode in ("none", "int", "tuple", "valid") or (mode == "same" and all(v == 1 for v in s)):
            pad: Any = {"none": 0, "int": p_int, "tuple": p_tuple, "valid": "valid", "same": "same"}[mode]
            # stride 1 'same' is PyTorch's own padding='same' (also extra padding at the end)
            return conv(cin, cout, k, s, padding=pad, dilation=d, groups=g, bias=bias)
        # PyTorch has no per-side padding and no 'same' with stride > 1: pad explicitly
        pairs = p_sides if mode == "sides" else tuple(tf_same(*t) for t in zip(sizes, k, s, d))
        return nn.Sequential(Pad(pairs), conv(cin, cout, k, s, padding=0, dilation=d, groups=g, bias=bias))

    return Layer(text, kind, args, tuple(kwargs), make)


def gen_deconv(rng: random.Random, x: Core) -> Layer:
    """Transposed conv: output_padding, groups, dilation, symmetric padding (PyTorch's only kind)."""
    cin, sizes = x[0], x[1:]
    nd = len(sizes)
    g = rng.choice([1, 1] + [d for d in (2, 3) if cin % d == 0])
    cout = g * rng.randint(1, 3)
    k = per_axis(rng, nd, 1, 4)
    s = per_axis(rng, nd, 1, 3)
    d = (1,) * nd if rng.random() < 0.7 else per_axis(rng, nd, 1, 2)
    # output_padding must be below the stride or the dilation (both sides check it)
    op = tuple(rng.randint(0, max(sv, dv) - 1) if rng.random() < 0.5 else 0 for sv, dv in zip(s, d))
    if rng.random() < 0.05:
        op = tuple(max(sv, dv) for sv, dv in zip(s, d))  # too large: both refuse
    p = per_axis(rng, nd, 0, 2)
    bias = rng.random() < 0.6
    name = rng.choice(["deconv", "convtranspose", f"ConvTranspose{nd}d", "transposedconv", "upconv"])
    if nd == 2 and rng.random() < 0.2:
        name = "Conv2DTranspose"
    parts = [str(cout), kw(rng, ["f", "k", "kernel_size"], spell_size(rng, k))]
    kwargs: list[tuple[str, Any]] = [("kernel", k)]
    if s != (1,) * nd or rng.random() < 0.3:
        parts.append(kw(rng, ["s", "stride"], spell_size(rng, s)))
        kwargs.append(("stride", s))
    if p != (0,) * nd:
        parts.append(kw(rng, ["p", "padding"], "(" + ", ".join(map(str, p)) + ("," if nd == 1 else "") + ")"))
        kwargs.append(("padding", p))
    if any(op):
        parts.append(kw(rng, ["output_padding", "op"], spell_size(rng, op)))
        kwargs.append(("output_padding", op))
    if d != (1,) * nd:
        parts.append(kw(rng, ["d", "dilation"], spell_size(rng, d)))
        kwargs.append(("dilation", d))
    if g != 1:
        parts.append(kw(rng, ["g", "groups"], str(g)))
        kwargs.append(("groups", g))
    if not bias:
        parts.append(kw(rng, ["bias"], spell_bool(rng, bias)))
        kwargs.append(("bias", bias))

    def make() -> nn.Module:
        return DECONV[nd](cin, cout, k, s, padding=p, output_padding=op, groups=g, bias=bias, dilation=d)

    return Layer(f"{name}({', '.join(parts)})", "convtranspose", (cout,), tuple(kwargs), make)


def gen_pool(rng: random.Random, x: Core) -> Layer:
    """max/avg pool: stride defaulting to the window or above it, padding ≤ half, dilation (max), ceil_mode, 'same'."""
    sizes = x[1:]
    nd = len(sizes)
    mode = rng.choice(["max", "max", "avg"])
    k = per_axis(rng, nd, 1, 4)
    s = None if rng.random() < 0.4 else per_axis(rng, nd, 1, 4)
    d = (1,) * nd if mode == "avg" or rng.random() < 0.6 else per_axis(rng, nd, 1, 3)
    pad_mode = rng.choice(["none", "int", "int", "same"] if mode == "max" else ["none", "int", "int"])
    # PyTorch allows padding up to half the kernel (the undilated one); now and then one more, which both refuse
    p = tuple(rng.randint(0, kk // 2 + (1 if rng.random() < 0.05 else 0)) for kk in k)
    if any(dd > 1 for dd in d) and rng.random() < 0.3:
        p = tuple((dd * (kk - 1) + 1) // 2 for kk, dd in zip(k, d))  # half the dilated window: too much
    ceil_mode = pad_mode != "same" and rng.random() < 0.4
    names = {"max": ["maxpool", "pool", "MaxPool", f"maxpool{nd}d", "MaxPooling2D"], "avg": ["avgpool", "AvgPool"]}
    name = rng.choice(names[mode])
    if name == "MaxPooling2D" and nd != 2:
        name = "maxpool"
    parts = [spell_size(rng, k)]
    kwargs: list[tuple[str, Any]] = []
    if s is not None:
        parts.append(kw(rng, ["s", "stride", "strides"], spell_size(rng, s)))
        kwargs.append(("stride", s))
    if pad_mode == "int" and any(p):
        parts.append(kw(rng, ["p", "padding"], "(" + ", ".join(map(str, p)) + ("," if nd == 1 else "") + ")"))
        kwargs.append(("padding", p))
    elif pad_mode == "same":
        parts.append(kw(rng, ["p", "padding"], "same"))
        kwargs.append(("padding", "same"))
    if d != (1,) * nd:
        parts.append(kw(rng, ["d", "dilation"], spell_size(rng, d)))
        kwargs.append(("dilation", d))
    if ceil_mode:
        parts.append(kw(rng, ["ceil_mode", "ceil"], spell_bool(rng, True)))
        kwargs.append(("ceil_mode", True))
    if name.lower() == f"maxpool{nd}d":
        kwargs.append(("rank", nd))
    stride = s if s is not None else k

    def make() -> nn.Module:
        if pad_mode == "same":
            # TensorFlow's 'same' pool: pad with -inf (padding never wins a max), then pool without padding
            pairs = tuple(tf_same(*t) for t in zip(sizes, k, stride, d))
            return nn.Sequential(Pad(pairs, -math.inf), MAXPOOL[nd](k, stride, 0, d))
        pad = p if pad_mode == "int" else 0
        if mode == "avg" and nd == 3 and any(n < kk for n, kk in zip(sizes, k)):
            # PyTorch's avg_pool3d alone refuses an input smaller than the window even where the shared
            # pooling rule gives a valid shape (avg_pool1d/2d and max_pool3d accept the same case with
            # ceil_mode), so the shape is checked against max_pool3d, which follows that rule.
            return MAXPOOL[nd](k, stride, pad, ceil_mode=ceil_mode)
        if mode == "max":
            return MAXPOOL[nd](k, stride, pad, d, ceil_mode=ceil_mode)
        return AVGPOOL[nd](k, stride, pad, ceil_mode=ceil_mode)

    return Layer(f"{name}({', '.join(parts)})", f"{mode}pool", (k,), tuple(kwargs), make)


def gen_flat_pool(rng: random.Random, x: Core) -> Layer:
    """Seed 003's pool on a flat vector (window = stride unless given) is a 1-d pool over one channel."""
    (n,) = x
    k = rng.randint(1, 5)
    s = None if rng.random() < 0.6 else rng.randint(1, 4)
    parts = [str(k)] + ([f"s={s}"] if s is not None else [])
    kwargs = (("stride", (s,)),) if s is not None else ()
    name = rng.choice(["Maxpool", "maxpool", "pool"])

    def make() -> nn.Module:
        return FlatPool(nn.MaxPool1d(k, s if s is not None else k))

    return Layer(f"{name}({', '.join(parts)})", "maxpool", (k,), kwargs, make)


def gen_adaptive(rng: random.Random, x: Core) -> Layer:
    """Adaptive avg/max pools to a target (also larger than the input); global pools."""
    nd = len(x) - 1
    mode = rng.choice(["avg", "max"])
    if rng.random() < 0.25:
        name = {"avg": rng.choice(["gap", "GlobalAveragePooling2D", "globalavgpool"]), "max": "globalmaxpool"}[mode]
        table = ADAPTIVE_AVG if mode == "avg" else ADAPTIVE_MAX
        return Layer(name, f"global{mode}pool", (), (), lambda: nn.Sequential(table[nd](1), nn.Flatten()))
    o = per_axis(rng, nd, 1, 6)
    name = rng.choice([f"adaptive{mode}pool", f"Adaptive{mode.title()}Pool{nd}d"])
    table = ADAPTIVE_AVG if mode == "avg" else ADAPTIVE_MAX
    out: Any = o[0] if len(set(o)) == 1 else o
    return Layer(f"{name}({spell_size(rng, o)})", f"adaptive{mode}pool", (o,), (), lambda: table[nd](out))


def gen_linear(rng: random.Random, x: Core) -> Layer:
    """dense / fc / linear on a flat vector, or flattening a multi-axis input as the seeds do; softmax(n)."""
    n_in = math.prod(x)
    units = rng.randint(1, 40)
    bias = rng.random() < 0.75
    name = rng.choice(["fc", "FC", "dense", "Linear", "fullyconnected", "softmax", "FCwB"])
    kwargs: tuple[tuple[str, Any], ...] = ()
    if name == "FCwB":
        bias = True  # FCwB always has a bias
        text = f"FCwB({units})"
    elif bias and rng.random() < 0.6:
        text = f"{name}({units})"
    else:
        text = f"{name}({units}, {kw(rng, ['bias', 'use_bias'], spell_bool(rng, bias))})"
        kwargs = (("bias", bias),)
    kind = "softmax" if name == "softmax" else "dense"

    if len(x) == 2:
        n_in = x[0]  # a two-axis input is a sequence: the layer acts on each position's features

    def make() -> nn.Module:
        mods: list[nn.Module] = [nn.Flatten()] if len(x) > 2 else []
        if len(x) == 2:
            # core (C, L) is the sequence (L, C): nn.Linear acts on the last axis, so move C there and back
            mods.append(Transpose())
        mods.append(nn.Linear(n_in, units, bias=bias))
        if kind == "softmax":
            mods.append(nn.Softmax(dim=-1))  # softmax(10) = a dense layer of 10 and a softmax (seed 001)
        if len(x) == 2:
            mods.append(Transpose())
        return nn.Sequential(*mods)

    return Layer(text, kind, (units,), kwargs, make)


def gen_batchnorm(rng: random.Random, x: Core) -> Layer:
    """Batch norm over the channel axis, with and without affine and running statistics."""
    nd = max(len(x) - 1, 1)
    affine = rng.random() < 0.8
    stats = rng.random() < 0.8
    name = rng.choice(["bn", "BatchNorm", "batchnorm", f"BatchNorm{nd}d", "BatchNormalization"])
    parts, kwargs = [], []
    if not affine or rng.random() < 0.2:
        parts.append(f"affine={spell_bool(rng, affine)}")
        kwargs.append(("affine", affine))
    if not stats:
        parts.append(f"track_running_stats={spell_bool(rng, stats)}")
        kwargs.append(("track_running_stats", stats))
    text = f"{name}({', '.join(parts)})" if parts or rng.random() < 0.3 else name

    def make() -> nn.Module:
        return BATCHNORM[nd](x[0], affine=affine, track_running_stats=stats)

    return Layer(text, "batchnorm", (), tuple(kwargs), make)


def gen_activation(rng: random.Random, x: Core) -> Layer:
    name, module = rng.choice(
        [("relu", nn.ReLU), ("ReLU", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("gelu", nn.GELU)]
    )
    return Layer(name, name.lower(), (), (), module)


def rand_input(rng: random.Random, nd: int, *, max_c: int = 6) -> Core:
    return (rng.randint(1, max_c), *rand_spatial(rng, nd))


# ---------------------------------------------------------------- cases


def single_case(rng: random.Random, i: int) -> Case:
    family = rng.choice(
        ["conv"] * 9
        + ["deconv"] * 3
        + ["pool"] * 6
        + ["flatpool", "adaptive", "adaptive"]
        + ["linear"] * 3
        + ["bn"] * 2
    )
    nd = rng.choice([1, 2, 2, 2, 3])
    show = "chw"
    if family == "conv":
        x = (rng.choice([1, 2, 3, 4, 6, 8]), *rand_spatial(rng, nd))
        layer = gen_conv(rng, x)
    elif family == "deconv":
        x = (rng.choice([1, 2, 3, 4, 6]), *rand_spatial(rng, nd))
        layer = gen_deconv(rng, x)
    elif family == "pool":
        x = rand_input(rng, nd)
        layer = gen_pool(rng, x)
    elif family == "flatpool":
        x = (rng.randint(1, 60),)
        layer = gen_flat_pool(rng, x)
    elif family == "adaptive":
        x = rand_input(rng, nd)
        layer = gen_adaptive(rng, x)
    elif family == "linear":
        shape_kind = rng.choice(["flat", "flat", "sequence", "spatial"])
        if shape_kind == "sequence":
            return sequence_linear_case(rng, i)
        x = (rng.randint(1, 64),) if shape_kind == "flat" else rand_input(rng, nd)
        layer = gen_linear(rng, x)
    else:
        x = rng.choice([(rng.randint(1, 16),), rand_input(rng, nd), (rng.randint(1, 8), rng.randint(1, 9))])
        layer = gen_batchnorm(rng, x)
    batch = rng.choice([1, 1, 1, 2, 3])
    if family == "bn":
        batch = max(batch, 2)  # batch statistics (track_running_stats=False) need two samples per channel
    return Case(
        f"{i:03d}-{family}",
        x,
        [layer],
        batch=batch,
        input_hwc=rng.random() < 0.6,
        via_graph=rng.random() < 0.2,
        show=show,
    )


def sequence_linear_case(rng: random.Random, i: int) -> Case:
    """A linear layer on a sequence ``(L, d)`` acts on each position's d features, as nn.Linear does."""
    length, d, units = rng.randint(1, 12), rng.randint(1, 16), rng.randint(1, 20)
    bias = rng.random() < 0.7
    name = rng.choice(["linear", "dense", "fc"])
    text = f"{name}({units})" if bias else f"{name}({units}, bias=false)"
    kwargs = () if bias else (("bias", False),)
    layer = Layer(text, "dense", (units,), kwargs, lambda: nn.Linear(d, units, bias=bias))
    # the notation writes the sequence as (L, d), channels last; torch's (B, L, d) reads the same way
    case = Case(f"{i:03d}-seqlinear", (d, length), [layer], batch=rng.choice([1, 2]), input_hwc=True, show="hwc")
    return case


def chain_case(rng: random.Random, i: int) -> Case:
    """Several layers in a row; each layer's input shape comes from PyTorch's forward of the ones before."""
    nd = rng.choice([1, 2, 2, 3])
    x0 = (rng.randint(1, 4), *(rng.randint(8, {1: 40, 2: 24, 3: 10}[nd]) for _ in range(nd)))
    layers: list[Layer] = []
    shape = x0
    sample = torch.zeros(1, *x0)
    for _ in range(rng.randint(2, 6)):
        for _attempt in range(20):
            gen = rng.choice([gen_conv, gen_conv, gen_pool, gen_batchnorm, gen_activation, gen_deconv])
            if len(shape) == 1:
                gen = rng.choice([gen_linear, gen_batchnorm, gen_activation, gen_flat_pool])
            elif rng.random() < 0.1:
                gen = rng.choice([gen_adaptive, gen_linear])
            layer = gen(rng, shape)
            try:
                module = layer.make().eval()
                with torch.no_grad():
                    out = module(sample)
            except (RuntimeError, ValueError):
                continue
            layers.append(layer)
            sample = out
            shape = tuple(out.shape[1:])
            break
    return Case(f"{i:03d}-chain", x0, layers, batch=1, input_hwc=rng.random() < 0.5, via_graph=rng.random() < 0.25)


def edge(name: str, x: Core, text: str, make: Callable[[], nn.Module], kind: str = "maxpool") -> Case:
    return Case(f"edge-{name}", x, [Layer(text, kind, (), (), make)], input_hwc=False)


# Hand-picked corners, each of which once went wrong or easily could.
EDGES = [
    # ceil_mode lets the one window overhang the end: 3 → 1 with k = s = 4 (floor mode refuses)
    edge("ceil-overhang", (1, 3, 3), "maxpool(4, ceil_mode=true)", lambda: nn.MaxPool2d(4, 4, ceil_mode=True)),
    edge("floor-too-small", (1, 3, 3), "maxpool(4)", lambda: nn.MaxPool2d(4, 4)),
    edge("ceil-too-far", (1, 3), "maxpool(8, s=4, ceil_mode=true)", lambda: nn.MaxPool1d(8, 4, ceil_mode=True)),
    # a pool pads at most half its kernel, the undilated one: k = 2, d = 3 may pad 1, not 2
    edge("pad-half-dilated", (1, 10, 10), "maxpool(2, p=2, d=3)", lambda: nn.MaxPool2d(2, padding=2, dilation=3)),
    edge("pad-half-ok", (1, 10, 10), "maxpool(2, p=1, d=3)", lambda: nn.MaxPool2d(2, padding=1, dilation=3)),
    # ceil_mode drops a last window that would start in the right padding: 5, k 2, s 2, p 1 → 3, not 4
    edge("ceil-drop", (1, 5), "maxpool(2, s=2, p=1, ceil_mode=true)", lambda: nn.MaxPool1d(2, 2, 1, ceil_mode=True)),
    edge(
        "stride-above-kernel", (2, 11, 7), "conv(3, f=2x1, s=(5, 3))", lambda: nn.Conv2d(2, 3, (2, 1), (5, 3)), "conv"
    ),
    edge(
        "depthwise-m2",
        (4, 9, 9),
        "dwconv(f=3, m=2, p=same)",
        lambda: nn.Conv2d(4, 8, 3, padding="same", groups=4),
        "depthwise",
    ),
    edge("groups-mismatch", (4, 9, 9), "conv(6, f=3, g=4)", lambda: nn.Conv2d(4, 6, 3, groups=4), "conv"),
    edge("dilated-too-big", (1, 6), "conv(1, f=3, d=3)", lambda: nn.Conv1d(1, 1, 3, dilation=3), "conv"),
    edge(
        "deconv-op",
        (3, 5, 5),
        "deconv(2, f=3, s=2, p=1, op=1)",
        lambda: nn.ConvTranspose2d(3, 2, 3, 2, 1, 1),
        "convtranspose",
    ),
    edge(
        "deconv-op-too-big",
        (3, 5),
        "deconv(2, f=3, s=2, op=2)",
        lambda: nn.ConvTranspose1d(3, 2, 3, 2, output_padding=2),
        "convtranspose",
    ),
    # per-side padding of a transposed conv crops the output: (5 − 1)·2 − 1 − 0 + 2 + 1 = 10
    edge(
        "deconv-sides-1d",
        (3, 5),
        "deconv(2, f=3, s=2, p=((1, 0),))",
        lambda: nn.Sequential(nn.ConvTranspose1d(3, 2, 3, 2), Crop(((1, 0),))),
        "convtranspose",
    ),
    edge(
        "deconv-sides-2d",
        (4, 6, 5),
        "deconv(4, f=(3, 4), s=(2, 3), p=((0, 2), (1, 1)), g=2, bias=false)",
        lambda: nn.Sequential(nn.ConvTranspose2d(4, 4, (3, 4), (2, 3), groups=2, bias=False), Crop(((0, 2), (1, 1)))),
        "convtranspose",
    ),
    edge("adaptive-up", (2, 3, 5), "adaptivemaxpool((7, 2))", lambda: nn.AdaptiveMaxPool2d((7, 2)), "adaptivemaxpool"),
]


def all_cases() -> list[Case]:
    rng = random.Random(SEED)
    cases = [single_case(rng, i) for i in range(N_SINGLE)]
    cases += [chain_case(rng, N_SINGLE + i) for i in range(N_CHAINS)]
    return cases + EDGES


CASES = all_cases()


# ---------------------------------------------------------------- the comparison


@dataclass
class TorchFacts:
    shape: tuple[int, ...]
    size: int
    params: int
    buffers: int
    counters: int
    flops: int


def run_torch(case: Case) -> list[TorchFacts] | Exception:
    """Per layer: output shape, parameters, buffers and FlopCounterMode's count, or PyTorch's refusal."""
    torch.manual_seed(0)
    x = torch.randn(case.batch, *(case.x if case.show == "chw" else (case.x[1], case.x[0])))
    facts = []
    try:
        for layer in case.layers:
            module = layer.make().eval()
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                x = module(x)
            facts.append(
                TorchFacts(
                    tuple(x.shape[1:]),
                    x.numel(),
                    sum(p.numel() for p in module.parameters()),
                    torch_buffers(module),
                    n_step_counters(module),
                    counter.get_total_flops(),
                )
            )
    except (RuntimeError, ValueError) as e:
        return e
    return facts


def run_cnncalc(case: Case) -> cnncalc.Report:
    spec: Any = case.graph() if case.via_graph else case.spec()
    return cnncalc.analyze(spec, flops="matmul", batch=case.batch, layout=case.show)


def test_the_cases_cover_what_they_should():
    """The generator must keep producing valid cases of every family, and some refusals."""
    valid = [c for c in CASES if not isinstance(run_torch(c), Exception)]
    assert len(CASES) >= 300
    assert len(valid) >= 250
    assert len(valid) < len(CASES)  # some configurations PyTorch refuses: cnncalc must refuse them too
    texts = " ".join(c.spec() for c in valid)
    for needle in ("same", "valid", "ceil", "d=", "g=", "op=", "bias=false", "->", "→", "5x", "layout=chw"):
        assert needle in texts.lower() or needle in texts, needle
    assert any(c.via_graph for c in valid)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_against_pytorch(case: Case):
    facts = run_torch(case)
    where = case.spec()
    if isinstance(facts, Exception):
        # PyTorch refuses this configuration: cnncalc must refuse it as well, with its own error
        with pytest.raises(cnncalc.CnnCalcError):
            run_cnncalc(case)
        return
    report = run_cnncalc(case)
    rows = report.rows[1:]
    assert len(rows) == len(facts), where
    for row, f in zip(rows, facts):
        msg = f"{where}\nlayer {row.index} {row.source or row.name}"
        assert report.shown_shape(row) == f.shape, msg
        assert row.activation_size == f.size, msg
        assert row.params == f.params, msg
        assert row.trainable_params == f.params, msg
        assert row.buffers == f.buffers, msg
        if row.kind == "batchnorm":
            # the one buffer left out is the step counter, one per batch norm that tracks statistics
            assert f.counters == (1 if row.buffers else 0), msg
        assert row.flops == f.flops, msg  # matmul convention: FLOPs = 2·MACs, FlopCounterMode's count
        assert 2 * row.macs == f.flops, msg
    assert report.totals.params == sum(f.params for f in facts)
    assert report.totals.flops == sum(f.flops for f in facts)
