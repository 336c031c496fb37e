"""The window, seen: the SVG shows the positions the output-size formula counts, and the taps each reads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import cnncalc
from cnncalc.draw import along, window_svg
from cnncalc.errors import ArgumentError

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, word: str) -> list[ET.Element]:
    return [e for e in root.iter() if word in (e.get("class") or "").split()]


@pytest.mark.parametrize(
    "n, k, s, p, d",
    [(9, 3, 2, 1, 2), (7, 3, 2, 1, 2), (10, 3, 2, 0, 1), (8, 2, 2, 0, 1), (11, 5, 3, 2, 1), (6, 3, 1, 1, 1)],
)
def test_positions_and_taps_are_the_formulas(n, k, s, p, d):
    report = cnncalc.analyze(f"input({n},{n},1) -> conv(1, f={k}, s={s}, p={p}, d={d})")
    root = parse(window_svg(report, 2, "W"))
    out = (n + 2 * p - d * (k - 1) - 1) // s + 1  # by hand: floor((n + 2p − d(k−1) − 1)/s) + 1
    assert int(root.get("data-out")) == out
    assert len(by_class(root, "output")) == out
    windows = by_class(root, "window")
    assert [int(g.get("data-position")) for g in windows] == list(range(out))
    for g in windows:
        j = int(g.get("data-position"))
        expected = [j * s - p + t * d for t in range(k)]  # the input cells position j reads
        assert [int(t.get("data-i")) for t in by_class(g, "tap")] == expected
        assert g.get("data-taps") == ",".join(map(str, expected))
    cells = {int(c.get("data-i")): c.get("class") for c in by_class(root, "cell") if c.get("data-i") is not None}
    assert [i for i, c in cells.items() if "pad" in c.split()] == [*range(-p, 0), *range(n, n + p)]
    last_tap = (out - 1) * s - p + (k - 1) * d
    left_over = [i for i, c in cells.items() if "unreached" in c.split()]
    assert left_over == list(range(last_tap + 1, n + p))  # what the floored division leaves out
    assert len(by_class(root, "current")) == 1


def test_the_floor_is_said_where_the_last_window_does_not_fit():
    svg = window_svg(cnncalc.analyze("input(8,8,3) -> conv(4, f=3, s=2)"), 2, "H")
    assert "cell 7 is in no window" in svg  # floor((8 − 3)/2) + 1 = 3 windows reach cells 0…6
    assert "floor" in svg
    even = window_svg(cnncalc.analyze("input(9,9,3) -> conv(4, f=3, s=2)"), 2, "H")
    assert "in no window" not in even


def test_the_formula_line_is_explains():
    report = cnncalc.analyze("input(150,150,3) -> conv(32, f=3, p=1, s=2)")
    svg = window_svg(report, 2, "H")
    line = next(str(st) for st in report.rows[1].steps if st.quantity == "output H")
    assert line in svg


def test_pools_and_ceil_mode_overhang():
    report = cnncalc.analyze("input(9,9,3) -> maxpool(2, s=2, ceil_mode=true)")
    a = along(report, 2, "H")
    assert a.out == 5 and a.taps(4) == (8, 9)  # ceil((9 − 2)/2) + 1 = 5: the last window overhangs
    root = parse(window_svg(report, 2, "H", 4))
    assert [c.get("data-i") for c in by_class(root, "overhang")] == ["9"]


@pytest.mark.parametrize(
    "spec, layer, axis, position, says",
    [
        ("input(8,8,3) -> conv(4, f=3) -> fc(2)", 3, None, 0, "slides no window"),
        ("input(8,8,3) -> conv(4, f=3)", 9, None, 0, "no layer 9"),
        ("input(8,8,3) -> conv(4, f=3)", 2, "Q", 0, "axes H, W"),
        ("input(8,8,3) -> conv(4, f=3)", 2, None, 6, "0 to 5"),
        ("input(8,8,3) -> conv(4, f=3)", 2, None, -1, "0 to 5"),
    ],
)
def test_what_cannot_be_drawn_is_said(spec, layer, axis, position, says):
    with pytest.raises(ArgumentError, match=re.escape(says)):
        window_svg(cnncalc.analyze(spec), layer, axis, position)


def test_explain_draw_writes_the_svg(cli, tmp_path):
    out = tmp_path / "w.svg"
    result = cli("explain", "input(9,9,1) -> conv(1, f=3, s=2, p=1, d=2)", "--draw", str(out), "--layer", "2")
    assert result.exit_code == 0, result.output
    assert int(parse(out.read_text()).get("data-out")) == 4  # floor((9 + 2·1 − 2·(3 − 1) − 1)/2) + 1
    assert cli("explain", "input(9,9,1) -> conv(1, f=3)", "--layer", "2").exit_code == 2
    assert cli("explain", "input(9,9,1) -> conv(1, f=3)", "--draw", str(out)).exit_code == 2
