"""Tables in every format check reads, mutated at random: a grade or a clear error, never anything else.

Each table starts right (written from the report by tests/support/tables.py's writers: Markdown, CSV with
commas or semicolons, TSV, Keras 3 and Keras 2 printouts, torchsummary's), then hypothesis mutates it: cells
replaced by hostile values (NaN, infinity, ``1e309``, other scripts' digits, 5,000-digit numbers, long
cells, quotes, pipes, box characters, NUL), lines cut, doubled, swapped or dropped, text cut short. Whatever
comes of it, ``check`` answers with a CheckResult or a CnnCalcError in the user's words; the CLI exits 0, 1
or 2 with no traceback. And a hostile value is never graded right.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import python_words
from support.tables import DELIMITED, PRINTOUTS, networks, table_of
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.errors import CnnCalcError

HOSTILE = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "9e999",
    "0e400",
    "1e-400",
    "0M",
    "1k",
    "٣٢",
    "３２",
    "六",
    "9" * 5000,
    "1" * 40,
    "(" + "9" * 5000 + ", 3)",
    "(nan, 3)",
    "(inf, inf)",
    "[-1, 0, 0]",
    "x" * 70_000,
    '"',
    '"unclosed',
    "|",
    "│",
    "┃━",
    "\t",
    "\x00",
    "\ufeff",
    "=",
    "= = =",
    "Total",
    "Total params: nan",
    "-",
    "",
    "1,2,3,4",
    "1.2.3",
    "12,34",
]


@st.composite
def mutated_tables(draw: st.DrawFn) -> tuple[str, str]:
    spec = draw(networks())
    report = cnncalc.analyze(spec)
    fmt = draw(st.sampled_from(DELIMITED + PRINTOUTS))
    style = draw(st.sampled_from(["kind", "numbered", "keras", "torch", "roles", "blank"]))
    columns = (
        None
        if fmt in PRINTOUTS
        else draw(st.lists(st.sampled_from(["output_shape", "params", "macs"]), min_size=1, max_size=3, unique=True))
    )
    lines = table_of(report, fmt, style, draw(st.integers(0, 2)), columns).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["cell", "cell", "cell", "cut", "double", "swap", "drop", "truncate", "insert"]))
        i = draw(st.integers(0, len(lines) - 1))
        if what == "cell":  # a value in place of the figure a cell holds
            numbers = list(re.finditer(r"\(?[0-9][0-9,. x]*\)?|\[-1[^\]]*\]", lines[i]))
            value = draw(st.sampled_from(HOSTILE))
            if numbers:
                m = draw(st.sampled_from(numbers))
                lines[i] = lines[i][: m.start()] + value + lines[i][m.end() :]
            else:
                lines[i] += value
        elif what == "cut":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at]
        elif what == "double":
            lines.insert(i, lines[i])
        elif what == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif what == "drop" and len(lines) > 1:
            del lines[i]
        elif what == "truncate":
            lines = lines[: i + 1]
        else:
            lines.insert(i, draw(st.sampled_from(HOSTILE)))
    return "\n".join(lines), spec


def clean_error(e: CnnCalcError) -> None:
    assert not python_words(str(e)), str(e)
    assert len(str(e)) < 2000, f"a message of {len(str(e)):,} characters"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_tables())
def test_a_mutated_table_is_graded_or_refused_in_the_users_words(case):
    table, spec = case
    try:
        r = cnncalc.check(table, spec, convention="torch")
    except CnnCalcError as e:
        clean_error(e)
        return
    text = r.to_text() + r.to_json()
    assert not python_words(text)
    for c in r.cells:  # a hostile value is never right
        written = c.written.strip().lower()
        if any(w in written for w in ("nan", "inf", "e309", "e999", "e400", "٣", "３", "六")) or "9" * 100 in written:
            assert not c.ok, c


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_tables())
def test_the_cli_on_a_mutated_table_exits_0_1_or_2_without_a_traceback(tmp_path_factory, case):
    table, spec = case
    path = tmp_path_factory.mktemp("t") / "table.txt"
    path.write_text(table, encoding="utf-8")
    out = CliRunner().invoke(app, ["check", str(path), "--spec", spec, "--convention", "torch"])
    assert out.exit_code in (0, 1, 2), out.output
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert not python_words(out.stderr), out.stderr
    if out.exit_code == 2:
        assert [line for line in out.stderr.splitlines() if line.startswith("error:")], out.stderr


@pytest.mark.parametrize("value", HOSTILE)
def test_each_hostile_value_in_each_column_is_never_right(value):
    spec = "input(32,32,3) -> conv(8, f=5)"
    for column in ("Params", "MACs", "Output shape", "Activation size"):
        table = f"Layer\t{column}\nconv\t{value}\n"
        try:
            r = cnncalc.check(table, spec)
        except CnnCalcError as e:
            clean_error(e)
            continue
        assert r.right == 0 or value in ("",), (column, value, r.to_text())
