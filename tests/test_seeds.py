"""Every table of the seed documents (../shared/seeds/) as a golden test, through the library and the CLI.

Expected figures are the seeds' own; where a seed's arithmetic slips, the test
writes out the hand calculation that gives the right figure.
"""

from __future__ import annotations

import json

import pytest

import cnncalc

SEED_000_FLOPS = "input(28,28,1) -> conv(5, f=3) -> conv(5, f=3) -> fc(128) -> fc(10)"
SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)
SEED_002_Q3 = (
    "input(224,224,3) -> conv(32, f=7, s=4) -> maxpool(3, s=2) -> conv(64, f=3) -> maxpool(3, s=2)"
    " -> conv(128, f=3) -> maxpool(3, s=2) -> fc(512) -> fc(100)"
)
SEED_003_TORCH = (
    "input(28,28,1) -> conv(16, f=5, p=2) -> dropout(0.2) -> relu -> maxpool(2)"
    " -> conv(32, f=5, p=2) -> dropout(0.2) -> relu -> maxpool(2) -> flatten"
    " -> fc(512) -> dropout(0.2) -> relu -> fc(128) -> dropout(0.2) -> relu -> fc(10)"
)
SEED_003_OWN = (
    "FC = dense(bias=false)\ninput(1024) → FCwB(256) → Dropout(0.1) → FC(128) → tanh → Maxpool(3) → FC(3) → output"
)


def shapes(r: cnncalc.Report) -> list[tuple[int, ...]]:
    return [r.shown_shape(row) for row in r.rows]


def test_seed_000_first_example():
    r = cnncalc.analyze("input(10,10,1) -> conv(1, f=3)")
    assert shapes(r) == [(10, 10, 1), (8, 8, 1)]
    assert r.rows[1].params == 3 * 3 * 1 + 1


def test_seed_000_flops_example():
    r = cnncalc.analyze(SEED_000_FLOPS)
    assert shapes(r)[1:] == [(26, 26, 5), (24, 24, 5), (128,), (10,)]
    assert [row.params for row in r.rows[1:]] == [50, 230, 368_768, 1_290]
    assert [row.flops for row in r.rows[1:]] == [60_840, 259_200, 737_280, 2_560]
    # The seed writes "60,840 + 259,200 + 737,280 + 2,560 = 1,060,400", but that sum is
    # 1,059,880: 60,840 + 259,200 = 320,040; + 737,280 = 1,057,320; + 2,560 = 1,059,880.
    assert r.totals.flops == 60_840 + 259_200 + 737_280 + 2_560 == 1_059_880


def test_seed_001_004_table():
    r = cnncalc.analyze(SEED_001)
    assert shapes(r) == [(32, 32, 3), (28, 28, 8), (14, 14, 8), (10, 10, 16), (5, 5, 16), (120,), (84,), (10,)]
    assert [row.activation_size for row in r.rows] == [3072, 6272, 1568, 1600, 400, 120, 84, 10]
    assert [row.params for row in r.rows] == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    assert r.totals.params == 62_958
    assert [row.name for row in r.rows][1:] == ["CONV1", "POOL1", "CONV2", "POOL2", "FC3", "FC4", "softmax"]


def test_seed_002_question_3():
    r = cnncalc.analyze(SEED_002_Q3)
    assert [s[0] for s in shapes(r)[1:7]] == [55, 27, 25, 12, 10, 4]
    assert shapes(r)[-2:] == [(512,), (100,)]
    assert [row.params for row in r.rows if row.params] == [4736, 18496, 73856, 1_049_088, 51_300]
    assert r.totals.params == 1_197_476


def test_seed_003_model_in_notation():
    r = cnncalc.analyze(SEED_003_TORCH)
    assert [row.params for row in r.rows if row.params] == [416, 12_832, 803_328, 65_664, 1_290]
    assert r.totals.params == 883_530
    assert (7, 7, 32) in shapes(r) and (1568,) in shapes(r)


def test_seed_003_own_notation_with_alias_line():
    r = cnncalc.analyze(SEED_003_OWN)
    assert [row.name for row in r.rows] == ["input", "FCwB", "Dropout", "FC", "tanh", "Maxpool", "FC", "output"]
    assert [row.output_shape for row in r.rows] == [(1024,), (256,), (256,), (128,), (128,), (42,), (3,), (3,)]
    # 1024·256 + 256 = 262,400; 256·128 = 32,768; 42·3 = 126
    assert [row.params for row in r.rows if row.params] == [262_400, 32_768, 126]
    assert r.totals.params == 295_294


def test_seed_003_without_alias_line_fc_has_bias():
    """Built-in fc has a bias (seeds 000–002, 004), so without the alias line the total differs."""
    r = cnncalc.analyze(SEED_003_OWN.split("\n", 1)[1])
    assert r.totals.params == 262_400 + (256 * 128 + 128) + (42 * 3 + 3)


@pytest.mark.parametrize(
    ("spec", "total"),
    [(SEED_001, 62_958), (SEED_002_Q3, 1_197_476), (SEED_003_TORCH, 883_530), (SEED_003_OWN, 295_294)],
)
def test_seed_totals_through_cli_json(cli, spec, total):
    result = cli("summary", spec, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["params"] == total
    assert [layer["params"] for layer in data["layers"]] == [row.params for row in cnncalc.analyze(spec).rows]
