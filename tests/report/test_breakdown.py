"""Breakdowns by operator kind and by block, and the new columns, checked against hand arithmetic and the
published figures of the zoo models they sum."""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError

SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


def test_by_kind_sums_to_the_totals_and_splits_resnet50_as_published():
    report = zoo.analyze("resnet50")
    entries = {e.name: e for e in report.breakdown("kind")}
    # torchvision resnet50: 25,557,032 params, fc 2048·1000 + 1000 = 2,049,000, BN γ and β 53,120
    assert entries["linear"].params == 2_049_000 and entries["linear"].macs == 2048 * 1000
    assert entries["norm"].params == 53_120 and entries["norm"].layers == 53
    assert entries["conv"].params == 25_557_032 - 2_049_000 - 53_120
    assert entries["conv"].layers == 53  # 1 stem + 16 blocks·3 + 4 projections
    assert entries["conv"].macs == 4_089_184_256 - 2_048_000
    for field in ("params", "macs", "flops"):
        assert sum(getattr(e, field) for e in entries.values()) == getattr(report.totals, field)


def test_by_kind_on_gpt2_names_its_embeddings():
    entries = {e.name: e for e in zoo.analyze("gpt2").breakdown("kind")}
    # GPT-2 small: token embeddings 50,257·768 + positions 1,024·768 = 39,383,808; 12 blocks of 4 linear layers
    assert entries["embedding"].params == 50_257 * 768 + 1024 * 768
    assert entries["linear"].layers == 48
    assert entries["linear"].params == 12 * (768 * 2304 + 2304 + 768 * 768 + 768 + 2 * 768 * 3072 + 3072 + 768)


def test_by_block_collapses_the_32_decoders(cli):
    result = cli("zoo", "llama2_7b", "--by", "block")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.lstrip().startswith("decoder × 32"))
    # 32 decoder layers of Llama-2-7B: 32·(4·4096² + 3·4096·11008 + 2·4096) = 6,476,267,520 params
    assert "6,476,267,520" in line
    refused = cli("zoo", "lenet5", "--by", "block")
    assert refused.exit_code == 2 and "this network has no blocks" in refused.stderr
    wrong = cli("zoo", "lenet5", "--by", "layer")
    assert wrong.exit_code == 2 and "unknown breakdown 'layer' (choose kind, block)" in wrong.stderr


def test_breakdown_in_json_csv_and_pandas(cli):
    data = json.loads(cli("summary", SEED_001, "--by", "kind", "--format", "json").stdout)
    assert data["layers"] and data["breakdown"]["by"] == "kind"
    rows = {r["name"]: r for r in data["breakdown"]["rows"]}
    # seed 001: conv 608 + 3,216 params, fc 48,120 + 10,164 + 850 (softmax(10) is a dense layer there)
    assert rows["conv"]["params"] == 608 + 3216 and rows["conv"]["layers"] == 2
    assert rows["linear"]["params"] == 48_120 + 10_164 and rows["softmax"]["params"] == 850  # a dense softmax(10)
    assert sum(r["flops"] for r in rows.values()) == 1_700_608
    csv_text = cli("summary", SEED_001, "--by", "kind", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "kind,count,params,params_percent,macs,flops,flops_percent"
    pd = pytest.importorskip("pandas")
    df = cnncalc.analyze(SEED_001).to_pandas(by="kind")
    assert isinstance(df, pd.DataFrame) and df.set_index("name").loc["conv", "macs"] == 470_400 + 320_000


def test_new_columns_by_hand():
    report = cnncalc.analyze(SEED_001)
    text = report.table(
        width=200, columns=("name", "input_shape", "kernel_shape", "trainable", "params_percent", "flops_percent")
    )
    conv1 = next(line for line in text.splitlines() if "CONV1" in line)
    # CONV1 reads the 32x32x3 input with 5x5 kernels; 608 of 62,958 params = 0.966%; 940,800 of 1,700,608 FLOPs
    assert "(32, 32, 3)" in conv1 and "5×5" in conv1 and "yes" in conv1 and "0.966%" in conv1 and "55.3%" in conv1
    pool = next(line for line in text.splitlines() if "POOL1" in line)
    assert "2×2" in pool and "(28, 28, 8)" in pool and " – " in pool


def test_training_columns_need_train_and_time_needs_hardware(cli):
    refused = cli("summary", SEED_001, "--columns", "name,backward_flops")
    assert refused.exit_code == 2 and "needs --train" in refused.stderr
    refused = cli("summary", SEED_001, "--columns", "name,time")
    assert refused.exit_code == 2 and "needs --hardware" in refused.stderr
    report = cnncalc.analyze(SEED_001, train=True, hardware="a100-80gb")
    text = report.table(width=200, columns=("name", "flops", "backward_flops", "saved_bytes", "time"))
    fc4 = next(line for line in text.splitlines() if "FC4" in line)
    row = next(r for r in report.rows if r.name == "FC4")
    assert f"{row.backward_flops:,}" in fc4 and f"{row.saved_bytes:,}" in fc4
    # FC4's backward: input and weight gradients, each 2·120·84 = 20,160 FLOPs
    assert row.backward_flops == 2 * 20_160
    # its time at the A100's 19.5 TFLOPS (float32 dense): (20,160 + 40,320) / 19.5e12 s = 3.10 ns
    assert "3.1 ns" in fc4


def test_unknown_by_from_python():
    with pytest.raises(ArgumentError, match="unknown breakdown"):
        cnncalc.analyze(SEED_001).breakdown("everything")
