"""Renderers: the seed 001 table compared whole against golden files, and the contracts of each format.

Golden files live in tests/golden/. They are regenerated only on purpose, with
``CNNCALC_REGEN_GOLDEN=1 python3 -m pytest tests/test_render.py``, and then read
line by line against seed 001 before they are committed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

import cnncalc

GOLDEN = Path(__file__).parent / "golden"
SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


@pytest.fixture(scope="module")
def report() -> cnncalc.Report:
    return cnncalc.analyze(SEED_001)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CNNCALC_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- golden files


def test_table_golden(report: cnncalc.Report):
    golden("seed_001.table.txt", report.table(width=100))


def test_narrow_table_golden(report: cnncalc.Report):
    """At 60 columns, shapes and headers wrap; numbers stay whole."""
    golden("seed_001.table60.txt", report.table(width=60))


def test_markdown_golden(report: cnncalc.Report):
    golden("seed_001.md", report.to_markdown())


def test_csv_golden(report: cnncalc.Report):
    golden("seed_001.csv", report.to_csv())


def test_plain_table_golden(report: cnncalc.Report):
    """Plain text for a pipe or a file: the same columns, lined up with spaces, ASCII rules, no box."""
    from cnncalc.render.table import render

    golden("seed_001.plain.txt", render(report, width=100, box=False))


def test_cli_table_is_the_golden_table_when_a_box_is_asked_for(cli):
    result = cli("summary", SEED_001, "--width", "100", "--box")
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "seed_001.table.txt").read_text(encoding="utf-8")


def test_cli_table_is_plain_in_a_pipe(cli):
    # CliRunner's output is no terminal, as a pipe or a file is not
    result = cli("summary", SEED_001, "--width", "100")
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "seed_001.plain.txt").read_text(encoding="utf-8")
    assert cli("summary", SEED_001, "--width", "100", "--plain").stdout == result.stdout


@pytest.mark.parametrize(("fmt", "name"), [("markdown", "seed_001.md"), ("csv", "seed_001.csv")])
def test_cli_formats_are_the_golden_files(cli, fmt: str, name: str):
    result = cli("summary", SEED_001, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- numbers


def test_tables_group_thousands(report: cnncalc.Report):
    for text in (report.table(width=100), report.to_markdown(), report._repr_html_()):
        for n in ("3,072", "6,272", "48,120", "10,164", "470,400", "62,958", "849,320", "1,700,608"):
            assert n in text
        assert "48120" not in text and "1700608" not in text


def test_csv_and_json_have_exact_integers(report: cnncalc.Report):
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert [int(r["params"]) for r in rows] == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    assert [r["output_shape"] for r in rows][:2] == ["32x32x3", "28x28x8"]
    assert "," not in "".join(r["macs"] + r["flops"] for r in rows)
    data = json.loads(report.to_json())
    assert [layer["params"] for layer in data["layers"]] == [0, 608, 0, 3216, 0, 48120, 10164, 850]
    assert data["totals"]["params"] == 62958 and isinstance(data["totals"]["flops"], int)


@pytest.mark.parametrize("width", [20, 40, 55, 60, 73, 80, 100, 140])
def test_no_number_is_ever_cut(report: cnncalc.Report, width: int):
    text = report.table(width=width)
    assert "…" not in text
    numbers = set(re.findall(r"\d[\d,]*", text))
    for row in report.rows:
        for value in (row.activation_size, row.params, row.macs, row.flops):
            assert f"{value:,}" in numbers, (width, value)


def test_big_numbers_stay_exact(cli):
    vgg_fc = "input(7,7,512) -> fc(4096) -> fc(4096) -> fc(1000)"
    # (25,088 + 1)·4,096 + (4,096 + 1)·4,096 + (4,096 + 1)·1,000 = 123,642,856
    r = cnncalc.analyze(vgg_fc)
    assert r.totals.params == 123_642_856
    assert "123,642,856" in r.table(width=50)
    assert json.loads(r.to_json())["totals"]["params"] == 123642856


# ---------------------------------------------------------------- json contract


def test_json_contract(report: cnncalc.Report):
    data = json.loads(report.to_json())
    assert {"convention", "layout", "layers", "totals"} <= set(data)
    assert (data["convention"], data["layout"]) == ("seed", "hwc")
    layer_keys = {
        "index",
        "name",
        "kind",
        "output_shape",
        "activation_size",
        "params",
        "trainable_params",
        "buffers",
        "macs",
        "flops",
    }
    for i, layer in enumerate(data["layers"], start=1):
        assert layer_keys <= set(layer)
        assert layer["index"] == i
        assert all(isinstance(n, int) for n in layer["output_shape"])
        for key in layer_keys - {"name", "kind", "output_shape"}:
            assert isinstance(layer[key], int) and not isinstance(layer[key], bool), key
    assert [layer["output_shape"] for layer in data["layers"]][:3] == [[32, 32, 3], [28, 28, 8], [14, 14, 8]]
    assert [layer["name"] for layer in data["layers"]][1:3] == ["CONV1", "POOL1"]
    assert [layer["kind"] for layer in data["layers"]][1:3] == ["conv", "maxpool"]
    totals = data["totals"]
    assert {"params", "trainable_params", "non_trainable_params", "buffers", "macs", "flops"} <= set(totals)
    assert (totals["params"], totals["trainable_params"], totals["non_trainable_params"]) == (62958, 62958, 0)
    assert (totals["macs"], totals["flops"]) == (849320, 1700608)


def test_json_shapes_follow_the_layout_and_convention():
    data = json.loads(cnncalc.analyze(SEED_001, layout="chw", flops="matmul").to_json())
    assert (data["layout"], data["convention"]) == ("chw", "matmul")
    assert data["layers"][1]["output_shape"] == [8, 28, 28]
    assert data["layers"][5]["output_shape"] == [120]
    assert data["totals"]["flops"] == 2 * 849_320  # matmul: no FLOP for the 1,568 + 400 pooling outputs


def test_json_batch_scales_activations_macs_and_flops():
    data = json.loads(cnncalc.analyze(SEED_001, batch=4).to_json())
    assert data["layers"][1]["activation_size"] == 4 * 6272
    assert data["layers"][1]["params"] == 608  # parameters do not scale with the batch
    assert data["totals"]["macs"] == 4 * 849_320


# ---------------------------------------------------------------- html


def test_repr_html_has_every_row(report: cnncalc.Report):
    html = report._repr_html_()
    assert html.startswith('<table class="cnncalc">')
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    assert len(rows) == len(report.rows) == 8
    cells = [re.findall(r">([^<]*)</td>", r) for r in rows]
    assert cells[1] == ["2", "CONV1", "(28, 28, 8)", "6,272", "608", "470,400", "940,800"]
    assert cells[7] == ["8", "softmax", "(10,)", "10", "850", "840", "1,680"]
    foot = html.split("<tfoot>")[1]
    assert "Total" in foot and "62,958" in foot and "1,700,608" in foot
    assert "FLOPs convention: seed" in html


def test_repr_html_escapes_names():
    r = cnncalc.analyze("input(4) -> fc(2)", title="<net> & co")
    assert "<caption>&lt;net&gt; &amp; co</caption>" in r._repr_html_()


def test_renderers_by_name_and_raw_records():
    from cnncalc.errors import ArgumentError
    from cnncalc.render import RENDERERS, records

    report = cnncalc.analyze("input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)")
    assert set(RENDERERS) == {"table", "markdown", "csv", "json", "html"}
    assert report.render("markdown") == report.to_markdown()
    assert report.render("json") == report.to_json()
    rows = records(report)
    assert rows == json.loads(report.to_json())["layers"]
    assert [r["params"] for r in rows] == [0, (5 * 5 * 3 + 1) * 8, 0, (14 * 14 * 8 + 1) * 10]
    with pytest.raises(ArgumentError, match="unknown format 'yaml'"):
        report.render("yaml")


# ---------------------------------------------------------------- the table, drawn without rich


def rich_table(monkeypatch: pytest.MonkeyPatch, report: cnncalc.Report, **options) -> str:
    """The table as rich lays it out, every time (the drawing rich is left to when the text needs its engine)."""
    from cnncalc.render import table

    with monkeypatch.context() as m:
        m.setattr(table, "draw", lambda *args: None)
        return table.render(report, **options)


@pytest.mark.parametrize("name", ["lenet5", "squeezenet1_1", "gpt2", "mixtral_8x7b", "vit_b_16"])
@pytest.mark.parametrize("box", [False, True])
def test_the_table_is_drawn_character_for_character_as_rich_draws_it(monkeypatch, name, box):
    from cnncalc import zoo
    from cnncalc.render import HEADERS
    from cnncalc.render.table import render

    r = zoo.analyze(name)
    for width in (None, 40, 100, 400):
        for columns in (None, tuple(HEADERS), ("name", "kind", "source", "rf", "intensity")):
            options = {"width": width, "columns": columns, "box": box}
            assert render(r, **options) == rich_table(monkeypatch, r, **options), (width, columns)


def test_a_table_that_fits_is_drawn_without_rich(monkeypatch, report: cnncalc.Report):
    from cnncalc.render import table

    def no_rich(*args):
        raise AssertionError("drawn by rich")

    monkeypatch.setattr(table, "draw_with_rich", no_rich)
    for box in (False, True):
        for width in (80, 100, 1000):
            assert "Total params: 62,958" in table.render(report, width=width, box=box)
    assert cnncalc.analyze(SEED_001, title="Seed 001", train=True).table(width=80).splitlines()[0].strip() == "Seed 001"


@pytest.mark.parametrize(
    "spec",
    [
        "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)",
        "input(128) -> embedding(1000, 64) -> fc(1000)",
        "input(8,8,3) -> conv(4, f=3) -> bn -> flatten -> fc(2)",
    ],
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"title": "A small net"},
        {"title": "[bold]markup[/bold] and :smile:"},  # rich's markup and emoji codes: left to rich
        {"title": "a title longer than the table it goes over, which rich wraps onto more lines " * 2},
        {"train": True, "batch": 4, "dtype": "bfloat16"},
        {"framework": "keras"},
        {"flops": "all", "train": True, "hardware": "a100-80gb"},
    ],
)
def test_titles_and_footers_are_drawn_as_rich_draws_them(monkeypatch, spec, options):
    from cnncalc.render.table import render

    r = cnncalc.analyze(spec, **options)
    for width in (20, 50, 79, 80, 120, 200):
        for box in (False, True):
            assert render(r, width=width, box=box) == rich_table(monkeypatch, r, width=width, box=box), (width, box)


def test_a_footer_line_wraps_as_rich_wraps_it():
    """Random lines of words (long ones too, cut at the width) at random widths, against rich's console."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from rich.console import Console

    from cnncalc.render.table import plain_text, wrap

    words = st.text(alphabet="ab,.()=-·×—–…→", min_size=1, max_size=30)
    gaps = st.sampled_from([" ", "  ", "   "])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(words, gaps), max_size=20), st.integers(1, 130))
    def check(parts, width):
        line = "".join(w + g for w, g in parts).strip()
        assert plain_text(line) or not line
        out = io.StringIO()
        console = Console(file=out, width=width, color_system=None, force_terminal=False, soft_wrap=False)
        console.print(line, highlight=False, markup=False)
        assert "\n".join(wrap(line, width)) + "\n" == out.getvalue()

    check()


def test_text_rich_would_read_otherwise_is_left_to_rich():
    from rich.cells import cell_len

    from cnncalc.render.table import ONE_CELL, plain_text

    assert plain_text("(28, 28, 8)") and plain_text("FLOPs = 2·MACs — 1 per output") and plain_text("[-1, 8, 28, 28]")
    assert plain_text("int4:64") and plain_text("buffers: 0 (trainable: 3)")
    for text in ("[bold]x", "a\\[b", ":smile:", "x:y:z", "日本", "\tx", " x", "x ", "a\nb", "e\u0301"):
        assert not plain_text(text), text
    one_cell = [chr(c) for c in range(0x20, 0x2600) if ONE_CELL.fullmatch(chr(c))]
    assert len(one_cell) > 900
    assert all(cell_len(c) == 1 for c in one_cell)
