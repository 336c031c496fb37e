"""ONNX protobufs built with ``onnx.helper`` from hypothesis strategies: random graphs of the operators cnncalc
reads, with attributes, dims, graph shapes, op types and subgraphs mutated. A model gives a report or a
``CnnCalcError`` in the user's words, never another exception, never Python's words, never a value made
past the element cap."""

from __future__ import annotations

import math

import pytest

onnx = pytest.importorskip("onnx")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from support.hostile import python_words  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import limits  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
F, I64 = TensorProto.FLOAT, TensorProto.INT64
CAUGHT_BY_THE_LAST_NET = "are not what its operator takes"  # the walk's fallback: a form no rule foresaw

SIZES = st.one_of(st.integers(0, 6), st.sampled_from([-1, -7, 2**31, 2**62]))
INTS = st.one_of(st.integers(-3, 6), st.sampled_from([0, -1, 2**40, -(2**40)]))
FLOATS = st.one_of(st.floats(-4, 4), st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 0.0]))

OPS = (
    "Conv ConvTranspose Gemm MatMul Relu LeakyRelu Add Mul Reshape Transpose Concat Slice Pad MaxPool AveragePool "
    "GlobalAveragePool BatchNormalization LSTM GRU Gather Loop If ConstantOfShape Range Resize Split Squeeze "
    "Unsqueeze ReduceMean ReduceSum Softmax Flatten Expand Tile Constant Where Cast Shape Clip Einsum Identity "
    "LayerNormalization InstanceNormalization DepthToSpace Attention Nope"
).split()

ATTRIBUTES = {
    "kernel_shape": st.lists(INTS, min_size=1, max_size=3),
    "strides": st.lists(INTS, min_size=1, max_size=3),
    "pads": st.lists(INTS, min_size=1, max_size=6),
    "dilations": st.lists(INTS, min_size=1, max_size=3),
    "group": INTS,
    "axis": INTS,
    "axes": st.lists(INTS, min_size=1, max_size=3),
    "perm": st.lists(INTS, min_size=1, max_size=4),
    "keepdims": st.integers(-1, 2),
    "transB": st.integers(0, 1),
    "alpha": FLOATS,
    "epsilon": FLOATS,
    "hidden_size": INTS,
    "blocksize": INTS,
    "mode": st.sampled_from(["nearest", "linear", "constant", "reflect", "bogus"]),
    "direction": st.sampled_from(["forward", "bidirectional", "sideways"]),
    "equation": st.sampled_from(["ij,jk->ik", "bij,bjk->bik", "ii->i", "ij->", "x"]),
    "to": st.sampled_from([1, 7, 9, 0, 99]),
    "value": st.builds(lambda v: helper.make_tensor("v", I64, [1], [v]), INTS),
}


@st.composite
def tensors(draw, name: str, dtype: int = F):
    """An initializer: random dims (some negative or huge), values only when it is small."""
    dims = draw(st.lists(SIZES, max_size=4))
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    n = math.prod(dims) if all(0 <= d <= 64 for d in dims) else -1
    if 0 <= n <= 256 and draw(st.booleans()):
        if dtype == I64:
            t.int64_data.extend(draw(st.lists(INTS, min_size=n, max_size=n)))
        else:
            t.float_data.extend([0.5] * n)
    elif draw(st.booleans()):
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value=draw(st.sampled_from([".env", "../x", "/etc/passwd", ""])))
    return t


@st.composite
def graphs(draw, depth: int = 0, outer: tuple[str, ...] = ()):
    """A graph of a few nodes over one input (or, in a body, over the outer values)."""
    values = list(outer) or ["x"]
    nodes, inits = [], []
    for k in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(OPS))
        ins = [draw(st.sampled_from(values)) for _ in range(draw(st.integers(0, 2)))]
        for j in range(draw(st.integers(0, 3))):  # weights and shape operands
            name = f"w{depth}_{k}_{j}"
            inits.append(draw(tensors(name, draw(st.sampled_from([F, I64])))))
            ins.append(name)
        if draw(st.integers(0, 9)) == 0:
            ins.insert(draw(st.integers(0, len(ins))), "")  # an absent optional input
        attrs = {a: draw(ATTRIBUTES[a]) for a in draw(st.lists(st.sampled_from(sorted(ATTRIBUTES)), max_size=4))}
        if op in ("If", "Loop") and depth < 2:
            body = draw(graphs(depth + 1, tuple(values)))
            if op == "If":
                attrs["then_branch"] = body
                if draw(st.booleans()):
                    attrs["else_branch"] = draw(graphs(depth + 1, tuple(values)))
            else:
                attrs["body"] = body
        out = draw(st.sampled_from([f"v{depth}_{k}", f"v{depth}_{k}", values[-1]]))  # now and then a name made twice
        nodes.append(helper.make_node(op, ins, [out, *([f"v{depth}_{k}b"] if draw(st.booleans()) else [])], **attrs))
        values.append(out)
    outputs = [helper.make_tensor_value_info(values[-1], F, None)]
    if outer:
        return helper.make_graph(nodes, f"body{depth}", [], outputs, inits)
    rank = draw(st.integers(0, 4))
    shape = [draw(SIZES) for _ in range(rank)]
    return helper.make_graph(nodes, "fuzz", [helper.make_tensor_value_info("x", F, shape)], outputs, inits)


@FUZZ
@given(graphs(), st.sampled_from([11, 13, 17, 18, 23]))
def test_random_graphs_give_a_report_or_a_clear_error(graph, opset):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    with limits.raised(onnx_elements=100_000, onnx_values=1_000_000):  # a value past these is never made
        try:
            report = cnncalc.from_onnx(model)
        except CnnCalcError as e:
            text = str(e)
            assert text and not python_words(text), text
            assert CAUGHT_BY_THE_LAST_NET not in text, text
            return
    assert report.totals.params >= 0 and report.totals.macs >= 0
