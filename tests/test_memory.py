"""Memory and traffic: against PyTorch itself (param bytes = numel · element_size, activation sizes from a
real forward pass) and against peaks worked out by hand."""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc.graph import Graph, Node

torch = pytest.importorskip("torch")
nn = torch.nn

SPEC = "input(16,16,3) -> conv(8, f=3, p=1) -> bn -> relu -> maxpool(2) -> flatten -> fc(10)"


def torch_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 10),
    )


@pytest.mark.parametrize(
    ("dtype", "torch_dtype"),
    [("float32", torch.float32), ("float16", torch.float16), ("bfloat16", torch.bfloat16)],
)
def test_param_and_buffer_bytes_match_torch(dtype, torch_dtype):
    model = torch_model().to(torch_dtype)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    # num_batches_tracked is an int64 step counter, not a statistic: cnncalc counts running mean and variance
    buffer_bytes = sum(
        b.numel() * b.element_size() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")
    )
    m = cnncalc.analyze(SPEC, dtype=dtype).memory
    assert m.param_bytes == param_bytes
    assert m.buffer_bytes == buffer_bytes


def test_activation_sizes_match_a_real_forward_pass():
    model = torch_model().eval()
    x = torch.zeros(2, 3, 16, 16)
    outputs = [x]
    hooks = [layer.register_forward_hook(lambda mod, i, o: outputs.append(o)) for layer in model]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    r = cnncalc.analyze(SPEC, batch=2)
    assert [row.activation_size for row in r.rows] == [o.numel() for o in outputs]
    # the total counts each storage once: nn.Flatten returns a view of the pool's output
    storages = {o.untyped_storage().data_ptr(): o.untyped_storage().nbytes() for o in outputs}
    assert len(storages) == len(outputs) - 1
    assert r.memory.activation_bytes == sum(storages.values())


def test_peak_on_a_chain_by_hand():
    # sizes: input 16·16·3 = 768; conv 16·16·8 = 2,048; pool 8·8·8 = 512; fc 10
    # pairs alive while a layer runs: 768 + 2,048 = 2,816; 2,048 + 512 = 2,560; 512 + 10 = 522 → peak 2,816
    r = cnncalc.analyze("input(16,16,3) -> conv(8, f=3, p=1) -> maxpool(2) -> fc(10)")
    assert r.memory.peak_activation_bytes == 2_816 * 4
    assert r.memory.activation_bytes == (768 + 2_048 + 512 + 10) * 4
    r16 = cnncalc.analyze("input(16,16,3) -> conv(8, f=3, p=1) -> maxpool(2) -> fc(10)", dtype="int8", batch=3)
    assert r16.memory.peak_activation_bytes == 2_816 * 3 * 1


def test_peak_on_a_branching_graph_by_hand():
    # x(768) feeds a (conv 8 → 2,048) and b (conv 4 → 1,024); c = fc(10) reads a.
    # running a: x + a = 2,816; running b: x still needed by b, a still needed by c: 768 + 2,048 + 1,024 = 3,840;
    # x is freed after b; running c: a + b (an output, kept) + c = 2,048 + 1,024 + 10 = 3,082. Peak 3,840.
    g = Graph(
        (
            Node("x", "input", "x", (16, 16, 3)),
            Node("a", "conv", "a", (8,), (("f", 3), ("p", 1)), ("x",)),
            Node("b", "conv", "b", (4,), (("f", 3), ("p", 1)), ("x",)),
            Node("c", "dense", "c", (10,), (), ("a",)),
        )
    )
    r = cnncalc.analyze(g)
    assert [row.activation_size for row in r.rows] == [768, 2_048, 1_024, 10]
    assert r.memory.peak_activation_bytes == 3_840 * 4


def test_traffic_by_hand():
    r = cnncalc.analyze("input(32,32,3) -> conv(8, f=5)")
    conv = r.rows[1]
    assert conv.bytes_read == (3_072 + 608) * 4  # input activations + parameters
    assert conv.bytes_written == 6_272 * 4
    assert conv.intensity == pytest.approx(940_800 / ((3_072 + 608 + 6_272) * 4))  # 2·8·75·784 FLOPs
    assert r.rows[0].intensity is None


def test_json_and_footer(cli):
    out = cli("summary", "input(16,16,3) -> conv(8, f=3, p=1) -> maxpool(2) -> fc(10)", "--format", "json")
    data = json.loads(out.stdout)
    assert data["totals"]["memory"] == {
        "param_bytes": ((3 * 3 * 3 + 1) * 8 + (512 + 1) * 10) * 4,
        "buffer_bytes": 0,
        "activation_bytes": (768 + 2_048 + 512 + 10) * 4,
        "peak_activation_bytes": 2_816 * 4,
    }
    assert {"bytes_read", "bytes_written", "intensity"} <= set(data["layers"][1])
    table = cli("summary", "input(16,16,3) -> fc(10)", "--dtype", "bfloat16")
    assert "Memory (bfloat16, 2 B/element)" in table.stdout


def test_unknown_dtype_is_an_error(cli):
    with pytest.raises(cnncalc.CnnCalcError):
        cnncalc.analyze("input(4) -> fc(2)", dtype="float8")
    assert cli("summary", "input(4) -> fc(2)", "--dtype", "float8").exit_code == 2
