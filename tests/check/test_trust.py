"""check never grades a wrong cell right, never passes a table that grades nothing, and bounds what it pays.

The rule: a cell is right when it equals the true value, or is the true value rounded to the precision it
is written at and keeps at least two significant digits. Seed 001's first conv has (5·5·3 + 1)·8 = 608
parameters; its whole network 62,958; AlexNet-like totals run to 1,197,476 (seed 002's sheet).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import cnncalc
from cnncalc.check.align import BAND_CELLS, FULL_CELLS, align, band
from cnncalc.cli import app
from cnncalc.errors import LimitError, SpecError
from cnncalc.limits import raised
from cnncalc.report import Row
from cnncalc.written import UnreadableError, parse_number

CONV = "input(32,32,3) -> conv(8, f=5)"  # (5·5·3 + 1)·8 = 608
SEED_001 = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> conv(16, f=5) -> pool(2) -> fc(120) -> fc(84) -> softmax(10)"


@pytest.mark.parametrize(
    ("written", "true"),
    [
        ("62,958", 62_958),
        ("63k", 62_958),  # 62,958 to the thousand, two significant digits
        ("62.96k", 62_958),  # to the ten
        ("1.2M", 1_197_476),  # to the 100,000
        ("608", 608),
        ("0.61k", 608),  # to the ten: 610, two significant digits
        ("1k", 1_000),  # equal is right, whatever the precision
        ("6.1e2", 608),
    ],
)
def test_right_to_the_precision_written(written, true):
    assert parse_number(written).matches(true)


@pytest.mark.parametrize("written", ["1k", "1e3", "0M", "0e4", "0.6k", "6e2", "609", "607"])
def test_a_rounding_that_keeps_fewer_than_two_significant_digits_is_wrong(written):
    assert not parse_number(written).matches(608)


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("1e309", "more than the 30 digits"),  # float() would make it infinity
        ("9e999", "more than the 30 digits"),
        ("0e400", "exponent is out of range"),  # 0 written to the 10^400: a tolerance of infinity before
        ("nan", "cannot read"),
        ("inf", "cannot read"),
        ("٦٠٨", "0-9"),  # Arabic-Indic 608: int() would read it
        ("6" * 5000, "more than the 30 digits"),  # past Python's 4,300-digit int() limit
    ],
)
def test_numbers_out_of_reach_are_unreadable(written, says):
    with pytest.raises(UnreadableError, match=says):
        parse_number(written)


@pytest.mark.parametrize("written", ["1k", "1e3", "0M", "0e4", "0e400", "1e309", "9e999", "nan", "٦٠٨"])
def test_check_grades_them_wrong_and_exits_1(written, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f"Layer,Params\nconv,{written}\n", encoding="utf-8")
    r = cnncalc.check(table, CONV)
    assert (r.right, r.wrong) == (0, 1) and r.wrong_cells()[0].expected == 608
    out = CliRunner().invoke(app, ["check", str(table), "--spec", CONV])
    assert out.exit_code == 1 and "right 608" in out.stdout


@pytest.mark.parametrize("written", ["608", "0.61k", "6.08e2"])
def test_check_grades_them_right_and_exits_0(written):
    assert cnncalc.check(f"Layer,Params\nconv,{written}\n", CONV).ok


# ---------------------------------------------------------------- tables that grade nothing, or leave layers out


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ("Layer,Output shape\ninput,32x32x3\n", "its only row matched is the input"),
        ("Layer,Params\nconv\n", "no row has a figure under a graded column"),  # a one-cell row
        ("Layer,Params,MACs\nconv,,\nfc,-,-\n", "no row has a figure under a graded column"),
    ],
)
def test_a_table_that_grades_no_layer_is_refused(table, says, tmp_path):
    with pytest.raises(SpecError, match=f"the table grades no layer: {says}"):
        cnncalc.check(table, CONV)
    path = tmp_path / "t.csv"
    path.write_text(table, encoding="utf-8")
    out = CliRunner().invoke(app, ["check", str(path), "--spec", CONV])
    assert out.exit_code == 2 and "the table grades no layer" in out.stderr


@pytest.mark.parametrize("table", ["Layer,Params\n", "| Layer | Params |\n|---|---|\n"])
def test_a_header_alone_is_refused(table):
    with pytest.raises(SpecError, match="no table found"):
        cnncalc.check(table, CONV)


def test_a_table_that_leaves_out_a_layer_with_parameters_exits_1(tmp_path):
    # the two convs and the first fc are right, but fc(84) (10,164) and softmax(10) (850) have no row
    path = tmp_path / "t.csv"
    path.write_text("Layer,Params\nconv,608\nconv,3216\nfc,48120\n", encoding="utf-8")
    r = cnncalc.check(path, SEED_001)
    assert r.wrong == 0 and not r.ok and [m["index"] for m in r.missing_rows] == [7, 8]
    out = CliRunner().invoke(app, ["check", str(path), "--spec", SEED_001])
    assert out.exit_code == 1 and "missing row: layer 7 fc has no row in the table" in out.stdout


def test_a_table_of_totals_alone_grades_them_but_is_not_all_right():
    r = cnncalc.check("Layer,Params\nTotal,62958\n", SEED_001)
    assert r.right == 1 and r.wrong == 0 and not r.ok
    assert "no layer graded" in r.to_text() and len(r.missing_rows) == 5


# ---------------------------------------------------------------- what a table may cost


def test_rows_are_capped_before_they_are_aligned():
    table = "Layer,Params\n" + "conv,608\n" * 40
    with raised(check_rows=30), pytest.raises(LimitError, match=r"the table has 40 rows, over the limit of 30"):
        cnncalc.check(table, CONV)
    lines = "Layer,Params\n" + "\n" * 400 + "conv,608\n"  # 403 lines cannot be 30 rows of at most 10 lines
    with raised(check_rows=30), pytest.raises(LimitError, match=r"the table has 403 lines.*\(check_rows\)"):
        cnncalc.check(lines, CONV)


def test_the_row_cap_is_named_with_how_to_raise_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Layer,Params\n" + "conv,608\n" * 6, encoding="utf-8")
    out = CliRunner().invoke(app, ["check", str(path), "--spec", CONV], env={"CNNCALC_LIMIT_CHECK_ROWS": "5"})
    assert out.exit_code == 2
    assert (
        "the table has 6 rows, over the limit of 5 (check_rows); raise it with CNNCALC_LIMIT_CHECK_ROWS=N" in out.stderr
    )


def test_a_cell_past_csvs_field_limit_is_a_clear_error():
    with pytest.raises(SpecError, match=r"^row 1 has a cell of more than 131,072 characters"):
        cnncalc.check('Layer,Params\nconv,"' + "x" * 131_073 + '"\n', CONV)
    with pytest.raises(SpecError, match=r"^the header has a cell of more than 131,072 characters"):
        cnncalc.check("Layer," + "x" * 131_073 + "\nconv,608\n", CONV)


def _rows(m: int) -> tuple[Row, ...]:
    return tuple(Row(i, "fc", "dense", f"n{i}", (), (4,), 4, 20, 20, 0, 16, 32) for i in range(m))


def test_the_alignment_asks_for_a_band_of_pairs_not_every_pair():
    # 10,000 rows against 10,000 layers: 10^8 pairs in all; the band asks for about BAND_CELLS of them
    n = m = 10_000
    assert sum(hi - lo + 1 for lo, hi in band(n, m)) <= BAND_CELLS + 2 * (n + 1)
    asked = []

    def score(i: int, j: int) -> float:
        asked.append((i, j))
        return 3.0 if i == j else -1.0

    pairs = align(n, _rows(m), score, lambda i, j: True)
    assert pairs == [(i, i) for i in range(n)]  # row i is layer i, as every score says
    assert len(asked) <= BAND_CELLS + 2 * (n + 1)


def test_a_small_table_is_aligned_over_every_pair():
    assert band(40, 40) == [(0, 40)] * 41 and 41 * 41 <= FULL_CELLS
