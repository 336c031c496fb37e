"""Hostile ONNX files: external data pointing at other files, values and files that would cost gigabytes, deep
subgraphs, numbers and weights that contradict themselves.

Each folder holds the decoys (``.env``, ``weights.bin``, ``notes.txt``): a file whose external data points at
one (relative, ``../``, through ``/proc/self/cwd``) must not make cnncalc open it. Files are built with
``onnx.helper``; the bombs of empty messages are written as protobuf bytes directly.
"""

from __future__ import annotations

from dataclasses import replace

from hostile.cases import Case

try:
    import onnx
    from onnx import TensorProto, helper
except ImportError:  # the corpus without onnx: no ONNX cases
    onnx = None

F = 1  # TensorProto.FLOAT


def _model(nodes, inputs=(("x", (1, 4, 2, 2)),), initializers=(), opset: int = 17) -> bytes:
    graph = helper.make_graph(
        list(nodes),
        "hostile",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _external(name: str, dims, location: str, dtype: int = 7):  # 7: INT64
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=location)
    t.external_data.add(key="length", value="16")
    return t


def _constant(name: str, values, dtype: int = 7):
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, dtype, [len(values)], values))


def _reshape_by_external_constant(location: str) -> bytes:
    """A Reshape whose target is a Constant stored as external data at ``location``."""
    const = helper.make_node("Constant", [], ["target"], value=_external("target", [2], location))
    return _model([const, helper.make_node("Reshape", ["x", "target"], ["y"])])


def _weights_elsewhere(location: str) -> bytes:
    """A convolution whose weight lives in external data: counted from its dims, the file never opened."""
    w = _external("w", [8, 4, 1, 1], location, TensorProto.FLOAT)
    return _model([helper.make_node("Conv", ["x", "w"], ["y"])], initializers=[w])


def _reshape_to_range(limit: int) -> bytes:
    nodes = [_constant("start", [0]), _constant("limit", [limit]), _constant("delta", [1])]
    nodes += [
        helper.make_node("Squeeze", ["start"], ["a"]),
        helper.make_node("Squeeze", ["limit"], ["b"]),
        helper.make_node("Squeeze", ["delta"], ["d"]),
        helper.make_node("Range", ["a", "b", "d"], ["r"]),
        helper.make_node("Reshape", ["x", "r"], ["y"]),
    ]
    return _model(nodes)


def _reshape_to_constant_of_shape(n: int) -> bytes:
    fill = helper.make_tensor("one", TensorProto.INT64, [1], [1])
    nodes = [
        _constant("size", [n]),
        helper.make_node("ConstantOfShape", ["size"], ["target"], value=fill),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    return _model(nodes)


def _nested_ifs(depth: int) -> bytes:
    """If inside If ``depth`` deep, each branch passing ``x`` on."""

    def leaf(out: str):
        return helper.make_graph(
            [helper.make_node("Relu", ["x"], [out])], out, [], [helper.make_tensor_value_info(out, F, None)]
        )

    inner = leaf("y0")
    for level in range(1, depth + 1):
        out = f"y{level}"
        node = helper.make_node("If", ["cond"], [out], then_branch=inner, else_branch=leaf(f"e{level}"))
        inner = helper.make_graph([node], f"level{level}", [], [helper.make_tensor_value_info(out, F, None)])
    yes = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    top = helper.make_node("If", ["cond"], ["y"], then_branch=inner, else_branch=leaf("e0"))
    return _model([top], initializers=[yes])


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _graph_of(fields: bytes) -> bytes:
    """A ModelProto whose graph (field 7) holds ``fields`` as they are."""
    return b"\x3a" + _varint(len(fields)) + fields


def _attribute_list(n: int) -> bytes:
    """A MaxPool whose ``strides`` lists ``n`` values (proto2: each a field of its own, two bytes)."""
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1])
    attr = node.attribute.add()
    attr.name, attr.type = "strides", onnx.AttributeProto.INTS
    attr.ints.extend([1] * n)
    return _model([node])


def _conv(x, w, **attrs) -> bytes:
    weight = helper.make_tensor("w", TensorProto.FLOAT, list(w), [0.0] * _numel(w))
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], **attrs)], inputs=(("x", x),), initializers=[weight])


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _cases() -> list[Case]:
    relu = helper.make_node("Relu", ["x"], ["y"])
    negative = TensorProto()
    negative.name, negative.data_type = "w", TensorProto.FLOAT
    negative.dims.extend([-5, 4])
    no_else = helper.make_node(
        "If",
        ["cond"],
        ["y"],
        then_branch=helper.make_graph([relu], "then", [], [helper.make_tensor_value_info("y", F, None)]),
    )
    yes = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    return [
        # 1. a model file never makes cnncalc open another file
        Case(
            "onnx_external_constant_dotenv",
            ("summary", "m.onnx"),
            {"m.onnx": _reshape_by_external_constant(".env")},
            says="external data",
        ),
        Case(
            "onnx_external_constant_parent",
            ("summary", "model/m.onnx"),
            {"model/m.onnx": _reshape_by_external_constant("../.env")},
            says="external data",
        ),
        Case(
            "onnx_external_constant_absolute",
            ("summary", "m.onnx"),
            {"m.onnx": _reshape_by_external_constant("/proc/self/cwd/.env")},
            says="external data",
        ),
        Case(
            "onnx_external_weights_counted_from_dims",
            ("summary", "m.onnx", "-f", "json"),
            {"m.onnx": _weights_elsewhere("weights.bin")},
            says='"params": 32',
            answered=True,
        ),
        Case(
            "onnx_external_weights_in_parent",
            ("summary", "model/m.onnx", "-f", "json"),
            {"model/m.onnx": _weights_elsewhere("../notes.txt")},
            says='"params": 32',
            answered=True,
        ),
        # 2. every cost bounded before it is paid
        Case(
            "onnx_range_bomb", ("summary", "m.onnx"), {"m.onnx": _reshape_to_range(700_000_000)}, says="onnx_elements"
        ),
        Case(
            "onnx_constant_of_shape_bomb",
            ("summary", "m.onnx"),
            {"m.onnx": _reshape_to_constant_of_shape(1_600_000_000)},
            says="onnx_elements",
        ),
        Case("onnx_deep_subgraphs", ("summary", "m.onnx"), {"m.onnx": _nested_ifs(20)}, says="onnx_nesting"),
        Case(
            "onnx_million_empty_nodes",
            ("summary", "m.onnx"),
            {"m.onnx": _graph_of(b"\x0a\x00" * 4_000_000)},
            says="nodes.*limit.*layers",
        ),
        Case(
            "onnx_million_empty_value_infos",
            ("summary", "m.onnx"),
            {"m.onnx": _graph_of(b"\x6a\x00" * 3_000_000)},
            says="onnx_messages",
        ),
        Case(
            "onnx_long_attribute_list",
            ("summary", "m.onnx"),
            {"m.onnx": _attribute_list(3_000_000)},
            says="strides.*onnx_elements",
        ),
        Case(
            "onnx_many_fields",
            ("summary", "m.onnx"),
            {"m.onnx": _attribute_list(600_000)},  # over 1 MiB: read on the wire
            says="protobuf fields.*onnx_fields.*CNNCALC_LIMIT_ONNX_FIELDS",
            env={"CNNCALC_LIMIT_ONNX_FIELDS": "100000"},
        ),
        # 3. numbers checked where they enter
        Case(
            "onnx_nan_attribute",
            ("summary", "m.onnx"),
            {"m.onnx": _model([helper.make_node("LeakyRelu", ["x"], ["y"], alpha=float("nan"))])},
            says="alpha must be a finite number",
        ),
        Case(
            "onnx_negative_kernel",
            ("summary", "m.onnx"),
            {"m.onnx": _model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[-3, 2])])},
            says="kernel_shape must be ≥ 1",
        ),
        Case(
            "onnx_negative_dims",
            ("summary", "m.onnx"),
            {"m.onnx": _model([relu], initializers=[negative])},
            says="negative dimension",
        ),
        # 4. no silent wrong answer
        Case(
            "onnx_conv_kernel_contradicts_weight",
            ("summary", "m.onnx"),
            {"m.onnx": _conv((1, 4, 8, 8), (8, 4, 3, 3), kernel_shape=[5, 5])},
            says="kernel_shape",
        ),
        Case(
            "onnx_conv_channels_contradict_weight",
            ("summary", "m.onnx"),
            {"m.onnx": _conv((1, 4, 8, 8), (8, 2, 3, 3))},
            says="4 channels",
        ),
        Case(
            "onnx_conv_group_contradicts_weight",
            ("summary", "m.onnx"),
            {"m.onnx": _conv((1, 4, 8, 8), (6, 1, 3, 3), group=4)},
            says="group 4",
        ),
        Case(
            "onnx_duplicate_output",
            ("summary", "m.onnx"),
            {"m.onnx": _model([relu, helper.make_node("Sigmoid", ["x"], ["y"])])},
            says="made twice",
        ),
        Case("onnx_empty_file", ("summary", "m.onnx"), {"m.onnx": b""}, says="empty"),
        Case("onnx_no_graph", ("summary", "m.onnx"), {"m.onnx": b"\x08\x07"}, says="no ONNX graph"),
        Case(
            "onnx_no_inputs",
            ("summary", "m.onnx"),
            {"m.onnx": _model([_constant("c", [1]), helper.make_node("Relu", ["c"], ["y"])], inputs=())},
            says="no inputs",
        ),
        # 5. messages in the user's words
        Case(
            "onnx_if_without_else",
            ("summary", "m.onnx"),
            {"m.onnx": _model([no_else], initializers=[yes])},
            says="needs the attribute else_branch",
        ),
        Case(
            "onnx_truncated",
            ("summary", "m.onnx"),
            {"m.onnx": _reshape_by_external_constant(".env")[:-7]},
            says="damaged|truncated",
        ),
    ]


CASES = [] if onnx is None else [replace(c, needs=("onnx",)) for c in _cases()]
