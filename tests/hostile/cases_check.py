"""Hostile tables for ``cnncalc check``: too many rows, a cell past csv's limit, tables that grade nothing,
files that are not tables, and a spec too long to parse."""

from __future__ import annotations

from hostile.cases import Case

SPEC = "input(32,32,3) -> conv(8, f=5)"  # (5·5·3 + 1)·8 = 608
ROWS = "Layer,Params\n" + "conv,608\n" * 8_000  # the table that took 6 GB and 48 s to align

CASES = [
    Case("check_8000_rows", ("check", "big.csv", "--spec", SPEC), files={"big.csv": ROWS}, says="check_rows"),
    Case(
        "check_8000_rows_from_stdin",
        ("check", "-", "--spec", SPEC),
        stdin=ROWS,
        says="over the limit of 5,000 \\(check_rows\\); raise it with CNNCALC_LIMIT_CHECK_ROWS",
    ),
    Case(
        "check_a_million_lines",
        ("check", "lines.csv", "--spec", SPEC),
        files={"lines.csv": "Layer,Params\n" + "\n" * 1_000_000 + "conv,608\n"},
        says="lines",
    ),
    Case(
        "check_rows_within_a_raised_cap",
        ("check", "rows.csv", "--spec", "input(16) -> " + " -> ".join(["fc(16)"] * 1_500)),
        files={"rows.csv": "Layer,Params\n" + "fc,272\n" * 1_500},  # (16 + 1)·16 = 272, each row its layer
        env={"CNNCALC_LIMIT_CHECK_ROWS": "2000"},
        answered=True,
        says="1500 cells right, 0 wrong",
    ),
    Case(
        "check_csv_cell_past_the_field_limit",
        ("check", "wide.csv", "--spec", SPEC),
        files={"wide.csv": 'Layer,Params\nconv,"' + "6" * 131_073 + '"\n'},
        says="more than 131,072 characters",
    ),
    Case(
        "check_csv_header_past_the_field_limit",
        ("check", "head.csv", "--spec", SPEC),
        files={"head.csv": "Layer," + "P" * 131_073 + "\nconv,608\n"},
        says="header has a cell of more than",
    ),
    Case(
        "check_only_the_input_row",
        ("check", "input.csv", "--spec", SPEC),
        files={"input.csv": "Layer,Output shape\ninput,32x32x3\n"},
        says="grades no layer",
    ),
    Case(
        "check_a_one_cell_row",
        ("check", "one.csv", "--spec", SPEC),
        files={"one.csv": "Layer,Params\nconv\n"},
        says="grades no layer",
    ),
    Case(
        "check_only_a_header",
        ("check", "head.md", "--spec", SPEC),
        files={"head.md": "| Layer | Params |\n|---|---|\n"},
    ),
    Case("check_an_empty_file", ("check", "empty.csv", "--spec", SPEC), files={"empty.csv": ""}, says="empty"),
    Case(
        "check_a_binary_file",
        ("check", "table.bin", "--spec", SPEC),
        files={"table.bin": bytes(range(256)) * 8},
        says="not a text file",
    ),
    Case(
        "check_nul_bytes",
        ("check", "nul.csv", "--spec", SPEC),
        files={"nul.csv": "Layer,Par\x00ams\nconv,608\n"},
        says="no column to grade",
    ),
    Case(
        "check_a_file_over_the_size_limit",
        ("check", "large.csv", "--spec", SPEC),
        files={"large.csv": "Layer,Params\n" + "conv,608\n" * 300},
        env={"CNNCALC_LIMIT_FILE_BYTES": "1000"},
        says="file_bytes",
    ),
    Case(
        "check_a_quote_left_open",
        ("check", "quote.csv", "--spec", SPEC),
        files={"quote.csv": 'Layer,Params\n"conv(8, f=5),608\nfc(10),15690\n'},
        says="quote is left open",
    ),
    Case(
        "check_a_hundred_thousand_columns",
        ("check", "columns.md", "--spec", SPEC),
        files={"columns.md": "| Layer | Params |" + " x |" * 100_000 + "\n|---|---|\n| conv | 608 |\n"},
        answered=True,
        says="1 cells right, 0 wrong",
    ),
    Case(
        "check_a_spec_of_a_million_layers",
        ("check", "t.csv", "--spec", "net.txt"),
        files={"t.csv": "Layer,Params\nfc,272\n", "net.txt": "input(16) -> " + " -> ".join(["fc(16)"] * 1_000_000)},
        says="layers",
    ),
    Case(
        "check_a_pytorch_spec",
        ("check", "t.csv", "--spec", "model.py:Net"),
        files={"t.csv": "Layer,Params\nconv,608\n", "model.py": "raise SystemExit('never imported')\n"},
        named=("t.csv",),
        says="not a PyTorch model",
    ),
    Case(
        "check_input_nan", ("check", "t.csv", "--input", "nan,3,3"), files={"t.csv": "Layer,Params\nconv(8, f=5),608\n"}
    ),
    Case("check_a_folder", ("check", "folder", "--spec", SPEC), files={"folder/x.csv": "Layer,Params\n"}, named=()),
]
