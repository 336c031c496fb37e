"""The Keras front-end: a saved model's config in, a Graph of the notation's kinds out, without Keras.

A ``.keras`` file is a zip holding ``config.json``; ``model.to_json()`` writes the
same document. Both are read as JSON, so neither Keras nor TensorFlow is
imported (:func:`from_keras` asks a live model for its JSON). Each layer is
translated by :data:`LAYERS` to nodes of the kinds the notation writes: Keras
shapes are channels last without the batch, as the notation's, and the Graph
counts under the keras convention by default (batch-norm statistics as
non-trainable parameters, one LSTM bias, shapes shown ``(None, H, W, C)``).
Every figure comes from the kinds (:mod:`cnncalc.layers`); a layer without a
rule is an ``uncounted`` node, listed in the report, never a silent zero.

>>> doc = {"class_name": "Sequential", "config": {"layers": [
...     {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 28, 28, 1]}},
...     {"class_name": "Conv2D", "config": {"name": "c", "filters": 8, "kernel_size": [3, 3]}}]}}
>>> r = analyze_graph(graph_of_config(doc))
>>> r.rows[1].params, r.totals.macs            # (3·3·1 + 1)·8 ;  8·(3·3·1)·(26·26)
(80, 48672)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.analyze import analyze_graph
from cnncalc.conventions import Framework, Layout, core_shape
from cnncalc.documents import MISSING, Fields, check_nesting, checked, kind_of_value, load_json, read_bytes, shown
from cnncalc.errors import CnnCalcError, SpecError, wrong_type
from cnncalc.graph import Graph, Node, NodeIds
from cnncalc.layers.elementwise import ACTIVATION_WORDS
from cnncalc.limits import guard
from cnncalc.options import Options
from cnncalc.report import Report

__all__ = ["LAYERS", "from_keras", "graph_of_config", "load"]


class NoRule(SpecError):
    """A Keras layer (or one of its settings) cnncalc has no rule for: listed as uncounted, never guessed."""


@dataclass
class Part:
    """One node a Keras layer is made of: a kind, its keywords, what it reads.

    ``reads``: indices of the layer's inputs (``0``, ``1``), or names of earlier
    parts; None reads the previous part (the layer's first input for the first).
    """

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    reads: tuple[int | str, ...] | None = None
    name: str = ""


Rule = Callable[[Fields, tuple], list[Part]]  # (the layer's config, its input's shape without the batch)


def _size(c: Fields, key: str, default: Any = MISSING, *, minimum: int = 1) -> Any:
    """A Keras size (``3``, ``[3, 3]``) as the notation takes it: one whole number, or a tuple of them."""
    v = c.raw(key, default)
    if v is default and default is not MISSING:
        return v
    if not isinstance(v, list):
        return c.whole(key, minimum=minimum)
    if not v or not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise c.wrong(key, "a whole number or a list of them", v)
    items = tuple(Fields({key: x}, c.where).whole(key, minimum=minimum) for x in v)
    return items if len(items) > 1 else items[0]


def _padding(c: Fields) -> str:
    word = c.word("padding", "valid", ("valid", "same", "causal")).lower()
    if word == "causal":
        raise NoRule("padding='causal' has no rule yet")
    return word


ACTIVATION_NAMES = {"hard_sigmoid": "hardsigmoid", "hard_silu": "hardswish", "swish": "silu", "leaky_relu": "leakyrelu"}


def _activation(c: Fields) -> Any:
    act = c.raw("activation", None)
    if isinstance(act, dict):  # a serialised activation object
        inner = act.get("config")
        act = (inner.get("name") if isinstance(inner, dict) else None) or act.get("class_name")
    if act in (None, "linear"):
        return None
    if not isinstance(act, str):
        raise c.wrong("activation", "the name of an activation", act)
    return ACTIVATION_NAMES.get(act, act)


def _with_activation(kw: dict[str, Any], c: Fields) -> dict[str, Any]:
    act = _activation(c)
    if act is not None:
        kw["activation"] = act
    return kw


def _channels_last(c: Fields) -> None:
    if c.raw("data_format", None) == "channels_first":
        raise NoRule("data_format='channels_first' has no rule yet", hint="cnncalc reads channels-last Keras models")


def _window(c: Fields) -> dict[str, Any]:
    """A convolution's kernel, strides, padding and dilation as the notation's keywords."""
    _channels_last(c)
    return {
        "kernel": _size(c, "kernel_size"),
        "stride": _size(c, "strides", 1),
        "padding": _padding(c),
        "dilation": _size(c, "dilation_rate", 1),
        "bias": c.flag("use_bias", True),
    }


def _conv(c: Fields, shape: tuple) -> list[Part]:
    kw = {"filters": c.whole("filters"), **_window(c), "groups": c.whole("groups", 1)}
    return [Part("conv", _with_activation(kw, c))]


def _depthwise(c: Fields, shape: tuple) -> list[Part]:
    kw = {**_window(c), "multiplier": c.whole("depth_multiplier", 1)}
    return [Part("depthwise", _with_activation(kw, c))]


def _separable(c: Fields, shape: tuple) -> list[Part]:
    """SeparableConv: a depthwise convolution without bias, then a 1×1 convolution with the layer's bias."""
    depthwise = _depthwise(Fields({**c.data, "use_bias": False, "activation": None}, c.where), shape)[0]
    depthwise.name = "depthwise"
    pointwise = {"filters": c.whole("filters"), "kernel": 1, "bias": c.flag("use_bias", True)}
    return [depthwise, Part("conv", _with_activation(pointwise, c), name="pointwise")]


def _conv_transpose(c: Fields, shape: tuple) -> list[Part]:
    kw = {"filters": c.whole("filters"), **_window(c)}
    if c.has("output_padding"):
        kw["output_padding"] = _size(c, "output_padding", minimum=0)
    return [Part("convtranspose", _with_activation(kw, c))]


def _dense(c: Fields, shape: tuple) -> list[Part]:
    kw = {"units": c.whole("units"), "bias": c.flag("use_bias", True), "flatten": False}
    return [Part("dense", _with_activation(kw, c))]


def _batchnorm(c: Fields, shape: tuple) -> list[Part]:
    center, scale = c.flag("center", True), c.flag("scale", True)
    if center != scale:
        raise NoRule("BatchNormalization with only one of center and scale has no rule yet")
    return [Part("batchnorm", {"affine": center})]


def _layernorm(c: Fields, shape: tuple) -> list[Part]:
    center, scale = c.flag("center", True), c.flag("scale", True)
    if center and not scale:
        raise NoRule("LayerNormalization with center but no scale has no rule yet")
    return [Part("layernorm", {"affine": scale, "bias": center})]


def _pool(kind: str) -> Rule:
    def rule(c: Fields, shape: tuple) -> list[Part]:
        _channels_last(c)
        size = _size(c, "pool_size", 2)
        kw = {"window": size, "stride": _size(c, "strides", size), "padding": _padding(c)}
        return [Part(kind, kw)]

    return rule


def _global_pool(kind: str) -> Rule:
    def rule(c: Fields, shape: tuple) -> list[Part]:
        _channels_last(c)
        if c.flag("keepdims", False):
            return [Part("adaptive" + kind.removeprefix("global"), {"output_size": 1})]
        return [Part(kind)]

    return rule


def _activation_layer(c: Fields, shape: tuple) -> list[Part]:
    act = _activation(c)
    if act is None:
        return [Part("identity")]
    if act.lower() not in ACTIVATION_WORDS:
        raise NoRule(f"the activation {shown(act)} has no rule yet")
    return [Part(ACTIVATION_WORDS[act.lower()])]


def _recurrent(kind: str) -> Callable[..., list[Part]]:
    """LSTM, GRU, SimpleRNN; without ``return_sequences`` the layer's output is the last step (``select(-1)``)."""

    def rule(c: Fields, shape: tuple, bidirectional: bool = False) -> list[Part]:
        kw: dict[str, Any] = {"hidden": c.whole("units"), "bias": c.flag("use_bias", True)}
        if bidirectional:
            kw["bidirectional"] = True
        if kind == "gru":
            kw["reset_after"] = c.flag("reset_after", True)
        parts = [Part(kind, kw)]
        if not c.flag("return_sequences", False):
            parts.append(Part("select", {"index": -1}, name="last_step"))
        return parts

    return rule


def _inner(c: Fields) -> tuple[str, Fields]:
    """The layer a wrapper (Bidirectional, TimeDistributed) holds: its class and its config."""
    inner = c.fields("layer")
    name = inner.word("class_name")
    return name, inner.fields("config", {})


def _bidirectional(c: Fields, shape: tuple) -> list[Part]:
    name, config = _inner(c)
    rule = RECURRENT.get(name)
    if rule is None:
        raise NoRule(f"Bidirectional({name}) has no rule yet")
    mode = c.raw("merge_mode", "concat")
    if mode != "concat":
        raise NoRule(f"Bidirectional with merge_mode={shown(mode)} has no rule yet (concat has)")
    return rule(config, shape, True)


def _time_distributed(c: Fields, shape: tuple) -> list[Part]:
    """TimeDistributed: the layer applied at every step, as the same layer with a window of 1 along the steps."""
    name, config = _inner(c)
    if name in ("Dense", "Dropout", "Activation", "BatchNormalization", "LayerNormalization"):
        return LAYERS[name](config, shape[1:])
    if name == "Flatten" and shape and shape[0] is not None:
        return [Part("reshape", {"shape": (shape[0], -1)})]  # (T, …) → (T, prod)
    if name in ("Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"):
        parts = LAYERS[name](config, shape[1:])
        spatial = len(shape) - 2
        for p in parts:
            for key in ("kernel", "window", "stride", "dilation"):
                if key in p.kwargs:
                    v = p.kwargs[key]
                    p.kwargs[key] = (1, *(v if isinstance(v, tuple) else (v,) * spatial))
        return parts
    raise NoRule(f"TimeDistributed({name}) has no rule yet")


def _reshape(c: Fields, shape: tuple) -> list[Part]:
    return [Part("reshape", {"shape": tuple(c.wholes("target_shape", minimum=-1))})]


def _permute(c: Fields, shape: tuple) -> list[Part]:
    return [Part("permute", {"dims": tuple(d - 1 for d in c.wholes("dims"))})]


def _zeropad(c: Fields, shape: tuple) -> list[Part]:
    p = c.raw("padding", 1)
    if isinstance(p, list):  # one per axis, each a number or a (before, after) pair
        pads = []
        for x in p:
            pads.append(_size(Fields({"padding": x}, c.where), "padding", minimum=0))
        return [Part("zeropad", {"padding": tuple(pads)})]
    return [Part("zeropad", {"padding": c.whole("padding", 1, minimum=0)})]


def _upsampling(c: Fields, shape: tuple) -> list[Part]:
    """UpSampling1D/2D/3D: its size as the scale, and UpSampling2D's interpolation as PyTorch names it (Keras'
    bilinear is PyTorch's with ``align_corners=False``); lanczos and gaussian kernels are counted as bilinear."""
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "area"}.get(
        str(c.word("interpolation", "nearest")), "bilinear"
    )
    return [Part("upsample", {"scale": _size(c, "size", 2), "mode": mode})]


def _mha(c: Fields, shape: tuple) -> list[Part]:
    """MultiHeadAttention(query, value[, key]): Q, K, V projections of ``heads·key_dim``, attention, output."""
    heads, key_dim = c.whole("num_heads"), c.whole("key_dim")
    value_dim = c.whole("value_dim", key_dim)
    bias = c.flag("use_bias", True)
    out = c.raw("output_shape", None)
    if out is not None:
        out = _size(c, "output_shape")
    parts = [
        Part("dense", {"units": heads * key_dim, "bias": bias, "flatten": False}, (0,), "query"),
        Part("dense", {"units": heads * key_dim, "bias": bias, "flatten": False}, (2,), "key"),
        Part("dense", {"units": heads * value_dim, "bias": bias, "flatten": False}, (1,), "value"),
        Part("sdpa", {"heads": heads}, ("query", "key", "value"), "attention"),
    ]
    units = out if isinstance(out, int) else (out[-1] if out else None)
    parts.append(Part("dense", {"units": units or "query_dim", "bias": bias, "flatten": False}, ("attention",), "out"))
    return parts


def _merge(kind: str, op: str | None = None) -> Rule:
    def rule(c: Fields, shape: tuple) -> list[Part]:
        kw: dict[str, Any] = {"op": op} if op else {}
        if kind == "concat":
            kw["axis"] = c.whole("axis", -1, minimum=-64)
        return [Part(kind, kw, ("all",))]  # type: ignore[arg-type]

    return rule


def _same(kind: str, **kw: Any) -> Rule:
    return lambda c, shape: [Part(kind, dict(kw))]


def _relu(c: Fields, shape: tuple) -> list[Part]:
    return [Part("relu6" if c.number("max_value", None) == 6 else "relu")]


def _embedding(c: Fields, shape: tuple) -> list[Part]:
    return [Part("embedding", {"vocab": c.whole("input_dim"), "dim": c.whole("output_dim")})]


def _prelu(c: Fields, shape: tuple) -> list[Part]:
    return [Part("prelu", {"shared": bool(c.value("shared_axes", None))})]


RECURRENT: dict[str, Callable[..., list[Part]]] = {
    "LSTM": _recurrent("lstm"),
    "GRU": _recurrent("gru"),
    "SimpleRNN": _recurrent("rnn"),
}

LAYERS: dict[str, Rule] = {
    **{f"Conv{n}D": _conv for n in (1, 2, 3)},
    "DepthwiseConv2D": _depthwise,
    "DepthwiseConv1D": _depthwise,
    "SeparableConv2D": _separable,
    "SeparableConv1D": _separable,
    **{f"Conv{n}DTranspose": _conv_transpose for n in (1, 2, 3)},
    "Dense": _dense,
    "BatchNormalization": _batchnorm,
    "LayerNormalization": _layernorm,
    **{f"MaxPooling{n}D": _pool("maxpool") for n in (1, 2, 3)},
    **{f"AveragePooling{n}D": _pool("avgpool") for n in (1, 2, 3)},
    **{f"GlobalAveragePooling{n}D": _global_pool("globalavgpool") for n in (1, 2, 3)},
    **{f"GlobalMaxPooling{n}D": _global_pool("globalmaxpool") for n in (1, 2, 3)},
    "Flatten": _same("flatten"),
    "Reshape": _reshape,
    "Permute": _permute,
    **{name: _same("dropout") for name in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")},
    **{name: _same("identity") for name in ("GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity")},
    "ActivityRegularization": _same("identity"),
    "Embedding": _embedding,
    **RECURRENT,
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Add": _merge("add"),
    "Multiply": _merge("mul"),
    "Subtract": _merge("elementwise", "sub"),
    "Maximum": _merge("elementwise", "maximum"),
    "Minimum": _merge("elementwise", "minimum"),
    "Average": _merge("add"),
    "Concatenate": _merge("concat"),
    "Activation": _activation_layer,
    "ReLU": _relu,
    "LeakyReLU": _same("leakyrelu"),
    "ELU": _same("elu"),
    "Softmax": _same("softmax"),
    "PReLU": _prelu,
    "ZeroPadding1D": _zeropad,
    "ZeroPadding2D": _zeropad,
    "ZeroPadding3D": _zeropad,
    "UpSampling1D": _upsampling,
    "UpSampling2D": _upsampling,
    "UpSampling3D": _upsampling,
    "MultiHeadAttention": _mha,
}
"""Keras layer classes and the nodes each becomes (anything else: an ``uncounted`` node, listed)."""


# ---------------------------------------------------------------- the walk


def _dims(v: Any, what: str) -> tuple[int | None, ...]:
    """A tensor's shape as a config writes it (``[null, 28, 28, 1]``): whole numbers ≥ 0, or null for unknown."""
    if (
        not isinstance(v, list)
        or not v
        or not all(x is None or (isinstance(x, int) and not isinstance(x, bool) and x >= 0) for x in v)
    ):
        raise SpecError(f"{what} must be a shape, a list like [null, 28, 28, 1] (got {shown(v)})")
    return tuple(checked(v, what))


class Layer:
    """One entry of a config's ``layers``: its class, name and config, checked as they are read."""

    def __init__(self, entry: Any, index: int) -> None:
        if not isinstance(entry, dict):
            raise SpecError(f"Keras layer {index} must be a mapping with 'class_name' (got {kind_of_value(entry)})")
        cls = entry.get("class_name")
        if not isinstance(cls, str) or not cls:
            raise SpecError(f"Keras layer {index} has no 'class_name' (got {shown(cls)})")
        config = entry.get("config", {})
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise SpecError(f"Keras layer {index} ({cls}): 'config' must be a mapping (got {kind_of_value(config)})")
        name = config.get("name") or entry.get("name") or cls.lower()
        if not isinstance(name, str):
            raise SpecError(f"Keras layer {index} ({cls}): 'name' must be text (got {shown(name)})")
        self.entry, self.cls, self.name = entry, cls, name
        self.config = Fields(config, f"Keras layer {name} ({cls})")
        self.outer = Fields(entry, f"Keras layer {name} ({cls})")

    def calls(self) -> list[Any]:
        """Its calls (``inbound_nodes``): each a Keras 3 dict or a Keras 2 list."""
        return self.outer.entries("inbound_nodes", [])

    def input_shape(self) -> tuple:
        """The shape (without the batch) of its first input, from its saved build config, or ()."""
        build = self.outer.raw("build_config", None)
        shape = build.get("input_shape") if isinstance(build, dict) else None
        if isinstance(shape, list) and shape and isinstance(shape[0], list):
            shape = shape[0]
        if not isinstance(shape, list) or not shape:
            return ()
        return _dims(shape, f"{self.outer.where}: 'build_config' 'input_shape'")[1:]


class Builder:
    """Turns the layers of a Keras config into Graph nodes, the tensors between them followed by name."""

    def __init__(self, inputs: Sequence[Any] | None = None) -> None:
        self.nodes: list[Node] = []
        self.ids = NodeIds()
        self.tensors: dict[tuple[str, int, int], str] = {}  # keras_history -> node id
        self.calls: dict[str, int] = {}  # layer name -> calls so far
        self.notes: list[str] = []
        self.given = list(inputs or ())
        self.input_count = 0
        self.unknown: dict[str, str] = {}  # node id of a layer without a rule whose output shape is unknown -> name

    def input(self, name: str, batch_shape: Any, where: str) -> str:
        shape = list(_dims(batch_shape, where)[1:])
        given = self._given(name, len(shape))
        if given is not None:
            shape = list(given)
        if any(n is None for n in shape):
            dims = ", ".join("None" if n is None else str(n) for n in shape)
            raise SpecError(
                f"the model's input {name} has axes of unknown size: (None, {dims})",
                hint=f"give them with --input {name}=" + ",".join("1" if n is None else str(n) for n in shape),
            )
        node_id = self.ids.new(name)
        self.nodes.append(Node(node_id, "input", name, tuple(shape), (), (), f"Input({tuple(shape)})"))
        self.tensors[(name, 0, 0)] = node_id
        self.input_count += 1
        return node_id

    def _given(self, name: str, rank: int) -> tuple[int, ...] | None:
        """A shape from ``--input`` for this input (by name, else the next unnamed one), without the batch."""
        for spec in self.given:
            if getattr(spec, "name", None) == name:
                shape = tuple(spec.shape)
                break
        else:
            unnamed = [s for s in self.given if getattr(s, "name", None) is None]
            if self.input_count >= len(unnamed):
                return None
            shape = tuple(unnamed[self.input_count].shape)
        if len(shape) != rank:
            raise SpecError(f"--input {name}: the model's input has {rank} axes besides the batch, not {len(shape)}")
        return shape

    def layer(self, layer: Layer, reads: list[str], shape: tuple, output: tuple | None = None) -> list[str]:
        """Add the nodes of one call of ``layer`` reading the nodes ``reads``; returns its output node ids.

        ``shape`` is its input's and ``output`` its output's shape without the batch, where the config says them.
        """
        cls, name = layer.cls, layer.name
        if not reads:
            raise SpecError(f"{layer.outer.where}: a call of the layer reads no tensor ('inbound_nodes' names none)")
        call = self.calls.get(name, 0)
        self.calls[name] = call + 1
        rule = LAYERS.get(cls)
        parts: list[Part] | None = None
        if rule is not None:
            try:
                parts = rule(layer.config, shape)
            except NoRule as e:
                self.notes.append(f"{name} ({cls}): {e.message}; listed as uncounted")
        if parts is None:
            out = self.ids.new(name)
            if output is None:
                self.unknown[out] = f"{name} ({cls})"
            shape = core_shape(tuple(output or ()), Layout.hwc)
            self.nodes.append(
                Node(out, "uncounted", name, (), (("op", cls), ("shape", shape)), tuple(reads), cls, tensors=())
            )
            return [out]
        for r in reads:
            if r in self.unknown:
                raise SpecError(
                    f"layer {name} ({cls}) reads {self.unknown[r]}, which has no rule and whose output shape the "
                    "config does not give",
                    hint="cnncalc lists such a layer when its output shape is known",
                )
        made: dict[str, str] = {}
        previous = reads[0] if reads else None
        for i, part in enumerate(parts):
            if part.reads is None:
                inputs = (previous,) if previous else ()
            elif part.reads == ("all",):
                inputs = tuple(reads)
            else:
                inputs = tuple(made[r] if isinstance(r, str) else reads[min(r, len(reads) - 1)] for r in part.reads)
            label = name if len(parts) == 1 else f"{name}/{part.name or part.kind}"
            node_id = self.ids.new(label)
            kwargs = dict(part.kwargs)
            if kwargs.get("units") == "query_dim":  # MultiHeadAttention projects back to the query's width
                kwargs["units"] = self._query_dim(layer)
            shared = call > 0
            self.nodes.append(
                Node(
                    node_id,
                    part.kind,
                    label,
                    (),
                    tuple(kwargs.items()),
                    tuple(i for i in inputs if i),
                    f"{cls}" if i == 0 else f"{cls} ({part.name or part.kind})",
                    tensors=() if shared else None,
                    notes=(f"{name} is called again: its weights are counted at its first call",) if shared else (),
                )
            )
            made[part.name or part.kind] = node_id
            previous = node_id
        return [previous] if previous else []

    def _query_dim(self, layer: Layer) -> int:
        build = layer.outer.raw("build_config", None)
        shapes = build.get("shapes_dict") if isinstance(build, dict) else None
        query = shapes.get("query_shape") if isinstance(shapes, dict) else None
        if query:
            width = _dims(query, f"{layer.outer.where}: the query's shape")[-1]
            if width is not None:
                return width
        for node in layer.calls():
            for t in _keras_tensors(node):
                width = _tensor(t, layer.outer.where)[1][-1]
                if width is not None:
                    return width
        raise SpecError(f"{layer.outer.where}: the query's width is not in the config")


def _keras_tensors(node: Any) -> list[dict[str, Any]]:
    """The Keras tensors a call reads, in order (args first, then kwargs: query, value, key)."""
    found: list[dict[str, Any]] = []

    def visit(x: Any) -> None:  # the document's nesting is within the limit: the recursion is too
        if isinstance(x, dict):
            if x.get("class_name") == "__keras_tensor__":
                found.append(x)
            else:
                for v in x.values():
                    visit(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                visit(v)

    if isinstance(node, dict):
        visit(node.get("args", []))
        kwargs = node.get("kwargs", {})
        if isinstance(kwargs, dict):
            for key in ("query", "value", "key", *[k for k in kwargs if k not in ("query", "value", "key")]):
                if key in kwargs:
                    visit(kwargs[key])
    return found


def _tensor(t: dict[str, Any], where: str) -> tuple[tuple[str, int, int], tuple[int | None, ...]]:
    """A Keras 3 tensor's history (layer, call, output) and its shape with the batch."""
    c = Fields(t, f"{where}: a tensor it reads").fields("config")
    history = c.raw("keras_history")
    if (
        not isinstance(history, list)
        or len(history) != 3
        or not isinstance(history[0], str)
        or not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**31 for x in history[1:])
    ):
        raise c.wrong("keras_history", "[layer name, call, output]", history)
    return (history[0], history[1], history[2]), _dims(c.raw("shape"), f"{where}: the shape of a tensor it reads")


def _history(node: Any, where: str) -> list[tuple[str, int, int]]:
    """(layer, node index, tensor index) of each tensor a call reads: Keras 3's dicts or Keras 2's lists."""
    if isinstance(node, dict):
        return [_tensor(t, where)[0] for t in _keras_tensors(node)]
    out = []
    for item in node if isinstance(node, list) else []:
        if isinstance(item, list) and item and isinstance(item[0], str):
            at = [*item[1:3], 0, 0][:2]
            if not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 2**31 for x in at):
                raise SpecError(f"{where}: 'inbound_nodes' must list [layer name, call, output] (got {shown(item)})")
            out.append((item[0], at[0], at[1]))
    return out


def _sequential(b: Builder, config: Fields, doc: dict[str, Any]) -> None:
    entries = config.entries("layers", [])
    if not entries:
        raise SpecError("the Keras model has no layers")
    guard("layers", len(entries), f"the Keras model has {len(entries):,} layers")
    layers = [Layer(entry, i) for i, entry in enumerate(entries, start=1)]
    first = layers[0]
    if first.cls == "InputLayer":
        c = first.config
        shape = c.raw("batch_shape", None) or c.raw("batch_input_shape")
        current = b.input(first.name, shape, f"{c.where}: 'batch_shape'")
        layers = layers[1:]
    else:
        build = doc.get("build_config")
        shape = (
            first.config.raw("batch_input_shape", None)
            or first.outer.fields("build_config", {}).raw("input_shape", None)
            or (build.get("input_shape") if isinstance(build, dict) else None)
        )
        if not shape:
            raise SpecError("the Keras model has no input shape (it was never built)", hint="call model.build(...)")
        current = b.input("input", shape, "the Keras model's input shape")
    for i, layer in enumerate(layers):
        following = layers[i + 1].input_shape() if i + 1 < len(layers) else ()
        (current,) = b.layer(layer, [current], layer.input_shape(), following or None) or [current]


def _functional(b: Builder, config: Fields) -> None:
    entries = config.entries("layers", [])
    if not entries:
        raise SpecError("the Keras model has no layers")
    guard("layers", len(entries), f"the Keras model has {len(entries):,} layers")
    layers = [Layer(entry, i) for i, entry in enumerate(entries, start=1)]
    seen: dict[tuple[str, int, int], tuple] = {}  # every tensor a call reads, with its shape (no batch)
    for layer in layers:
        for call in layer.calls():
            for t in _keras_tensors(call):
                history, shape = _tensor(t, layer.outer.where)
                seen[history] = shape[1:]
    for layer in layers:
        name = layer.name
        if layer.cls == "InputLayer":
            c = layer.config
            b.input(name, c.raw("batch_shape", None) or c.raw("batch_input_shape"), f"{c.where}: 'batch_shape'")
            continue
        for index, call in enumerate(layer.calls()):
            reads = []
            for history in _history(call, layer.outer.where):
                if history not in b.tensors:
                    raise SpecError(f"layer {name} reads {shown(history[0])}, which no earlier layer makes")
                reads.append(b.tensors[history])
            tensors = _keras_tensors(call) if isinstance(call, dict) else []
            shape = _tensor(tensors[0], layer.outer.where)[1][1:] if tensors else layer.input_shape()
            outs = b.layer(layer, reads, shape, seen.get((name, index, 0)))
            for i, out in enumerate(outs):
                b.tensors[(name, index, i)] = out


def graph_of_config(doc: dict[str, Any], *, input: Any = None, title: str = "") -> Graph:  # noqa: A002
    """The Graph of a Keras model's JSON config (``model.to_json()``, or a ``.keras`` file's config.json)."""
    if not isinstance(doc, dict) or "class_name" not in doc:
        raise SpecError("a Keras model's config is a JSON object with 'class_name' and 'config'")
    check_nesting(doc, "the Keras config")
    top = Fields(doc, "the Keras model")
    cls = top.word("class_name")
    config = top.fields("config", {})
    b = Builder(input)
    if cls == "Sequential":
        _sequential(b, config, doc)
    elif cls in ("Functional", "Model") or config.has("input_layers"):
        _functional(b, config)
    else:
        raise SpecError(f"a Keras model is Sequential or Functional (got {shown(cls)})")
    listed = [n.label for n in b.nodes if n.kind == "uncounted"]
    notes = ["Keras model read from its config (no weights, Keras not imported): counted as Keras counts"]
    notes += b.notes
    if listed:
        notes.append(f"layers without a rule (not in the figures): {', '.join(listed)}")
    name = config.raw("name", "")
    return Graph(
        tuple(b.nodes),
        title or (name if isinstance(name, str) else "") or cls,
        layout=Layout.hwc,
        notes=tuple(notes),
        source="keras",
        framework=Framework.keras,
    )


# ---------------------------------------------------------------- reading the file

METHODS = {0: "stored", 8: "deflated", 12: "bzip2", 14: "lzma"}  # the compressions Python's zipfile unpacks
CONFIG = "config.json"


def read_archive(path: Path, what: str) -> bytes:
    """The bytes of ``config.json`` in a ``.keras`` file (a zip), and nothing else of it.

    The archive's list of members is read (refused past ``archive_directory_bytes``), then ``config.json``
    alone is unpacked, streamed, and refused past ``decompressed_bytes`` (a zip bomb costs nothing); no
    other member is opened, nothing is extracted. An encrypted member, a compression Python's zipfile does
    not unpack, a checksum that does not match, a truncated or damaged archive: each a SpecError saying so.
    """
    import zipfile

    from cnncalc.limits import value

    cap = value("decompressed_bytes")
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, whatever happens
    except OSError as e:
        raise SpecError(f"cannot read {what}: {e.strerror or 'the system refused'}") from None
    try:
        with f:
            end = zipfile._EndRecData(f)  # the end record zipfile itself reads: the size of the directory
            if not end:
                raise SpecError(f"{what} is not a .keras file: it is not a zip archive", hint="is it truncated?")
            guard(
                "archive_directory_bytes",
                end[zipfile._ECD_SIZE],
                f"{what}'s list of members is {end[zipfile._ECD_SIZE]:,} bytes",
            )
            with zipfile.ZipFile(f) as z:
                found = [i for i in z.infolist() if i.filename == CONFIG]
                if not found:
                    raise SpecError(f"{what} holds no config.json: it is not a Keras 3 model file")
                if len(found) > 1:
                    raise SpecError(f"{what} holds config.json {len(found)} times: which one is meant?")
                info = found[0]
                if info.flag_bits & 0x1:
                    raise SpecError(f"{what}: config.json is encrypted (Keras never encrypts it)")
                if info.compress_type not in METHODS:
                    raise SpecError(
                        f"{what}: config.json is compressed with method {info.compress_type}, which cnncalc cannot "
                        f"unpack (it unpacks {', '.join(METHODS.values())})"
                    )
                guard("decompressed_bytes", info.file_size, f"{what}: config.json unpacks to {info.file_size:,} bytes")
                with z.open(info) as member:  # unpacked no further than its declared size (a lie fails the CRC)
                    data = member.read(min(cap, info.file_size) + 1)
                guard("decompressed_bytes", len(data), f"{what}: config.json unpacks to more than {cap:,} bytes")
                return data
    except CnnCalcError:
        raise
    except EOFError:  # compressed data that stops before its end
        raise SpecError(f"{what} is not a readable .keras file: config.json is cut short") from None
    except Exception as e:  # noqa: BLE001 - zipfile and its decompressors say damage in many ways
        raise SpecError(f"{what} is not a readable .keras file: {_damage(e)}", hint="the file may be damaged") from None


def _damage(e: Exception) -> str:
    """What is wrong with an archive, in words (zipfile, zlib, bz2 and lzma each have their own exceptions)."""
    text = str(e).lower()
    if "crc" in text:
        return "config.json does not match its checksum (CRC)"
    if "not a zip" in text:
        return "it is not a zip archive"
    if "truncated" in text or "ended before" in text:
        return "the archive is cut short"
    if "magic number" in text or "bad offset" in text or "overlap" in text or "differ" in text:
        return "the archive's list of members does not match its contents"
    if "decompress" in text or "invalid" in text or "stream" in text or "corrupt" in text:
        return "config.json's compressed data is damaged"
    return "its structure is damaged"


def read_config(path: str | Path) -> dict[str, Any]:
    """The model config of a ``.keras`` file (a zip holding config.json) or a JSON file from ``to_json()``."""
    p = Path(path)
    what = str(path)
    if p.suffix.lower() == ".keras":
        if not p.is_file():
            raise SpecError(f"{p} is a folder, not a file" if p.is_dir() else f"no such file: {p}")
        doc = load_json(read_archive(p, what), f"{what} (config.json)")
    else:
        doc = load_json(read_bytes(p, what), what)
    if not isinstance(doc, dict):
        raise SpecError(f"{what}: a Keras model's config is a JSON object (got {kind_of_value(doc)})")
    return doc


def _no_model_inputs(dtypes: Any, kwargs: Any) -> None:
    if kwargs or dtypes:
        raise SpecError("a Keras model takes no --kwarg or input dtype: its layers are in the file")


def load(
    path: str,
    *,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
) -> Graph:
    """The Graph of a ``.keras`` file or a ``to_json()`` document: the entry in :data:`cnncalc.frontends.FILES`."""
    _no_model_inputs(dtypes, kwargs)
    return graph_of_config(read_config(path), input=input, title=Path(path).stem)


def from_document(
    doc: dict[str, Any],
    *,
    source: str,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
) -> Graph:
    """The Graph of a ``model.to_json()`` document already read (:data:`cnncalc.frontends.JSON_FORMS`)."""
    _no_model_inputs(dtypes, kwargs)
    return graph_of_config(doc, input=input, title=Path(source).stem)


def from_keras(model: Any, *, options: Options | None = None, **given: Any) -> Report:
    """Every layer's shape, params, MACs and FLOPs of a live Keras model, from its ``to_json()``.

    Counted under the keras convention unless ``framework="torch"`` is given.
    """
    if not callable(getattr(model, "to_json", None)):
        raise wrong_type("model", "a Keras model (with to_json)", model)
    opts = Options.make(options, **given)
    return analyze_graph(graph_of_config(load_json(model.to_json(), "the Keras model's JSON")), opts)
