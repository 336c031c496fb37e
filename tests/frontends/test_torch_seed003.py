"""Seed 003: its NeuralNetwork class, as written there, gives its torchsummary table row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from support.torch_models import NeuralNetwork  # noqa: E402

from cnncalc import from_torch  # noqa: E402

# The seed's "Model Summary" (torchsummary): layer, output shape, parameters.
SEED_TABLE = """\
Conv2d-1	[-1, 16, 28, 28]	416
Dropout-2	[-1, 16, 28, 28]	0
ReLU-3	[-1, 16, 28, 28]	0
MaxPool2d-4	[-1, 16, 14, 14]	0
Conv2d-5	[-1, 32, 14, 14]	12,832
Dropout-6	[-1, 32, 14, 14]	0
ReLU-7	[-1, 32, 14, 14]	0
MaxPool2d-8	[-1, 32, 7, 7]	0
Flatten-9	[-1, 1568]	0
Linear-10	[-1, 512]	803,328
Dropout-11	[-1, 512]	0
ReLU-12	[-1, 512]	0
Linear-13	[-1, 128]	65,664
Dropout-14	[-1, 128]	0
ReLU-15	[-1, 128]	0
Linear-16	[-1, 10]	1,290
"""
EXPECTED = [line.split("\t") for line in SEED_TABLE.splitlines()]


def seed_file() -> Path | None:
    here = Path(__file__).resolve()
    for root in (here.parents[1].parent / "shared", here.parents[2] / "shared", Path("/work/shared")):
        found = sorted((root / "seeds").glob("003_*.txt")) if (root / "seeds").is_dir() else []
        if found:
            return found[0]
    return None


def test_the_table_here_is_the_seeds_own():
    path = seed_file()
    if path is None:
        pytest.skip("shared/seeds is not beside this checkout")
    text = path.read_text(encoding="utf-8")
    assert SEED_TABLE in text
    assert "Total params: 883,530" in text


def test_seed_003_table_row_by_row():
    report = from_torch(NeuralNetwork(), (1, 1, 28, 28))
    got = [[r.name, r.shape_text, f"{r.params:,}"] for r in report.rows]
    assert got == EXPECTED
    assert report.totals.params == 883_530
    assert report.totals.trainable_params == 883_530
    assert report.totals.non_trainable_params == 0


def test_seed_003_flops_by_hand():
    """MACs and seed FLOPs written out: convs, linears, and one FLOP per pooling output (seed 000's rule)."""
    report = from_torch(NeuralNetwork(), (1, 1, 28, 28), flops="seed")
    conv1 = 16 * 28 * 28 * (1 * 5 * 5)  # 313,600
    conv2 = 32 * 14 * 14 * (16 * 5 * 5)  # 2,508,800
    fc = 1568 * 512 + 512 * 128 + 128 * 10  # 869,632
    assert report.totals.macs == conv1 + conv2 + fc == 3_692_032
    pool_outputs = 16 * 14 * 14 + 32 * 7 * 7  # 3,136 + 1,568
    assert report.totals.flops == 2 * 3_692_032 + pool_outputs == 7_388_768
    biases = 16 * 28 * 28 + 32 * 14 * 14 + 512 + 128 + 10
    relus = 16 * 28 * 28 + 32 * 14 * 14 + 512 + 128
    pool_cmp = (4 - 1) * (16 * 14 * 14) + (4 - 1) * (32 * 7 * 7)  # 3 comparisons per 2x2 window
    everything = from_torch(NeuralNetwork(), (1, 1, 28, 28), flops="all")
    assert everything.totals.flops == 2 * 3_692_032 + biases + relus + pool_cmp


def test_seed_003_through_the_cli(tmp_path, cli):
    source = Path(__file__).parents[1].joinpath("support", "torch_models.py").read_text(encoding="utf-8")
    (tmp_path / "net.py").write_text(source, encoding="utf-8")
    result = cli("summary", f"{tmp_path / 'net.py'}:NeuralNetwork", "--input", "1,1,28,28", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [[r["name"], r["shown_shape"], f"{r['params']:,}"] for r in data["layers"]] == EXPECTED
    assert data["totals"]["params"] == 883_530
    assert data["uncounted_ops"] == []
    table = cli("summary", f"{tmp_path / 'net.py'}:NeuralNetwork", "--input", "1,1,28,28")
    assert table.exit_code == 0
    assert "Conv2d-1" in table.stdout and "[-1, 32, 7, 7]" in table.stdout and "883,530" in table.stdout


@pytest.mark.parametrize("convention", ["seed", "matmul", "all"])
def test_the_module_and_the_notation_agree_row_by_row(convention):
    """One rule per kind: the model as an nn.Module and as seed 003's notation give the same figures."""
    import cnncalc

    notation = (
        "input(28,28,1) -> conv(16, f=5, p=2) -> dropout(0.2) -> relu -> maxpool(2)"
        " -> conv(32, f=5, p=2) -> dropout(0.2) -> relu -> maxpool(2) -> flatten"
        " -> fc(512) -> dropout(0.2) -> relu -> fc(128) -> dropout(0.2) -> relu -> fc(10)"
    )
    text = cnncalc.analyze(notation, flops=convention)
    module = from_torch(NeuralNetwork(), (1, 1, 28, 28), flops=convention)
    figures = [(r.params, r.macs, r.flops) for r in text.rows[1:]]  # the notation's first row is the input
    assert [(r.params, r.macs, r.flops) for r in module.rows] == figures
