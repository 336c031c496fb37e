"""Other tools' numbers: what torchinfo, fvcore, ptflops, thop and calflops print for a network, by their rules.

Each tool counts by rules of its own (read from its source, versions below), and a paper's
"FLOPs" is one of them: ``--flops as=TOOL`` gives every row that tool's figure, and
``cnncalc compare`` puts the totals side by side with the rule that makes each differ.
The tools see a network in one of three ways, and so do the tables here:

- a **module hook** counts one call of a module of a class it knows (``nn.Conv2d``, ``nn.LSTM``,
  ``nn.MultiheadAttention``) from what the hook reads: the module's attributes and parameters, its
  inputs and its output (a :class:`Call`). thop and ptflops count this way, torchinfo counts every
  module without modules inside it so, and calflops its recurrent layers;
- a **patched function** counts one call of a function it replaced (``F.relu``, ``torch.matmul``,
  ``Tensor.add``; never ``x + y`` or ``x @ y``, which call no attribute) wherever it runs, in a module
  or not (an :class:`Op`). ptflops patches a few functions beside its hooks, calflops counts only so;
- an **operator count** counts one operator of the traced graph by its kind (fvcore's handles).

A traced PyTorch model's nodes carry the function they ran in and its scopes the module calls, as
the front-end saw them; a notation layer (or an ONNX, Keras or config graph's) stands for the module
PyTorch would use (``conv`` for ``nn.Conv2d``, which calls ``F.conv2d``), or for the function when
written ``functional=true`` (``gap(functional=true)``: ``F.adaptive_avg_pool2d``, as torchvision's
MobileNet V2 calls it). The notation's ``attention`` is ``nn.MultiheadAttention`` called with
``need_weights=False`` on a batch-first sequence, its ``transformer`` ``nn.TransformerEncoderLayer``
(its activation a function it holds, which no patch reaches), its ``se`` torchvision's
``SqueezeExcitation``.

- torchinfo 1.8 "mult-adds": every module without modules inside it, per call: its parameters named
  ``weight`` or ``bias`` times the output's positions with the batch (``output[:1] + output[2:]``)
  for a class named ``Conv…``, else times the output's first axis (the batch: a linear layer counts
  once per sample, not per token); a parameter whose name holds ``weight`` or ``bias`` (a recurrent
  layer's ``weight_ih_l0``) times the output's first two axes. A module with modules inside it
  (``nn.MultiheadAttention``, whose ``out_proj`` its forward never calls) counts nothing.
- fvcore 0.1.5 ``FlopCountAnalysis``: one per multiply-add of ``aten::_convolution``, ``linear``,
  ``addmm``, ``matmul``, ``mm``, ``bmm`` and ``einsum`` (numpy's "optimized FLOP" count, printed to 4
  digits, halved; bias not counted; ``baddbmm`` not counted); batch norm at inference 1 per element,
  2 with affine; layer and group norm 4 per element, 5 with affine; instance norm the same;
  ``adaptive_avg_pool2d`` 1 per input element; ``upsample_nearest2d`` 1 and ``upsample_bilinear2d`` 4
  per output element; everything else (activations, max pooling, adds, softmax, SDPA, 1-d and 3-d
  pools and upsampling) 0.
- ptflops 0.7.5 (``backend='pytorch'``) "MACs": hooks on ``Conv``/``ConvTranspose`` (MACs and one
  per output element for the bias), ``Linear`` (with its bias), ``ReLU``, ``PReLU``, ``ELU``,
  ``LeakyReLU``, ``ReLU6``, ``GELU`` (1 per output element), the pools (1 per input element), batch,
  instance and group norm (1 per input element, 2 with ``affine``) and ``LayerNorm`` (1: it has no
  ``affine`` attribute), ``Upsample`` (the output elements of one sample), ``RNN``/``GRU``/``LSTM``
  and their cells, and ``MultiheadAttention`` (its own formula: the projections with biases, the
  scaling of Q, ``QKᵀ``, the softmax and ``AV`` per head). The hooks' sum is divided by the batch
  (ptflops gives MACs per sample); then the patched ``F.relu``, ``F.prelu``, ``F.elu``, ``F.relu6``,
  ``F.gelu``, ``F.silu``, pools and ``F.softmax`` (1 per input element), ``F.interpolate`` (its
  output elements), ``torch.matmul``/``mm``/``bmm`` and their ``Tensor`` methods (a product of
  shapes), ``torch.addmm``/``baddbmm`` and ``torch.add``/``mul`` and their methods (1 per element)
  are added for the whole batch. An ``nn.ReLU`` counts twice: its hook, and the ``F.relu`` it calls.
- thop 0.1.1 "MACs": hooks only: convolution ``output · C_in/g · ∏k`` (no bias, also transposed);
  ``Linear`` ``in_features`` per output element (no bias); batch, layer and instance norm 2 per
  input element, 4 with affine; average pooling 1 per output element; adaptive average pooling
  ``∏(in/out) + 1`` per output element; ``Softmax`` ``3n − 1`` per row; ``PReLU`` 1 per element;
  ``Upsample`` 1 (nearest), 5 (linear), 11 (bilinear) or 259 (bicubic) per output element, 0 for
  trilinear; the recurrent layers and cells by their formulas; ReLU, ReLU6, LeakyReLU, max pooling,
  dropout 0. A module without a hook (an embedding, attention, a custom norm) counts 0 MACs and 0
  parameters; functions 0.
- calflops 0.3.2 FLOPs (and MACs): patched functions and tensor methods, DeepSpeed's rules:
  ``F.conv*d`` ``2·MACs`` plus its bias (1 per output element); ``F.conv_transpose*d`` ``2·MACs``
  plus its bias over the size a plain convolution of the same window would give; ``F.linear``
  ``2·MACs`` (bias not counted); ``F.batch_norm`` 1 per element, 2 with a weight;
  ``F.layer_norm``, ``F.group_norm``, ``F.instance_norm`` 4, 5 with a weight; activations, pools and
  ``F.softmax`` 1 per input element; ``F.interpolate`` the output size it was given (``size``, one
  sample's spatial elements) or the input's elements (``scale_factor``); ``torch.matmul`` ``2·MACs``;
  ``addmm`` and ``baddbmm`` ``2·MACs`` plus the added tensor; ``torch.add``/``mul`` 1 per element;
  ``torch.einsum`` numpy's count; the recurrent layers by a hook (FLOPs, no MACs). MACs are
  convolution, linear and matmul's.

A scripted module (``torch.jit.script``) takes no hooks and runs compiled: no tool's hook or patch sees
it. Checked against each tool's own output, total and module by module, on every model of
tests/support/torch_models.py, the zoo's models against their plain-PyTorch twins and the notation's
attention, transformer and squeeze-and-excitation against their PyTorch modules, and in total on the
tools' own test models (tests/support/tool_models.py) (tests/report/test_other_tools.py). Not
reproduced: a pruned layer (its weight an attribute a hook makes), a dict returned by a module
torchinfo counts, ptflops' MACs of an ``nn.Upsample`` at a batch over 1 (a fraction per sample,
rounded down here), a function called through another (``F.upsample`` calls ``F.interpolate``; only the
outer one is seen here), a module shared by several parents (ptflops, thop and calflops add its
figure into each parent), a forward that calls the model itself (ptflops divides by its calls), a
lazy module under thop (its hooks are picked by class before the forward), and under fvcore a
result the forward overwrites (its traced graph drops the work), a convolution with
``padding='same'`` (``aten::_convolution_mode``, which fvcore has no handle for) and a scripted function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError
from cnncalc.graph import Graph, Node
from cnncalc.layers.calc import prod
from cnncalc.report import Row

TOOLS = ("torchinfo", "fvcore", "ptflops", "thop", "calflops")
Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Op:
    """What a patched function or an operator count reads of one node: its kind, the function it ran in, its shapes.

    Shapes carry the batch first (``(N, C, H, W)``); ``out`` and ``inp`` are element counts of the
    output and of the first input; ``weight`` and ``bias`` the elements of its weight and bias;
    ``args`` the kind's arguments as bound (None where not known).
    """

    kind: str
    call: str
    out_shape: Shape
    in_shape: Shape
    shapes: tuple[Shape, ...] = ()
    macs: int = 0
    params: int = 0
    weight: int = 0
    bias: int = 0
    name: str = ""
    args: Any = None

    @property
    def out(self) -> int:
        return prod(self.out_shape)

    @property
    def inp(self) -> int:
        return prod(self.in_shape)

    def arg(self, name: str, default: Any = None) -> Any:
        value = self.args.raw(name) if self.args is not None else None
        return default if value is None else value


@dataclass(frozen=True, slots=True)
class Call:
    """One module call as a hook reads it: the module's class, parameters and attributes, its inputs and output.

    Shapes are as PyTorch has them, the batch first (a sequence ``(N, L, d)``); ``params`` are the
    module's own parameters by name (torchinfo's ``named_parameters``); ``ops`` the nodes that ran
    directly in it (indices into the node list), ``home`` the one its count is shown on.
    """

    module: str
    path: str = ""
    leaf: bool = True
    params: tuple[tuple[str, int], ...] = ()
    inputs: tuple[Shape | None, ...] = ()
    output: Shape = ()
    attrs: Mapping[str, Any] = field(default_factory=dict)
    ops: tuple[int, ...] = ()
    home: int | None = None
    builtin: bool = True  # a class of PyTorch's own (tools' hooks know classes: a model's "Upsample" is not nn's)

    def attr(self, name: str, default: Any = None) -> Any:
        value = self.attrs.get(name)
        return default if value is None else value

    def param(self, name: str) -> int:
        return sum(n for key, n in self.params if key == name)

    @property
    def in_shape(self) -> Shape:
        return next((s for s in self.inputs if s is not None), ())

    @property
    def inp(self) -> int:
        return prod(self.in_shape)

    @property
    def out(self) -> int:
        return prod(self.output)


Hook = Callable[[Call], float]
Count = Callable[[Op], float]


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool's counting: what it calls its figure, its hooks, the functions it patches, the operators it counts.

    ``hooks`` maps a module class to its hook's count for one call (``leaves``: the count of every
    module without modules inside it, torchinfo's way); ``functions`` maps a function (``F.relu``,
    ``torch.matmul``) to its count per call; ``operators`` maps a layer kind to the count of the
    operator (fvcore's handles); ``macs`` the MACs a tool gives beside its FLOPs (calflops), by
    function; ``per_sample``: the hooks' sum is divided by the batch (ptflops); ``unit`` is ``macs``
    or ``flops`` (what one of its counts is).
    """

    name: str
    version: str
    figure: str
    unit: str
    hooks: Mapping[str, Hook] = field(default_factory=dict)
    leaves: Hook | None = None
    functions: Mapping[str, Count] = field(default_factory=dict)
    operators: Mapping[str, Count] = field(default_factory=dict)
    macs: Mapping[str, Count] | None = None
    per_sample: bool = False
    params_of_hooked: bool = False
    differs: str = ""


# ---------------------------------------------------------------- names

CONV = ("conv", "depthwise", "convtranspose")
NORMS = ("batchnorm", "layernorm", "groupnorm", "instancenorm", "rmsnorm")
POOLS = ("maxpool", "avgpool", "globalavgpool", "globalmaxpool", "adaptiveavgpool", "adaptivemaxpool")
MOVERS = ("tensor", "input", "copy", "constant", "split")  # nodes that compute nothing a function is counted for


def _n(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}d" for n in (1, 2, 3))


def _fn(*names: str) -> tuple[str, ...]:
    return tuple(f"F.{n}" for n in names)


POOL_FUNCTIONS = _fn(*(f"{p}_pool{n}d" for p in ("avg", "max", "adaptive_avg", "adaptive_max") for n in (1, 2, 3)))
POOL_MODULES = (*_n("MaxPool"), *_n("AvgPool"), *_n("AdaptiveMaxPool"), *_n("AdaptiveAvgPool"))
CONV_MODULES = _n("Conv")
TRANSPOSED_MODULES = _n("ConvTranspose")
RECURRENT = ("RNN", "GRU", "LSTM")
CELLS = ("RNNCell", "GRUCell", "LSTMCell")


# ---------------------------------------------------------------- rules shared by several tables


def _computes(count: Count) -> Count:
    """A function's count, given to the node that computes (not the copies and views a call also makes)."""
    return lambda o: 0 if o.kind in MOVERS else count(o)


def _input_elements(o: Op) -> float:
    return o.inp


def _output_elements(o: Op) -> float:
    return o.out


def _product(o: Op) -> float:
    """``torch.matmul(a, b)`` as ptflops and calflops count it: ``a``'s elements times ``b``'s last axis."""
    if o.kind != "matmul" or len(o.shapes) < 2:
        return o.macs
    return prod(o.shapes[0]) * o.shapes[1][-1]


def _affine(has: bool, with_: int, without: int) -> int:
    return with_ if has else without


def _upsample_mode(mode: str, spatial: int) -> str:
    """The mode as PyTorch names it for the input's rank: ``linear`` on an image is ``bilinear`` (ONNX's word)."""
    if mode in ("linear", "bilinear", "trilinear"):
        return {1: "linear", 2: "bilinear", 3: "trilinear"}.get(spatial, mode)
    if mode in ("cubic", "bicubic"):
        return "bicubic"
    return mode


def _mode(o: Op) -> str:
    return _upsample_mode(str(o.arg("mode", "nearest")).lower(), max(len(o.out_shape) - 2, 0))


def _einsum_count(o: Op) -> float:
    """numpy's "Optimized FLOP count" for a two-operand contraction, as ``einsum_path`` prints it (4 digits).

    numpy counts 2 per multiply-add when an index is summed (1 without): a contraction of
    24,576 multiply-adds prints as ``4.915e+04``.
    """
    cost = 2 * o.macs if o.macs else o.out
    return float(f"{cost:.3e}")


def _rnn_layers(attrs: Mapping[str, Any], module: str) -> list[tuple[int, int, int]]:
    """Per layer of a recurrent module (one direction): the elements of ``weight_ih``, ``weight_hh`` and the biases.

    From its attributes, as PyTorch shapes them: ``gates·h × in`` and ``gates·h × (proj or h)``;
    a later layer reads ``h`` (or ``proj``) times the directions.
    """
    gates = {"LSTM": 4, "GRU": 3}.get(module.removesuffix("Cell"), 1)
    h = int(attrs.get("hidden_size") or 0)
    proj = int(attrs.get("proj_size") or 0)
    dirs = 2 if attrs.get("bidirectional") else 1
    size = int(attrs.get("input_size") or 0)
    out = []
    for i in range(int(attrs.get("num_layers") or 1)):
        width = size if i == 0 else (proj or h) * dirs
        bias = 2 * gates * h if attrs.get("bias", True) else 0
        out.append((gates * h * width, gates * h * (proj or h), bias))
    return out


def _steps(c: Call) -> tuple[int, int]:
    """A recurrent call's batch and time steps, as thop reads them (``batch_first`` says which axis is which)."""
    x = c.in_shape
    if len(x) < 3:
        return 1, x[0] if x else 1
    return (x[0], x[1]) if c.attr("batch_first", False) else (x[1], x[0])


def _rnn_extra(module: str, h: int) -> int:
    """ptflops' and calflops' elementwise work per step besides the products: the gates' adds and products."""
    kind = module.removesuffix("Cell")
    return {"RNN": h, "GRU": h + 3 * h + 3 * h, "LSTM": 4 * h + 3 * h + 3 * h}.get(kind, 0)


def _rnn_ptflops(c: Call, calflops: bool = False) -> float:
    """ptflops' recurrent hook (calflops' too, which counts a product of ``m·n`` as ``2·m·n − rows``)."""
    h = int(c.attr("hidden_size", 0))
    gates = {"LSTM": 4, "GRU": 3}.get(c.module.removesuffix("Cell"), 1) * h
    flops = 0
    for w_ih, w_hh, bias in _rnn_layers(c.attrs, c.module):
        flops += (2 * w_ih - gates + 2 * w_hh - gates) if calflops else (w_ih + w_hh)
        flops += _rnn_extra(c.module, h) + bias
    x = c.in_shape
    if c.module.endswith("Cell"):
        return flops * (x[0] if len(x) > 1 else 1)
    flops *= (x[0] * x[1]) if len(x) >= 3 else (x[0] if x else 1)  # "batch first" whichever it is: their product
    return flops * (2 if c.attr("bidirectional") else 1)


def _cell_thop(module: str, width: int, h: int, bias: bool) -> int:
    """thop's count of one step of one cell."""
    if module == "LSTM":
        state = (width + h) * h + h + (2 * h if bias else 0)
        return 4 * state + 3 * h + h
    if module == "GRU":
        state = (h + width) * h + h + (2 * h if bias else 0)
        return 2 * state + state + h + 3 * h
    return h * (width + h) + h + (2 * h if bias else 0)


def _rnn_thop(c: Call) -> float:
    module = c.module.removesuffix("Cell")
    h, size, bias = int(c.attr("hidden_size", 0)), int(c.attr("input_size", 0)), bool(c.attr("bias", True))
    if c.module.endswith("Cell"):
        return _cell_thop(module, size, h, bias) * (c.in_shape[0] if len(c.in_shape) > 1 else 1)
    dirs = 2 if c.attr("bidirectional") else 1
    total = _cell_thop(module, size, h, bias) * dirs
    for _ in range(int(c.attr("num_layers", 1)) - 1):
        total += _cell_thop(module, h * dirs, h, bias) * dirs
    batch, steps = _steps(c)
    return total * steps * batch


def _mha_ptflops(c: Call) -> float:
    """ptflops' ``multihead_attention_counter_hook``: Q scaled, three projections (with their biases), per head
    ``QKᵀ``, softmax and ``AV``, and the output projection with a bias, times the batch."""
    shapes = [s for s in c.inputs[:3] if s is not None]
    if len(shapes) < 3:
        return 0
    q, k, v = shapes
    first = bool(c.attr("batch_first", False))
    batch = q[0] if first else q[1]
    at = 1 if first else 0
    ql, kl, vl = q[at], k[at], v[at]
    qd, kd, vd = q[-1], k[-1], v[-1]
    heads = int(c.attr("num_heads", 1))
    flops = ql * qd + ql * qd * qd + kl * kd * kd + vl * vd * vd
    if c.param("in_proj_bias"):
        flops += (ql + kl + vl) * qd
    flops += heads * (ql * kl * (qd // heads) + ql * kl + ql * kl * (vd // heads))
    flops += ql * vd * (vd + 1)
    return flops * batch


def _torchinfo(c: Call) -> float:
    """torchinfo's ``calculate_macs`` for one call of a module without modules inside it."""
    out = c.output
    if not out:
        return 0
    macs = 0
    for name, n in c.params:
        if name in ("weight", "bias"):
            macs += n * (prod(out[:1] + out[2:]) if "Conv" in c.module else out[0])
        elif "weight" in name or "bias" in name:
            macs += n * prod(out[:2])
    return macs


def _ptflops_linear(c: Call) -> float:
    x, y = c.in_shape, c.output
    if not x or not y:
        return 0
    bias = y[-1] if c.param("bias") else 0
    return (x[-1] * y[-1] + bias) * prod(x[:-1])


def _ptflops_conv(transposed: bool) -> Hook:
    def hook(c: Call) -> float:
        x, y = c.in_shape, c.output
        if len(x) < 3 or len(y) < 3:
            return 0
        positions = x[0] * prod(x[2:] if transposed else y[2:])
        return c.param("weight") * positions + (prod(y) if c.param("bias") else 0)

    return hook


def _thop_conv(c: Call) -> float:
    y = c.output
    return prod(y) * c.param("weight") // y[1] if len(y) > 1 and y[1] else 0


def _thop_adaptive(c: Call) -> float:
    """thop: ``(∏(in/out) + 1)`` per output element, the ratio in floating point, truncated."""
    ratio = 1.0
    for a, b in zip(c.in_shape[2:], c.output[2:]):
        ratio *= a / b
    return int((ratio + 1) * c.out)


def _thop_softmax(c: Call) -> float:
    x = c.in_shape
    n = x[int(c.attr("dim", -1))] if x else 1
    return (prod(x) // n) * (3 * n - 1) if n else 0


UPSAMPLE_THOP = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259}
"""thop's ``calculate_upsample`` per output element (trilinear and other modes: 0, with a warning)."""


def _thop_upsample(c: Call) -> float:
    mode = _upsample_mode(str(c.attr("mode", "nearest")), max(len(c.output) - 2, 0))
    return c.out * UPSAMPLE_THOP.get(mode, 0)


def _interpolate_ptflops(o: Op) -> float:
    """ptflops' ``F.interpolate``: the size given (times batch and channels), or the input's elements times
    the scale per spatial axis."""
    x = o.in_shape
    size, scale = o.arg("size"), o.arg("scale")
    nd = max(len(x) - 2, 0)
    if size is not None:
        spatial = prod(size) if isinstance(size, tuple) else int(size) ** nd
        return spatial * prod(x[:2])
    if scale is None:
        return o.out
    if isinstance(scale, tuple) and len(scale) == nd:
        return o.inp * int(prod(scale))
    return o.inp * float(scale) ** nd


def _interpolate_calflops(o: Op) -> float:
    """calflops' ``F.interpolate``: the ``size`` it was given (one sample's spatial elements), else the input's
    elements (its scale is multiplied but not kept)."""
    size = o.arg("size")
    if size is not None and o.arg("scale") is None:
        return prod(size) if isinstance(size, tuple) else int(size)
    return o.inp


def _calflops_conv(o: Op) -> float:
    return 2 * o.macs + (o.out if o.bias else 0)


def _calflops_transposed(o: Op) -> float:
    """``2·MACs`` and the bias over the size a plain convolution of the same window gives (DeepSpeed's rule)."""
    if not o.bias or len(o.in_shape) < 3:
        return 2 * o.macs
    nd = len(o.in_shape) - 2
    kernel, stride, dilation = (o.arg(k, 1) for k in ("kernel", "stride", "dilation"))
    padding = o.arg("padding", 0)
    per = lambda v: v if isinstance(v, tuple) else (v,) * nd  # noqa: E731
    kernel, stride, dilation = per(kernel), per(stride), per(dilation)
    pads = per(padding) if not isinstance(padding, str) else (0,) * nd
    pads = tuple(p[0] if isinstance(p, tuple) else p for p in pads)
    dims = [
        (n + 2 * p - (d * (k - 1) + 1)) // s + 1
        for n, p, d, k, s in zip(o.in_shape[2:], pads, dilation, kernel, stride)
    ]
    channels = o.out_shape[1]
    return 2 * o.macs + channels * o.in_shape[0] * prod(dims)


def _norm(o: Op, with_: int, without: int) -> float:
    return o.inp * _affine(o.params > 0, with_, without)


def _weights_path(o: Op) -> tuple[int, int, int]:
    """``nn.MultiheadAttention`` called with ``need_weights``: its own ``QKᵀ`` (``torch.bmm``, or ``torch.baddbmm``
    with a mask), ``softmax`` and ``AV`` (``torch.bmm``): the multiply-adds of each product, the scores' elements
    and the mask's."""
    head = o.out_shape[-1] if o.out_shape else 1
    each = o.macs // 2
    mask = prod(o.shapes[3]) if len(o.shapes) > 3 else 0
    return each, each // max(head, 1), mask


def _weights_ptflops(o: Op) -> float:
    each, scores, mask = _weights_path(o)
    return 2 * each + scores + mask


def _weights_calflops(o: Op) -> float:
    each, scores, mask = _weights_path(o)
    return scores + (2 * each + mask if mask else 0)


def _operator_matmul(o: Op) -> float:
    return 0 if o.name.endswith("baddbmm") else o.macs


# ---------------------------------------------------------------- the five tables

ACTIVATION_MODULES = ("ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU")

TOOL_TABLE: dict[str, Tool] = {
    "torchinfo": Tool(
        "torchinfo",
        "1.8.0",
        "mult-adds",
        "macs",
        leaves=_torchinfo,
        differs="parameter-driven: biases and norm parameters count as mult-adds, a linear layer once per sample "
        "(not per token), nothing without parameters (pooling, activations, attention's products)",
    ),
    "fvcore": Tool(
        "fvcore",
        "0.1.5",
        "flops",
        "macs",
        operators={
            **{k: (lambda o: o.macs) for k in CONV},
            "dense": lambda o: o.macs,
            "matmul": lambda o: (_einsum_count(o) // 2) if o.call == "torch.einsum" else _operator_matmul(o),
            "batchnorm": lambda o: _norm(o, 2, 1),
            **{k: (lambda o: _norm(o, 5, 4)) for k in ("layernorm", "groupnorm", "instancenorm")},
            **{k: (lambda o: o.inp if len(o.in_shape) == 4 else 0) for k in ("adaptiveavgpool", "globalavgpool")},
            "upsample": lambda o: (
                o.out * {"nearest": 1, "bilinear": 4}.get(_mode(o), 0) if len(o.out_shape) == 4 else 0
            ),
        },
        differs="one per multiply-add, bias not counted; batch norm 2 per element, layer norm 5; adaptive average "
        "pooling counted; activations, max pooling, adds, softmax and SDPA skipped",
    ),
    "ptflops": Tool(
        "ptflops",
        "0.7.5",
        "MACs",
        "macs",
        hooks={
            **{m: _ptflops_conv(False) for m in CONV_MODULES},
            **{m: _ptflops_conv(True) for m in TRANSPOSED_MODULES},
            "Linear": _ptflops_linear,
            **{m: (lambda c: c.out) for m in ACTIVATION_MODULES},
            **{m: (lambda c: c.inp) for m in POOL_MODULES},
            **{m: (lambda c: c.inp * (2 if c.attr("affine") else 1)) for m in (*_n("BatchNorm"), *_n("InstanceNorm"))},
            "GroupNorm": lambda c: c.inp * (2 if c.attr("affine") else 1),
            "LayerNorm": lambda c: c.inp,  # no attribute 'affine'
            "Upsample": lambda c: c.out // c.output[0] if c.output else 0,  # output[0]: one sample
            **{m: _rnn_ptflops for m in (*RECURRENT, *CELLS)},
            "MultiheadAttention": _mha_ptflops,
        },
        functions={
            **{f: _computes(_input_elements) for f in _fn("relu", "prelu", "elu", "relu6", "gelu", "silu", "softmax")},
            **{f: _computes(_input_elements) for f in POOL_FUNCTIONS},
            **{f: _computes(_interpolate_ptflops) for f in _fn("interpolate", "upsample")},
            **{
                f: _computes(_product)
                for f in ("torch.matmul", "Tensor.matmul", "torch.mm", "Tensor.mm", "torch.bmm", "Tensor.bmm")
            },
            **{f: _computes(lambda o: _product(o) + o.out) for f in ("torch.addmm", "Tensor.addmm", "torch.baddbmm")},
            **{f: _computes(_output_elements) for f in ("torch.mul", "Tensor.mul", "torch.add", "Tensor.add")},
            "F.multi_head_attention_forward": _weights_ptflops,
        },
        per_sample=True,
        differs="MACs with biases; norms, activations and pooling counted elementwise, and a ReLU, pool or GELU "
        "module twice (its hook and the F.* it calls); attention by its own formula; x + y and x @ y not seen",
    ),
    "thop": Tool(
        "thop",
        "0.1.1",
        "MACs",
        "macs",
        hooks={
            **{m: _thop_conv for m in (*CONV_MODULES, *TRANSPOSED_MODULES)},
            "Linear": lambda c: int(c.attr("in_features", c.in_shape[-1] if c.in_shape else 0)) * c.out,
            **{
                m: (lambda c: 2 * c.inp * (2 if c.attr("affine") or c.attr("elementwise_affine") else 1))
                for m in (*_n("BatchNorm"), "SyncBatchNorm", "LayerNorm", *_n("InstanceNorm"))
            },
            "PReLU": lambda c: c.inp,
            "Softmax": _thop_softmax,
            **{m: (lambda c: c.out) for m in _n("AvgPool")},
            **{m: _thop_adaptive for m in _n("AdaptiveAvgPool")},
            **{m: _thop_upsample for m in ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d")},
            **{m: (lambda c: 0) for m in ("ReLU", "ReLU6", "LeakyReLU", *_n("MaxPool"), *_n("AdaptiveMaxPool"))},
            **{m: (lambda c: 0) for m in ("Dropout", "ZeroPad2d", "PixelShuffle")},
            **{m: _rnn_thop for m in (*RECURRENT, *CELLS)},
        },
        params_of_hooked=True,
        differs="MACs of convolution and linear without bias; batch norm 4 per element; average pooling counted; "
        "a module without a rule (embedding, attention, a custom norm) counts 0 MACs and 0 params; functional ops 0",
    ),
    "calflops": Tool(
        "calflops",
        "0.3.2",
        "FLOPs",
        "flops",
        hooks={m: (lambda c: _rnn_ptflops(c, calflops=True)) for m in (*RECURRENT, *CELLS)},
        functions={
            **{f: _computes(_calflops_conv) for f in _fn("conv1d", "conv2d", "conv3d")},
            **{f: _computes(_calflops_transposed) for f in _fn(*(f"conv_transpose{n}d" for n in (1, 2, 3)))},
            "F.linear": _computes(lambda o: 2 * o.macs),
            **{
                f: _computes(_input_elements)
                for f in _fn("relu", "prelu", "elu", "leaky_relu", "relu6", "silu", "gelu", "softmax")
            },
            **{f: _computes(_input_elements) for f in POOL_FUNCTIONS},
            "F.batch_norm": _computes(lambda o: _norm(o, 2, 1)),
            **{f: _computes(lambda o: _norm(o, 5, 4)) for f in _fn("layer_norm", "group_norm", "instance_norm")},
            **{f: _computes(_interpolate_calflops) for f in _fn("interpolate", "upsample")},
            **{f: _computes(lambda o: 2 * _product(o)) for f in ("torch.matmul", "Tensor.matmul")},
            **{
                f: _computes(lambda o: 2 * _product(o) + o.out)
                for f in ("torch.addmm", "Tensor.addmm", "torch.baddbmm")
            },
            **{f: _computes(_output_elements) for f in ("torch.mul", "Tensor.mul", "torch.add", "Tensor.add")},
            "torch.einsum": _computes(_einsum_count),
            "F.multi_head_attention_forward": _weights_calflops,
        },
        macs={
            **{f: _computes(lambda o: o.macs) for f in _fn("conv1d", "conv2d", "conv3d", "linear")},
            **{f: _computes(lambda o: o.macs) for f in _fn(*(f"conv_transpose{n}d" for n in (1, 2, 3)))},
            **{
                f: _computes(_product)
                for f in ("torch.matmul", "Tensor.matmul", "torch.addmm", "Tensor.addmm", "torch.baddbmm")
            },
            "F.multi_head_attention_forward": lambda o: _weights_path(o)[0] if len(o.shapes) > 3 else 0,
        },
        differs="FLOPs = 2·MACs + convolution bias + activations, norms and pooling elementwise (linear bias, adds "
        "and SDPA not counted); MACs are convolution, linear and matmul's",
    ),
}
"""Every tool by name."""


# ---------------------------------------------------------------- what a notation layer stands for

STANDS_FOR: dict[str, tuple[str, str]] = {
    "conv": ("Conv{n}d", "F.conv{n}d"),
    "depthwise": ("Conv{n}d", "F.conv{n}d"),
    "convtranspose": ("ConvTranspose{n}d", "F.conv_transpose{n}d"),
    "dense": ("Linear", "F.linear"),
    "batchnorm": ("BatchNorm{n}d", "F.batch_norm"),
    "layernorm": ("LayerNorm", "F.layer_norm"),
    "groupnorm": ("GroupNorm", "F.group_norm"),
    "instancenorm": ("InstanceNorm{n}d", "F.instance_norm"),
    "relu": ("ReLU", "F.relu"),
    "relu6": ("ReLU6", "F.hardtanh"),
    "hardtanh": ("Hardtanh", "F.hardtanh"),
    "leakyrelu": ("LeakyReLU", "F.leaky_relu"),
    "elu": ("ELU", "F.elu"),
    "selu": ("SELU", "F.selu"),
    "celu": ("CELU", "F.celu"),
    "gelu": ("GELU", "F.gelu"),
    "silu": ("SiLU", "F.silu"),
    "mish": ("Mish", "F.mish"),
    "prelu": ("PReLU", "F.prelu"),
    "sigmoid": ("Sigmoid", "torch.sigmoid"),
    "hardsigmoid": ("Hardsigmoid", "F.hardsigmoid"),
    "hardswish": ("Hardswish", "F.hardswish"),
    "tanh": ("Tanh", "torch.tanh"),
    "softplus": ("Softplus", "F.softplus"),
    "softsign": ("Softsign", "F.softsign"),
    "softmax": ("Softmax", "F.softmax"),
    "logsoftmax": ("LogSoftmax", "F.log_softmax"),
    "maxpool": ("MaxPool{n}d", "F.max_pool{n}d"),
    "avgpool": ("AvgPool{n}d", "F.avg_pool{n}d"),
    "globalavgpool": ("AdaptiveAvgPool{n}d", "F.adaptive_avg_pool{n}d"),
    "adaptiveavgpool": ("AdaptiveAvgPool{n}d", "F.adaptive_avg_pool{n}d"),
    "globalmaxpool": ("AdaptiveMaxPool{n}d", "F.adaptive_max_pool{n}d"),
    "adaptivemaxpool": ("AdaptiveMaxPool{n}d", "F.adaptive_max_pool{n}d"),
    "dropout": ("Dropout", "F.dropout"),
    "upsample": ("Upsample", "F.interpolate"),
    "embedding": ("Embedding", "F.embedding"),
    "lstm": ("LSTM", ""),
    "gru": ("GRU", ""),
    "rnn": ("RNN", ""),
    "flatten": ("Flatten", "Tensor.flatten"),
    "zeropad": ("ZeroPad{n}d", "F.pad"),
    "pixelshuffle": ("PixelShuffle", "F.pixel_shuffle"),
}
"""A notation layer's kind: the module PyTorch would use for it, and the function that module calls."""

FUNCTIONS_ALONE: dict[str, str] = {
    "relu6": "F.relu6",
    "flatten": "torch.flatten",
    "add": "Tensor.__add__",
    "mul": "Tensor.__mul__",
    "concat": "torch.cat",
    "matmul": "torch.matmul",
    "sdpa": "F.scaled_dot_product_attention",
}
"""The function a kind is written as without a module (``functional=true``, and the kinds that are no module:
``x + y``, ``torch.cat``), where it is not the one its module calls."""

SEQUENCE_MODULES = ("Linear", "LayerNorm", "Embedding", "Softmax", "LogSoftmax", *RECURRENT, "MultiheadAttention")
"""Modules that read a sequence as ``(N, L, d)``, the features last (the core holds it ``(d, L)``)."""

COMPOSITES = ("attention", "transformer", "se")
"""The notation's composite kinds whose modules are known (``nn.MultiheadAttention``, ``nn.TransformerEncoderLayer``,
torchvision's ``SqueezeExcitation``); the others (a decoder layer, a mixture of experts) are built in many ways."""

ATTENTION_PARTS = ("in_proj", "q", "k", "v", "sdpa", "out")
ATTENTION_CALLS = {"in_proj": "F.linear", "sdpa": "F.scaled_dot_product_attention", "out": "F.linear"}
"""What ``F.multi_head_attention_forward`` calls for each part (its ``linear`` is the patched ``F.linear``)."""
TRANSFORMER_MODULES = {"mlp_in": "Linear", "mlp_out": "Linear", "ln1": "LayerNorm", "ln2": "LayerNorm"}


def _module_name(template: str, shape: Shape) -> str:
    return template.format(n=max(min(len(shape) - 1, 3), 1))


def torch_shape(core: Shape, module: str, batch: int) -> Shape:
    """A core shape (features first, no batch) as the module would see it in PyTorch: the batch first, and for a
    module reading sequences the features last (``(d, L)`` is ``(N, L, d)``)."""
    if module in SEQUENCE_MODULES and len(core) >= 2:
        return (batch, *core[1:], core[0])
    return (batch, *core)


def _bound(node: Node | None) -> Any:
    """A node's arguments bound to its kind's parameters (None where they are not known or do not bind)."""
    if node is None:
        return None
    from cnncalc.layers.binding import bind
    from cnncalc.layers.registry import REGISTRY

    kind = REGISTRY.get(node.kind)
    if kind is None:
        return None
    try:
        return bind(kind, node.args, node.kwargs)
    except CnnCalcError:
        return None


def _functional(args: Any) -> bool:
    return args is not None and args.raw("functional") is True


def _split(row: Row, out_shape: Shape, in_shape: Shape) -> tuple[int, int]:
    """A convolution's or linear layer's parameters as weight and bias: the weight from its MACs (``C_out·C_in/g·∏k``
    per output position, per input position for a transposed one; ``in·out`` per row), the bias the rest."""
    per = 0
    if row.kind in CONV and len(out_shape) > 1:
        per = prod(in_shape[:1] + in_shape[2:]) if row.kind == "convtranspose" else prod(out_shape[:1] + out_shape[2:])
    elif row.kind == "dense" and out_shape:
        per = prod(out_shape[:-1]) if len(out_shape) > 1 else 1
    if not per:
        return row.params, 0
    weight = row.macs // per
    return weight, max(row.params - weight, 0)


# ---------------------------------------------------------------- a network as the tools see it


@dataclass
class View:
    """A network as the tools see it: each node's ops (a layer with a fused activation is two), the module calls,
    and the batch (ptflops divides its hooks' sum by it)."""

    ops: list[list[Op]]
    calls: list[Call]
    batch: int


def _home(own: list[int], kinds: list[str]) -> int | None:
    """The node a call's count is shown on: the first that computes, else the first."""
    return next((i for i in own if kinds[i] not in MOVERS), own[0] if own else None)


def traced_view(nodes: list[Row], graph: Graph) -> View:
    """A traced model: each node with the function it ran in, each scope a module call as the front-end saw it."""
    by_id = {n.id: n for n in graph.nodes}
    ops = []
    for r in nodes:
        node = by_id.get(r.node_id)
        out = r.output_shape
        inp = r.input_shapes[0] if r.input_shapes else out
        weight, bias = _split(r, out, inp)
        if node is not None and r.kind in (*CONV, "dense") and len(out) > 1:
            # the bias the call adds, also where the module ran before (its parameters are counted once)
            bias = (out[1] if r.kind in CONV else out[-1]) if dict(node.kwargs).get("bias") else 0
        call = node.call if node is not None else ""
        label = node.label if node is not None else r.name
        op = Op(r.kind, call, out, inp, r.input_shapes, r.macs, r.params, weight, bias, label, _bound(node))
        ops.append([op])
    kinds = [r.kind for r in nodes]
    own: dict[int, list[int]] = {}
    for i, r in enumerate(nodes):
        if r.scope is not None:
            own.setdefault(r.scope, []).append(i)
    below: dict[int, list[int]] = {}  # every node run inside a scope, its children's included
    for s in reversed(graph.scopes):
        below[s.index] = sorted(own.get(s.index, []) + below.get(s.index, []))
        if s.parent is not None:
            below.setdefault(s.parent, []).extend(below[s.index])
    calls = []
    for s in graph.scopes:
        mine = own.get(s.index, [])
        home = _home(mine, kinds) if mine else _home(below.get(s.index, []), kinds)
        output = s.outputs[0] if s.outputs else ()
        attrs = dict(s.attrs)
        if attrs.get("scripted"):  # a scripted module takes no hooks (and its functions run compiled)
            continue
        builtin = str(attrs.get("class", "")).startswith("torch.")
        calls.append(Call(s.kind, s.path, s.leaf, s.params, s.inputs, output, attrs, tuple(mine), home, builtin))
    root = graph.scopes[0].inputs if graph.scopes else ()
    first = next((x for x in root[:1] if x), None)  # ptflops: len(input[0]) of the model's call, else 1
    return View(ops, calls, first[0] if first else 1)


def _parts(nodes: list[Row], graph: Graph) -> dict[int, tuple[Node, str]]:
    """The rows that are parts of a composite layer: its node and the part's name."""
    from cnncalc.layers.registry import REGISTRY

    composites = {n.id: n for n in graph.nodes if n.kind in REGISTRY and REGISTRY[n.kind].expand is not None}
    found = {}
    if not composites:
        return found
    for i, r in enumerate(nodes):
        owner = composites.get(r.node_id) or composites.get(r.node_id.rsplit(".", 1)[0])
        if owner is not None:
            found[i] = (owner, r.name)
    return found


def written_view(nodes: list[Row], graph: Graph, batch: int, traced: bool = False) -> View:
    """A written network (notation, spec, ONNX, Keras, a config): each layer stands for the module PyTorch would
    use and the function that module calls, or for the function alone when written ``functional=true``; the
    notation's attention, transformer and squeeze-and-excitation for their PyTorch modules."""
    from cnncalc.layers.elementwise import ACTIVATION_FLOPS

    by_id = {n.id: n for n in graph.nodes}
    parts = _parts(nodes, graph)
    ops: list[list[Op]] = []
    calls: list[Call] = []
    attention: dict[str, list[int]] = {}  # a composite's id -> its attention parts (one nn.MultiheadAttention)

    def shape(core: Shape, module: str = "") -> Shape:
        return tuple(core) if traced else torch_shape(core, module, batch)  # an ONNX graph's shapes are PyTorch's

    for i, r in enumerate(nodes):
        node = by_id.get(r.node_id) if i not in parts else None
        args = _bound(node)
        core_in = r.input_shapes[0] if r.input_shapes else r.output_shape
        owner, part = parts.get(i, (None, ""))
        container = owner.kind if owner is not None else ""
        template = STANDS_FOR.get(r.kind)
        module = ""
        call = FUNCTIONS_ALONE.get(r.kind, "")
        if container in ("attention", "transformer") and part in ATTENTION_PARTS:
            attention.setdefault(owner.id, []).append(i)  # type: ignore[union-attr]
            call = ATTENTION_CALLS.get(part, "")
        elif container == "transformer" and part not in TRANSFORMER_MODULES:
            call = "Tensor.__add__" if r.kind == "add" else ""  # its activation: a function it holds, unpatched
        elif template is not None and not _functional(args):
            module = _module_name(template[0], core_in)
            call = _module_name(template[1], core_in)
        elif template is not None:
            call = FUNCTIONS_ALONE.get(r.kind) or _module_name(template[1], core_in)
        fused = _fused(r, args, ACTIVATION_FLOPS)
        main_kind = "dense" if fused and r.kind in ACTIVATION_FLOPS else r.kind
        if fused and r.kind in ACTIVATION_FLOPS:  # softmax(10): a linear layer, then the activation
            module, call = "Linear", "F.linear"
        layout = module or (_module_name(template[0], core_in) if template is not None else "")
        if call in ATTENTION_CALLS.values() or r.kind == "split":
            layout = "MultiheadAttention"  # the parts of attention read the sequence as it does
        out, inp = shape(r.output_shape, layout), shape(core_in, layout)
        if r.kind in ("globalavgpool", "globalmaxpool") and len(out) < len(inp):  # PyTorch keeps its 1×1
            out = (*out, *(1,) * (len(inp) - len(out)))
        weight, bias = _split(replace(r, kind=main_kind), out, inp)
        shapes = tuple(shape(s, layout) for s in r.input_shapes)
        row_ops = [Op(main_kind, call, out, inp, shapes, r.macs, r.params, weight, bias, r.name, args)]
        if module:
            calls.append(_written_call(module, r, main_kind, args, inp, out, weight, bias, i))
        if fused:
            act = STANDS_FOR.get(fused, (fused.capitalize(), f"F.{fused}"))
            after = shape(r.output_shape)
            row_ops.append(Op(fused, act[1], after, after, (after,), name=fused))
            calls.append(Call(act[0], inputs=(after,), output=after, ops=(i,), home=i))
        ops.append(row_ops)
    for owner_id, members in attention.items():
        calls.append(_attention_call(owner_id, members, nodes, ops, by_id, batch))
    return View(ops, calls, batch)


def _fused(r: Row, args: Any, activations: Mapping[str, int]) -> str:
    """The activation a layer has fused in (``conv(8, f=3, activation=relu)``, ``softmax(10)``), or ''."""
    if r.kind in activations:
        return r.kind if r.macs else ""
    if args is None or r.kind not in (*CONV, "dense"):
        return ""
    word = args.raw("activation")
    if word is None:
        return ""
    from cnncalc.layers.elementwise import activation_name

    name = activation_name(word)
    return "" if name == "linear" else name


def _written_call(
    module: str, r: Row, kind: str, args: Any, inp: Shape, out: Shape, weight: int, bias: int, i: int
) -> Call:
    """The module call a written layer stands for, with what the tools' hooks read of it."""
    attrs: dict[str, Any] = {}
    params: tuple[tuple[str, int], ...] = (("weight", weight), ("bias", bias)) if bias else (("weight", weight),)
    if not r.params:
        params = ()
    if kind in NORMS:
        attrs["affine"] = attrs["elementwise_affine"] = r.params > 0
    elif kind == "upsample":
        attrs["mode"] = str(args.raw("mode") or "nearest") if args is not None else "nearest"
    elif kind in ("softmax", "logsoftmax"):
        attrs["dim"] = -1
    elif kind == "dense":
        attrs["in_features"] = inp[-1] if inp else 0
    elif kind in ("lstm", "gru", "rnn"):
        attrs = _recurrent_attrs(args, inp)
        steps = inp[1] if len(inp) > 1 else 1
        out = (inp[0], steps, r.output_shape[0] if r.output_shape else 0)  # every step's output, as PyTorch returns it
        params = (("weight_ih_l0", r.params),)  # a recurrent layer's weights and biases: torchinfo's per step
    return Call(module, leaf=True, params=params, inputs=(inp,), output=out, attrs=attrs, ops=(i,), home=i)


def _recurrent_attrs(args: Any, inp: Shape) -> dict[str, Any]:
    if args is None:
        return {}
    return {
        "hidden_size": args.raw("hidden"),
        "num_layers": args.raw("num_layers"),
        "bidirectional": bool(args.raw("bidirectional")),
        "bias": bool(args.raw("bias")),
        "batch_first": True,
        "proj_size": args.raw("proj_size") or 0,
        "input_size": inp[-1] if inp else 0,
    }


def _attention_call(
    owner_id: str, members: list[int], nodes: list[Row], ops: list[list[Op]], by_id: dict[str, Node], batch: int
) -> Call:
    """The ``nn.MultiheadAttention`` a composite's attention parts stand for: called on one batch-first sequence
    as ``attn(x, x, x, need_weights=False)``, as ``nn.TransformerEncoderLayer`` and torchvision's ViT call it."""
    args = _bound(by_id.get(owner_id))
    named = {nodes[i].name: i for i in members}
    first, last = named.get("in_proj", members[0]), named.get("out", members[-1])
    x = ops[first][0].in_shape
    params = []
    for name, i in (("in_proj", first), ("out_proj", last)):
        op = ops[i][0]
        sep = "_" if name == "in_proj" else "."
        params.append((f"{name}{sep}weight", op.weight))
        if op.bias:
            params.append((f"{name}{sep}bias", op.bias))
    attrs = {
        "num_heads": args.raw("heads") if args is not None else 1,
        "batch_first": True,
        "embed_dim": x[-1] if x else 0,
        "need_weights": False,
    }
    return Call(
        "MultiheadAttention",
        leaf=False,
        params=tuple(params),
        inputs=(x, x, x),
        output=ops[last][0].out_shape,
        attrs=attrs,
        ops=tuple(members),
        home=first,
    )


def view_of(nodes: list[Row], graph: Graph, traced: bool, batch: int) -> View:
    """How the tools see the network: a traced PyTorch model as it ran, any other as the modules it stands for."""
    if traced and graph.source == "torch" and graph.scopes:
        return traced_view(nodes, graph)
    return written_view(nodes, graph, batch if not traced else (graph.batch or 1), traced)


# ---------------------------------------------------------------- counting


def counts(tool: Tool, view: View) -> list[tuple[int, int]]:
    """Every node's figure under the tool (and the MACs beside it where the tool gives both).

    A 3×3 convolution of 4 filters on an 8×8×3 image, then a ReLU: ptflops counts the
    convolution's hook (``4·27·36 = 3,888`` MACs and ``4·36 = 144`` for the bias), the ReLU's
    hook (144 output elements) and the ``F.relu`` it calls (144 input elements):

    >>> import cnncalc
    >>> [r.flops for r in cnncalc.analyze("input(8, 8, 3) -> conv(4, f=3) -> relu", flops="as=ptflops").rows]
    [0, 4032, 288]
    """
    figures: list[Fraction | float] = [0] * len(view.ops)
    macs = [0] * len(view.ops)
    for i, row_ops in enumerate(view.ops):
        for op in row_ops:
            rule = tool.operators.get(op.kind)
            if rule is not None:
                figures[i] += rule(op)
            rule = tool.functions.get(op.call)
            if rule is not None:
                figures[i] += rule(op)
            if tool.macs is not None and op.call in tool.macs:
                macs[i] += int(tool.macs[op.call](op))
    for c in view.calls:
        hook = (tool.hooks.get(c.module) if c.builtin else None) or (tool.leaves if c.leaf else None)
        if hook is None or c.home is None:
            continue
        value = hook(c)
        figures[c.home] += Fraction(int(value), view.batch) if tool.per_sample else value
    return [(math.floor(f), m) for f, m in zip(figures, macs)]


def hooked_params(tool: Tool, view: View, nodes: list[Row]) -> int:
    """The parameters thop counts: those of the modules it has a hook for, each module once."""
    seen, total = set(), 0
    for c in view.calls:
        if c.module not in tool.hooks or not c.builtin or (c.path and c.path in seen):
            continue
        seen.add(c.path)
        total += sum(n for _, n in c.params) if c.params else sum(nodes[i].params for i in c.ops)
    return total


def apply(nodes: list[Row], graph: Graph, tool_name: str, traced: bool, batch: int) -> list[Row]:
    """Every node's row with the tool's figure as its FLOPs (and, for calflops, its MACs as the MACs)."""
    tool = TOOL_TABLE[tool_name]
    figures = counts(tool, view_of(nodes, graph, traced, batch))
    out = []
    for row, (figure, macs) in zip(nodes, figures):
        changed: dict[str, int] = {"flops": figure}
        if tool.macs is not None:
            changed["macs"] = macs
        out.append(replace(row, **changed))
    return out


def parse_tool(value: object) -> str | None:
    """``as=thop`` (or ``thop``) as a tool's name, None for cnncalc's own conventions; else an ArgumentError."""
    text = str(getattr(value, "value", value)).strip().lower()
    if not text.startswith("as="):
        return None
    name = text[3:]
    if name not in TOOLS:
        raise ArgumentError(f"unknown tool '{name}' in --flops as=TOOL (choose {', '.join(TOOLS)})")
    return name


def convention_note(tool_name: str) -> str:
    """The footer's line for a tool's convention."""
    tool = TOOL_TABLE[tool_name]
    said = f"{tool.name} {tool.version}'s {tool.figure}"
    return f"{said}, by its rules: {tool.differs}"


MODULE_TOOLS = ("torchinfo", "ptflops", "thop")


def check_source(tool_name: str, graph: Graph, nodes: list[Row]) -> None:
    """Refuse a module-hook tool on notation layers that stand for modules the notation does not name.

    The notation's attention, transformer and squeeze-and-excitation are PyTorch's and torchvision's
    modules; a decoder layer, a gated MLP or a mixture of experts is built from different modules
    by each library, which torchinfo, ptflops and thop count differently.
    """
    if tool_name not in MODULE_TOOLS or (graph.source == "torch" and graph.scopes):
        return
    from cnncalc.layers.registry import REGISTRY

    unknown = sorted(
        {
            n.kind
            for n in graph.nodes
            if n.kind in REGISTRY and REGISTRY[n.kind].expand is not None and n.kind not in COMPOSITES
        }
    )
    if unknown:
        raise ArgumentError(
            f"--flops as={tool_name}: {tool_name} counts through the modules a model is built from, and the "
            f"notation's {', '.join(unknown)} layers do not say which modules those are",
            hint=f"trace the model itself (model.py:Class) for {tool_name}'s count; as=fvcore and as=calflops "
            "count the operations and take the notation as it is",
        )


@dataclass(frozen=True, slots=True)
class Side:
    """One column of ``cnncalc compare``: a convention, what it calls its figure, its total, and why it differs."""

    convention: str
    figure: str
    total: int
    macs_equivalent: int
    params: int
    rule: str


def compare(graph_of: Callable[[], Graph], options: object) -> list[Side]:
    """The network's totals under cnncalc's conventions and under each tool's, with the rule behind each."""
    from cnncalc.analyze import analyze_graph
    from cnncalc.conventions import CONVENTION_NOTES, Convention
    from cnncalc.options import Options

    base = Options.make(options)  # type: ignore[arg-type]
    sides: list[Side] = []
    mine = None
    for convention in Convention:
        report = analyze_graph(graph_of(), Options.make(base, flops=convention, tool=None))
        mine = mine or report
        sides.append(
            Side(
                convention.value,
                "FLOPs",
                report.totals.flops,
                report.totals.flops // 2,
                report.totals.params,
                CONVENTION_NOTES[convention],
            )
        )
    assert mine is not None
    sides.insert(0, Side("cnncalc", "MACs", mine.totals.macs, mine.totals.macs, mine.totals.params, "multiply-adds"))
    for name in TOOLS:
        tool = TOOL_TABLE[name]
        graph = graph_of()
        try:
            report = analyze_graph(graph, Options.make(base, tool=name))
        except ArgumentError as e:
            sides.append(Side(f"as={name}", tool.figure, -1, -1, -1, str(e.message)))
            continue
        params = report.totals.params
        if tool.params_of_hooked:
            nodes = list(report.node_rows)
            params = hooked_params(tool, view_of(nodes, graph, report.traced, report.batch), nodes)
        if name == "ptflops":
            params = report.totals.trainable_params
        total = report.totals.flops
        equivalent = total // 2 if tool.unit == "flops" else total
        sides.append(Side(f"as={name}", f"{tool.name} {tool.figure}", total, equivalent, params, tool.differs))
    return sides
