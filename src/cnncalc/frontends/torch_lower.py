"""What a traced PyTorch operation becomes in the Graph: translation tables, no arithmetic on counts.

Imported only by :mod:`cnncalc.frontends.torch` (it imports torch). Three tables,
each mapping what ran to a core kind and its arguments (:class:`Lowered`):

- :data:`FUNCTIONS`: functions lowered whole, before they decompose, because
  their arguments say what they are (``F.linear`` is a dense layer with a weight
  and a bias; ``F.scaled_dot_product_attention`` knows ``is_causal``; adaptive
  average pooling runs as ``aten.mean``);
- :data:`MODULES`: modules lowered whole (the recurrent layers, whose
  per-step arithmetic is one kind's formula);
- :data:`ATEN`: every other aten operator by name: matrix products,
  activations, pointwise ops, reductions, pools, and the operators that only
  view, copy or create tensors.

An operator in no table becomes an ``uncounted`` node, listed in the report,
never a silent zero. The formulas live in the layer kinds
(:mod:`cnncalc.layers`), shared with the notation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling
from torch import nn

from cnncalc.errors import ShapeError
from cnncalc.layers.elementwise import ATEN_ACTIVATIONS, POINTWISE_FLOPS, REDUCE_FLOPS


@dataclass
class Lowered:
    """One node to add: its kind and arguments, the tensors it reads, and those in its weight slots.

    ``operands`` are read as data (activations, or model tensors an op uses
    directly); ``weights`` fill the kind's weight slots and are counted as its
    parameters; ``lead`` leading axes of the operands are repetitions.
    """

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    operands: Sequence[Any] = ()
    weights: Sequence[Any] = ()
    lead: int = 0
    shapes: Sequence[tuple[int, ...]] | None = None  # the operands' shapes as the kind reads them, when reordered
    call: str = ""  # the function it runs as inside a module lowered whole (F.linear in nn.MultiheadAttention)


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any], names: str) -> dict[str, Any]:
    """A function's arguments by name, from ``names`` (``"input weight bias=None"``, defaults after ``=``)."""
    out: dict[str, Any] = {}
    for i, spec in enumerate(names.split()):
        name, _, default = spec.partition("=")
        if i < len(args):
            out[name] = args[i]
        elif name in kwargs:
            out[name] = kwargs[name]
        else:
            out[name] = eval(default) if default else None  # noqa: S307 - literals written here, never user text
    return out


def _ints(value: Any, n: int) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, (list, tuple, torch.Size)) else (value,)
    items = tuple(int(v) for v in items)
    return items * n if len(items) == 1 else items


def _tensors(*values: Any) -> list[torch.Tensor]:
    return [v for v in values if isinstance(v, torch.Tensor)]


# ---------------------------------------------------------------- functions lowered whole


def _conv(nd: int) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        a = _bind(args, kwargs, "input weight bias=None stride=1 padding=0 dilation=1 groups=1")
        x, w = a["input"], a["weight"]
        kernel = tuple(w.shape[2:])
        stride, dilation = _ints(a["stride"], nd), _ints(a["dilation"], nd)
        return Lowered(
            "conv",
            {
                "filters": int(w.shape[0]),
                "kernel": kernel,
                "stride": stride,
                "padding": _padding(a["padding"], kernel, dilation, nd),
                "dilation": dilation,
                "groups": int(a["groups"]),
                "bias": a["bias"] is not None,
                "rank": nd,
            },
            (x,),
            _tensors(w, a["bias"]),
            x.dim() - nd - 1,
        )

    return lower


def _padding(value: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], nd: int) -> Any:
    """PyTorch's padding as the core's per-side pairs: its ``same`` puts the odd pixel at the end (stride 1)."""
    if isinstance(value, str):
        if value == "valid":
            return ((0, 0),) * nd
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in _ints(value, nd))


def _conv_transpose(nd: int) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        a = _bind(args, kwargs, "input weight bias=None stride=1 padding=0 output_padding=0 groups=1 dilation=1")
        x, w = a["input"], a["weight"]
        groups = int(a["groups"])
        if x.dim() > nd and x.shape[-nd - 1] != w.shape[0]:  # PyTorch checks this on the CPU, not on meta tensors
            raise ShapeError(
                f"conv_transpose{nd}d's weight {list(w.shape)} takes {w.shape[0]} input channels, "
                f"but its input {list(x.shape)} has {x.shape[-nd - 1]}"
            )
        return Lowered(
            "convtranspose",
            {
                "filters": int(w.shape[1]) * groups,
                "kernel": tuple(w.shape[2:]),
                "stride": _ints(a["stride"], nd),
                "padding": tuple((p, p) for p in _ints(a["padding"], nd)),
                "output_padding": _ints(a["output_padding"], nd),
                "dilation": _ints(a["dilation"], nd),
                "groups": groups,
                "bias": a["bias"] is not None,
                "rank": nd,
            },
            (x,),
            _tensors(w, a["bias"]),
            x.dim() - nd - 1,
        )

    return lower


def _linear(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input weight bias=None")
    x, w = a["input"], a["weight"]
    units = int(w.shape[0]) if w.dim() == 2 else 1
    return Lowered(
        "dense", {"units": units, "bias": a["bias"] is not None}, (x,), _tensors(w, a["bias"]), max(x.dim() - 1, 0)
    )


def _batch_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input running_mean running_var weight=None bias=None training=False momentum=0.1 eps=1e-5")
    x = a["input"]
    return Lowered(
        "batchnorm",
        {"affine": a["weight"] is not None, "track_running_stats": a["running_mean"] is not None, "momentum": None},
        (x,),
        _tensors(a["weight"], a["bias"], a["running_mean"], a["running_var"]),
        1 if x.dim() > 1 else 0,
    )


def _layer_norm(kind: str) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        if kind == "rmsnorm":
            a = _bind(args, kwargs, "input normalized_shape weight=None eps=None")
            a["bias"] = None
        else:
            a = _bind(args, kwargs, "input normalized_shape weight=None bias=None eps=1e-5")
        x = a["input"]
        shape = _ints(a["normalized_shape"], 1)
        kw: dict[str, Any] = {"shape": shape, "affine": a["weight"] is not None}
        if kind == "layernorm":
            kw["bias"] = a["bias"] is not None
        return Lowered(kind, kw, (x,), _tensors(a["weight"], a["bias"]), x.dim() - len(shape))

    return lower


def _group_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input num_groups weight=None bias=None eps=1e-5")
    x = a["input"]
    return Lowered(
        "groupnorm",
        {"groups": int(a["num_groups"]), "affine": a["weight"] is not None},
        (x,),
        _tensors(a["weight"], a["bias"]),
        1,
    )


def _instance_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input running_mean=None running_var=None weight=None bias=None")
    x = a["input"]
    return Lowered(
        "instancenorm",
        {"affine": a["weight"] is not None, "track_running_stats": a["running_mean"] is not None},
        (x,),
        _tensors(a["weight"], a["bias"], a["running_mean"], a["running_var"]),
        1,
    )


def _embedding(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input weight")
    ids, w = a["input"], a["weight"]
    return Lowered("embedding", {"vocab": int(w.shape[0]), "dim": int(w.shape[1])}, (ids,), (w,), ids.dim())


def _dropout(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input p=0.5 training=True inplace=False")
    rate = float(a["p"]) if a["training"] else 0.0  # in eval mode the identity
    return Lowered("dropout", {"rate": rate}, (a["input"],))


def _sdpa(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "query key value attn_mask=None dropout_p=0.0 is_causal=False scale=None")
    mask = a["attn_mask"]
    q = a["query"]
    operands = _tensors(q, a["key"], a["value"], mask)
    # the kind reads each sequence features first, (E, L), after the batch and heads as leading axes
    shapes = [(*t.shape[:-2], t.shape[-1], t.shape[-2]) if i < 3 else tuple(t.shape) for i, t in enumerate(operands)]
    kw = {"causal": bool(a["is_causal"]), "masked": mask is not None, "dropout": float(a["dropout_p"])}
    if not _flattens(a["value"]):  # PyTorch's math kernel copies v to multiply by it: autograd keeps the copy
        kw["copies_v"] = True
    return Lowered("sdpa", kw, operands, lead=q.dim() - 2, shapes=shapes)


def _flattens(t: torch.Tensor) -> bool:
    """Whether ``t``'s leading axes merge into one without a copy (its strides allow a view)."""
    try:
        t.view(-1, *t.shape[-2:])
    except (RuntimeError, ValueError):  # a fake tensor says so with a ValueError
        return False
    return True


def _adaptive_avg_pool(nd: int) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        a = _bind(args, kwargs, "input output_size")
        x = a["input"]
        size = a["output_size"]
        size = list(size) if isinstance(size, (list, tuple, torch.Size)) else [size] * nd
        size = [int(x.shape[x.dim() - nd + i]) if n is None else int(n) for i, n in enumerate(size)]
        return Lowered("adaptiveavgpool", {"output_size": tuple(size)}, (x,), (), x.dim() - nd - 1)

    return lower


def _interpolate(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``F.interpolate``: its mode and corners, and the size or scale as given (tools count by what was given),
    where the kind's arithmetic gives the size PyTorch did; else the size PyTorch gave."""
    a = _bind(args, kwargs, "input size=None scale_factor=None mode='nearest' align_corners=None")
    x = a["input"]
    nd = x.dim() - 2
    got = tuple(int(n) for n in out.shape[2:])
    kw: dict[str, Any] = {"mode": str(a["mode"])}
    if a["align_corners"] is not None:
        kw["align_corners"] = bool(a["align_corners"])
    size, scale = a["size"], a["scale_factor"]
    if isinstance(size, (int, list, tuple, torch.Size)) and not isinstance(size, bool):
        kw["size"] = int(size) if isinstance(size, int) else tuple(int(n) for n in size)
    if "size" not in kw and _scales(scale, nd) and _scaled(tuple(x.shape[2:]), _scales(scale, nd)) == got:
        kw["scale"] = tuple(float(s) for s in scale) if isinstance(scale, (list, tuple)) else float(scale)
    if "size" not in kw and "scale" not in kw or ("size" in kw and _sized(kw["size"], nd) != got):
        kw.pop("scale", None)
        kw["size"] = got
    return Lowered("upsample", kw, (x,), (), 1 if nd else 0)


def _scales(scale: Any, nd: int) -> tuple[float, ...]:
    """One positive scale per spatial axis, or () when ``scale`` is not one."""
    items = tuple(scale) if isinstance(scale, (list, tuple)) else (scale,) * nd
    ok = len(items) == nd and all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0 for s in items)
    return tuple(float(s) for s in items) if ok else ()


def _scaled(sizes: tuple[int, ...], scales: tuple[float, ...]) -> tuple[int, ...]:
    return tuple(int(n * s) for n, s in zip(sizes, scales))


def _sized(size: Any, nd: int) -> tuple[int, ...]:
    return tuple(size) if isinstance(size, tuple) else (size,) * nd


def _prelu(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "input weight")
    x, w = a["input"], a["weight"]
    return Lowered("prelu", {"shared": w.numel() == 1}, (x,), (w,), 1 if x.dim() > 1 else 0)


FUNCTIONS: dict[Callable[..., Any], Callable[..., Lowered]] = {
    F.linear: _linear,
    F.conv1d: _conv(1),
    F.conv2d: _conv(2),
    F.conv3d: _conv(3),
    F.conv_transpose1d: _conv_transpose(1),
    F.conv_transpose2d: _conv_transpose(2),
    F.conv_transpose3d: _conv_transpose(3),
    F.batch_norm: _batch_norm,
    F.layer_norm: _layer_norm("layernorm"),
    F.rms_norm: _layer_norm("rmsnorm"),
    F.group_norm: _group_norm,
    F.instance_norm: _instance_norm,
    F.embedding: _embedding,
    F.scaled_dot_product_attention: _sdpa,
    F.adaptive_avg_pool1d: _adaptive_avg_pool(1),
    F.adaptive_avg_pool2d: _adaptive_avg_pool(2),
    F.adaptive_avg_pool3d: _adaptive_avg_pool(3),
    F.interpolate: _interpolate,
    F.prelu: _prelu,
    F.dropout: _dropout,
}
"""Functions lowered whole: each maps its arguments to a kind; the operators it runs inside are not seen."""


# ---------------------------------------------------------------- modules lowered whole

Step = tuple[Lowered, Any, str]  # a node to add, the tensor(s) it outputs, its label


def _token(*shape: int) -> torch.Tensor:
    """A stand-in for a tensor a module makes inside its forward (its shape is all the Graph needs)."""
    return torch.empty(shape, device="meta")


def _recurrent(kind: str) -> Callable[..., list[Step]]:
    def lower(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> list[Step]:
        m: Any = module
        x = args[0] if args else kwargs["input"]
        kw: dict[str, Any] = {
            "hidden": int(m.hidden_size),
            "num_layers": int(m.num_layers),
            "bidirectional": bool(m.bidirectional),
            "bias": bool(m.bias),
            "batch_first": bool(m.batch_first),
        }
        if kind == "lstm" and getattr(m, "proj_size", 0):
            kw["proj_size"] = int(m.proj_size)
        # the kind reads a sequence as the core holds it, features first: (d, L), the batch leading
        if isinstance(x, nn.utils.rnn.PackedSequence):  # the steps of every sequence, packed: one sequence of them
            data = x.data
            low = Lowered(kind, kw, (data,), list(module.parameters()), 0, shapes=((data.shape[1], data.shape[0]),))
            return [(low, output, kind)]
        shape = tuple(x.shape)
        if x.dim() == 3:
            n, length = (shape[0], shape[1]) if m.batch_first else (shape[1], shape[0])
            core: tuple[int, ...] = (n, shape[2], length)
        else:
            core = (shape[1], shape[0])
        low = Lowered(kind, kw, (x,), list(module.parameters()), x.dim() - 2, shapes=(core,))
        return [(low, output, kind)]

    return lower


def _attention_module(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> list[Step]:
    """``nn.MultiheadAttention``: the input projections, scaled dot-product attention, the output projection.

    Lowered as what its forward computes, whichever kernel it picks: the
    ``need_weights`` path's matrix products and softmax are the same attention.
    """
    m: Any = module
    a = _bind(args, kwargs, "query key value key_padding_mask=None need_weights=True attn_mask=None")
    q, k, v = a["query"], a["key"], a["value"]
    batched = q.dim() == 3
    if batched and not m.batch_first:
        q_len, n = int(q.shape[0]), int(q.shape[1])
        s_len = int(k.shape[0])
    else:
        q_len, s_len = int(q.shape[-2]), int(k.shape[-2])
        n = int(q.shape[0]) if batched else 1
    s_len += int(m.bias_k is not None) + int(m.add_zero_attn)
    e, h = int(m.embed_dim), int(m.num_heads)
    hd = e // h
    lead = q.dim() - 1
    bias = m.in_proj_bias is not None
    steps: list[Step] = []
    if m._qkv_same_embed_dim and q is k and k is v:
        qkv = _token(*q.shape[:-1], 3 * e)
        steps.append(
            (
                Lowered(
                    "dense",
                    {"units": 3 * e, "bias": bias},
                    (q,),
                    _tensors(m.in_proj_weight, m.in_proj_bias),
                    lead,
                    call="F.linear",
                ),
                qkv,
                "in_proj",
            )
        )
        sources = (qkv, qkv, qkv)
    else:
        weights = (
            (m.in_proj_weight, m.in_proj_weight, m.in_proj_weight)
            if m._qkv_same_embed_dim
            else (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight)
        )
        sources = []
        for name, x, w in zip("qkv", (q, k, v), weights):
            out = _token(*x.shape[:-1], e)
            steps.append(
                (
                    Lowered(
                        "dense",
                        {"units": e, "bias": bias},
                        (x,),
                        _tensors(w, m.in_proj_bias),
                        x.dim() - 1,
                        call="F.linear",
                    ),
                    out,
                    f"{name}_proj",
                )
            )
            sources.append(out)
    masks = _tensors(a["key_padding_mask"], a["attn_mask"])
    attn = _token(n, h, q_len, hd)
    shapes = [(n, h, hd, q_len), (n, h, hd, s_len), (n, h, hd, s_len)] + [tuple(t.shape) for t in masks]
    dropout = float(m.dropout) if m.training else 0.0
    # with need_weights, its forward multiplies and takes the softmax itself (torch.bmm, softmax), else it calls SDPA
    call = "F.multi_head_attention_forward" if a["need_weights"] else "F.scaled_dot_product_attention"
    sdpa = Lowered(
        "sdpa", {"masked": bool(masks), "dropout": dropout}, (*sources, *masks), lead=2, shapes=shapes, call=call
    )
    outs = [t for t in torch.utils._pytree.tree_leaves(output) if isinstance(t, torch.Tensor)]
    steps.append((sdpa, [attn, *outs[1:]], "attention"))
    out_proj: Any = m.out_proj
    steps.append(
        (
            Lowered(
                "dense",
                {"units": e, "bias": out_proj.bias is not None},
                (attn,),
                _tensors(out_proj.weight, out_proj.bias),
                2,
                shapes=[(n, q_len, e)],
                call="F.linear",
            ),
            outs[0],
            "out_proj",
        )
    )
    return steps


MODULES: dict[type, Callable[..., list[Step]]] = {
    nn.LSTM: _recurrent("lstm"),
    nn.GRU: _recurrent("gru"),
    nn.RNN: _recurrent("rnn"),
    nn.MultiheadAttention: _attention_module,
}
"""Modules lowered whole, as the nodes their forward amounts to (the operators inside are not seen):
the recurrent layers, which PyTorch runs as one fused op, and multi-head attention, whose functional
form hides its projections from a function mode."""


# ---------------------------------------------------------------- aten operators

VIEWS: frozenset[str] = frozenset(
    # views and reshapes
    "view _unsafe_view view_as reshape _reshape_alias permute transpose t expand expand_as squeeze unsqueeze "
    "flatten unflatten as_strided alias diagonal movedim swapaxes unfold narrow select slice detach "
    "view_copy permute_copy transpose_copy t_copy expand_copy squeeze_copy unsqueeze_copy slice_copy select_copy "
    "alias_copy detach_copy _reshape_copy split split_with_sizes unsafe_split unsafe_split_with_sizes chunk unbind "
    "tensor_split real imag view_as_real view_as_complex lift_fresh".split()
)
"""Operators whose output is their input's data seen anew: no node; readers read the input's node."""

CREATES: frozenset[str] = frozenset(
    "empty empty_like empty_strided new_empty new_empty_strided zeros zeros_like new_zeros ones ones_like new_ones "
    "full full_like new_full arange scalar_tensor randn randn_like rand rand_like randint randint_like normal "
    "uniform eye linspace logspace randperm".split()
)
"""Operators that create a tensor from nothing the model computed: a ``constant`` node (memory, no arithmetic)."""

IGNORED: frozenset[str] = frozenset(
    "_local_scalar_dense sym_size sym_stride sym_numel sym_storage_offset _assert_async _assert_tensor_metadata "
    "_functional_assert_async _assert_scalar set_ record_stream is_nonzero equal allclose item".split()
)
"""Operators that return no tensor the network computes with (sizes, assertions)."""

MOVES: frozenset[str] = frozenset(
    "stack index_select gather index _unsafe_index embedding repeat repeat_interleave roll flip constant_pad_nd "
    "pad reflection_pad1d reflection_pad2d reflection_pad3d replication_pad1d replication_pad2d replication_pad3d "
    "pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle upsample_nearest1d upsample_nearest2d "
    "upsample_nearest3d _upsample_nearest_exact1d _upsample_nearest_exact2d _upsample_nearest_exact3d copy fill "
    "zero index_put _index_put_impl scatter scatter_add index_copy index_fill masked_scatter diag_embed "
    "native_dropout dropout one_hot "
    # indices and packed sequences made from values (a forward run for real): a scan or a gather, no arithmetic
    "nonzero nonzero_static argwhere masked_select _pack_padded_sequence _pad_packed_sequence "
    "max_unpool2d max_unpool3d "
    # copies in another memory order or element type (a reshape of a transposed tensor, a cast): new memory
    "clone contiguous _to_copy to _copy_from _copy_from_and_resize lift_fresh_copy tril triu".split()
)
"""Operators that move data into a new tensor without arithmetic: a ``copy`` node."""


def base_name(name: str) -> str:
    """``add_`` → ``add``: an in-place operator lowers as its out-of-place twin."""
    if name.endswith("_") and not name.endswith("__"):
        return name[:-1]
    return name


def _matmul(bias_first: bool) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        if bias_first:  # addmm(bias, a, b), baddbmm(bias, a, b), addmv(bias, m, v)
            return Lowered("matmul", {"bias": True}, (args[1], args[2]), _tensors(args[0]))
        return Lowered("matmul", {}, (args[0], args[1]))

    return lower


def _grouped_mm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    a = _bind(args, kwargs, "mat_a mat_b offs=None bias=None")
    kw = {"groups": int(a["offs"].shape[0])} if a["offs"] is not None and a["mat_b"].dim() == 2 else {}
    return Lowered("groupedmm", kw, (a["mat_a"], a["mat_b"]), _tensors(a["bias"]))


def _pool(kind: str, nd: int) -> Callable[..., Lowered]:
    """max_pool*d(input, kernel, stride, padding, dilation, ceil_mode), avg_pool*d(input, kernel, stride, padding,
    ceil_mode, ...): a window pool of the core."""
    names = "input kernel_size stride=() padding=0 " + (
        "dilation=1 ceil_mode=False" if kind == "maxpool" else "ceil_mode=False"
    )

    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        a = _bind(args, kwargs, names)
        x = a["input"]
        kernel = _ints(a["kernel_size"], nd)
        kw = {
            "window": kernel,
            "stride": _ints(a["stride"], nd) if a["stride"] not in (None, [], ()) else kernel,
            "padding": tuple((p, p) for p in _ints(a["padding"], nd)),
            "ceil_mode": bool(a["ceil_mode"]),
            "rank": nd,
        }
        if kind == "maxpool":
            kw["dilation"] = _ints(a["dilation"], nd)
        return Lowered(kind, kw, (x,), (), x.dim() - nd - 1)

    return lower


def _adaptive_pool(kind: str, nd: int) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        x = args[0]
        return Lowered(kind, {"output_size": _ints(args[1], nd)}, (x,), (), x.dim() - nd - 1)

    return lower


def _activation(name: str) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        return Lowered(name, {}, _tensors(args[0]))

    return lower


def _pointwise(op: str) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        operands = _tensors(*args, *kwargs.values())
        return Lowered("elementwise", {"op": op}, operands)

    return lower


def _reduce(op: str) -> Callable[..., Lowered]:
    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        return Lowered("reduce", {"op": op}, _tensors(args[0]))

    return lower


def _sort(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    x = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 and not isinstance(args[1], bool) else -1)
    return Lowered("sort", {"length": int(x.shape[dim]) if x.dim() else 1}, (x,))


def _topk(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``torch.topk`` along the last axis (a router's pick): the kind reads the scores features first."""
    a = _bind(args, kwargs, "input k dim=-1")
    x = a["input"]
    if int(a["dim"]) % max(x.dim(), 1) != max(x.dim() - 1, 0):
        return Lowered("uncounted", {"op": "aten.topk", "shape": tuple(out[0].shape)}, (x,))
    shape = (*x.shape[:-2], x.shape[-1], x.shape[-2]) if x.dim() >= 2 else (x.shape[0], 1)
    return Lowered("topk", {"k": int(a["k"])}, (x,), lead=max(x.dim() - 2, 0), shapes=[tuple(shape)])


def _cat(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    tensors = list(args[0])
    dim = int(args[1]) if len(args) > 1 else int(kwargs.get("dim", 0))
    full = [t for t in tensors if t.numel() > 0]
    if len(full) >= 2 and len({t.dim() for t in full}) == 1:
        return Lowered("concat", {"axis": dim}, full)
    return Lowered("copy", {"op": "cat", "shape": tuple(out.shape)}, full)


# aten's reduction argument of a loss, in its words
REDUCTION_WORDS = {0: "none", 1: "mean", 2: "sum"}


def _loss(kind: str, names: str) -> Callable[..., Lowered]:
    """A loss the model computes itself (``F.cross_entropy`` ends in ``nll_loss_forward``; ``F.mse_loss``)."""

    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        a = _bind(args, kwargs, names)
        reduction = REDUCTION_WORDS.get(int(a["reduction"]), "mean")
        return Lowered(kind, {"reduction": reduction}, _tensors(a["self"], a["target"]))

    return lower


def _aten_convolution(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``aten.convolution`` (a scripted or traced module's convolution, which no function mode sees): the
    conv or transposed conv its arguments say, by the same rules as ``F.conv2d`` and ``F.conv_transpose2d``."""
    a = _bind(args, kwargs, "input weight bias stride padding dilation transposed output_padding groups")
    nd = a["weight"].dim() - 2
    if a["transposed"]:
        order = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")
        return _conv_transpose(nd)(tuple(a[k] for k in order), {}, out)
    return _conv(nd)(
        tuple(a[k] for k in ("input", "weight", "bias", "stride", "padding", "dilation", "groups")), {}, out
    )


def _aten_batch_norm(names: str) -> Callable[..., Lowered]:
    """``aten.native_batch_norm`` and its variants, as ``F.batch_norm``."""

    def lower(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
        stats = len(args) <= 3 or args[3] is None or isinstance(args[3], torch.Tensor)
        a = _bind(args, kwargs, names if stats else "input weight bias training")  # the overload without statistics
        order = ("input", "running_mean", "running_var", "weight", "bias", "training")
        return _batch_norm(tuple(a.get(k) for k in order), {}, out)

    return lower


def _aten_layer_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``aten.native_layer_norm(input, normalized_shape, weight, bias, eps)``, as ``F.layer_norm``."""
    return _layer_norm("layernorm")(args[:4], {}, out)


def _aten_group_norm(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``aten.native_group_norm(input, weight, bias, N, C, HxW, group, eps)``, as ``F.group_norm``."""
    a = _bind(args, kwargs, "input weight bias n c hxw group eps")
    return _group_norm((a["input"], a["group"], a["weight"], a["bias"]), {}, out)


def _index_add(args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> Lowered:
    """``index_add(self, dim, index, source)``: the source's rows added into ``self`` (an ``indexadd`` node)."""
    a = _bind(args, kwargs, "input dim index source alpha=1")
    return Lowered("indexadd", {}, (a["input"], a["source"]))


ATEN: dict[str, Callable[..., Lowered]] = {
    "mm": _matmul(False),
    "bmm": _matmul(False),
    "mv": _matmul(False),
    "dot": _matmul(False),
    "vdot": _matmul(False),
    "_scaled_mm": _matmul(False),
    "addmm": _matmul(True),
    "baddbmm": _matmul(True),
    "addmv": _matmul(True),
    "_grouped_mm": _grouped_mm,
    # what a scripted or traced module runs in place of the functions lowered whole (no function mode sees it)
    "convolution": _aten_convolution,
    "native_batch_norm": _aten_batch_norm("input weight bias running_mean running_var training"),
    "_native_batch_norm_legit_no_training": _aten_batch_norm("input weight bias running_mean running_var"),
    "_native_batch_norm_legit": _aten_batch_norm("input weight bias running_mean running_var training"),
    "native_layer_norm": _aten_layer_norm,
    "native_group_norm": _aten_group_norm,
    "cat": _cat,
    "sort": _sort,
    "topk": _topk,
    "nll_loss_forward": _loss("nll", "self target weight=None reduction=1 ignore_index=-100"),
    "nll_loss2d_forward": _loss("nll", "self target weight=None reduction=1 ignore_index=-100"),
    "mse_loss": _loss("mse", "self target reduction=1"),
    **{f"max_pool{n}d": _pool("maxpool", n) for n in (1, 2, 3)},
    **{f"max_pool{n}d_with_indices": _pool("maxpool", n) for n in (1, 2, 3)},
    **{f"avg_pool{n}d": _pool("avgpool", n) for n in (1, 2, 3)},
    **{f"adaptive_max_pool{n}d": _adaptive_pool("adaptivemaxpool", n) for n in (1, 2, 3)},
    **{f"_adaptive_avg_pool{n}d": _adaptive_pool("adaptiveavgpool", n) for n in (1, 2, 3)},
    **{f"adaptive_avg_pool{n}d": _adaptive_pool("adaptiveavgpool", n) for n in (1, 2, 3)},
    **{op: _activation(name) for op, name in ATEN_ACTIVATIONS.items()},
    **{op: _pointwise(op) for op in POINTWISE_FLOPS},
    **{op: _reduce(op) for op in REDUCE_FLOPS},
    "_is_all_true": _reduce("all"),  # a distribution checking its arguments: (x == x).all()
    "index_add": _index_add,
    "_weight_norm_interface": _pointwise("weight_norm"),  # torch.nn.utils.weight_norm's w = g·v/‖v‖
    "_is_any_true": _reduce("any"),
}
"""Aten operators that compute, by name (in-place variants lower as their twins: ``add_`` as ``add``)."""

_overlap = (VIEWS | CREATES | IGNORED | MOVES) & set(ATEN)
if _overlap:  # one operator, one rule
    raise RuntimeError(f"aten operators with two lowering rules: {sorted(_overlap)}")
