"""Grading a table read by :mod:`cnncalc.check.read` against a Report, cell by cell.

Each row is matched to a layer by :func:`cnncalc.check.align.align` on everything it
shows, then every recognised cell is graded: a number to the precision it is written
(``1.2M``), a shape in the layout the cell writes it (``[-1, 8, 28, 28]`` channels first,
``(None, 28, 28, 8)`` channels last). A wrong cell carries the line of explain that gives
the right value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cnncalc.check.align import Label, align, label_score
from cnncalc.check.columns import NUMERIC, QUANTITY, classify
from cnncalc.check.read import Table
from cnncalc.conventions import Layout, show_shape
from cnncalc.errors import SpecError
from cnncalc.explain import explain_row, total_steps
from cnncalc.layers.base import fmt
from cnncalc.report import Report, Row
from cnncalc.written import (
    UnreadableError,
    WrittenNumber,
    WrittenShape,
    is_blank,
    listed,
    parse_number,
    parse_shape,
    quoted,
    shape_matches,
)

TOTAL_WORD = re.compile(r"^\s*\**\s*(grand\s+)?total\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Cell:
    """One graded cell. ``row`` counts the table's data rows from 1 (None for a ``Total params:`` line)."""

    row: int | None
    layer: str
    column: str
    written: str
    expected: Any
    ok: bool
    why: str

    def expected_text(self) -> str:
        """The right value as the cell would write it: ``8,294,400``; a shape in the cell's own brackets."""
        if isinstance(self.expected, (int, float)) and not isinstance(self.expected, bool):
            return fmt(self.expected)
        return _shown(self.written, self.expected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "layer": self.layer,
            "column": self.column,
            "written": self.written,
            "expected": self.expected,
            "ok": self.ok,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Every graded cell, the rows that matched no layer and the layers no row gave.

    ``missing_rows`` are layers with parameters that no row gives; ``skipped_layers`` the
    parameter-free ones left out (tables often list only the layers with weights: not a
    mistake). ``table_format`` says how the table was read; ``framework`` which framework's
    counting the table follows (``keras`` for a Keras summary, else ``torch``); ``notes``
    what the reader noticed (a short row, a second table).
    """

    cells: tuple[Cell, ...]
    missing_rows: tuple[dict[str, Any], ...]
    extra_rows: tuple[dict[str, Any], ...]
    ignored_columns: tuple[str, ...]
    report: Report
    skipped_layers: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    table_format: str = ""
    framework: str = "torch"
    layers_graded: int = -1  # cells graded on the layers' rows (not the input's, not the totals'); -1: not counted

    @property
    def right(self) -> int:
        return sum(c.ok for c in self.cells)

    @property
    def wrong(self) -> int:
        return sum(not c.ok for c in self.cells)

    @property
    def ok(self) -> bool:
        """All graded cells right, every row a layer, every layer with parameters in the table, and a layer graded."""
        return self.wrong == 0 and not self.extra_rows and not self.missing_rows and self.layers_graded != 0

    def wrong_cells(self) -> list[Cell]:
        return [c for c in self.cells if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "right": self.right,
            "wrong": self.wrong,
            "cells": [c.as_dict() for c in self.cells],
            "missing_rows": list(self.missing_rows),
            "extra_rows": list(self.extra_rows),
            "skipped_layers": list(self.skipped_layers),
            "notes": list(self.notes),
            "table_format": self.table_format,
            "framework": self.framework,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        lines = []
        if self.framework == "keras":
            lines.append(f"read as a {self.table_format or 'Keras table'}: graded under the keras convention")
        lines += [f"note: {n}" for n in self.notes]
        for c in self.wrong_cells():
            where = f"row {c.row}" if c.row is not None else "footer"
            lines.append(f"✗ {where} {c.layer}, {c.column}: written {c.written}, right {c.expected_text()}")
            lines.append(f"    {c.why}")
        for m in self.missing_rows:
            lines.append(f"missing row: layer {m['index']} {m['layer']} has no row in the table")
        for x in self.extra_rows:
            lines.append(f"extra row: row {x['row']} {quoted(x['layer'])} matches no layer")
        if self.skipped_layers:
            skipped = ", ".join(f"{s['index']} {s['layer']}" for s in self.skipped_layers)
            lines.append(f"not in the table, and without parameters: {skipped}")
        if self.ignored_columns:
            lines.append("not graded: " + listed(self.ignored_columns))
        if self.layers_graded == 0:
            lines.append("no layer graded: the table gives its totals only")
        lines.append(f"{self.right} cells right, {self.wrong} wrong")
        return "\n".join(lines) + "\n"


def _shape_str(v: Any) -> str:
    if isinstance(v, list):
        return "(" + ", ".join(str(x) for x in v) + ")"
    return str(v)


def _shown(w_text: str, expected: list[int]) -> str:
    try:
        return parse_shape(w_text).show(tuple(expected))
    except UnreadableError:
        return _shape_str(expected)


# ---------------------------------------------------------------- reading the cells once


@dataclass(frozen=True, slots=True)
class Written:
    """A body row's cells as read: a number or a shape per graded column (None when blank or unreadable)."""

    number: int
    cells: list[str]
    label: Label
    numbers: dict[int, WrittenNumber | None]
    shape: WrittenShape | None


def _expected_shape(w: WrittenShape, row: Row, layout: Layout) -> tuple[int, ...]:
    """The row's shape in the layout the cell writes: ``[-1, ...]`` (torchsummary) is channels first, ``(None, ...)``
    (Keras) channels last, any other the table's layout."""
    last = w.channels_last
    if last is not None:
        layout = Layout.hwc if last else Layout.chw
    return show_shape(row.output_shape, layout)


def _number_evidence(w: WrittenNumber, expected: int) -> float:
    """How much a written number says the row is this layer: right +3 (a right 0 only +1), zero against nonzero −1."""
    if w.matches(expected):
        return 3.0 if expected else 1.0
    if (w.value == 0) != (expected == 0):
        return -1.0
    a, b = abs(w.value), abs(expected)
    return 0.5 if 2 * min(a, b) >= max(a, b) > 0 else 0.0


def _shape_evidence(w: WrittenShape, expected: tuple[int, ...]) -> float:
    if shape_matches(w, expected):
        return 3.0
    if len(w.dims) == len(expected) and 2 * sum(a == b for a, b in zip(w.dims, expected)) >= len(expected):
        return 1.0
    return 0.0


# ---------------------------------------------------------------- grading


def _step_text(report: Report, row: Row, quantity: str) -> str:
    steps = explain_row(report, row).steps
    if quantity == "output shape":
        axes = [s for s in steps if s.quantity.startswith("output ") and s.quantity != "output shape"]
        final = next(s for s in steps if s.quantity == "output shape")
        if len(axes) > 1 and len({(s.formula, s.value) for s in axes}) == 1:
            names = ", ".join(s.quantity.split(" ", 1)[1] for s in axes)
            a = axes[0]
            return f"output {names} = {a.formula} = {fmt(a.value)} → {final.value}"
        return "; ".join([*(str(s) for s in axes), f"output shape {final.value}"])
    chosen = [str(s) for s in steps if s.quantity == quantity]
    return "; ".join(chosen) if chosen else f"{quantity} = {fmt(_figure(row, quantity))}"


def _figure(row: Row, quantity: str) -> int:
    attr = next((k for k, v in QUANTITY.items() if v == quantity), quantity)
    return getattr(row, attr, 0)


def _grade_number(written: str, expected: int, decimal_comma: bool) -> tuple[bool, str | None]:
    try:
        n = parse_number(written, decimal_comma=decimal_comma)
    except UnreadableError as e:
        return False, e.message
    return n.matches(expected), None


def _grade_shape(
    written: str, row: Row, layout: Layout, flat: tuple[int, ...] | None = None
) -> tuple[bool, list[int], str | None]:
    """A shape cell against the row's shape (or, where the notation's fc flattens later, the flat one too)."""
    try:
        w = parse_shape(written)
    except UnreadableError as e:
        return False, list(show_shape(row.output_shape, layout)), e.message
    expected = _expected_shape(w, row, layout)
    if flat is not None and not shape_matches(w, expected) and shape_matches(w, flat):
        return True, list(flat), None
    return shape_matches(w, expected), list(expected), None


# ---------------------------------------------------------------- the notation's implicit flatten


@dataclass(frozen=True, slots=True)
class Flatten:
    """Where the notation's fc flattens its input itself: the dense row, the shape-keeping rows before it
    (a relu, a dropout: a table may write them before or after its Flatten row), and the flat shape."""

    dense: Row
    run: tuple[Row, ...]
    shape: tuple[int, ...]

    def why(self) -> str:
        d = self.dense
        return f"the notation's {d.name} (layer {d.index}) flattens its input itself: the table's Flatten row is that"


def _implicit_flattens(report: Report) -> list[Flatten]:
    """Every dense row that flattens a multi-axis input itself (``fc(10)`` after ``(5, 5, 64)``), with its run."""
    if report.traced:
        return []
    by_id = {r.node_id: r for r in report.rows}
    found = []
    for row in report.rows:
        if row.kind != "dense" or len(row.inputs) != 1 or len(row.output_shape) != 1:
            continue
        source = by_id.get(row.inputs[0])
        if source is None or len(source.output_shape) < 2:
            continue
        run: list[Row] = []
        while (
            not source.params
            and len(source.inputs) == 1
            and source.kind != "input"
            and (before := by_id.get(source.inputs[0])) is not None
            and before.output_shape == source.output_shape
        ):
            run.append(source)
            source = before
        size = 1
        for n in source.output_shape:
            size *= n
        found.append(Flatten(row, tuple(reversed(run)), (size,)))
    return found


def _with_flattens(rows: tuple[Row, ...], flats: list[Flatten], wanted: bool) -> tuple[tuple[Row, ...], dict[int, str]]:
    """The layers a table's rows align to: the report's rows, and, when the table has a Flatten row, a flatten
    step before each row of each run and before its dense row (a table may put its Flatten at any of them).
    Returns the layers and, for each flatten step's position, why it is there."""
    if not wanted or not flats:
        return rows, {}
    before: dict[str, Flatten] = {}
    for f in flats:
        for r in (*f.run, f.dense):
            before[r.node_id] = f
    out: list[Row] = []
    virtual: dict[int, str] = {}
    for row in rows:
        f = before.get(row.node_id)
        if f is not None:
            n = f.shape[0]
            step = next((s for s in f.dense.steps if s.quantity == "inputs"), None)
            virtual[len(out)] = f.why()
            out.append(
                Row(
                    index=f.dense.index,
                    name="flatten",
                    kind="flatten",
                    node_id=f"{row.node_id}/flatten",
                    inputs=row.inputs,
                    output_shape=f.shape,
                    activation_size=n,
                    params=0,
                    trainable_params=0,
                    buffers=0,
                    macs=0,
                    flops=0,
                    steps=(step,) if step is not None else (),
                    view=True,
                )
            )
        out.append(row)
    return tuple(out), virtual


def _layer_column(table: Table, kinds: list[str | None]) -> int | None:
    if "layer" in kinds:
        return kinds.index("layer")
    # seed 001 leaves the layer column's header empty: take the first empty-headed text column
    for i, h in enumerate(table.headers):
        texts = [r[i] for r in table.rows if r[i].strip()]
        if not h.strip() and texts and sum(not re.match(r"^[\d.,\s]+$", t) for t in texts) > len(texts) / 2:
            kinds[i] = "layer"
            return i
    return None


def grade(table: Table, report: Report, layout: Layout | None = None, framework: str = "torch") -> CheckResult:
    """Match the table's rows to the report's layers and grade every recognised cell."""
    kinds = [classify(h) for h in table.headers]
    layer_col = _layer_column(table, kinds)
    kind_col = kinds.index("kind") if "kind" in kinds else None
    graded = [i for i, k in enumerate(kinds) if k in NUMERIC or k == "output_shape"]
    ignored = tuple(h for i, h in enumerate(table.headers) if kinds[i] is None and h.strip() not in ("", "#"))
    if not graded and not table.total_lines:
        raise SpecError(
            "no column to grade: name them Output shape, Activation size, Params, FLOPs or MACs",
            hint="headers found: " + listed(table.headers),
        )
    lay = layout or report.layout
    shape_col = kinds.index("output_shape") if "output_shape" in kinds else None
    dc = table.decimal_comma

    body: list[Written] = []
    total_rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(table.rows, start=1):
        if any(TOTAL_WORD.match(c) for c in cells):
            total_rows.append((number, cells))
            continue
        label = cells[layer_col] if layer_col is not None else ""
        ev = Label.of(label)
        if kind_col is not None and ev.kind is None and cells[kind_col].strip():
            ev = Label(label, Label.of(cells[kind_col]).kind, ev.role)
        numbers: dict[int, WrittenNumber | None] = {}
        for ci in graded:
            if kinds[ci] == "output_shape" or is_blank(cells[ci]):
                continue
            try:
                numbers[ci] = parse_number(cells[ci], decimal_comma=dc)
            except UnreadableError:
                numbers[ci] = None
        shape = None
        if shape_col is not None and not is_blank(cells[shape_col]):
            try:
                shape = parse_shape(cells[shape_col])
            except UnreadableError:
                pass
        body.append(Written(number, cells, ev, numbers, shape))

    flats = _implicit_flattens(report)
    layers, virtual = _with_flattens(report.rows, flats, any(w.label.kind == "flatten" for w in body))
    flat_shape = {r.node_id: f.shape for f in flats for r in f.run}

    def shapes(layer: Row, w: WrittenShape) -> list[tuple[int, ...]]:
        """The shapes a row may write for ``layer``: its own, and flat where the notation's fc flattens later."""
        own = _expected_shape(w, layer, lay)
        flat = flat_shape.get(layer.node_id)
        return [own] if flat is None else [own, flat]

    keys = [w.label.key for w in body]
    names = [r.name.lower() for r in layers]
    figures = [[(kinds[ci], n) for ci, n in w.numbers.items() if n is not None] for w in body]

    def score(ti: int, lj: int) -> float:
        w, layer = body[ti], layers[lj]
        s = label_score(w.label, layer, keys[ti], names[lj])
        for attr, n in figures[ti]:
            s += _number_evidence(n, getattr(layer, attr))  # type: ignore[arg-type]
        if w.shape is not None:
            s += max(_shape_evidence(w.shape, e) for e in shapes(layer, w.shape))
        return s

    def compatible(ti: int, lj: int) -> bool:
        return label_score(body[ti].label, layers[lj], keys[ti], names[lj]) >= 0

    pairs = align(len(body), layers, score, compatible)

    out: list[Cell] = []
    missing: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    layer_cells = 0
    for ti, ri in pairs:
        if ti is None:
            row = layers[ri]  # type: ignore[index]
            if row.kind != "input" and ri not in virtual:
                (missing if row.params else skipped).append({"index": row.index, "layer": row.name})
            continue
        w = body[ti]
        label = w.label.text or f"row {w.number}"
        if ri is None:
            extra.append({"row": w.number, "layer": label})
            continue
        row = layers[ri]
        for ci in graded:
            text = w.cells[ci]
            if is_blank(text):
                continue
            what, header = kinds[ci], table.headers[ci]
            if what == "output_shape":
                ok, expected, problem = _grade_shape(text, row, lay, flat_shape.get(row.node_id))
                why = _step_text(report, row, "output shape")
            else:
                expected = getattr(row, what)  # type: ignore[arg-type]
                ok, problem = _grade_number(text, expected, dc)
                why = _step_text(report, row, QUANTITY[what])  # type: ignore[index]
            if ri in virtual:
                why = f"{virtual[ri]}; {why}"
            if problem:
                why = f"{problem}; {why}"
            layer_cells += row.kind != "input"
            out.append(Cell(w.number, w.label.text or row.name, header, text, expected, ok, why))
    missing.sort(key=lambda m: m["index"])
    skipped.sort(key=lambda m: m["index"])

    body_cells = len(out)
    totals = {s.quantity: str(s) for s in total_steps(report)}
    t = report.totals
    for number, cells in total_rows:
        for ci in graded:
            text = cells[ci]
            what = kinds[ci]
            if is_blank(text) or TOTAL_WORD.match(text) or what == "output_shape":
                continue
            expected = getattr(t, what)  # type: ignore[arg-type]
            ok, problem = _grade_number(text, expected, dc)
            name = QUANTITY[what]  # type: ignore[index]
            why = totals.get(f"total {name}", f"total {name} = {fmt(expected)}")
            out.append(
                Cell(number, "Total", table.headers[ci], text, expected, ok, f"{problem}; {why}" if problem else why)
            )
    for what, text in table.total_lines:
        expected = {"total": t.params, "trainable": t.trainable_params, "non-trainable": t.non_trainable_params}[what]
        ok, problem = _grade_number(text, expected, dc)
        why = totals["total params"] if what == "total" else f"{what} params = {fmt(expected)}"
        label = f"{what.capitalize()} params"
        out.append(Cell(None, label, label, text, expected, ok, f"{problem}; {why}" if problem else why))
    if not layer_cells and len(out) == body_cells:  # nothing but the input row graded, and no totals
        raise SpecError(f"the table grades no layer: {_nothing_graded(body, pairs, layers)}", hint=ROWS_HINT)
    return CheckResult(
        tuple(out),
        tuple(missing),
        tuple(extra),
        ignored,
        report,
        tuple(skipped),
        tuple(table.notes),
        table.source,
        framework,
        layer_cells,
    )


ROWS_HINT = "give a row for each layer with its figures (Output shape, Params, MACs...), e.g. conv | (28, 28, 8) | 608"


def _nothing_graded(body: list[Written], pairs: list[tuple[int | None, int | None]], layers: tuple[Row, ...]) -> str:
    """Why no layer's cell was graded, in the table's terms."""
    if not body:
        return "it has no row besides its totals"
    matched = [layers[r] for t, r in pairs if t is not None and r is not None]
    if matched and all(r.kind == "input" for r in matched):
        return "its only row matched is the input"
    return f"no row has a figure under a graded column ({len(body)} row{'s' * (len(body) != 1)} read)"


__all__ = ["Cell", "CheckResult", "grade"]
