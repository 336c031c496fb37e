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
    parse_number,
    parse_shape,
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

    @property
    def right(self) -> int:
        return sum(c.ok for c in self.cells)

    @property
    def wrong(self) -> int:
        return sum(not c.ok for c in self.cells)

    @property
    def ok(self) -> bool:
        """All graded cells right and no row that matches no layer."""
        return self.wrong == 0 and not self.extra_rows

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
            lines.append(f"extra row: row {x['row']} {x['layer']!r} matches no layer")
        if self.skipped_layers:
            listed = ", ".join(f"{s['index']} {s['layer']}" for s in self.skipped_layers)
            lines.append(f"not in the table, and without parameters: {listed}")
        if self.ignored_columns:
            lines.append("not graded: " + ", ".join(repr(h) for h in self.ignored_columns))
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
    low, high = sorted((abs(float(w.value)), abs(float(expected))))
    return 0.5 if high and low / high >= 0.5 else 0.0


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


def _grade_shape(written: str, row: Row, layout: Layout) -> tuple[bool, list[int], str | None]:
    try:
        w = parse_shape(written)
    except UnreadableError as e:
        return False, list(show_shape(row.output_shape, layout)), e.message
    expected = _expected_shape(w, row, layout)
    return shape_matches(w, expected), list(expected), None


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
            hint="headers found: " + ", ".join(repr(h) for h in table.headers),
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

    layers = report.rows
    scores: list[list[float]] = []
    compatible: list[list[bool]] = []
    for w in body:
        row_scores, row_ok = [], []
        for layer in layers:
            s = label_score(w.label, layer)
            row_ok.append(s >= 0)
            for ci, n in w.numbers.items():
                if n is not None:
                    s += _number_evidence(n, getattr(layer, kinds[ci]))  # type: ignore[arg-type]
            if w.shape is not None:
                s += _shape_evidence(w.shape, _expected_shape(w.shape, layer, lay))
            row_scores.append(s)
        scores.append(row_scores)
        compatible.append(row_ok)
    pairs = align(scores, layers, compatible)

    out: list[Cell] = []
    missing: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    for ti, ri in pairs:
        if ti is None:
            row = layers[ri]  # type: ignore[index]
            if row.kind != "input":
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
                ok, expected, problem = _grade_shape(text, row, lay)
                why = _step_text(report, row, "output shape")
            else:
                expected = getattr(row, what)  # type: ignore[arg-type]
                ok, problem = _grade_number(text, expected, dc)
                why = _step_text(report, row, QUANTITY[what])  # type: ignore[index]
            if problem:
                why = f"{problem}; {why}"
            out.append(Cell(w.number, w.label.text or row.name, header, text, expected, ok, why))
    missing.sort(key=lambda m: m["index"])
    skipped.sort(key=lambda m: m["index"])

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
    )


__all__ = ["Cell", "CheckResult", "grade"]
