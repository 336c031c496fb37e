"""A table made from a report, in any format people paste, with any labels and any parameter-free rows left
out, and k of its cells changed, is graded with exactly those k cells wrong.

The tables are written here by small writers of each format (Markdown with and without outer pipes, CSV
with commas or semicolons and a byte order mark, TSV, Keras 3's box-drawn summary as rich draws it, Keras 2's
two printouts, torchsummary's); they do not use cnncalc's renderers. What is checked is the reading and the
matching of rows to layers: a changed cell is a number or a shape that no layer of the network has, so the
only right answer is the row it stands in.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.tables import (
    COLUMNS,
    DELIMITED,
    PRINTOUTS,
    TITLES,
    delimited,
    keras2,
    keras3,
    labels,
    networks,
    number_text,
    shape_text,
    torchsummary,
)

import cnncalc
from cnncalc.conventions import Layout, show_shape

# ---------------------------------------------------------------- changes no layer could explain


def wrong_number(value: int, taken: set[int], pick: int) -> int:
    candidates = [value + 1, value * 10 + 7, value + 1000, 2 * value + 3, value + 97, 13, 4242]
    candidates = [c for c in candidates if c not in taken and c > 0 and c != value]
    return candidates[pick % len(candidates)]


def wrong_shape(dims: tuple[int, ...], taken: set[tuple[int, ...]], pick: int) -> tuple[int, ...]:
    candidates = []
    for axis in range(len(dims)):
        for new in (dims[axis] + 1, dims[axis] * 2, dims[axis] + 7):
            candidates.append(dims[:axis] + (new,) + dims[axis + 1 :])
    candidates = [c for c in candidates if c not in taken]
    return candidates[pick % len(candidates)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=networks(),
    fmt=st.sampled_from(DELIMITED + PRINTOUTS),
    style=st.sampled_from(["kind", "numbered", "keras", "torch", "roles", "blank"]),
    data=st.data(),
)
def test_a_generated_table_with_k_changed_cells_has_exactly_those_cells_wrong(spec, fmt, style, data):
    report = cnncalc.analyze(spec)
    rows = list(report.rows)
    free = [r.index for r in rows if not r.params]
    left_out = set(data.draw(st.lists(st.sampled_from(free), unique=True), label="left out") if free else [])
    shown = [r for r in rows if r.index not in left_out]
    names = labels(shown, style)
    if fmt in PRINTOUTS:
        columns = ["output_shape", "params"]
    else:
        columns = data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True), label="columns")
    layout = Layout.chw if fmt == "torchsummary" else Layout.hwc
    cell_style = data.draw(st.integers(0, 2), label="cell style")

    values = {
        c: [show_shape(r.output_shape, layout) if c == "output_shape" else getattr(r, c) for r in shown]
        for c in columns
    }
    taken = {
        c: {show_shape(r.output_shape, layout) if c == "output_shape" else getattr(r, c) for r in rows} for c in columns
    }
    cells = [(i, c) for i in range(len(shown)) for c in columns]
    k = data.draw(st.integers(0, min(3, len(cells))), label="k")
    changed = data.draw(st.lists(st.sampled_from(cells), min_size=k, max_size=k, unique=True), label="changed")
    for n, (i, c) in enumerate(changed):
        pick = data.draw(st.integers(0, 20), label=f"change {n}")
        if c == "output_shape":
            values[c][i] = wrong_shape(values[c][i], taken[c], pick)
        else:
            values[c][i] = wrong_number(values[c][i], taken[c], pick)

    def text(c: str, i: int) -> str:
        v = values[c][i]
        return shape_text(v, fmt, cell_style) if c == "output_shape" else number_text(v, fmt, cell_style)

    body = [[names[i], *(text(c, i) for c in columns)] for i in range(len(shown))]
    t = report.totals
    totals = [f"Total params: {t.params:,}", f"Trainable params: {t.trainable_params:,}", "Non-trainable params: 0"]
    if fmt == "keras3":
        table = keras3(body, totals, data.draw(st.integers(64, 100), label="width"))
    elif fmt.startswith("keras2"):
        table = keras2(body, [s.replace(",", "") for s in totals], old=fmt == "keras2 old")
    elif fmt == "torchsummary":
        table = torchsummary(body, totals)
    else:
        table = delimited(fmt, ["Layer", *(TITLES[c] for c in columns)], body)

    r = cnncalc.check(table, report, convention="torch")
    expected_wrong = {(i + 1, TITLES[c]) for i, c in changed}
    got_wrong = {(c.row, "Output shape" if c.column == "Output Shape" else c.column) for c in r.wrong_cells()}
    got_wrong = {(row, TITLES["params"] if col == "Param #" else col) for row, col in got_wrong}
    assert got_wrong == expected_wrong, table
    assert not r.missing_rows and not r.extra_rows, table
    if style in ("kind", "numbered", "keras", "torch"):  # labels that name the kind tell which layers are left out
        assert len(r.skipped_layers) == len(left_out - {1}), table  # the input is never reported as skipped
    assert r.right == len(cells) - k + (3 if fmt in PRINTOUTS else 0), table
