"""Malformed hand-made tables: each is a SpecError saying which row and why, never a silent grade."""

from __future__ import annotations

import pytest

from cnncalc import SpecError, check

SPEC = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"


def test_unquoted_comma_in_a_csv_cell_is_an_error_not_shifted_cells():
    # conv(8, f=5) unquoted splits into two cells; everything after it would move one column right
    table = "Layer,Output shape,Params\nconv(8, f=5),28x28x8,608\n"
    with pytest.raises(SpecError, match=r"row 1 has 4 cells but the header names 3") as e:
        check(table, SPEC)
    assert "double quotes" in (e.value.hint or "")


def test_quoted_csv_cell_with_a_comma_is_read_whole():
    # (5·5·3 + 1)·8 = 608; 28 = 32 − 5 + 1
    r = check('Layer,Output shape,Params\n"conv(8, f=5)",28x28x8,608\n', SPEC)
    assert (r.right, r.wrong) == (2, 0)


def test_markdown_row_with_an_unescaped_pipe_is_an_error():
    table = "| Layer | Params |\n|---|---|\n| conv | 608 | 3 |\n"
    with pytest.raises(SpecError, match=r"row 1 has 3 cells but the header names 2"):
        check(table, SPEC)


def test_unterminated_quote_is_an_error_not_an_empty_pass():
    # before: the quote swallowed the rest of the file and check passed with 0 cells graded
    with pytest.raises(SpecError, match=r"^row 1 does not read as CSV: a quote is left open to the end of the table"):
        check('Layer,Params\n"conv(8, f=5),608\nfc(10),15690\n', SPEC)


def test_a_bad_notation_row_is_named_by_its_table_row():
    # row 1 is the input, row 2 a conv, row 3 the bad one (before: "row 2", counting layers only)
    table = "| Layer | Params |\n|---|---|\n| input(32,32,3) | |\n| conv(8, f=5) | 608 |\n| bogus thing | 3 |\n"
    with pytest.raises(SpecError, match=r"^row 3: 'bogus thing' is not a layer"):
        check(table)


def test_an_unknown_layout_is_an_argument_error_not_a_value_error():
    from cnncalc import ArgumentError

    with pytest.raises(ArgumentError, match=r"unknown layout 'xyz' \(choose hwc, chw\)"):
        check("Layer,Params\nfc,10\n", "input(4) -> fc(2)", layout="xyz")


# A message names the cells and headers it is about, each quoted and cut to a line's length, and lists a
# dozen of them with how many more: a table of 5,000 columns or a 5,000-character cell stays one short message.
HEADERS = ",".join(f"h{i}" for i in range(5000))
LONG = "Notes " + "x" * 5000


def test_headers_found_are_a_dozen_and_how_many_more():
    with pytest.raises(SpecError, match="^no column to grade") as e:
        check("Layer," + HEADERS + "\nconv,1\n", SPEC)
    # the header row holds Layer and h0 … h4999: 5,001 headers, 12 shown, 4,989 more
    assert e.value.hint.startswith("headers found: 'Layer', 'h0', 'h1', ")
    assert e.value.hint.endswith("'h10' and 4,989 more")


def test_a_column_not_graded_is_named_cut_short():
    r = check(f'Layer,Params,{LONG}\n"conv(8, f=5)",608,1\n', SPEC)
    line = next(ln for ln in r.to_text().splitlines() if ln.startswith("not graded: "))
    assert line == "not graded: '" + ("Notes " + "x" * 51) + "...'"


def test_a_short_row_names_a_dozen_empty_columns():
    # the header names 5,002 columns, the row fills 2: Params and Layer given, h0 … h4999 left empty
    r = check("Layer,Params," + HEADERS + '\n"conv(8, f=5)",608\n', SPEC)
    (note,) = r.notes
    assert note == (
        "row 1 has 2 cells where the header names 5,002: "
        + ", ".join(f"'h{i}'" for i in range(12))
        + " and 4,988 more left empty"
    )


def test_a_long_cell_is_cut_short_in_the_message():
    with pytest.raises(SpecError) as e:
        check('Layer,Params\n"conv(8, f=5)",608,' + "z" * 5000 + "\n", SPEC)
    assert f"(cell 3, '{'z' * 57}...', is under no header)" in str(e.value)
    with pytest.raises(SpecError) as e:
        check("Layer,Params\n" + "y" * 5000 + ",3\n")
    assert f"row 1 holds '{'y' * 57}...'" in str(e.value)
    assert len(str(e.value)) < 300
