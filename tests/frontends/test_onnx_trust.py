"""The ONNX front-end at its edges: no other file opened, every cost bounded first, numbers and weights checked,
messages in the user's words.

Oracles: the ONNX specification (Loop's M and cond, Conv's weight layout), hand counts written out, and
audit hooks (``support.hostile.watching_opens``) or strace for the files a run opens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402
from support.hostile import python_words, watching_opens  # noqa: E402
from support.onnx_models import model, weight  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import limits  # noqa: E402
from cnncalc.errors import CnnCalcError, LimitError, ShapeError, SpecError, WrongTypeError  # noqa: E402

F, I64 = TensorProto.FLOAT, TensorProto.INT64
SECRET = "SECRET_KEY=do-not-read\n"


def external(name: str, dims, location: str, dtype: int = I64) -> onnx.TensorProto:
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=location)
    return t


def reshape_by_external(location: str) -> onnx.ModelProto:
    """A Reshape whose target (2 int64 values) is a Constant stored as external data at ``location``."""
    const = helper.make_node("Constant", [], ["target"], value=external("target", [2], location))
    return model([const, helper.make_node("Reshape", ["x", "target"], ["y"])], [("x", [1, 4, 2, 2], F)], ["y"])


def conv_by_external(location: str) -> onnx.ModelProto:
    """A 1×1 convolution (8 filters over 4 channels) whose weight is external data at ``location``."""
    w = external("w", [8, 4, 1, 1], location, F)
    return model([helper.make_node("Conv", ["x", "w"], ["y"])], [("x", [1, 4, 2, 2], F)], ["y"], [w])


@pytest.fixture
def decoys(tmp_path, monkeypatch):
    """A working folder holding secrets beside a model folder; the test runs from the working folder."""
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    for name in (".env", "weights.bin", "models/.env", "models/w.bin"):
        (work / name).write_text(SECRET)
    (work / "models" / "link").symlink_to(work / ".env")
    monkeypatch.chdir(work)
    return work


LOCATIONS = [".env", "../.env", "w.bin", "link", "./models/.env", "ABSOLUTE", "/proc/self/cwd/.env"]


@pytest.mark.parametrize("where", LOCATIONS)
def test_external_data_is_never_read_wherever_it_points(decoys, where):
    location = str(decoys / ".env") if where == "ABSOLUTE" else where
    path = decoys / "models" / "m.onnx"
    onnx.save(reshape_by_external(location), str(path))
    with watching_opens(decoys, named=[path]) as stray:
        with pytest.raises(ShapeError, match="external data.*never reads another file") as e:
            cnncalc.from_onnx(path)
        with pytest.raises(ShapeError, match="external data"):
            cnncalc.from_onnx(reshape_by_external(location))  # a ModelProto, read relative to nothing
    assert not stray
    assert "Reshape" in str(e.value) and "105" not in str(e.value)  # the node named, no bytes of .env as sizes
    onnx.save(conv_by_external(location), str(path))
    with watching_opens(decoys, named=[path]) as stray:
        r = cnncalc.from_onnx(path)
    assert not stray
    assert (r.totals.params, r.totals.macs) == (8 * 4, 8 * 4 * 4)  # from dims: 8·4 weights; 8·4 MACs × 2·2


@pytest.mark.skipif(
    shutil.which("strace") is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"),
    reason="needs strace to see the opens of onnx's C++ code (CI installs it)",
)
def test_no_open_of_another_file_even_by_onnx_native_code(decoys):
    # an operator without a rule makes cnncalc ask onnx.shape_inference (C++) for a shape: audit hooks cannot
    # see its opens, strace can; the Constant's external data points at the decoys
    const = helper.make_node("Constant", [], ["c"], value=external("c", [4], ".env", F))
    nodes = [const, helper.make_node("Hardmax", ["x"], ["h"]), helper.make_node("Add", ["h", "c"], ["y"])]
    path = decoys / "models" / "m.onnx"
    onnx.save(model(nodes, [("x", [1, 4], F)], ["y"]), str(path))
    trace = decoys.parent / "trace.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(cnncalc.__file__).parents[1]), *sys.path])}
    done = subprocess.run(
        ["strace", "-f", "-e", "trace=open,openat,openat2,stat,newfstatat", "-o", str(trace),
         sys.executable, "-m", "cnncalc", "summary", str(path)],
        cwd=decoys, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = [line for line in trace.read_text().splitlines() if ".env" in line or "w.bin" in line]
    assert not seen, seen


def test_a_constant_of_shape_or_range_too_large_is_never_made():
    # ConstantOfShape([1.6e9]) as a Reshape's target: 1.6e9 int64 would be 12.8 GB; refused before numpy
    def reshape_to(nodes, target):
        return model([*nodes, helper.make_node("Reshape", ["x", target], ["y"])], [("x", [1, 4, 2, 2], F)], ["y"])

    size = helper.make_node("Constant", [], ["n"], value=helper.make_tensor("n", I64, [1], [1_600_000_000]))
    fill = helper.make_tensor("one", I64, [1], [1])
    big = reshape_to([size, helper.make_node("ConstantOfShape", ["n"], ["t"], value=fill)], "t")
    with pytest.raises(LimitError, match=r"1,600,000,000 elements.*onnx_elements.*CNNCALC_LIMIT_ONNX_ELEMENTS"):
        cnncalc.from_onnx(big)
    scalars = [helper.make_node("Constant", [], [n], value=helper.make_tensor(n, I64, [], [v])) for n, v in
               (("a", 0), ("b", 700_000_000), ("d", 1))]  # fmt: skip
    with pytest.raises(LimitError, match="700,000,000 elements"):
        cnncalc.from_onnx(reshape_to([*scalars, helper.make_node("Range", ["a", "b", "d"], ["t"])], "t"))
    with limits.raised(onnx_elements=10**10, onnx_values=10**10):  # raised: made (small here: a 4-element target)
        small = reshape_to([size, helper.make_node("ConstantOfShape", ["n"], ["t"], value=fill)], "t")
        small.graph.node[0].attribute[0].t.CopyFrom(helper.make_tensor("n", I64, [1], [4]))
        with pytest.raises(ShapeError, match="Reshape cannot turn"):  # target (1, 1, 1, 1) of 16 values
            cnncalc.from_onnx(small)


def test_a_large_unneeded_value_costs_nothing():
    # ConstantOfShape((40000, 40000)) read by a Shape only: its shape is known without making it
    dims = helper.make_node("Constant", [], ["d"], value=helper.make_tensor("d", I64, [2], [40000, 40000]))
    nodes = [dims, helper.make_node("ConstantOfShape", ["d"], ["big"]), helper.make_node("Relu", ["x"], ["y"])]
    r = cnncalc.from_onnx(model(nodes, [("x", [1, 4], F)], ["y", "big"]))
    assert r.totals.macs == 0


def test_subgraphs_nested_past_the_limit_are_refused():
    def nest(depth: int) -> onnx.ModelProto:
        def leaf(out: str):
            return helper.make_graph(
                [helper.make_node("Relu", ["x"], [out])], out, [], [helper.make_tensor_value_info(out, F, None)]
            )  # noqa: E501

        inner = leaf("y0")
        for level in range(1, depth):
            node = helper.make_node("If", ["c"], [f"y{level}"], then_branch=inner, else_branch=leaf(f"e{level}"))
            inner = helper.make_graph([node], f"l{level}", [], [helper.make_tensor_value_info(f"y{level}", F, None)])
        top = helper.make_node("If", ["c"], ["y"], then_branch=inner, else_branch=leaf("e0"))
        return model([top], [("x", [1, 4], F)], ["y"], [helper.make_tensor("c", TensorProto.BOOL, [], [True])])

    assert cnncalc.from_onnx(nest(4)).totals.params == 0  # bodies 4 deep (the top If's, and 3 Ifs inside): read
    with limits.raised(onnx_nesting=3), pytest.raises(LimitError, match="nests If/Loop/Scan bodies 4 deep"):
        cnncalc.from_onnx(nest(4))


@pytest.mark.parametrize(
    ("attrs", "says"),
    [
        ({"alpha": float("nan")}, "alpha must be a finite number"),
        ({"alpha": float("inf")}, "alpha must be a finite number"),
    ],
)
def test_float_attributes_are_finite(attrs, says):
    with pytest.raises(CnnCalcError, match=says) as e:
        cnncalc.from_onnx(model([helper.make_node("LeakyRelu", ["x"], ["y"], **attrs)], [("x", [1, 4], F)], ["y"]))
    assert "LeakyRelu" in str(e.value)


@pytest.mark.parametrize(
    ("op", "attrs", "says"),
    [
        ("MaxPool", {"kernel_shape": [-3, 2]}, "kernel_shape must be ≥ 1"),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [0, 1]}, "strides must be ≥ 1"),
        ("AveragePool", {"kernel_shape": [2, 2], "pads": [-1, 0, 0, 0]}, "pads must be ≥ 0"),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [1, 1, 1]}, "strides .* 3 values for 2 spatial axes"),
    ],
)
def test_window_attributes_are_checked(op, attrs, says):
    with pytest.raises(CnnCalcError, match=says):
        cnncalc.from_onnx(model([helper.make_node(op, ["x"], ["y"], **attrs)], [("x", [1, 4, 8, 8], F)], ["y"]))


def test_negative_dims_are_refused():
    t = TensorProto()
    t.name, t.data_type = "w", F
    t.dims.extend([-5, 4])
    relu = helper.make_node("Relu", ["x"], ["y"])
    with pytest.raises(SpecError, match=r"initializer 'w' has a negative dimension \(-5\)"):
        cnncalc.from_onnx(model([relu], [("x", [1, 4], F)], ["y"], [t]))


def conv_model(op, x, w, bias=None, **attrs):
    inits = [weight("w", *w)] + ([weight("b", *bias)] if bias else [])
    node = helper.make_node(op, ["x", "w"] + (["b"] if bias else []), ["y"], **attrs)
    return model([node], [("x", list(x), F)], ["y"], inits)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        # ONNX Conv: W is (M, C/group, k…); kernel_shape, when given, must equal W's kernel
        (lambda: conv_model("Conv", (1, 4, 8, 8), (8, 4, 3, 3), kernel_shape=[5, 5]), "kernel_shape \\[5, 5\\]"),
        (lambda: conv_model("Conv", (1, 4, 8, 8), (8, 2, 3, 3)), "4 channels.*reads 2"),
        (lambda: conv_model("Conv", (1, 4, 8, 8), (6, 1, 3, 3), group=4), "6 filters, which group 4"),
        (lambda: conv_model("Conv", (1, 4, 8, 8), (8, 4, 3, 3), bias=(5,)), "bias b has shape \\(5,\\)"),
        (lambda: conv_model("Conv", (1, 4, 8), (8, 4, 3, 3)), "3 axes.*4 axes"),
        # ONNX ConvTranspose: W is (C, M/group, k…)
        (lambda: conv_model("ConvTranspose", (1, 4, 8, 8), (3, 2, 3, 3)), "4 channels.*reads 3"),
        (lambda: conv_model("ConvTranspose", (1, 4, 8, 8), (4, 2, 3, 3), kernel_shape=[2, 2]), "kernel_shape"),
        # Gemm and MatMul with a weight: the inner sizes agree
        (lambda: conv_model("Gemm", (2, 8), (5, 4), transB=1), "8 ≠ 4"),
        (lambda: conv_model("MatMul", (2, 3, 8), (5, 4)), "8 ≠ 5"),
    ],
)
def test_a_weight_that_contradicts_its_node_is_an_error(make, says):
    # params from the weight and MACs from the attributes would disagree: onnxruntime refuses these files too
    with pytest.raises(ShapeError, match=says):
        cnncalc.from_onnx(make())


def test_batch_norm_and_recurrent_weights_are_checked():
    inits = [weight(n, 5) for n in ("s", "b", "m", "v")]
    bn = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])
    with pytest.raises(ShapeError, match="not one value for each of 4 channels"):
        cnncalc.from_onnx(model([bn], [("x", [1, 4, 3, 3], F)], ["y"], inits))
    # LSTM: W (directions, 4·hidden, input), R (directions, 4·hidden, hidden)
    lstm = helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=6)
    good = [weight("W", 1, 24, 3), weight("R", 1, 24, 6)]
    r = cnncalc.from_onnx(model([lstm], [("x", [5, 2, 3], F)], ["y"], good))
    assert r.totals.params == 24 * 3 + 24 * 6
    with pytest.raises(ShapeError, match="weight W W is \\(1, 24, 4\\)"):
        cnncalc.from_onnx(model([lstm], [("x", [5, 2, 3], F)], ["y"], [weight("W", 1, 24, 4), good[1]]))
    with pytest.raises(ShapeError, match="weight R R"):
        cnncalc.from_onnx(model([lstm], [("x", [5, 2, 3], F)], ["y"], [good[0], weight("R", 1, 24, 5)]))


def loop(trips: int | None, cond: bool | None, macs_per_iteration: int = 8 * 8) -> cnncalc.Report:
    body = helper.make_graph(
        [helper.make_node("MatMul", ["x_in", "w"], ["x_out"]), helper.make_node("Identity", ["c_in"], ["c_out"])],
        "body",
        [helper.make_tensor_value_info("i", I64, []), helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_in", F, [1, 8])],
        [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x_out", F, [1, 8])],
    )  # fmt: skip
    inits = [weight("w", 8, 8)]
    if trips is not None:
        inits.append(helper.make_tensor("M", I64, [], [trips]))
    if cond is not None:
        inits.append(helper.make_tensor("cond", TensorProto.BOOL, [], [cond]))
    node = helper.make_node("Loop", ["M" if trips is not None else "", "cond" if cond is not None else "", "x"],
                            ["y"], body=body)  # fmt: skip
    return cnncalc.from_onnx(model([node], [("x", [1, 8], F)], ["y"], inits))


@pytest.mark.parametrize(
    ("trips", "cond", "iterations"),
    [(5, True, 5), (5, None, 5), (0, True, 0), (-5, True, 0), (5, False, 0), (None, False, 0)],
)
def test_a_loop_runs_as_onnx_says(trips, cond, iterations):
    # ONNX Loop: for (i = 0; i < M && cond; ++i): M ≤ 0 or a false initial condition runs the body 0 times;
    # each run is one (1·8)·(8·8) MatMul, 64 MACs; the body's weight is a parameter however often it runs
    r = loop(trips, cond)
    assert r.totals.macs == 64 * iterations
    assert r.totals.params == 64


def test_a_loop_without_trip_count_or_condition_never_ends():
    with pytest.raises(SpecError, match="neither a trip count M nor a condition"):
        loop(None, None)


def test_a_value_made_twice_is_an_error():
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Sigmoid", ["x"], ["y"], name="/second")]
    with pytest.raises(
        SpecError, match="'y' is made twice, as an output of node Relu and as an output of node /second"
    ):
        cnncalc.from_onnx(model(nodes, [("x", [1, 4], F)], ["y"]))


def test_an_if_without_its_branches_says_so_in_words():
    then = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t"])], "t", [], [helper.make_tensor_value_info("t", F, None)]
    )
    flag = helper.make_tensor("c", TensorProto.BOOL, [], [False])
    node = helper.make_node("If", ["c"], ["y"], name="/gate/If", then_branch=then)
    with pytest.raises(SpecError, match="/gate/If .*needs the attribute else_branch") as e:
        cnncalc.from_onnx(model([node], [("x", [1, 4], F)], ["y"], [flag]))
    assert not python_words(str(e.value))


@pytest.mark.parametrize("bad", [None, 3, b"model.onnx", ["m.onnx"]])
def test_a_wrong_argument_type_is_a_type_error(bad):
    with pytest.raises(WrongTypeError, match="'model' must be a path to a .onnx file or an onnx.ModelProto"):
        cnncalc.from_onnx(bad)


def test_empty_models_and_missing_files_are_errors(tmp_path):
    with pytest.raises(SpecError, match="no ONNX graph"):
        cnncalc.from_onnx(onnx.ModelProto())
    no_inputs = model([helper.make_node("Constant", [], ["y"], value_float=1.0)], [], ["y"])
    with pytest.raises(SpecError, match="no inputs"):
        cnncalc.from_onnx(no_inputs)
    for path, says in ((tmp_path / "missing.onnx", "no such file"), (tmp_path, "is a folder")):
        with pytest.raises(SpecError, match=says):
            cnncalc.from_onnx(path)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(SpecError, match="is empty"):
        cnncalc.from_onnx(empty)


def test_the_message_bombs_are_refused_before_parsing(tmp_path):
    # 4,000,000 empty nodes: 8 MB on disk, about 600 MB once protobuf parses them; counted first and refused
    path = tmp_path / "nodes.onnx"
    graph = b"\x0a\x00" * 4_000_000  # GraphProto field 1 (node), length 0, four million times
    size = len(graph)
    length = bytes([0x80 | (size >> 7 * k & 0x7F) for k in range(3)] + [size >> 21])  # its length, a varint
    path.write_bytes(b"\x3a" + length + graph)  # ModelProto field 7 (graph)
    with pytest.raises(LimitError, match="nodes, over the limit of 250,000 \\(layers\\)"):
        cnncalc.from_onnx(path)


@pytest.mark.parametrize(
    "node, extra, says",
    [
        # opset 11's Pad takes its pads as an input: two per axis, begins then ends. Four axes need eight.
        ("Pad", [helper.make_tensor("p", I64, [3], [1, 1, 1])], "Pad's pads hold 3 values where 4 padded axes need 8"),
        ("Tile", [helper.make_tensor("p", I64, [2], [2, 2])], "Tile's repeats hold 2 values for an input of rank 4"),
    ],
)
def test_a_shape_list_of_the_wrong_length_is_named(node, extra, says):
    nodes = [helper.make_node(node, ["x", "p"], ["y"], name=f"/{node.lower()}")]
    with pytest.raises(ShapeError, match=says):
        cnncalc.from_onnx(model(nodes, [("x", [1, 4, 2, 2], F)], ["y"], extra))


@pytest.mark.parametrize(
    "target, says",
    [
        (
            helper.make_tensor("p", I64, [2, 2], [1, 4, 2, 2]),
            "Expand's shape must be a list of sizes, not a value of rank 2",
        ),
        (helper.make_tensor("p", I64, [4], [1, -4, 2, 2]), r"Expand's shape \[1, -4, 2, 2\] has a negative size"),
    ],
)
def test_an_expand_to_a_shape_that_is_no_shape_is_named(target, says):
    nodes = [helper.make_node("Expand", ["x", "p"], ["y"], name="/expand")]
    with pytest.raises(ShapeError, match=says):
        cnncalc.from_onnx(model(nodes, [("x", [1, 4, 2, 2], F)], ["y"], [target]))


def test_a_clip_bound_of_several_values_is_named():
    low = helper.make_tensor("lo", F, [3], [0.0, 1.0, 2.0])
    nodes = [helper.make_node("Clip", ["x", "lo"], ["y"], name="/clip")]
    with pytest.raises(ShapeError, match=r"/clip \(Clip\): Clip's min must be one number \(got 3 values\)"):
        cnncalc.from_onnx(model(nodes, [("x", [1, 4], F)], ["y"], [low]))
