"""Counting rules for PyTorch's aten operators: one small formula per operator, in one registry.

Imported only by :mod:`cnncalc.frontends.torch` (it imports torch). Every formula
receives the operator's arguments with each tensor replaced by its shape (a
``tuple[int, ...]``), and the output's shape, and returns an :class:`OpCost`:

- ``macs``: multiply-accumulates (mm, addmm, bmm, baddbmm, convolution,
  attention). FLOPs under every convention start at ``2·macs``; the ``matmul``
  convention stops there, which is exactly what
  ``torch.utils.flop_counter.FlopCounterMode`` counts (no bias, no causal discount).
- ``seed``: what the ``seed`` convention adds: one FLOP per pooling output, as the
  seeds count pooling (bias adds are not counted, as in seed 000).
- ``all``: what the ``all`` convention adds: every elementwise operation, one per
  output element unless a rule says otherwise (bias adds, activations, norms,
  pooling windows, residual adds, softmax, reductions).

An operator that is neither in :data:`RULES` nor in :data:`ZERO_COST` is *uncounted*:
the front-end lists it in the report, never adds it as a silent zero.

>>> cost("mm", ((64, 1568), (1568, 512)), {}, (64, 512)).macs   # 64·1568·512
51380224
>>> cost("view", ((1, 32, 7, 7), [1, -1]), {}, (1, 1568))
OpCost(macs=0, seed=0, all=0, formula='')
>>> cost("upsample_bicubic2d", ((1, 3, 8, 8),), {}, (1, 3, 16, 16)) is None
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import Convention
from cnncalc.errors import CnnCalcError
from cnncalc.layers import REGISTRY, Calc, bind
from cnncalc.layers.base import fmt, times
from cnncalc.layers.elementwise import ACTIVATION_FLOPS
from cnncalc.layers.norm import BATCHNORM_FLOPS, normalize_per_element

Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OpCost:
    """What one call of an operator costs: MACs, and the extra FLOPs of the seed and all conventions."""

    macs: int = 0
    seed: int = 0
    all: int = 0
    formula: str = ""

    def flops(self, convention: Convention) -> int:
        """``2·macs`` plus this convention's extras."""
        extra = {Convention.seed: self.seed, Convention.all: self.all}.get(convention, 0)
        return 2 * self.macs + extra


Rule = Callable[[tuple[Any, ...], dict[str, Any], Any], OpCost]
RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register a formula under one or more aten names (without namespace and overload); twice raises."""

    def deco(fn: Rule) -> Rule:
        for name in names:
            if name in RULES or name in ZERO_COST:
                raise RuntimeError(f"aten operator {name!r} has two counting rules")
            RULES[name] = fn
        return fn

    return deco


def numel(shape: Any) -> int:
    return math.prod(shape) if isinstance(shape, tuple) else 1


def first_shape(value: Any) -> Shape:
    """The first tensor shape in an output (operators such as max_pool2d_with_indices return tuples)."""
    if isinstance(value, tuple) and (not value or isinstance(value[0], int)):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            if isinstance(item, tuple):
                return first_shape(item)
    return ()


def base_name(name: str) -> str:
    """``add_`` → ``add``: an in-place operator counts as its out-of-place twin."""
    if name.endswith("_") and not name.endswith("__"):
        return name[:-1]
    return name


def cost(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost | None:
    """The cost of one call of aten operator ``name``; ``None`` when no rule counts it."""
    key = base_name(name)
    if key in ZERO_COST:
        return OpCost()
    fn = RULES.get(key)
    return None if fn is None else fn(args, kwargs, out)


# ---------------------------------------------------------------- zero cost: shapes, copies, lookups, creation

ZERO_COST: frozenset[str] = frozenset(
    # views and reshapes
    "view _unsafe_view view_as reshape _reshape_alias permute transpose t expand expand_as squeeze unsqueeze "
    "flatten unflatten as_strided alias diagonal movedim swapaxes unfold narrow select slice detach lift_fresh "
    "view_copy permute_copy transpose_copy t_copy expand_copy squeeze_copy unsqueeze_copy slice_copy select_copy "
    "alias_copy detach_copy _reshape_copy "
    # copies and data movement (no arithmetic)
    "clone contiguous copy _to_copy to lift_fresh_copy cat stack split split_with_sizes unsafe_split "
    "unsafe_split_with_sizes chunk unbind index_select gather index _unsafe_index embedding repeat roll flip "
    "constant_pad_nd pad reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d replication_pad2d "
    "replication_pad3d pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle resize "
    "upsample_nearest1d upsample_nearest2d upsample_nearest3d _upsample_nearest_exact2d "
    # creation, randomness and bookkeeping
    "empty empty_like empty_strided new_empty new_empty_strided zeros zeros_like new_zeros ones ones_like new_ones "
    "full full_like new_full fill zero arange scalar_tensor randn randn_like rand rand_like randint randint_like "
    "normal uniform tril triu _local_scalar_dense set sym_size sym_stride sym_numel native_dropout dropout "
    "_assert_async _assert_tensor_metadata _functional_assert_async".split()
)
"""Operators that do no arithmetic: views, reshapes, copies, concatenation, lookups, tensor creation.

Dropout is here because cnncalc counts inference, where dropout is the identity.
"""


# ---------------------------------------------------------------- multiply-accumulate operators


@rule("mm")
def mm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``(m, k) @ (k, n)``: ``m·k·n`` MACs."""
    (m, k), (_, n) = args[0], args[1]
    return OpCost(macs=m * k * n, formula=f"{m}·{k}·{n}")


@rule("addmm")
def addmm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``bias + (m, k) @ (k, n)``: ``m·k·n`` MACs; the bias add ``m·n`` under ``all`` only."""
    (m, k), (_, n) = args[1], args[2]
    return OpCost(macs=m * k * n, all=m * n, formula=f"{m}·{k}·{n}")


@rule("bmm")
def bmm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``(b, m, k) @ (b, k, n)``: ``b·m·k·n`` MACs."""
    (b, m, k), (_, _, n) = args[0], args[1]
    return OpCost(macs=b * m * k * n, formula=f"{b}·{m}·{k}·{n}")


@rule("baddbmm")
def baddbmm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``bias + (b, m, k) @ (b, k, n)``: ``b·m·k·n`` MACs; the add ``b·m·n`` under ``all``."""
    (b, m, k), (_, _, n) = args[1], args[2]
    return OpCost(macs=b * m * k * n, all=b * m * n, formula=f"{b}·{m}·{k}·{n}")


@rule("mv")
def mv(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Matrix times vector ``(m, k) @ (k,)``: ``m·k`` MACs. NB: FlopCounterMode has no rule for mv."""
    m, k = args[0]
    return OpCost(macs=m * k, formula=f"{m}·{k}")


@rule("addmv")
def addmv(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """``bias + (m, k) @ (k,)``: ``m·k`` MACs, the add ``m`` under ``all``. NB: not in FlopCounterMode."""
    m, k = args[1]
    return OpCost(macs=m * k, all=m, formula=f"{m}·{k}")


@rule("dot", "vdot")
def dot(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Dot product of two vectors of ``n``: ``n`` MACs. NB: FlopCounterMode has no rule for dot."""
    (n,) = args[0]
    return OpCost(macs=n, formula=str(n))


@rule("convolution", "_convolution")
def convolution(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Convolution: ``N·C_out·∏out·(C_in/g)·∏k`` MACs; transposed ``N·C_in·∏in·(C_out/g)·∏k``.

    The weight's shape ``(C_out, C_in/g, *k)`` (transposed: ``(C_in, C_out/g, *k)``)
    carries the per-output work; the bias add (one per output) counts under ``all``.
    """
    x, w, bias = args[0], args[1], args[2]
    transposed = bool(args[6]) if len(args) > 6 else bool(kwargs.get("transposed", False))
    per_position = numel(w[1:])
    out_shape = first_shape(out)
    if transposed:
        positions, text = numel(x), f"{times(x)}·({times(w[1:])})"
    else:
        positions, text = numel(out_shape), f"{times(out_shape)}·({times(w[1:])})"
    bias_adds = numel(out_shape) if isinstance(bias, tuple) else 0
    return OpCost(macs=positions * per_position, all=bias_adds, formula=text)


def attention_cost(q: Shape, k: Shape, v: Shape, *, masked: bool) -> OpCost:
    """Scaled dot-product attention: ``B·L·S·E`` (scores) + ``B·L·S·Ev`` (weighted sum) MACs.

    ``B`` is every leading axis (batch·heads). Under ``all``: the scale (1 per score),
    the mask when there is one (1 per score) and softmax (3 per score). NB: a causal
    mask is not discounted, as FlopCounterMode does not; a kernel that skips the
    masked half does about half the work.
    """
    b = numel(q[:-2])
    length, e = q[-2], q[-1]
    s, ev = k[-2], v[-1]
    scores = b * length * s
    extra = scores * (1 + int(masked) + ACTIVATION_FLOPS["softmax"])
    text = f"{b}·{length}·{s}·{e} + {b}·{length}·{s}·{ev}"
    return OpCost(macs=scores * e + scores * ev, all=extra, formula=text)


@rule(
    "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_flash_attention",
    "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_cudnn_attention",
    "_scaled_dot_product_attention_math",
)
def sdpa(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """The fused attention kernels: see :func:`attention_cost` (inputs ``(B, H, L, E)``)."""
    return attention_cost(args[0], args[1], args[2], masked=bool(kwargs.get("is_causal")))


# ---------------------------------------------------------------- pooling: the core's pool kinds


def _pool_with_core(kind: str, x: Shape, positional: list[Any], keywords: list[tuple[str, Any]], nd: int) -> OpCost:
    """Pooling counted by the core's own pool kind on ``(channels, *spatial)``; leading axes fold into channels."""
    core = (numel(x[:-nd]), *x[-nd:])
    c = Calc(Convention.seed)
    try:
        REGISTRY[kind].infer(bind(REGISTRY[kind], positional, keywords), (core,), c)
    except CnnCalcError as e:  # torch accepted these arguments; the core disagreeing is a cnncalc bug
        raise RuntimeError(f"cnncalc's {kind} rule rejects arguments torch accepted: {e}") from None
    seed = sum(v for v, _ in c.extra[Convention.seed])
    every = sum(v for v, _ in c.extra[Convention.all])
    return OpCost(seed=seed, all=every, formula="; ".join(f for _, f in c.extra[Convention.all]))


def _ints(value: Any, nd: int, default: Sequence[int] | None = None) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    if not items and default is not None:
        return tuple(default)
    return items * nd if len(items) == 1 else items


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], i: int, name: str, default: Any) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _window_pool(kind: str, nd: int) -> Rule:
    def count(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        x = args[0]
        kernel = _ints(_arg(args, kwargs, 1, "kernel_size", 1), nd)
        stride = _ints(_arg(args, kwargs, 2, "stride", ()), nd, kernel)
        padding = _ints(_arg(args, kwargs, 3, "padding", 0), nd)
        keywords: list[tuple[str, Any]] = [("stride", stride), ("padding", padding)]
        if kind == "maxpool":
            keywords.append(("dilation", _ints(_arg(args, kwargs, 4, "dilation", 1), nd)))
            keywords.append(("ceil_mode", bool(_arg(args, kwargs, 5, "ceil_mode", False))))
        else:
            keywords.append(("ceil_mode", bool(_arg(args, kwargs, 4, "ceil_mode", False))))
        return _pool_with_core(kind, x, [kernel], keywords, nd)

    count.__doc__ = f"{kind} over {nd} axes: the core's rule (seed: 1 per output; all: the window's work)."
    return count


for _nd in (1, 2, 3):
    rule(f"max_pool{_nd}d", f"max_pool{_nd}d_with_indices")(_window_pool("maxpool", _nd))
    rule(f"avg_pool{_nd}d")(_window_pool("avgpool", _nd))


def _adaptive_pool(kind: str, nd: int) -> Rule:
    def count(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        return _pool_with_core(kind, args[0], [_ints(args[1], nd)], [], nd)

    count.__doc__ = f"{kind} to a target size over {nd} axes: the core's rule."
    return count


for _nd in (1, 2, 3):
    rule(f"adaptive_max_pool{_nd}d")(_adaptive_pool("adaptivemaxpool", _nd))
    rule(f"_adaptive_avg_pool{_nd}d", f"adaptive_avg_pool{_nd}d")(_adaptive_pool("adaptiveavgpool", _nd))


# ---------------------------------------------------------------- elementwise work (counted under `all`)


def per_output(flops: int) -> Rule:
    """A rule for ``flops`` elementwise operations per output element."""

    def count(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        n = numel(first_shape(out))
        return OpCost(all=flops * n, formula=f"{flops}·{fmt(n)}" if flops != 1 else fmt(n))

    count.__doc__ = f"{flops} per output element, under ``all``."
    return count


def per_input(flops: int) -> Rule:
    """A rule for ``flops`` operations per input element (reductions)."""

    def count(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
        n = numel(args[0]) if args and isinstance(args[0], tuple) else 0
        return OpCost(all=flops * n, formula=f"{flops}·{fmt(n)}" if flops != 1 else fmt(n))

    count.__doc__ = f"{flops} per input element, under ``all``."
    return count


# Activations use the core's table (relu 1, softmax 3, ... per element).
ACTIVATIONS = {
    "relu": "relu",
    "threshold": "relu",
    "hardtanh": "hardtanh",
    "leaky_relu": "leakyrelu",
    "_prelu_kernel": "prelu",
    "prelu": "prelu",
    "elu": "elu",
    "selu": "selu",
    "celu": "celu",
    "gelu": "gelu",
    "silu": "silu",
    "mish": "mish",
    "sigmoid": "sigmoid",
    "hardsigmoid": "hardsigmoid",
    "tanh": "tanh",
    "hardswish": "hardswish",
    "softplus": "softplus",
    "_softmax": "softmax",
    "_safe_softmax": "softmax",
    "_log_softmax": "logsoftmax",
}
for _aten, _core in ACTIVATIONS.items():
    rule(_aten)(per_output(ACTIVATION_FLOPS[_core]))

UNARY_BINARY = (
    "add sub rsub mul div neg pow sqrt rsqrt exp exp2 expm1 log log2 log10 log1p abs reciprocal sin cos tan "
    "asin acos atan sinh cosh atan2 erf erfc erfinv sign sgn floor ceil round trunc frac maximum minimum fmax fmin "
    "clamp clamp_min clamp_max fmod remainder floor_divide square eq ne lt le gt ge logical_not logical_and "
    "logical_or logical_xor bitwise_not bitwise_and bitwise_or bitwise_xor where masked_fill bernoulli isnan "
    "isinf nan_to_num hypot xlogy logaddexp sigmoid_backward"
).split()
for _name in UNARY_BINARY:
    rule(_name)(per_output(1))
rule("addcmul", "addcdiv", "lerp")(per_output(2))

REDUCTIONS = "sum mean amax amin max min prod argmax argmin logsumexp cumsum cumprod linalg_vector_norm norm any all"
for _name in REDUCTIONS.split():
    rule(_name)(per_input(1))
rule("var", "std", "var_mean", "std_mean")(per_input(3))


@rule(
    "native_batch_norm",
    "_native_batch_norm_legit",
    "_native_batch_norm_legit_no_training",
    "_native_batch_norm_legit_functional",
    "cudnn_batch_norm",
    "miopen_batch_norm",
)
def batch_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Batch norm: 2 per element under ``all`` (the folded scale and shift of inference, as the core counts)."""
    n = numel(args[0])
    return OpCost(all=BATCHNORM_FLOPS * n, formula=f"{BATCHNORM_FLOPS}·{fmt(n)}")


def _norm_cost(x: Shape, affine: bool) -> OpCost:
    per = normalize_per_element(affine)
    return OpCost(all=per * numel(x), formula=f"{per}·{fmt(numel(x))}")


@rule("native_layer_norm")
def layer_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Layer norm: 5 per element (mean 1, variance 2, normalise 2), +2 with an affine γ, β."""
    weight = args[2] if len(args) > 2 else kwargs.get("weight")
    return _norm_cost(args[0], isinstance(weight, tuple))


@rule("native_group_norm")
def group_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """Group norm: as layer norm, 5 per element, +2 with an affine γ, β."""
    weight = args[1] if len(args) > 1 else kwargs.get("weight")
    return _norm_cost(args[0], isinstance(weight, tuple))


@rule("_fused_rms_norm", "rms_norm")
def rms_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> OpCost:
    """RMS norm: 3 per element (square-and-add 2, scale 1), +1 with a weight."""
    n = numel(args[0])
    weight = len(args) > 2 and isinstance(args[2], tuple)
    per = 3 + int(weight)
    return OpCost(all=per * n, formula=f"{per}·{fmt(n)}")
