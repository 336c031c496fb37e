"""check: grading hand-made tables. Seed 002's worksheets (transcribed under tests/data/, mistakes included)
must be flagged at exactly their wrong cells; the seeds' own tables must check clean.

The expected right values are worked out by hand in each data file; the key ones are repeated here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cnncalc
from cnncalc.check import classify, read_table

DATA = Path(__file__).parent / "data"


def run(table: str, spec: str | None = None, **kw) -> cnncalc.CheckResult:
    return cnncalc.check(DATA / table, None if spec is None else (DATA / spec).read_text(), **kw)


def flagged(result: cnncalc.CheckResult) -> dict[tuple[int | None, str], tuple[str, object]]:
    return {(c.row, c.column): (c.written, c.expected) for c in result.wrong_cells()}


def test_seed_002_question_1():
    r = run("seed002_q1.md", "seed002_q1.spec")
    assert flagged(r) == {
        (2, "Output size"): ("149x149x32", [75, 75, 32]),  # floor((150 − 2)/2) + 1 = 75
        (3, "Params"): ("1792", 18_496),  # (3·3·32 + 1)·64 = 289·64
        (4, "Output size"): ("74x74x64", [37, 37, 64]),  # floor((75 − 2)/2) + 1 = 37
        (6, "Output size"): ("36x36x128", [18, 18, 128]),  # floor((37 − 2)/2) + 1 = 18
        (8, "Params"): ("2659272", 2_654_272),  # (41,472 + 1)·64
        (10, "Params"): ("2717585", 2_747_585),  # 896 + 18,496 + 73,856 + 2,654,272 + 65
    }
    assert r.right == 7 and not r.missing_rows and not r.extra_rows
    why = next(c.why for c in r.wrong_cells() if c.written == "1792")
    assert why == "params = (3·3·32 + 1)·64 = 18,496"


def test_seed_002_question_2():
    r = run("seed002_q2.md", "seed002_q2.spec")
    assert flagged(r) == {(4, "Outputs"): ("1x9x35", [9, 9, 35])}  # floor((18 − 2)/2) + 1 = 9
    assert r.right == 12


def test_seed_002_question_3_is_right():
    r = run("seed002_q3.md", "seed002_q3.spec")
    assert r.wrong == 0 and r.right == 13 and r.ok
    assert not r.missing_rows and not r.extra_rows


def test_seed_002_alexnet_like_sheet():
    r = run("seed002_alexnet.md", "seed002_alexnet.spec")
    assert flagged(r) == {
        (3, "Output size"): ("26x26x128", [27, 27, 128]),  # floor((53 − 5 + 2·2)/2) + 1 = 27
        (4, "Output size"): ("13x13x128", [25, 25, 128]),  # 27 − 3 + 1 = 25
        (5, "Output size"): ("24x24x128", [25, 25, 256]),  # 25 − 3 + 2 + 1 = 25, 256 kernels
        (6, "Output size"): ("26x26x256", [25, 25, 256]),
        (10, "Parameters"): ("15099692", 150_996_992),  # (73,728 + 1)·2,048
    }
    total = next(c for c in r.cells if c.layer == "Total")
    assert total.ok and total.expected == 155_399_050


def test_seed_002_section_5():
    r = run("seed002_s5.md", "seed002_s5.spec")
    assert flagged(r) == {
        (1, "Output size"): ("104x104x32", [109, 109, 32]),  # floor((224 − 7)/2) + 1 = 109
        (2, "Output size"): ("51x51x32", [54, 54, 32]),  # floor((109 − 2)/2) + 1 = 54
        (3, "Output size"): ("51x51x32", [54, 54, 32]),  # 54 − 5 + 4 + 1 = 54
        (7, "Params"): ("9218", 9_248),  # (3·3·32 + 1)·32 = 289·32
    }
    total = next(c for c in r.cells if c.layer == "Total")
    assert total.ok and total.expected == 1_239_786


@pytest.mark.parametrize(
    ("table", "spec", "cells"),
    [
        ("seed001_table.tsv", "seed001.spec", 24),  # 8 rows × shape, size, params
        ("seed004_table.csv", "seed001.spec", 8),
        ("seed003_torchsummary.tsv", "seed003_torch.spec", 16 * 2 + 3),  # + Total/Trainable/Non-trainable
        ("seed003_example.tsv", "seed003_own.spec", 8 * 2 + 1),
    ],
)
def test_seed_tables_check_clean(table, spec, cells):
    r = run(table, spec)
    assert r.wrong == 0 and r.right == cells
    assert not r.missing_rows and not r.extra_rows


def test_seed_000_flops_table_flags_only_its_total():
    r = run("seed000_flops.md", "seed000_flops.spec")
    # 60,840 + 259,200 + 737,280 + 2,560 = 1,059,880, not the 1,060,400 the seed writes
    assert flagged(r) == {(5, "FLOPs"): ("1,060,400", 1_059_880)}
    assert r.right == 4


def test_cli_exit_codes_and_json(cli):
    bad = cli("check", str(DATA / "seed002_q1.md"), "--spec", str(DATA / "seed002_q1.spec"), "--format", "json")
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert {"right", "wrong", "cells", "missing_rows", "extra_rows"} <= set(data)
    assert data["table_format"] == "Markdown" and data["framework"] == "torch"
    assert (data["right"], data["wrong"]) == (7, 6)
    assert set(data["cells"][0]) == {"row", "layer", "column", "written", "expected", "ok", "why"}
    good = cli("check", str(DATA / "seed002_q3.md"), "--spec", str(DATA / "seed002_q3.spec"))
    assert good.exit_code == 0 and "13 cells right, 0 wrong" in good.stdout
    text = cli("check", str(DATA / "seed002_s5.md"), "--spec", str(DATA / "seed002_s5.spec"))
    assert "written 104x104x32, right 109x109x32" in text.stdout
    assert "output H, W = floor((224 − 7 + 2·0)/2) + 1 = 109 → (109, 109, 32)" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothere.csv", "--spec", "input(4) -> fc(2)"], "no such file"),
        (["TABLE", "--spec", "input(4) -> fcc(2)"], "unknown layer 'fcc'"),
        (["EMPTY", "--spec", "input(4) -> fc(2)"], "no table found"),
        (["NOCOLS", "--spec", "input(4) -> fc(2)"], "no column to grade"),
        (["TABLE"], "the table does not give the input"),
    ],
)
def test_cli_bad_input_exits_2(cli, tmp_path, args, message):
    files = {
        "TABLE": "Layer,Params\nfc,10\n",
        "EMPTY": "Layer,Params\n",
        "NOCOLS": "Layer,Colour\nfc,red\n",
    }
    if args[0] in files:
        p = tmp_path / "t.csv"
        p.write_text(files[args[0]])
        args = [str(p), *args[1:]]
    result = cli("check", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_and_extra_rows_are_reported():
    table = (
        "| Layer | Output shape | Params |\n|---|---|---|\n"
        "| conv | (28, 28, 8) | 608 |\n"  # pool, conv, pool are left out
        "| fc | (120,) | 48,120 |\n"
        "| banana | (3, 3) | 7 |\n"  # matches no layer
    )
    r = cnncalc.check(table, "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120)")
    assert [m["index"] for m in r.missing_rows] == [4]  # the second conv has 3,216 parameters
    assert [s["index"] for s in r.skipped_layers] == [3, 5]  # the pools have none: leaving them out is no mistake
    assert [x["layer"] for x in r.extra_rows] == ["banana"]
    assert r.wrong == 0 and r.right == 4 and not r.ok


def test_table_without_spec_holds_the_notation():
    # seed 002 question 3, each row's layer written in the notation; the input row gives the shape
    table = (
        "Layer\tOutput shape\tParams\n"
        "input\t224x224x3\t0\n"
        "conv(32, f=7, s=4)\t55x55x32\t4,736\n"
        "maxpool(3, s=2)\t27x27x32\t0\n"
        "conv(64, f=3)\t25x25x64\t18,496\n"
        "maxpool(3, s=2)\t12x12x64\t0\n"
        "conv(128, f=3)\t10x10x128\t73,856\n"
        "maxpool(3, s=2)\t4x4x128\t0\n"
        "fc(512)\t512\t1,049,088\n"
        "fc(100)\t100\t51,300\n"
        "Total\t\t1,197,476\n"
    )
    r = cnncalc.check(table)
    assert r.wrong == 0 and r.right == 9 * 2 + 1
    wrong = cnncalc.check(table.replace("25x25x64", "26x26x64"))
    assert flagged(wrong) == {(4, "Output shape"): ("26x26x64", [25, 25, 64])}


def test_input_size_column_gives_the_input_without_spec():
    table = "| Layer | Input size | Params |\n|---|---|---|\n| conv(32, f=7, s=4) | 224x224x3 | 4,736 |\n"
    assert cnncalc.check(table).ok


def test_torchsummary_shapes_are_channels_first():
    r = cnncalc.check("Layer (type)\tOutput Shape\nConv2d-1\t[-1, 8, 28, 28]\n", "input(32,32,3) -> conv(8, f=5)")
    assert r.ok and r.right == 1
    r = cnncalc.check("Layer (type)\tOutput Shape\nConv2d-1\t[-1, 28, 28, 8]\n", "input(32,32,3) -> conv(8, f=5)")
    assert r.wrong == 1


def test_abbreviated_totals():
    spec = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120) -> fc(84) -> softmax(10)"
    r = cnncalc.check("Layer,Params\nTotal,63k\n", spec)
    assert r.right == 1 and r.wrong == 0  # 62,958 rounds to 63k
    assert not r.ok and len(r.missing_rows) == 5  # but the layers with parameters are not in the table
    assert cnncalc.check("Layer,Params\nTotal,62k\n", spec).wrong == 1


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("# Parameters", "params"),
        ("Param #", "params"),
        ("No. of Parameter", "params"),
        ("Activation Shape", "output_shape"),
        ("Output Shape", "output_shape"),
        ("Output size", "output_shape"),
        ("Activation Size", "activation_size"),
        ("FLOPs", "flops"),
        ("MACs", "macs"),
        ("Mult-Adds", "macs"),
        ("Layer (type)", "layer"),
        ("Kernel size", None),
        ("Input size", None),
    ],
)
def test_headers(header, column):
    assert classify(header) == column


def test_read_table_formats():
    md = read_table("notes\n| a | b |\n|---|---:|\n| 1 | 2,000 |\n")
    assert md.headers == ["a", "b"] and md.rows == [["1", "2,000"]]
    tsv = read_table("a\tb\n1\t2,000\n")
    assert tsv.rows == [["1", "2,000"]]
    csv_ = read_table('# comment\na,b\n1,"2,000"\n')
    assert csv_.rows == [["1", "2,000"]]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = st.sampled_from(
    ["conv", "pool", "fc(10)", "Total", "", "-", "1,2", "2,62,400", "(28, 28, 8)", "[-1, 8]", "1.2M", "x", "\x00", "="]
)


@settings(max_examples=150, deadline=None)
@given(
    header=st.lists(st.sampled_from(["Layer", "Params", "Output shape", "FLOPs", "", "Input size", "x"]), max_size=5),
    rows=st.lists(st.lists(CELLS, max_size=5), max_size=6),
    sep=st.sampled_from([",", "\t", " | "]),
)
def test_any_table_gives_a_result_or_a_cnncalc_error(header, rows, sep):
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    if sep == " | ":
        lines = [f"| {ln} |" for ln in lines]
    try:
        r = cnncalc.check("\n".join(lines) + "\n", "input(8,8,3) -> conv(4, f=3) -> fc(10)")
    except cnncalc.CnnCalcError:
        return
    assert r.right + r.wrong == len(r.cells)
