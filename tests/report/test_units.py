"""Units: the table's counts exact, in their own unit or in one unit; the footer gives every total both ways.

The footer lines stay whole in a pipe (one line a fact) and break only between phrases on a terminal.
"""

from __future__ import annotations

import re

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError
from cnncalc.options import Options
from cnncalc.render import footer_lines, short
from cnncalc.render.table import phrases, render, wrap_phrases

SEED_001 = (
    "input(32,32,3) -> CONV1(8, f=5, s=1) -> POOL1(2) -> CONV2(16, f=5, s=1) -> POOL2(2)"
    " -> FC3(120) -> FC4(84) -> softmax(10)"
)


@pytest.fixture(scope="module")
def seed() -> cnncalc.Report:
    return cnncalc.analyze(SEED_001)


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_raw_is_the_default_and_exact(seed):
    assert seed.table(width=100) == seed.table(width=100, units="raw")
    assert "1,700,608" in seed.table(width=100)


def test_auto_gives_each_count_its_own_unit(seed):
    text = seed.table(width=100, units="auto")
    # seed 001's totals: activations 13,126, params 62,958, MACs 849,320, FLOPs 1,700,608 (its table)
    total = next(line for line in lines_of(text) if "Total" in line and "│" in line)
    assert re.findall(r"[\d.]+(?: [kMG])?", total.replace("│", " ")) == ["13.1 k", "63.0 k", "849 k", "1.70 M"]
    conv1 = next(line for line in lines_of(text) if "CONV1" in line)
    assert "608" in conv1 and "470 k" in conv1 and "941 k" in conv1  # 470,400 MACs, 940,800 FLOPs


def test_one_unit_names_itself_in_the_header(seed):
    text = seed.table(width=120, units="k")
    assert "Params (k)" in text and "MACs (k)" in text and "FLOPs (k)" in text
    assert "62.96" in text and "849.32" in text and "1,700.61" in text  # 62,958 / 1,000 ...
    assert "0.61" in text  # CONV1's 608 params


def test_markdown_takes_units_and_csv_json_stay_exact(seed, cli):
    assert "| **63.0 k** |" in seed.to_markdown(units="auto")
    result = cli("summary", SEED_001, "--units", "M", "--format", "markdown")
    assert result.exit_code == 0 and "Params (M)" in result.stdout and "0.06" in result.stdout
    for fmt in ("csv", "json"):
        refused = cli("summary", SEED_001, "--units", "M", "--format", fmt)
        assert refused.exit_code == 2 and "keeps exact integers" in refused.stderr
    assert cli("summary", SEED_001, "--units", "raw", "--format", "csv").exit_code == 0


def test_unknown_units_are_named():
    with pytest.raises(ArgumentError, match="unknown units 'x' .choose raw, auto, k, M, G, T"):
        cnncalc.analyze(SEED_001).table(units="x")


def test_short_reads_as_people_write_it():
    assert [short(n) for n in (0, 999, 1000, 999_499, 999_500, 25_557_032, 4_089_184_256, 10**16)] == [
        "0",
        "999",
        "1.00 k",
        "999 k",
        "1.00 M",
        "25.6 M",
        "4.09 G",
        "10.0 P",
    ]


def test_resnet50_footer_as_people_quote_it():
    lines = footer_lines(zoo.analyze("resnet50"))
    # torchvision's resnet50: 25,557,032 params, 4.09 GMACs; 25,557,032 · 4 B = 102,228,128 B = 97.5 MiB
    assert lines[0].startswith("Total params: 25,557,032 (25.6 M, 97.5 MiB at float32); trainable 25,557,032")
    assert lines[1].startswith("MACs: 4,089,184,256 (4.09 G); FLOPs: ")


def test_shapes_are_named_only_where_they_have_spatial_axes():
    assert any(line.startswith("Shapes: hwc, batch 1") for line in footer_lines(zoo.analyze("lenet5")))
    gpt2 = footer_lines(zoo.analyze("gpt2"))
    assert not any(line.startswith(("Shapes:", "Batch")) for line in gpt2)
    batched = footer_lines(cnncalc.analyze("input(16) -> embedding(100, 8) -> fc(4)", batch=4))
    assert "Batch 4; activation sizes, MACs and FLOPs are for the whole batch" in batched


@pytest.mark.parametrize("width", range(40, 201, 8))
@pytest.mark.parametrize("name", ["lenet5", "resnet18", "llama2_7b"])
def test_a_pipe_never_wraps_a_footer_line(cli, width, name):
    expected = footer_lines(zoo.analyze(name))
    result = cli("zoo", name, "--width", str(width))  # CliRunner's output is a pipe
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    for line in expected:
        assert line in out, (width, line)


@pytest.mark.parametrize("width", range(40, 201, 8))
def test_a_terminal_wraps_footer_lines_only_between_phrases(width):
    report = zoo.analyze("resnet18", options=Options.make(train=True))
    text = render(report, width=width, box=True)
    drawn = max(len(line) for line in text.splitlines() if line.startswith(("┃", "│", "┏")))
    for line in footer_lines(report):
        pieces = wrap_phrases(line, max(width, drawn))
        assert "\n".join(pieces) in text
        whole = phrases(line)
        for piece in pieces[1:]:  # every later piece starts a phrase, unless that phrase is wider than the line
            start = piece.removeprefix("  ")
            assert any(start.startswith(p.strip()) for p in whole) or any(len(p) > max(width, drawn) - 2 for p in whole)
        assert "".join(p.removeprefix("  ") if i else p for i, p in enumerate(pieces)).replace(" ", "") == (
            line.replace(" ", "")
        )


def test_phrases_keep_brackets_whole():
    assert phrases("Memory (float32, 4 B/element): params 1 B, buffers 0 B") == [
        "Memory (float32, 4 B/element): params 1 B, ",
        "buffers 0 B",
    ]
    assert wrap_phrases("aaaa, bbbb; cccc", 11) == ["aaaa, bbbb;", "  cccc"]
