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

import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.analyze import analyze_graph
from cnncalc.conventions import Framework, Layout, core_shape
from cnncalc.errors import CnnCalcError, SpecError, type_name
from cnncalc.graph import Graph, Node, NodeIds
from cnncalc.layers.elementwise import ACTIVATION_WORDS
from cnncalc.options import Options
from cnncalc.report import Report

__all__ = ["LAYERS", "from_keras", "graph_of_config", "load"]


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


Rule = Callable[[dict[str, Any], tuple], list[Part]]  # (the layer's config, its input's shape without the batch)


def _tuple(value: Any, n: int = 1) -> Any:
    """A Keras size (``3``, ``[3, 3]``) as the notation takes it: one number or a tuple."""
    if isinstance(value, (list, tuple)):
        return tuple(_tuple(v) for v in value) if len(value) > 1 else _tuple(value[0])
    return value


def _padding(value: Any) -> Any:
    word = str(value).lower()
    if word == "causal":
        raise SpecError("padding='causal' has no rule yet", hint="the layer is listed as uncounted")
    return word


def _activation(config: dict[str, Any]) -> Any:
    act = config.get("activation")
    if isinstance(act, dict):  # a serialised activation object
        act = act.get("config", {}).get("name") or act.get("class_name")
    if act in (None, "linear"):
        return None
    name = {"hard_sigmoid": "hardsigmoid", "hard_silu": "hardswish", "swish": "silu", "leaky_relu": "leakyrelu"}
    return name.get(str(act), str(act))


def _with_activation(kw: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    act = _activation(config)
    if act is not None:
        kw["activation"] = act
    return kw


def _channels_last(config: dict[str, Any]) -> None:
    if config.get("data_format") == "channels_first":
        raise SpecError("data_format='channels_first' has no rule yet", hint="cnncalc reads channels-last Keras models")


def _window(config: dict[str, Any]) -> dict[str, Any]:
    """A convolution's kernel, strides, padding and dilation as the notation's keywords."""
    _channels_last(config)
    return {
        "kernel": _tuple(config["kernel_size"]),
        "stride": _tuple(config.get("strides", 1)),
        "padding": _padding(config.get("padding", "valid")),
        "dilation": _tuple(config.get("dilation_rate", 1)),
        "bias": config.get("use_bias", True),
    }


def _conv(config: dict[str, Any], shape: tuple) -> list[Part]:
    kw = {"filters": config["filters"], **_window(config), "groups": config.get("groups", 1)}
    return [Part("conv", _with_activation(kw, config))]


def _depthwise(config: dict[str, Any], shape: tuple) -> list[Part]:
    kw = {**_window(config), "multiplier": config.get("depth_multiplier", 1)}
    return [Part("depthwise", _with_activation(kw, config))]


def _separable(config: dict[str, Any], shape: tuple) -> list[Part]:
    """SeparableConv: a depthwise convolution without bias, then a 1×1 convolution with the layer's bias."""
    depthwise = _depthwise({**config, "use_bias": False, "activation": None}, shape)[0]
    depthwise.name = "depthwise"
    pointwise = {"filters": config["filters"], "kernel": 1, "bias": config.get("use_bias", True)}
    return [depthwise, Part("conv", _with_activation(pointwise, config), name="pointwise")]


def _conv_transpose(config: dict[str, Any], shape: tuple) -> list[Part]:
    kw = {"filters": config["filters"], **_window(config)}
    if config.get("output_padding") is not None:
        kw["output_padding"] = _tuple(config["output_padding"])
    return [Part("convtranspose", _with_activation(kw, config))]


def _dense(config: dict[str, Any], shape: tuple) -> list[Part]:
    kw = {"units": config["units"], "bias": config.get("use_bias", True), "flatten": False}
    return [Part("dense", _with_activation(kw, config))]


def _batchnorm(config: dict[str, Any], shape: tuple) -> list[Part]:
    center, scale = config.get("center", True), config.get("scale", True)
    if center != scale:
        raise SpecError("BatchNormalization with only one of center and scale has no rule yet")
    return [Part("batchnorm", {"affine": bool(center)})]


def _layernorm(config: dict[str, Any], shape: tuple) -> list[Part]:
    center, scale = config.get("center", True), config.get("scale", True)
    if center and not scale:
        raise SpecError("LayerNormalization with center but no scale has no rule yet")
    return [Part("layernorm", {"affine": bool(scale), "bias": bool(center)})]


def _pool(kind: str) -> Rule:
    def rule(config: dict[str, Any], shape: tuple) -> list[Part]:
        _channels_last(config)
        size = _tuple(config.get("pool_size", 2))
        strides = config.get("strides")
        kw = {"window": size, "stride": size if strides is None else _tuple(strides)}
        kw["padding"] = _padding(config.get("padding", "valid"))
        return [Part(kind, kw)]

    return rule


def _global_pool(kind: str) -> Rule:
    def rule(config: dict[str, Any], shape: tuple) -> list[Part]:
        _channels_last(config)
        if config.get("keepdims"):
            return [Part("adaptive" + kind.removeprefix("global"), {"output_size": 1})]
        return [Part(kind)]

    return rule


def _activation_layer(config: dict[str, Any], shape: tuple) -> list[Part]:
    act = _activation(config)
    if act is None:
        return [Part("identity")]
    if str(act).lower() not in ACTIVATION_WORDS:
        raise SpecError(f"the activation '{act}' has no rule yet")
    return [Part(ACTIVATION_WORDS[str(act).lower()])]


def _recurrent(kind: str) -> Rule:
    """LSTM, GRU, SimpleRNN; without ``return_sequences`` the layer's output is the last step (``select(-1)``)."""

    def rule(config: dict[str, Any], shape: tuple, bidirectional: bool = False) -> list[Part]:
        kw: dict[str, Any] = {"hidden": config["units"], "bias": config.get("use_bias", True)}
        if bidirectional:
            kw["bidirectional"] = True
        if kind == "gru":
            kw["reset_after"] = config.get("reset_after", True)
        parts = [Part(kind, kw)]
        if not config.get("return_sequences", False):
            parts.append(Part("select", {"index": -1}, name="last_step"))
        return parts

    return rule


def _bidirectional(config: dict[str, Any], shape: tuple) -> list[Part]:
    inner = config["layer"]
    rule = RECURRENT.get(inner.get("class_name", ""))
    if rule is None:
        raise SpecError(f"Bidirectional({inner.get('class_name')}) has no rule yet")
    if config.get("merge_mode", "concat") != "concat":
        raise SpecError(f"Bidirectional with merge_mode='{config.get('merge_mode')}' has no rule yet (concat has)")
    return rule(inner["config"], shape, True)  # type: ignore[call-arg]


def _time_distributed(config: dict[str, Any], shape: tuple) -> list[Part]:
    """TimeDistributed: the layer applied at every step, as the same layer with a window of 1 along the steps."""
    inner = config["layer"]
    name = inner.get("class_name", "")
    c = inner.get("config", {})
    if name in ("Dense", "Dropout", "Activation", "BatchNormalization", "LayerNormalization"):
        return LAYERS[name](c, shape[1:])
    if name == "Flatten" and shape and shape[0] is not None:
        return [Part("reshape", {"shape": (shape[0], -1)})]  # (T, …) → (T, prod)
    if name in ("Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"):
        parts = LAYERS[name](c, shape[1:])
        spatial = len(shape) - 2
        for p in parts:
            for key in ("kernel", "window", "stride", "dilation"):
                if key in p.kwargs:
                    v = p.kwargs[key]
                    p.kwargs[key] = (1, *(v if isinstance(v, tuple) else (v,) * spatial))
        return parts
    raise SpecError(f"TimeDistributed({name}) has no rule yet")


def _reshape(config: dict[str, Any], shape: tuple) -> list[Part]:
    return [Part("reshape", {"shape": tuple(config["target_shape"])})]


def _permute(config: dict[str, Any], shape: tuple) -> list[Part]:
    return [Part("permute", {"dims": tuple(d - 1 for d in config["dims"])})]


def _zeropad(config: dict[str, Any], shape: tuple) -> list[Part]:
    p = config.get("padding", 1)
    if isinstance(p, (list, tuple)):
        p = tuple(tuple(x) if isinstance(x, (list, tuple)) else x for x in p)
    return [Part("zeropad", {"padding": p})]


def _upsampling(config: dict[str, Any], shape: tuple) -> list[Part]:
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic"}.get(
        str(config.get("interpolation", "nearest")), "bilinear"
    )
    return [Part("upsample", {"scale": _tuple(config.get("size", 2)), "mode": mode})]


def _mha(config: dict[str, Any], shape: tuple) -> list[Part]:
    """MultiHeadAttention(query, value[, key]): Q, K, V projections of ``heads·key_dim``, attention, output."""
    heads, key_dim = config["num_heads"], config["key_dim"]
    value_dim = config.get("value_dim") or key_dim
    bias = config.get("use_bias", True)
    out = config.get("output_shape")
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
    def rule(config: dict[str, Any], shape: tuple) -> list[Part]:
        kw: dict[str, Any] = {"op": op} if op else {}
        if kind == "concat":
            kw["axis"] = config.get("axis", -1)
        return [Part(kind, kw, ("all",))]  # type: ignore[arg-type]

    return rule


def _same(kind: str, **kw: Any) -> Rule:
    return lambda config, shape: [Part(kind, dict(kw))]


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
    "Embedding": lambda c, shape: [Part("embedding", {"vocab": c["input_dim"], "dim": c["output_dim"]})],
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
    "ReLU": lambda c, shape: [Part("relu6" if c.get("max_value") == 6 else "relu")],
    "LeakyReLU": _same("leakyrelu"),
    "ELU": _same("elu"),
    "Softmax": _same("softmax"),
    "PReLU": lambda c, shape: [Part("prelu", {"shared": bool(c.get("shared_axes"))})],
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

    def input(self, name: str, batch_shape: Sequence[Any]) -> str:
        shape = list(batch_shape[1:])
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

    def layer(self, layer: dict[str, Any], reads: list[str], shape: tuple, output: tuple | None = None) -> list[str]:
        """Add the nodes of one call of ``layer`` reading the nodes ``reads``; returns its output node ids.

        ``shape`` is its input's and ``output`` its output's shape without the batch, where the config says them.
        """
        cls = layer.get("class_name", "?")
        config = layer.get("config", {})
        name = config.get("name") or layer.get("name") or cls.lower()
        call = self.calls.get(name, 0)
        self.calls[name] = call + 1
        rule = LAYERS.get(cls)
        parts: list[Part] | None = None
        if rule is not None:
            try:
                parts = rule(config, shape)
            except SpecError as e:
                self.notes.append(f"{name} ({cls}): {e.message}; listed as uncounted")
            except (KeyError, TypeError, ValueError) as e:
                raise SpecError(f"Keras layer {name} ({cls}) has a config cnncalc cannot read: {e!r}") from None
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

    def _query_dim(self, layer: dict[str, Any]) -> int:
        shapes = layer.get("build_config", {}).get("shapes_dict", {})
        query = shapes.get("query_shape")
        if query:
            return int(query[-1])
        for node in layer.get("inbound_nodes", []):
            for t in _keras_tensors(node):
                return int(t["config"]["shape"][-1])
        raise SpecError("MultiHeadAttention's query width is not in the config")


def _keras_tensors(node: Any) -> list[dict[str, Any]]:
    """The Keras tensors a call reads, in order (args first, then kwargs: query, value, key)."""
    found: list[dict[str, Any]] = []

    def visit(x: Any) -> None:
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
        for key in ("query", "value", "key", *[k for k in kwargs if k not in ("query", "value", "key")]):
            if key in kwargs:
                visit(kwargs[key])
    return found


def _history(node: Any) -> list[tuple[str, int, int]]:
    """(layer, node index, tensor index) of each tensor a call reads: Keras 3's dicts or Keras 2's lists."""
    if isinstance(node, dict):
        return [tuple(t["config"]["keras_history"]) for t in _keras_tensors(node)]  # type: ignore[misc]
    out = []
    for item in node if isinstance(node, list) else []:
        if isinstance(item, list) and item and isinstance(item[0], str):
            out.append((item[0], int(item[1]) if len(item) > 1 else 0, int(item[2]) if len(item) > 2 else 0))
    return out


def _input_shape(layer: dict[str, Any]) -> tuple:
    """The shape (without the batch) of the layer's first input, from its saved build config, or ()."""
    shape = layer.get("build_config", {}).get("input_shape")
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        shape = shape[0]
    return tuple(shape[1:]) if isinstance(shape, list) and shape else ()


def _sequential(b: Builder, config: dict[str, Any], doc: dict[str, Any]) -> None:
    layers = list(config.get("layers", []))
    if not layers:
        raise SpecError("the Keras model has no layers")
    first = layers[0]
    if first.get("class_name") == "InputLayer":
        shape = first["config"].get("batch_shape") or first["config"].get("batch_input_shape")
        current = b.input(first["config"].get("name", "input"), shape)
        layers = layers[1:]
    else:
        shape = (
            first.get("config", {}).get("batch_input_shape")
            or first.get("build_config", {}).get("input_shape")
            or doc.get("build_config", {}).get("input_shape")
        )
        if not shape:
            raise SpecError("the Keras model has no input shape (it was never built)", hint="call model.build(...)")
        current = b.input("input", shape)
    for i, layer in enumerate(layers):
        following = _input_shape(layers[i + 1]) if i + 1 < len(layers) else ()
        (current,) = b.layer(layer, [current], _input_shape(layer), following or None) or [current]


def _functional(b: Builder, config: dict[str, Any]) -> None:
    layers = config.get("layers", [])
    seen: dict[tuple[str, int, int], tuple] = {}  # every tensor a call reads, with its shape (no batch)
    for layer in layers:
        for call in layer.get("inbound_nodes", []):
            for t in _keras_tensors(call):
                seen[tuple(t["config"]["keras_history"])] = tuple(t["config"]["shape"][1:])  # type: ignore[index]
    for layer in layers:
        name = layer.get("name") or layer.get("config", {}).get("name")
        if layer.get("class_name") == "InputLayer":
            c = layer["config"]
            b.input(name, c.get("batch_shape") or c.get("batch_input_shape"))
            continue
        for index, call in enumerate(layer.get("inbound_nodes", [])):
            reads = []
            for history in _history(call):
                if history not in b.tensors:
                    raise SpecError(f"layer {name} reads {history[0]}, which no earlier layer makes")
                reads.append(b.tensors[history])
            tensors = _keras_tensors(call) if isinstance(call, dict) else []
            shape = tuple(tensors[0]["config"]["shape"][1:]) if tensors else _input_shape(layer)
            outs = b.layer(layer, reads, shape, seen.get((name, index, 0)))
            for i, out in enumerate(outs):
                b.tensors[(name, index, i)] = out


def graph_of_config(doc: dict[str, Any], *, input: Any = None, title: str = "") -> Graph:  # noqa: A002
    """The Graph of a Keras model's JSON config (``model.to_json()``, or a ``.keras`` file's config.json)."""
    if not isinstance(doc, dict) or "class_name" not in doc:
        raise SpecError("a Keras model's config is a JSON object with 'class_name' and 'config'")
    cls, config = doc["class_name"], doc.get("config") or {}
    b = Builder(input)
    try:
        if cls == "Sequential":
            _sequential(b, config, doc)
        elif cls in ("Functional", "Model") or "input_layers" in config:
            _functional(b, config)
        else:
            raise SpecError(f"a Keras model is Sequential or Functional (got {cls})")
    except CnnCalcError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise SpecError(f"the Keras config cannot be read: {type(e).__name__}: {e}") from None
    listed = [n.label for n in b.nodes if n.kind == "uncounted"]
    notes = ["Keras model read from its config (no weights, Keras not imported): counted as Keras counts"]
    notes += b.notes
    if listed:
        notes.append(f"layers without a rule (not in the figures): {', '.join(listed)}")
    return Graph(
        tuple(b.nodes),
        title or config.get("name", "") or cls,
        layout=Layout.hwc,
        notes=tuple(notes),
        source="keras",
        framework=Framework.keras,
    )


def read_config(path: str | Path) -> dict[str, Any]:
    """The model config of a ``.keras`` file (a zip holding config.json) or a JSON file from ``to_json()``."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{p} is a folder, not a file" if p.is_dir() else f"no such file: {p}")
    try:
        if p.suffix.lower() == ".keras":
            with zipfile.ZipFile(p) as z:
                text = z.read("config.json")
        else:
            text = p.read_bytes()
        return json.loads(text)
    except KeyError:
        raise SpecError(f"{p} holds no config.json: it is not a Keras 3 model file") from None
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as e:
        raise SpecError(f"{p} is not a readable .keras file (a zip): {e}", hint="the file may be truncated") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpecError(f"{p}: the model config is not valid JSON ({e})") from None


def load(
    path: str,
    *,
    input: Any = None,  # noqa: A002
    dtypes: Any = None,
    kwargs: dict[str, Any] | None = None,
) -> Graph:
    """The Graph of a ``.keras`` file or a ``to_json()`` document: the entry in :data:`cnncalc.frontends.FILES`."""
    if kwargs or dtypes:
        raise SpecError("a Keras model takes no --kwarg or input dtype: its layers are in the file")
    return graph_of_config(read_config(path), input=input, title=Path(path).stem)


def from_keras(model: Any, *, options: Options | None = None, **given: Any) -> Report:
    """Every layer's shape, params, MACs and FLOPs of a live Keras model, from its ``to_json()``.

    Counted under the keras convention unless ``framework="torch"`` is given.
    """
    if not hasattr(model, "to_json"):
        raise SpecError(f"from_keras needs a Keras model (got {type_name(model)})")
    opts = Options.make(options, **given)
    return analyze_graph(graph_of_config(json.loads(model.to_json())), opts)
