"""The page for a class: a pasted table graded in place as ``cnncalc check`` grades it, an exercise held in the
URL, and a conv's window stepping through the positions its output-size formula counts."""

from __future__ import annotations

import json
import random
from urllib.parse import quote

from playwright.sync_api import Page, expect  # noqa: E402  (the module above skips without a browser)
from web.test_web_page import BOOT_MS, OUT, browser, page, site  # noqa: F401 - the page's fixtures

import cnncalc
from cnncalc import quiz

DILATED = "input(9,9,1) -> conv(1, f=3, s=2, p=1, d=2) -> relu"


def open_page(page: Page, site: str, spec: str, extra: str = "") -> None:  # noqa: F811
    page.goto(site + "#spec=" + quote(spec) + extra)
    expect(page.locator("#report tbody tr").first).to_be_visible(timeout=BOOT_MS)


def taps(page: Page) -> list[int]:  # noqa: F811
    current = page.locator("#window-figure g.window.current")
    expect(current).to_have_count(1)
    return [int(v) for v in current.get_attribute("data-taps").split(",")]


def test_the_window_steps_through_the_positions_the_formula_counts(page: Page, site: str):  # noqa: F811
    open_page(page, site, DILATED)
    page.locator("#report tbody tr", has_text="conv").click()
    figure = page.locator("#window-figure")
    expect(figure.locator("svg")).to_be_visible()
    n, k, s, p, d = 9, 3, 2, 1, 2
    out = (n + 2 * p - d * (k - 1) - 1) // s + 1  # floor((9 + 2 − 4 − 1)/2) + 1 = 4, by hand
    assert figure.locator("g.window").count() == out
    assert figure.locator("rect.output").count() == out
    assert figure.locator("rect.pad").count() == 2 * p
    for j in range(out):  # each position reads j·s − p + t·d
        assert taps(page) == [j * s - p + t * d for t in range(k)]
        expect(page.locator("#window-position")).to_have_text(f"position {j + 1} of {out}")
        if j == 1:
            page.screenshot(path=str(OUT / "window.png"), full_page=True)
        figure.focus()
        page.keyboard.press("ArrowRight")
    expect(page.locator("#window-next")).to_be_disabled()
    page.locator("#window-prev").click()
    assert taps(page) == [(out - 2) * s - p + t * d for t in range(k)]
    page.locator("#window button.axis", has_text="H").click()  # the other axis: the same figures, here
    expect(page.locator("#window h3")).to_have_text("The window along H")
    page.locator("#report tbody tr", has_text="relu").click()  # no window to draw for an activation
    expect(page.locator("#window")).to_have_count(0)


def test_the_floored_division_is_shown(page: Page, site: str):  # noqa: F811
    open_page(page, site, "input(8,8,3) -> conv(4, f=3, s=2)")
    page.locator("#report tbody tr", has_text="conv").click()
    expect(page.locator("#window-figure")).to_contain_text("cell 7 is in no window")
    assert page.locator("#window-figure rect.unreached").count() == 1  # floor((8 − 3)/2) + 1 = 3 reach 0…6


def graded_cells(page: Page) -> tuple[set[tuple[int, str]], int]:  # noqa: F811
    """The wrong cells the page marks, as (data row, header), and how many it marks right."""
    headers = page.locator("#graded table tr").first.locator("th").all_inner_texts()
    wrong = set()
    rows = page.locator("#graded table tr")
    for r in range(1, rows.count()):
        cells = rows.nth(r).locator("td")
        for c in range(cells.count()):
            if "wrong" in (cells.nth(c).get_attribute("class") or ""):
                wrong.add((r, headers[c]))
    return wrong, page.locator("#graded td.right").count()


def test_a_pasted_table_is_graded_as_check_grades_it(page: Page, site: str):  # noqa: F811
    rng = random.Random(23)
    ex = quiz.exercise(level=2, seed=4, ask=("output_shape", "params", "macs"))
    headers, rows = quiz.table(ex, key=True)
    planted = {(2, 3), (4, 2), (5, 4)}  # (row, column) in the table: a params, a shape, a MACs slip
    filled = [list(r) for r in rows]
    filled[2][3] = str(int(filled[2][3].replace(",", "")) + 1)
    filled[4][2] = filled[4][2].replace("(", "(1")
    filled[5][4] = str(int(filled[5][4].replace(",", "")) * 10)
    text = quiz.render(ex, "markdown", filled=filled)
    expected = cnncalc.check(text)  # the CLI's grading, in Python
    assert {(c.row, c.column) for c in expected.cells if not c.ok} == {(r + 1, headers[c]) for r, c in planted}

    open_page(page, site, "input(8,8,3) -> conv(4, f=3)")  # the exercise carries its own network
    page.locator("#table").fill(text)
    expect(page.locator("#graded .summary")).to_have_text(f"{expected.right} cells right, {expected.wrong} wrong")
    wrong, right = graded_cells(page)
    assert wrong == {(c.row, c.column) for c in expected.cells if not c.ok}
    assert right == sum(1 for c in expected.cells if c.ok and c.row is not None)
    why = page.locator("#graded td.wrong .why").first.inner_text()
    assert why == next(c.why for c in expected.cells if not c.ok)  # the line of arithmetic that gives it
    page.screenshot(path=str(OUT / "graded.png"), full_page=True)
    assert rng  # the slips above are planted by hand, not drawn


def test_a_table_without_its_network_is_graded_against_the_editor(page: Page, site: str):  # noqa: F811
    spec = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"
    text = 'Layer,Output shape,Params\nconv,"(28, 28, 8)",608\npool,"(14, 14, 8)",0\nfc,"(10,)",15691\n'
    expected = cnncalc.check(text, spec)  # (14·14·8 + 1)·10 = 15,690, not 15,691
    open_page(page, site, spec)
    page.locator("#table").fill(text)
    expect(page.locator("#graded .summary")).to_have_text(f"{expected.right} cells right, 1 wrong")
    wrong, _ = graded_cells(page)
    assert wrong == {(3, "Params")}


def test_the_url_holds_an_exercise(page: Page, site: str):  # noqa: F811
    spec = "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"
    open_page(page, site, spec, "&ask=" + quote("output_shape,params"))
    table = page.locator("#table")
    expect(table).to_have_value(quiz.render(quiz.exercise(spec, ask="output_shape,params"), "markdown"))
    marker = json.loads(table.input_value().split("cnncalc-exercise:", 1)[1].split("-->", 1)[0])
    assert marker["spec"] == spec and marker["ask"] == ["output_shape", "params"]
