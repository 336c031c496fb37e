"""Other tools' numbers: what torchinfo, fvcore, ptflops, thop and calflops print for a network, by their rules.

Each tool counts by rules of its own (read from its source, versions below), and a paper's
"FLOPs" is one of them: ``--flops as=TOOL`` gives every row that tool's figure, and
``cnncalc compare`` puts the totals side by side with the rule that makes each differ.
One table per tool, as data over cnncalc's layer kinds: a rule reads one node's shapes and
figures (an :class:`Op`) and returns the tool's count for it. Tools that count through
module hooks (torchinfo, ptflops, thop) see a layer only when it ran as the module they hook
(``Conv2d``, ``ReLU``); a traced model's nodes carry the module they ran in, and the notation's
layers stand for the modules PyTorch would use.

- torchinfo 1.8 "mult-adds": parameter-driven. A leaf module's ``weight`` and ``bias`` elements
  times its output positions for a convolution (``output[:1] + output[2:]``), else times the
  output's first axis (the batch): a linear layer counts once per sample, not per token; a
  norm or embedding its parameters per sample. Layers without parameters count 0.
- fvcore 0.1.5 ``FlopCountAnalysis``: one per multiply-add of ``aten::_convolution``,
  ``linear``, ``addmm``, ``matmul``, ``bmm``, ``einsum`` (bias not counted); batch norm at
  inference 2 per input element (1 without affine); layer and group norm 5 (4); instance
  norm 5 (4); ``adaptive_avg_pool2d`` 1 per input element; nearest upsampling 1, bilinear 4
  per output element; everything else (activations, max pooling, adds, softmax, SDPA) 0.
- ptflops 0.7.5 (``backend='pytorch'``) "MACs": module hooks plus patched ``F.*``: convolution
  and linear with their bias (1 per output); batch, layer, group and instance norm 1 per input
  element, 2 with affine; ReLU, PReLU, ELU, LeakyReLU, ReLU6, GELU modules 1 per output
  element; pooling 1 per input element; upsampling 1 per output element. ``F.relu``,
  ``F.elu``, ``F.gelu``, ``F.silu``, the pools, ``F.softmax`` and ``F.interpolate`` are patched
  too, so a ``ReLU``, ``ELU``, ``GELU``, pool or ``Upsample`` module counts twice (its hook and
  the function it calls); ``x + y`` and ``x @ y`` are not seen.
- thop 0.1.1 "MACs": module hooks only: convolution ``output · C_in/g · ∏k`` (no bias, also for
  a transposed one); linear ``in_features · output`` (no bias); batch, layer and instance norm
  2 per input element, 4 with affine; average pooling 1 per output element; adaptive average
  pooling ``(∏(in/out) + 1)`` per output element; softmax ``3n − 1`` per row; PReLU 1 per
  element; ReLU, ReLU6, LeakyReLU, max pooling, dropout 0; a module without a rule (an
  embedding, attention, a custom norm) counts 0 MACs and 0 parameters; functional ops 0.
- calflops 0.3.2 FLOPs (and MACs): patched ``F.*`` and tensor methods, DeepSpeed's rules:
  convolution ``2·MACs + bias`` (1 per output); linear ``2·MACs`` (bias not counted); batch
  norm at inference 2 per input element (1 without affine); layer, group, instance norm 5 (4);
  ReLU, PReLU, ELU, LeakyReLU, SiLU, GELU and pools 1 per input element (``F.hardtanh``, which
  ReLU6 calls, is not patched); softmax 1 per element; ``torch.matmul`` ``2·MACs``; MACs are
  convolution, linear and matmul's.

Checked against each tool's own output on convolutional networks (tests/report/test_other_tools.py:
totals, and every module for fvcore, thop and torchinfo). Not reproduced yet: ``nn.MultiheadAttention``
under torchinfo (its ``in_proj_weight``) and ptflops (its own hook), and calflops on transposed
convolutions and upsampling; an upsampling's mode is taken as nearest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from cnncalc.errors import ArgumentError
from cnncalc.graph import Graph
from cnncalc.layers.calc import prod
from cnncalc.report import Row

TOOLS = ("torchinfo", "fvcore", "ptflops", "thop", "calflops")


@dataclass(frozen=True, slots=True)
class Op:
    """What a tool's rule reads of one node: its kind, the module it ran as, and its shapes and figures.

    Shapes carry the batch first (``(N, C, H, W)``); ``out`` and ``inp`` are element counts of the
    output and of the first input; ``weight`` and ``bias`` the elements of its weight and bias;
    ``leaf`` whether its module has no modules inside it.
    """

    kind: str
    module: str
    out_shape: tuple[int, ...]
    in_shape: tuple[int, ...]
    macs: int
    params: int
    weight: int
    bias: int
    leaf: bool = True
    mode: str = ""  # an upsampling's mode

    @property
    def out(self) -> int:
        return prod(self.out_shape)

    @property
    def inp(self) -> int:
        return prod(self.in_shape)

    @property
    def batch(self) -> int:
        return self.out_shape[0] if self.out_shape else 1

    @property
    def positions(self) -> int:
        """Output positions with the batch: the output without its channel axis (``output[:1] + output[2:]``)."""
        return prod(self.out_shape[:1] + self.out_shape[2:]) if len(self.out_shape) > 1 else 1


Rule = Callable[[Op], int]


def _convolution(o: Op) -> int:
    return o.macs


CONV = ("conv", "depthwise", "convtranspose")
NORMS = ("batchnorm", "layernorm", "groupnorm", "instancenorm", "rmsnorm")
ACTIVATIONS = ("relu", "relu6", "leakyrelu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh")
POOLS = ("maxpool", "avgpool", "globalavgpool", "globalmaxpool", "adaptiveavgpool", "adaptivemaxpool")


def _affine(o: Op) -> int:
    return 2 if o.params else 1


def _adaptive_thop(o: Op) -> int:
    """thop: ``(∏(in/out) + 1)`` per output element, the ratio in floating point, truncated."""
    ratio = 1.0
    spatial = o.in_shape[2:]
    for a, b in zip(spatial, o.out_shape[2:] or (1,) * len(spatial)):  # a global pool's output has no spatial axes
        ratio *= a / b
    return int((ratio + 1) * o.out)


def _softmax_thop(o: Op) -> int:
    n = o.in_shape[-1] if o.in_shape else 1
    return (o.inp // n) * (3 * n - 1)


UPSAMPLE_THOP = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259, "trilinear": 31}


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool's counting: what it calls its figure, the layer kinds it has rules for, and the modules it sees.

    ``rules`` maps a layer kind to the tool's count; ``modules`` (module-hook tools) maps a kind to the
    module classes whose hook counts it (a kind met elsewhere counts 0); ``functional`` are counts a
    patched function adds wherever it is called (ptflops, calflops); ``macs`` the MACs a tool gives beside
    its FLOPs (calflops); ``unit`` is ``macs`` or ``flops`` (what one of its counts is).
    """

    name: str
    version: str
    figure: str
    unit: str
    rules: dict[str, Rule]
    modules: dict[str, tuple[str, ...]] | None = None
    functional: dict[str, Rule] | None = None
    macs: dict[str, Rule] | None = None
    params_of_ruled_only: bool = False
    leaf_params: bool = False
    differs: str = ""


def _conv_modules() -> tuple[str, ...]:
    return tuple(f"{p}{n}d" for p in ("Conv", "ConvTranspose") for n in (1, 2, 3))


def _n(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}d" for n in (1, 2, 3))


THOP_MODULES: dict[str, tuple[str, ...]] = {
    **{k: _conv_modules() for k in CONV},
    "dense": ("Linear",),
    "batchnorm": (*_n("BatchNorm"), "SyncBatchNorm"),
    "layernorm": ("LayerNorm",),
    "instancenorm": _n("InstanceNorm"),
    "prelu": ("PReLU",),
    "softmax": ("Softmax",),
    "relu": ("ReLU",),
    "relu6": ("ReLU6",),
    "leakyrelu": ("LeakyReLU",),
    "maxpool": _n("MaxPool"),
    "adaptivemaxpool": _n("AdaptiveMaxPool"),
    "globalmaxpool": _n("AdaptiveMaxPool"),
    "avgpool": _n("AvgPool"),
    "adaptiveavgpool": _n("AdaptiveAvgPool"),
    "globalavgpool": _n("AdaptiveAvgPool"),
    "dropout": ("Dropout",),
    "upsample": ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"),
    "zeropad": ("ZeroPad2d",),
    "pixelshuffle": ("PixelShuffle",),
    "lstm": ("LSTM",),
    "gru": ("GRU",),
    "rnn": ("RNN",),
}

PTFLOPS_MODULES: dict[str, tuple[str, ...]] = {
    **{k: _conv_modules() for k in CONV},
    "dense": ("Linear",),
    "relu": ("ReLU",),
    "prelu": ("PReLU",),
    "elu": ("ELU",),
    "leakyrelu": ("LeakyReLU",),
    "relu6": ("ReLU6",),
    "hardtanh": ("ReLU6",),  # nn.ReLU6 runs as hardtanh in a traced model
    "gelu": ("GELU",),
    **{k: (*_n("MaxPool"), *_n("AvgPool"), *_n("AdaptiveMaxPool"), *_n("AdaptiveAvgPool")) for k in POOLS},
    "batchnorm": _n("BatchNorm"),
    "instancenorm": _n("InstanceNorm"),
    "groupnorm": ("GroupNorm",),
    "layernorm": ("LayerNorm",),
    "upsample": ("Upsample",),
}
# the functions ptflops patches, by the module that calls them: the module's hook and the function both count
PTFLOPS_CALLED = {"ReLU": "relu", "ELU": "elu", "GELU": "gelu", "SiLU": "silu", "Softmax": "softmax"}
PTFLOPS_CALLED |= {m: "pool" for m in (*_n("MaxPool"), *_n("AvgPool"), *_n("AdaptiveMaxPool"), *_n("AdaptiveAvgPool"))}
PTFLOPS_CALLED |= {"Upsample": "upsample"}
PTFLOPS_FUNCTIONS = {"adaptiveavgpool": "pool", "globalavgpool": "pool", "upsample": "upsample"}
"""Kinds the PyTorch front-end lowers from the function itself, which ptflops patches wherever it is called."""
# the modules that reach calflops' patched functions (a module of another class calls nothing it patched)
CALFLOPS_CALLED = {
    **{m: "conv" for m in _conv_modules()},
    "Linear": "dense",
    "ReLU": "relu",
    "PReLU": "prelu",
    "ELU": "elu",
    "LeakyReLU": "leakyrelu",
    "SiLU": "silu",
    "GELU": "gelu",
    **{m: "pool" for m in (*_n("MaxPool"), *_n("AvgPool"), *_n("AdaptiveMaxPool"), *_n("AdaptiveAvgPool"))},
    **{m: "norm" for m in (*_n("BatchNorm"), *_n("InstanceNorm"), "GroupNorm", "LayerNorm")},
    "Softmax": "softmax",
    "Upsample": "upsample",
    "Dropout": "dropout",
    "Embedding": "embedding",
}


def _calflops_norm(o: Op) -> int:
    if o.kind == "batchnorm":
        return o.inp * _affine(o)
    return o.inp * (5 if o.params else 4)


TOOL_TABLE: dict[str, Tool] = {
    "torchinfo": Tool(
        "torchinfo",
        "1.8.0",
        "mult-adds",
        "macs",
        rules={
            **{k: (lambda o: o.params * o.positions) for k in CONV},
            **{k: (lambda o: o.batch * o.params) for k in ("dense", *NORMS, "embedding", "prelu")},
        },
        leaf_params=True,
        differs="parameter-driven: biases and norm parameters count as mult-adds, a linear layer once per sample "
        "(not per token), nothing without parameters (pooling, activations, attention's products)",
    ),
    "fvcore": Tool(
        "fvcore",
        "0.1.5",
        "flops",
        "macs",
        rules={
            **{k: _convolution for k in CONV},
            "dense": lambda o: o.macs,
            "matmul": lambda o: o.macs,
            "batchnorm": lambda o: o.inp * _affine(o),
            "layernorm": lambda o: o.inp * (5 if o.params else 4),
            "groupnorm": lambda o: o.inp * (5 if o.params else 4),
            "instancenorm": lambda o: o.inp * (5 if o.params else 4),
            "adaptiveavgpool": lambda o: o.inp if len(o.in_shape) == 4 else 0,
            "globalavgpool": lambda o: o.inp if len(o.in_shape) == 4 else 0,
            "upsample": lambda o: o.out * {"nearest": 1, "bilinear": 4}.get(o.mode, 0) if len(o.out_shape) == 4 else 0,
        },
        differs="one per multiply-add, bias not counted; batch norm 2 per element, layer norm 5; adaptive average "
        "pooling counted; activations, max pooling, adds, softmax and SDPA skipped",
    ),
    "ptflops": Tool(
        "ptflops",
        "0.7.5",
        "MACs",
        "macs",
        rules={
            **{k: (lambda o: o.macs + o.bias * o.positions) for k in CONV},
            "dense": lambda o: o.macs + (o.bias * (o.out // o.out_shape[-1]) if o.bias else 0),
            **{k: (lambda o: o.out) for k in ("relu", "prelu", "elu", "leakyrelu", "relu6", "hardtanh", "gelu")},
            **{k: (lambda o: o.inp) for k in POOLS},
            **{k: (lambda o: o.inp * _affine(o)) for k in ("batchnorm", "instancenorm", "groupnorm", "layernorm")},
            "upsample": lambda o: o.out,
        },
        modules=PTFLOPS_MODULES,
        functional={
            "relu": lambda o: o.inp,
            "elu": lambda o: o.inp,
            "gelu": lambda o: o.inp,
            "silu": lambda o: o.inp,
            "softmax": lambda o: o.inp,
            "pool": lambda o: o.inp,
            "upsample": lambda o: o.out,
        },
        differs="MACs with biases; norms, activations and pooling counted elementwise, and a ReLU, pool or GELU "
        "module twice (its hook and the F.* it calls); x + y and x @ y not seen",
    ),
    "thop": Tool(
        "thop",
        "0.1.1",
        "MACs",
        "macs",
        rules={
            **{k: (lambda o: o.macs) for k in ("conv", "depthwise")},
            "convtranspose": lambda o: o.out * o.weight // (o.out_shape[1] if len(o.out_shape) > 1 else 1),
            "dense": lambda o: o.macs,
            **{k: (lambda o: 2 * o.inp * _affine(o)) for k in ("batchnorm", "layernorm", "instancenorm")},
            "prelu": lambda o: o.inp,
            "softmax": _softmax_thop,
            "avgpool": lambda o: o.out,
            "adaptiveavgpool": _adaptive_thop,
            "globalavgpool": _adaptive_thop,
            "upsample": lambda o: o.out * UPSAMPLE_THOP.get(o.mode, 0),
            **{k: (lambda o: 0) for k in ("relu", "relu6", "leakyrelu", "maxpool", "adaptivemaxpool", "dropout")},
        },
        modules=THOP_MODULES,
        params_of_ruled_only=True,
        differs="MACs of convolution and linear without bias; batch norm 4 per element; average pooling counted; "
        "a module without a rule (embedding, attention, a custom norm) counts 0 MACs and 0 params; functional ops 0",
    ),
    "calflops": Tool(
        "calflops",
        "0.3.2",
        "FLOPs",
        "flops",
        rules={
            **{k: (lambda o: 2 * o.macs + o.bias * o.positions) for k in CONV},
            "dense": lambda o: 2 * o.macs,
            "matmul": lambda o: 2 * o.macs,
            **{k: _calflops_norm for k in ("batchnorm", "layernorm", "groupnorm", "instancenorm")},
            **{k: (lambda o: o.inp) for k in ("relu", "prelu", "elu", "leakyrelu", "silu", "gelu", *POOLS)},
            "softmax": lambda o: o.inp,
        },
        macs={
            **{k: _convolution for k in CONV},
            "dense": lambda o: o.macs,
            "matmul": lambda o: o.macs,
        },
        differs="FLOPs = 2·MACs + convolution bias + activations, norms and pooling elementwise (linear bias, adds "
        "and SDPA not counted); MACs are convolution, linear and matmul's",
    ),
}
"""Every tool by name."""

# the module a notation layer stands for, as PyTorch would run it
NOTATION_MODULE = {
    "conv": "Conv{n}d",
    "depthwise": "Conv{n}d",
    "convtranspose": "ConvTranspose{n}d",
    "dense": "Linear",
    "batchnorm": "BatchNorm{n}d",
    "layernorm": "LayerNorm",
    "groupnorm": "GroupNorm",
    "instancenorm": "InstanceNorm{n}d",
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leakyrelu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "prelu": "PReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "maxpool": "MaxPool{n}d",
    "avgpool": "AvgPool{n}d",
    "globalavgpool": "AdaptiveAvgPool{n}d",
    "adaptiveavgpool": "AdaptiveAvgPool{n}d",
    "globalmaxpool": "AdaptiveMaxPool{n}d",
    "adaptivemaxpool": "AdaptiveMaxPool{n}d",
    "dropout": "Dropout",
    "upsample": "Upsample",
    "embedding": "Embedding",
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "RNN",
    "flatten": "Flatten",
}


def parse_tool(value: object) -> str | None:
    """``as=thop`` (or ``thop``) as a tool's name, None for cnncalc's own conventions; else an ArgumentError."""
    text = str(getattr(value, "value", value)).strip().lower()
    if not text.startswith("as="):
        return None
    name = text[3:]
    if name not in TOOLS:
        raise ArgumentError(f"unknown tool '{name}' in --flops as=TOOL (choose {', '.join(TOOLS)})")
    return name


def _module_of(row: Row, graph: Graph, spatial: int) -> tuple[str, bool]:
    """The module class a node ran as (its scope's, or the one a notation layer stands for) and whether it is a leaf."""
    if row.scope is not None and graph.depth is not None and graph.scopes:
        scope = graph.scopes[row.scope]
        leaf = not any(s.parent == scope.index for s in graph.scopes)
        return scope.kind, leaf
    name = NOTATION_MODULE.get(row.kind, "")
    return name.format(n=max(spatial, 1)), True


def _with_batch(shape: tuple[int, ...], traced: bool, batch: int) -> tuple[int, ...]:
    return tuple(shape) if traced else (batch, *shape)


def op_of(row: Row, graph: Graph, traced: bool, batch: int) -> Op:
    """One node's row as the tools' rules read it."""
    out_shape = _with_batch(row.output_shape, traced, batch)
    in_shape = _with_batch(row.input_shapes[0], traced, batch) if row.input_shapes else out_shape
    spatial = max(len(out_shape) - 2, 0)
    module, leaf = _module_of(row, graph, spatial)
    weight = bias = 0
    if row.kind in CONV and len(out_shape) > 1:
        per = prod(in_shape[2:]) * in_shape[0] if row.kind == "convtranspose" else prod(out_shape[:1] + out_shape[2:])
        weight = row.macs // per if per else 0
        bias = max(row.params - weight, 0)
    elif row.kind == "dense" and out_shape:
        rows = prod(out_shape[:-1])
        weight = row.macs // rows if rows else 0
        bias = max(row.params - weight, 0)
    mode = "nearest"  # an upsampling's mode is not on the row: nearest, nn.Upsample's and F.interpolate's default
    return Op(row.kind, module, out_shape, in_shape, row.macs, row.params, weight, bias, leaf, mode)


FUNCTIONS = {
    "conv",
    "depthwise",
    "convtranspose",
    "dense",
    "matmul",
    *NORMS,
    "embedding",
    "adaptiveavgpool",
    "upsample",
}
"""Kinds the PyTorch front-end lowers from a function call (F.conv2d, F.linear, F.batch_norm...): a tool that patches
those functions sees them wherever they are called."""


def sees(tool: Tool, op: Op) -> bool:
    """Whether the tool counts the node at all: through the module it ran as, or the function it was."""
    if tool.name == "torchinfo":
        return op.leaf
    if tool.modules is not None:
        return op.module in tool.modules.get(op.kind, ())
    if tool.name == "calflops":  # a patched F.*: called by its module, or by a forward (kinds lowered from F.*)
        return op.kind in FUNCTIONS or op.module in CALFLOPS_CALLED
    return True


def counts(tool: Tool, op: Op) -> tuple[int, int]:
    """The tool's count for one node (its figure, and the MACs beside it where the tool gives both)."""
    rule = tool.rules.get(op.kind)
    figure = int(rule(op)) if rule is not None and sees(tool, op) else 0
    if tool.functional is not None:  # ptflops: the patched F.* a hooked module calls counts once more
        called = PTFLOPS_CALLED.get(op.module)
        if called is None and op.kind in PTFLOPS_FUNCTIONS and op.module not in PTFLOPS_MODULES.get(op.kind, ()):
            called = PTFLOPS_FUNCTIONS[op.kind]  # F.adaptive_avg_pool2d or F.interpolate in a forward
        if called is not None and _calls(op, called):
            figure += int(tool.functional[called](op))
    macs = 0
    if tool.macs is not None and op.kind in tool.macs and sees(tool, op):
        macs = int(tool.macs[op.kind](op))
    return figure, macs


def _calls(op: Op, called: str) -> bool:
    """Whether the node is the op the module's patched function computes (not another node in the module)."""
    if called == "pool":
        return op.kind in POOLS
    return op.kind == called


def tool_params(tool: Tool, op: Op) -> int:
    """The parameters the tool counts for a node: thop only those of modules it has a rule for."""
    if tool.params_of_ruled_only and op.module not in tool.modules.get(op.kind, ()):  # type: ignore[union-attr]
        return 0
    return op.params


def apply(nodes: list[Row], graph: Graph, tool_name: str, traced: bool, batch: int) -> list[Row]:
    """Every node's row with the tool's figure as its FLOPs (and, for calflops, its MACs as the MACs)."""
    tool = TOOL_TABLE[tool_name]
    out = []
    for row in nodes:
        figure, macs = counts(tool, op_of(row, graph, traced, batch))
        changed = {"flops": figure}
        if tool.macs is not None:
            changed["macs"] = macs
        out.append(replace(row, **changed))
    return out


def convention_note(tool_name: str) -> str:
    """The footer's line for a tool's convention."""
    tool = TOOL_TABLE[tool_name]
    said = f"{tool.name} {tool.version}'s {tool.figure}"
    return f"{said}, by its rules: {tool.differs}"


MODULE_TOOLS = ("torchinfo", "ptflops", "thop")


def check_source(tool_name: str, graph: Graph, nodes: list[Row]) -> None:
    """Refuse a module-hook tool on notation layers that stand for modules the notation does not name.

    An attention or transformer layer of the notation (a composite) may be built from
    ``nn.MultiheadAttention`` or from linear layers and ``F.scaled_dot_product_attention``:
    torchinfo, ptflops and thop count those differently, and the notation does not say which.
    """
    if tool_name not in MODULE_TOOLS or graph.depth is not None:
        return
    from cnncalc.layers.registry import REGISTRY

    composite = sorted({n.kind for n in graph.nodes if n.kind in REGISTRY and REGISTRY[n.kind].expand is not None})
    if composite:
        raise ArgumentError(
            f"--flops as={tool_name}: {tool_name} counts through the modules a model is built from, and the "
            f"notation's {', '.join(composite)} layers do not say which modules those are",
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
        try:
            report = analyze_graph(graph_of(), Options.make(base, tool=name))
        except ArgumentError as e:
            sides.append(Side(f"as={name}", tool.figure, -1, -1, -1, str(e.message)))
            continue
        params = report.totals.params
        if tool.params_of_ruled_only:
            params = _ruled_params(tool, report, graph_of())
        if name == "ptflops":
            params = report.totals.trainable_params
        total = report.totals.flops
        equivalent = total // 2 if tool.unit == "flops" else total
        sides.append(Side(f"as={name}", f"{tool.name} {tool.figure}", total, equivalent, params, tool.differs))
    return sides


def _ruled_params(tool: Tool, report: object, graph: Graph) -> int:
    nodes = report.node_rows  # type: ignore[attr-defined]
    traced = report.traced  # type: ignore[attr-defined]
    batch = report.batch  # type: ignore[attr-defined]
    return sum(tool_params(tool, op_of(r, graph, traced, batch)) for r in nodes)
