"""The ONNX front-end against PyTorch itself: every plain-torch test model exported to ONNX as users export it.

Oracles: parameters from ``numel`` of the torch model, FLOPs (``--flops matmul``) from
``FlopCounterMode`` on a real forward of the same model (``support.torch_models.real_flops``),
and ONNX's own shape inference for every activation's shape. Hand-built graphs
(``onnx.helper``) check what exporters rarely write: Loop, If, shared initializers, MatMulNBits.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402
from support.onnx_models import distinct_weights, export, model, weight  # noqa: E402
from support.oracles import real_flops  # noqa: E402
from support.torch_models import ZOO, CnnBn, resnet18  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import zoo  # noqa: E402
from cnncalc.cli import app  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.frontends.onnx import Walk, infer_with_onnx, input_shapes, read_model  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:TF32 acceleration")
runner = CliRunner()
F = TensorProto.FLOAT


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Each ZOO model (distinct weights), its example input and its ONNX file."""
    folder = tmp_path_factory.mktemp("onnx")
    out = {}
    for name, (factory, example, _) in ZOO.items():
        torch.manual_seed(0)
        m = distinct_weights(factory().eval())
        x = example()
        out[name] = (m, x, export(m, x, folder / f"{name}.onnx"))
    return out


@pytest.mark.parametrize("name", sorted(ZOO))
def test_params_and_flops_equal_pytorch(exported, name):
    m, x, path = exported[name]
    r = cnncalc.from_onnx(path, tuple(x.shape), flops="matmul")
    assert r.totals.params == sum(p.numel() for p in m.parameters())
    assert r.totals.flops == real_flops(m, x)
    assert r.uncounted_ops == ()


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_activation_shape_is_the_one_onnx_infers(exported, name):
    _, x, path = exported[name]
    proto, title = read_model(path)
    walk = Walk(proto, title)
    for t in proto.graph.initializer:
        walk.add_stored(t)
    for inp, shape, dtype in input_shapes(proto.graph, [tuple(x.shape)]):
        walk.add_input(inp, shape, dtype)
    walk.walk(proto.graph)
    theirs = infer_with_onnx(proto, {"ids" if x.dtype == torch.int64 else "input": tuple(x.shape)})
    ours = {k: v.shape for k, v in walk.values.items() if v.data and k in theirs}
    assert ours  # onnx infers what it can (a reshape to computed sizes stops it); those must agree
    assert ours == {k: theirs[k] for k in ours}


def test_the_notation_the_torch_module_and_its_export_agree(exported):
    m, x, path = exported["resnet18"]
    from_file = cnncalc.from_onnx(path, (1, 3, 112, 112))
    traced = cnncalc.from_torch(m, (1, 3, 112, 112))
    written = zoo.analyze("resnet18", size=112)
    for r in (traced, written):
        assert (from_file.totals.params, from_file.totals.macs) == (r.totals.params, r.totals.macs)


def test_rows_follow_the_exporters_scopes_as_the_module_tree(exported):
    m, x, path = exported["resnet18"]
    from_file = cnncalc.from_onnx(path, (1, 3, 112, 112), depth=1)
    traced = cnncalc.from_torch(m, (1, 3, 112, 112), depth=1)
    ours = {r.source: (r.params, r.macs) for r in from_file.rows}
    theirs = {r.source: (r.params, r.macs) for r in traced.rows if r.source in ours}
    assert set(theirs) >= {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"}
    assert {k: ours[k] for k in theirs} == theirs


def test_batch_four_gives_four_times_the_macs(exported):
    _, _, path = exported["cnn_bn"]
    one = runner.invoke(app, ["summary", str(path), "--input", "input=1,3,32,32", "-f", "json"])
    four = runner.invoke(app, ["summary", str(path), "--input", "input=4,3,32,32", "-f", "json"])
    assert one.exit_code == four.exit_code == 0, one.output + four.output
    t1, t4 = json.loads(one.output)["totals"], json.loads(four.output)["totals"]
    assert t4["macs"] == 4 * t1["macs"] > 0 and t4["params"] == t1["params"]


def test_a_model_whose_weights_file_is_gone_still_counts(tmp_path):
    m = distinct_weights(CnnBn().eval())
    x = torch.randn(1, 3, 32, 32)
    path = export(m, x, tmp_path / "full.onnx")
    proto = onnx.load(str(path))
    onnx.save_model(proto, str(tmp_path / "ext.onnx"), save_as_external_data=True, location="w.bin", size_threshold=0)
    (tmp_path / "w.bin").unlink()
    r = cnncalc.analyze(str(tmp_path / "ext.onnx"), input=(2, 3, 32, 32))
    assert r.totals.params == sum(p.numel() for p in m.parameters())
    assert r.totals.macs == cnncalc.from_onnx(path, (2, 3, 32, 32)).totals.macs > 0


def test_a_symbolic_axis_not_given_is_named(exported):
    _, _, path = exported["cnn_bn"]
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2
    assert "axis 0 'batch'" in result.output and "--input input=1,3,32,32" in result.output


def test_bad_files_exit_2_with_a_message(tmp_path, exported):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07not a model at all\xff\xfe")
    _, _, path = exported["resnet18"]
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(path.read_bytes()[:5000])
    for bad in (junk, cut, tmp_path / "missing.onnx"):
        result = runner.invoke(app, ["summary", str(bad), "--input", "1,3,32,32"])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error:") and "Traceback" not in result.output


def test_batch_norm_folded_by_the_exporter_is_said(tmp_path):
    # constant folding in eval mode folds each batch norm into the conv before it: the file has no batch norm
    m = distinct_weights(resnet18().eval())
    path = export(m, torch.randn(1, 3, 64, 64), tmp_path / "folded.onnx", folding=True)
    r = cnncalc.from_onnx(path, (1, 3, 64, 64))
    norms = [mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
    convs = [mod for mod in m.modules() if isinstance(mod, torch.nn.Conv2d)]
    # γ and β gone, each conv gains a bias of its norm's width (torch's convs have none)
    expected = sum(p.numel() for p in m.parameters()) - sum(2 * n.num_features for n in norms)
    expected += sum(c.out_channels for c in convs)
    assert r.totals.params == expected
    assert any("folded the batch norms" in n for n in r.notes)


# ---------------------------------------------------------------- hand-built graphs


def test_loop_body_counts_per_iteration_times_the_trip_count():
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["x_in", "w"], ["x_out"], name="/step/MatMul"),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x_in", F, [1, 8]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x_out", F, [1, 8]),
        ],
    )
    trips = helper.make_tensor("trips", TensorProto.INT64, [], [5])
    yes = helper.make_tensor("yes", TensorProto.BOOL, [], [True])
    m = model(
        [helper.make_node("Loop", ["trips", "yes", "x"], ["y"], name="/rnn/Loop", body=body)],
        [("x", [1, 8], F)],
        ["y"],
        [trips, yes, weight("w", 8, 8)],
    )
    r = cnncalc.from_onnx(m)
    assert r.totals.macs == 5 * 8 * 8  # 5 iterations of (1·8)·(8·8)
    assert r.totals.params == 64  # the body's weight, once
    assert any("× 5 iterations" in n for n in r.notes)


def test_if_with_a_known_condition_counts_its_branch_and_an_unknown_one_says_which():
    def branch(units: int, name: str):
        return helper.make_graph(
            [helper.make_node("MatMul", ["x", name], [f"out_{name}"])],
            name,
            [],
            [helper.make_tensor_value_info(f"out_{name}", F, [1, units])],
            [weight(name, 8, units)],
        )

    known = helper.make_tensor("flag", TensorProto.BOOL, [], [False])
    node = helper.make_node("If", ["flag"], ["y"], name="/If", then_branch=branch(4, "a"), else_branch=branch(2, "b"))
    r = cnncalc.from_onnx(model([node], [("x", [1, 8], F)], ["y"], [known]))
    assert r.totals.macs == 8 * 2 and r.totals.params == 16  # the else-branch: (1·8)·(8·2)
    unknown = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Greater", ["s", "zero"], ["flag2"]),
        helper.make_node("If", ["flag2"], ["y"], name="/If", then_branch=branch(4, "a"), else_branch=branch(2, "b")),
    ]
    zero = helper.make_tensor("zero", F, [], [0.0])
    r = cnncalc.from_onnx(model(unknown, [("x", [1, 8], F)], ["y"], [zero]))
    assert r.totals.macs == 8 * 4
    assert any("then-branch is counted" in n for n in r.notes)


def test_an_initializer_shared_through_identity_counts_per_layer_beside_the_stored_count():
    nodes = [
        helper.make_node("Identity", ["w"], ["w2"]),
        helper.make_node("Gemm", ["x", "w"], ["h"], name="/a/Gemm", transB=1),
        helper.make_node("Gemm", ["h", "w2"], ["y"], name="/b/Gemm", transB=1),
    ]
    r = cnncalc.from_onnx(model(nodes, [("x", [1, 8], F)], ["y"], [weight("w", 8, 8)]))
    assert r.totals.params == 2 * 64  # each layer reads its own 8·8 weights
    assert any("stores 64 values the layers read as 128" in n for n in r.notes)
    assert any("w2 is stored as w" in n for row in r.node_rows for n in row.notes)


def test_matmul_nbits_counts_the_math_once_and_the_weights_in_their_stored_dtype():
    k, n, block = 64, 32, 32
    nodes = [
        helper.make_node(
            "MatMulNBits", ["a", "b", "scales"], ["y"], domain="com.microsoft", K=k, N=n, bits=4, block_size=block
        )
    ]
    inits = [weight("b", n, k // block, block // 2, dtype=TensorProto.UINT8), weight("scales", n * (k // block))]
    r = cnncalc.from_onnx(model(nodes, [("a", [1, 16, k], F)], ["y"], inits, domains=["com.microsoft"]))
    assert r.totals.macs == 16 * k * n  # (1·16 positions)·64·32
    assert r.totals.params == n * k and r.totals.buffers == n * (k // block)
    row = next(row for row in r.node_rows if row.kind == "dense")
    assert any("int4" in note for note in row.notes)


def test_an_operator_without_a_rule_is_listed_and_the_rest_counts():
    nodes = [
        helper.make_node("Hardmax", ["x"], ["h"], name="/head/Hardmax"),
        helper.make_node("MatMul", ["h", "w"], ["y"], name="/fc/MatMul"),
    ]
    r = cnncalc.from_onnx(model(nodes, [("x", [2, 8], F)], ["y"], [weight("w", 8, 4)]))
    assert [(op.name, op.calls) for op in r.uncounted_ops] == [("Hardmax", 1)]
    assert r.totals.macs == 2 * 8 * 4


def test_an_operator_from_an_unknown_domain_is_an_error(tmp_path):
    nodes = [
        helper.make_node("Mystery", ["x"], ["h"], domain="org.example", name="/Mystery"),
        helper.make_node("Relu", ["h"], ["y"]),
    ]
    path = tmp_path / "custom.onnx"
    onnx.save(model(nodes, [("x", [2, 8], F)], ["y"], domains=["org.example"]), str(path))
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "org.example" in result.output
    with pytest.raises(CnnCalcError):
        cnncalc.from_onnx(path)


def test_qdq_weights_count_in_their_stored_dtype_and_the_convolution_once():
    # QuantizeLinear/DequantizeLinear around a convolution: the int8 weight is the parameter (8·3·3·3),
    # its scale and zero point buffers, the quantise/dequantise steps on the activation views; MACs 8·(3·3·3)·(6·6)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"]),
        helper.make_node("Conv", ["xd", "w"], ["y"], name="/conv/Conv", kernel_shape=[3, 3]),
    ]
    inits = [
        weight("wq", 8, 3, 3, 3, dtype=TensorProto.INT8),
        weight("ws", 8),
        weight("wz", 8, dtype=TensorProto.INT8),
        helper.make_tensor("xs", F, [], [0.1]),
        helper.make_tensor("xz", TensorProto.UINT8, [], [0]),
    ]
    r = cnncalc.from_onnx(model(nodes, [("x", [1, 3, 8, 8], F)], ["y"], inits))
    assert r.totals.macs == 8 * 27 * 36 and r.totals.params == 8 * 27
    # the weight's scale and zero point are buffers; the input's quantise the activation (a view): not a layer's
    assert r.totals.buffers == 8 + 8
    conv = next(row for row in r.node_rows if row.kind == "conv")
    assert any("wq 8·3·3·3" in step.formula for step in conv.steps)


def test_fused_operators_count_their_parts_once():
    # com.microsoft.SkipLayerNormalization: the residual add and a layer norm over 16 features (γ, β: 32 params);
    # FusedConv: a convolution with its activation (4·(2·3·3) + 4 params, MACs 4·(2·3·3)·(4·4))
    nodes = [
        helper.make_node("SkipLayerNormalization", ["a", "b", "g", "be"], ["n"], domain="com.microsoft"),
        helper.make_node("FusedConv", ["x", "w", "bias"], ["y"], domain="com.microsoft", activation="Relu"),
    ]
    inits = [weight("g", 16), weight("be", 16), weight("w", 4, 2, 3, 3), weight("bias", 4)]
    inputs = [("a", [1, 5, 16], F), ("b", [1, 5, 16], F), ("x", [1, 2, 6, 6], F)]
    r = cnncalc.from_onnx(model(nodes, inputs, ["n", "y"], inits, domains=["com.microsoft"]), flops="all")
    assert r.totals.params == 32 + 4 * 18 + 4
    assert r.totals.macs == 4 * 18 * 16
    kinds = [row.kind for row in r.node_rows if row.kind not in ("input", "tensor")]
    assert kinds == ["elementwise", "layernorm", "conv"]
    conv = next(row for row in r.node_rows if row.kind == "conv")
    assert any("relu" in note for note in conv.notes)


def test_the_attention_operator_is_scaled_dot_product_attention():
    # opset 23 Attention on (batch 1, 2 heads, 5 positions, 4 features): QKᵀ and AV, 2·(1·2·5·5·4) = 400 MACs
    node = helper.make_node("Attention", ["q", "k", "v"], ["y"], name="/attn/Attention", is_causal=1)
    inputs = [(name, [1, 2, 5, 4], F) for name in "qkv"]
    r = cnncalc.from_onnx(model([node], inputs, ["y"], opset=23))
    assert r.totals.macs == 2 * (2 * 5 * 5 * 4)
    row = next(row for row in r.node_rows if row.kind == "sdpa")
    assert row.output_shape == (1, 2, 5, 4)
