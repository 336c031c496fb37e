"""The torch front-end's behaviour: depth, shared and tied weights, coverage, errors, the CLI, meta-only tracing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from support.torch_models import Functional, Llama, NeuralNetwork, llama_params, resnet18  # noqa: E402

from cnncalc import CnnCalcError, from_torch  # noqa: E402

# ---------------------------------------------------------------- rows and depth


def test_depth_folds_deeper_modules_into_their_ancestor():
    model = resnet18()
    deep = from_torch(model, (1, 3, 64, 64), depth=99)
    one = from_torch(model, (1, 3, 64, 64), depth=1)
    zero = from_torch(model, (1, 3, 64, 64), depth=0)
    names = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    assert [r.node_id for r in one.rows] == names
    assert [r.node_id for r in zero.rows] == ["ResNet"]
    for report in (deep, one, zero):
        assert report.totals.macs == deep.totals.macs
        assert sum(r.macs for r in report.rows) == report.totals.macs
        assert sum(r.params for r in report.rows) == 11_689_512
    layer1 = next(r for r in one.rows if r.node_id == "layer1")
    # two BasicBlocks of two 3x3 convs, 64 -> 64 channels on 16x16: 4·(64·64·9)·(16·16)
    assert layer1.macs == 4 * 64 * 64 * 9 * 16 * 16
    assert layer1.params == 4 * (64 * 64 * 9) + 4 * 2 * 64  # conv weights + BN γ, β


def test_shared_module_called_twice_gets_two_rows_and_its_params_once():
    block = nn.Linear(8, 8)
    model = nn.Sequential(block, nn.ReLU(), block)
    report = from_torch(model, (2, 8))
    assert [r.node_id for r in report.rows] == ["0", "1", "0"]
    assert [r.params for r in report.rows] == [72, 0, 0]
    assert any("runs again" in note for note in report.rows[2].notes)
    assert report.rows[2].macs == 2 * 8 * 8  # the second call still computes
    assert report.totals.params == 72


def test_tied_weights_counted_once_and_said_so():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(6, 6, bias=False)
            self.b = nn.Linear(6, 6, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    report = from_torch(Tied(), (1, 6))
    assert report.totals.params == 36
    assert [r.params for r in report.rows] == [36, 0]
    assert any("tied to a.weight" in n for n in report.rows[1].notes)


def test_buffers_and_frozen_parameters():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    model[0].weight.requires_grad_(False)
    report = from_torch(model, (1, 3, 5, 5))
    assert report.totals.params == 12 + 4 + 8
    assert report.totals.trainable_params == 4 + 8
    assert report.totals.buffers == 4 + 4 + 1  # running mean, running var, num_batches_tracked
    assert "Trainable" in report.table() and "Buffers" in report.table()  # shown because they say something
    plain = from_torch(nn.Linear(3, 2), (1, 3)).table()
    assert "Trainable" not in plain and "Buffers" not in plain


def test_every_model_tensor_keeps_its_dtype():
    # in training batch norm only increments num_batches_tracked (no operator reads it): it is still int64
    from cnncalc.api import load

    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    for train in (False, True):
        graph = load(model, input=(2, 3, 5, 5), train=train)
        dtypes = {t.name: t.dtype for n in graph.nodes for t in n.tensors or ()}
        assert dtypes == {
            **dict.fromkeys(("0.weight", "0.bias", "1.weight", "1.bias"), "float32"),
            "1.running_mean": "float32",
            "1.running_var": "float32",
            "1.num_batches_tracked": "int64",
        }


# ---------------------------------------------------------------- conventions, by hand


def test_conventions_by_hand_on_conv_bn_relu_pool():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
    x = (1, 3, 10, 10)
    conv_out = 4 * 8 * 8  # 256 outputs
    macs = conv_out * 3 * 3 * 3  # 6,912
    pool_out = 4 * 4 * 4  # 64
    assert from_torch(model, x, flops="matmul").totals.flops == 2 * macs
    assert from_torch(model, x, flops="seed").totals.flops == 2 * macs + pool_out
    # all: bias 256 + batch norm 2·256 + relu 256 + max pool 3 comparisons per output
    assert from_torch(model, x, flops="all").totals.flops == 2 * macs + 256 + 512 + 256 + 3 * pool_out


def test_attention_counted_whole_with_is_causal_noted():
    class Attn(nn.Module):
        def forward(self, q):
            return F.scaled_dot_product_attention(q, q, q, is_causal=True)

    report = from_torch(Attn(), (2, 3, 10, 4))  # B=2, H=3, L=S=10, E=4
    assert report.totals.macs == 2 * 3 * 10 * 10 * 4 * 2  # QKᵀ and the weighted sum
    assert any("is_causal" in n for n in report.rows[0].notes)
    scores = 2 * 3 * 10 * 10
    every = from_torch(Attn(), (2, 3, 10, 4), flops="all")
    assert every.totals.flops == 2 * report.totals.macs + scores * (1 + 1 + 3)  # scale, mask, softmax


def test_functional_ops_in_forward_are_counted():
    report = from_torch(Functional(), (2, 3, 16, 16), flops="matmul")
    steps = " ".join(s.quantity for s in report.rows[0].steps)
    for op in ("conv2d", "aten.mm", "scaled_dot_product_attention", "aten.bmm"):
        assert f"{op}: MACs" in steps
    conv = 2 * 8 * 16 * 16 * 27
    projections = 3 * (2 * 256) * 8 * 8
    attention = 2 * (2 * 2 * 256 * 256 * 4)
    bmm = 2 * 256 * 8 * 256 + 2 * 256 * 256 * 8
    einsum = 2 * 256 * 8 * 6
    assert report.totals.macs == conv + projections + attention + bmm + einsum


# ---------------------------------------------------------------- coverage: never a silent zero


class RunningMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return self.conv(x).cummax(dim=-1).values


def test_an_op_without_a_rule_is_listed_not_zeroed(tmp_path):
    report = from_torch(RunningMax(), (1, 3, 8, 8))
    assert [(u.name, u.calls, u.modules) for u in report.uncounted_ops] == [("aten.cummax", 1, ("RunningMax",))]
    assert "Uncounted ops" in report.table() and "aten.cummax ×1" in report.table()
    assert "aten.cummax" in report.to_markdown()
    data = json.loads(report.to_json())
    assert data["uncounted_ops"] == [{"name": "aten.cummax", "calls": 1, "modules": ["RunningMax"]}]
    assert report.totals.macs == 3 * 3 * 8 * 8  # the conv is still counted


def test_every_aten_operator_has_one_rule_or_is_listed():
    from cnncalc.frontends.torch_lower import ATEN, CREATES, IGNORED, MOVES, VIEWS

    tables = [set(ATEN), VIEWS, CREATES, IGNORED, MOVES]
    for i, a in enumerate(tables):
        for b in tables[i + 1 :]:
            assert not (a & b)
    assert {"view", "reshape", "permute", "transpose"} <= VIEWS and "cat" in ATEN and "embedding" in MOVES

    class InPlace(nn.Module):
        def forward(self, x):
            return x.relu_()

    assert from_torch(InPlace(), (1, 4), flops="all").totals.flops == 4  # in-place counts as its twin


def test_bicubic_upsampling_is_counted_by_the_upsample_rule():
    class Bicubic(nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=2, mode="bicubic")

    report = from_torch(Bicubic(), (1, 3, 8, 8), flops="all")
    assert report.uncounted_ops == ()
    assert report.totals.flops == 4**2 * 3 * 16 * 16  # 16 weighted reads per output of a 2-axis bicubic


# ---------------------------------------------------------------- inputs


def test_token_ids_and_example_tensors():
    model = Llama()
    by_size = from_torch(model, (1, 16), input_dtype="int64")
    by_tensor = from_torch(model, torch.zeros(1, 16, dtype=torch.long))
    assert by_size.totals == by_tensor.totals
    assert by_size.rows[-1].shape_text == "[-1, 16, 64]"
    with pytest.raises(CnnCalcError, match="model's forward failed"):
        from_torch(model, (1, 16))  # float ids: embedding refuses them, and says so


def test_several_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)
            self.b = nn.Linear(5, 3)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    report = from_torch(Two(), [(2, 4), (2, 5)])
    assert report.totals.macs == 2 * 4 * 3 + 2 * 5 * 3


# ---------------------------------------------------------------- no weights allocated


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


def test_a_model_larger_than_memory_is_counted_on_meta():
    config = dict(vocab=32000, dim=8192, layers=48, heads=64, ffn=22016)
    with torch.device("meta"):
        model = Llama(**config)
    expected = llama_params(config["vocab"], config["dim"], config["layers"], config["ffn"])
    assert expected * 4 > 100 * 2**30  # float32 weights: more than 100 GiB, four times this machine's memory
    before = rss_mb()
    report = from_torch(model, (1, 8), input_dtype="int64", flops="matmul", depth=1)
    grew = rss_mb() - before
    assert report.totals.params == expected == sum(p.numel() for p in model.parameters())
    assert grew < 300, f"RSS grew by {grew:.0f} MB"
    # Linear weights times 8 tokens, plus attention (2·8²·128 per head) with no causal discount
    linear = config["layers"] * (4 * 8192 * 8192 + 3 * 8192 * 22016) + 8192 * 32000
    attention = config["layers"] * 64 * 2 * 8 * 8 * 128
    assert report.totals.macs == 8 * linear + attention


def test_a_real_model_is_copied_to_meta_and_left_as_it_was():
    model = NeuralNetwork()
    weight = model.cnn_layer_1.weight.detach().clone()
    from_torch(model, (1, 1, 28, 28))
    assert model.cnn_layer_1.weight.device.type == "cpu"
    assert torch.equal(model.cnn_layer_1.weight.detach(), weight)


# ---------------------------------------------------------------- errors


def test_an_input_that_breaks_forward_carries_the_models_message():
    class Picky(nn.Module):
        def forward(self, x):
            if x.shape[1] != 3:
                raise ValueError(f"Picky wants 3 channels, got {x.shape[1]}")
            return x

    with pytest.raises(CnnCalcError, match="Picky wants 3 channels, got 5"):
        from_torch(Picky(), (1, 5, 4, 4))


def test_bad_arguments():
    with pytest.raises(CnnCalcError, match="needs a torch.nn.Module"):
        from_torch("resnet", (1, 3))
    with pytest.raises(CnnCalcError, match="input size"):
        from_torch(nn.Linear(2, 2))
    with pytest.raises(CnnCalcError, match="unknown input dtype"):
        from_torch(nn.Linear(2, 2), (1, 2), input_dtype="float33")
    with pytest.raises(CnnCalcError, match="unknown flops convention 'macs'"):
        from_torch(nn.Linear(2, 2), (1, 2), flops="macs")
    with pytest.raises(CnnCalcError, match="depth"):
        from_torch(nn.Linear(2, 2), (1, 2), depth=-1)


MODEL_FILE = textwrap.dedent(
    """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self, width=8):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3)
            self.fc = nn.Linear(width * 6 * 6, 2)

        def forward(self, x):
            return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))

    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()

    def not_a_module():
        return 1

    ALSO_NOT = 3
    """
)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "mynet.py"
    path.write_text(MODEL_FILE, encoding="utf-8")
    return path


def test_cli_summarises_a_model_file(model_file, cli):
    result = cli("summary", f"{model_file}:Net", "--input", "1,3,8,8", "--format", "json", "--flops", "matmul")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # torch.relu runs directly in Net.forward: a row of its own where it runs, with its own output (as torchinfo
    # lists the modules at depth 1, without one for the model that would hold it, shaped as the model's output)
    assert [r["name"] for r in data["layers"]] == ["Conv2d-1", "relu-2", "Linear-3"]
    assert [r["shown_shape"] for r in data["layers"]] == ["[-1, 8, 6, 6]", "[-1, 8, 6, 6]", "[-1, 2]"]
    assert data["layers"][1]["kind"] == "relu"
    assert data["totals"]["params"] == (27 + 1) * 8 + 288 * 2 + 2
    assert data["totals"]["flops"] == 2 * (8 * 36 * 27 + 288 * 2)


@pytest.mark.parametrize(
    ("spec", "input_size", "message"),
    [
        ("missing.py:Net", "1,3,8,8", "no such file"),
        ("{file}:Nope", "1,3,8,8", "has no 'Nope'"),
        ("{file}:not_a_module", "1,3,8,8", "not a torch.nn.Module"),
        ("{file}:ALSO_NOT", "1,3,8,8", "not a torch.nn.Module"),
        ("{file}:NeedsArgs", "1,3,8,8", "built with no arguments"),
        ("{file}:Net", "1,3,5,5", "[1, 72] X [288, 2]"),  # torch's own message for the failed matmul
        ("{file}:Net", "1,4,8,8", "model's forward failed in conv"),
        ("{file}:Net", None, "needs --input"),
    ],
)
def test_cli_bad_input_exits_2(model_file, cli, tmp_path, spec, input_size, message):
    spec = spec.format(file=model_file)
    if spec.startswith("missing"):
        spec = str(tmp_path / spec)
    args = ["summary", spec] + (["--input", input_size] if input_size else [])
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_failed_forward_prints_one_message_and_no_pytorch_log(model_file):
    # fake tensors log the model's error with a traceback before raising it; the user sees cnncalc's message only
    run = subprocess.run(
        [sys.executable, "-m", "cnncalc", "summary", f"{model_file}:Net", "--input", "1,3,5,5"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "[1, 72] X [288, 2]" in run.stderr
    assert "Traceback" not in run.stderr and "fake_tensor.py" not in run.stderr


def test_cli_help_says_the_file_is_run_as_code(cli):
    text = " ".join(cli("summary", "--help").stdout.split())
    assert "path/to/file.py:ModelClass" in text and "run as your own Python code (never unpickled)" in text


def test_import_cnncalc_does_not_import_torch():
    code = "import cnncalc, sys; assert 'torch' not in sys.modules; cnncalc.analyze('input(4) -> fc(2)')"
    subprocess.run([sys.executable, "-c", code], check=True, env=None)


@pytest.mark.parametrize(
    ("module", "size", "flops"),
    [
        (nn.LayerNorm(8), (2, 8), (5 + 2) * 16),  # statistics and normalisation 5, γ and β 2, per element
        (nn.LayerNorm(8, elementwise_affine=False), (2, 8), 5 * 16),
        (nn.GroupNorm(2, 4), (1, 4, 3, 3), (5 + 2) * 36),
        (nn.BatchNorm1d(4), (3, 4), 2 * 12),
        (nn.Softmax(dim=-1), (2, 5), 3 * 10),
        (nn.AdaptiveAvgPool2d(2), (1, 3, 5, 5), 3 * (3 * 3 * 4)),  # windows of 3x3 on a 5x5 axis pair: 9 adds each
    ],
)
def test_elementwise_rules_by_hand(module, size, flops):
    assert from_torch(module, size, flops="all").totals.flops == flops
    assert from_torch(module, size, flops="matmul").totals.flops == 0


def test_matrix_vector_products_are_counted():
    class MatVec(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(5, 3))
            self.b = nn.Parameter(torch.randn(5))

        def forward(self, v):
            return torch.addmv(self.b, self.w, v) + self.w @ v

    report = from_torch(MatVec(), (3,), flops="all")
    assert report.totals.macs == 5 * 3 + 5 * 3
    assert report.totals.flops == 2 * 30 + 5 + 5  # addmv's bias add, then the final add


def test_plain_tensor_attributes_follow_to_meta_and_come_back():
    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4)
            self.mask = torch.tril(torch.ones(4, 4))  # neither a parameter nor a buffer

        def forward(self, x):
            return self.proj(x) @ self.mask

    model = Masked()
    mask = model.mask
    report = from_torch(model, (2, 4), flops="matmul")
    assert report.totals.macs == 2 * 4 * 4 + 2 * 4 * 4
    assert model.mask is mask and model.mask.device.type == "cpu"


def test_the_model_is_restored_when_its_forward_fails():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))
    weight = model[0].weight
    with pytest.raises(CnnCalcError, match="in 1 \\(Linear\\)"):
        from_torch(model, (1, 4))
    assert model[0].weight is weight and weight.device.type == "cpu"


def test_cli_token_ids_and_depth(tmp_path, cli):
    from pathlib import Path

    zoo = tmp_path / "zoo.py"
    zoo.write_text(
        Path(__file__).parents[1].joinpath("support", "torch_models.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    args = ("summary", f"{zoo}:Llama", "--input", "1,16", "--format", "json")
    result = cli(*args, "--input-dtype", "int64", "--depth", "1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = ["Embedding-1", "DecoderLayer-2", "DecoderLayer-3", "RMSNorm-4", "Linear-5"]
    assert [r["name"] for r in data["layers"]] == names
    assert data["totals"]["params"] == llama_params(64, 32, 2, 88)
    floats = cli(*args)  # float ids: the embedding refuses them
    assert floats.exit_code == 2 and "embedding" in floats.stderr.lower()
