"""Grade a hand-made table against the computed one, cell by cell.

The table is CSV, TSV or a Markdown pipe table. Columns are recognised by
their headers (layer, output/activation shape, activation size, params,
FLOPs, MACs); other columns are listed as not graded. Rows are matched to the
network's layers by order and label (an alignment, so a missing or extra row
does not shift the rest); the input row may be present or not; a ``Total``
row, and torchsummary-style ``Total params: N`` lines, are checked against
the totals. Each wrong cell is reported with the value written, the right
value and the explain line that gives it.

>>> r = check("| Layer | Params |\\n|---|---|\\n| conv(8, f=5) | 608 |\\n| fc(10) | 62,730 |", input="32,32,3")
>>> (r.right, r.wrong)  # (5·5·3 + 1)·8 = 608 is right; (28·28·8 + 1)·10 = 62,730 is right
(2, 0)
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnncalc.conventions import Convention, Layout, show_shape
from cnncalc.errors import SpecError
from cnncalc.explain import explain_row, total_steps
from cnncalc.layers import REGISTRY, resolve
from cnncalc.layers.base import fmt
from cnncalc.report import Report, Row
from cnncalc.written import UnreadableError, WrittenShape, is_blank, parse_number, parse_shape, shape_matches

# Columns a table may have, and the header words that name them (after lower-casing).
COLUMNS = ("layer", "output_shape", "activation_size", "params", "flops", "macs")
TOTAL_LINE = re.compile(r"^\s*(?P<what>total|trainable|non-trainable)\s+params\s*:\s*(?P<n>.+?)\s*$", re.IGNORECASE)
TOTAL_WORD = re.compile(r"^\s*\**\s*(grand\s+)?total\b", re.IGNORECASE)
NOTATION = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*(\(.*\))?\s*$")
# A numeric column's name in explain's steps (its attribute on Row and Totals is the column's own name).
QUANTITY = {"activation_size": "activation size", "params": "params", "flops": "FLOPs", "macs": "MACs"}


def classify(header: str) -> str | None:
    """The column a header names, or None: ``# Parameters`` → params, ``Activation Shape`` → output_shape."""
    h = re.sub(r"[^a-z#/ ]+", " ", header.lower()).strip()
    h = re.sub(r"\s+", " ", h)
    if not h:
        return None
    if re.search(r"input|kernel|filter|window|stride|padding|channels|no of k", h):
        return None
    if "flop" in h:
        return "flops"
    if re.search(r"\bmacs?\b|mult adds|multiply", h):
        return "macs"
    if "param" in h or h in ("weights", "#"):
        return "params" if h != "#" else None
    if "shape" in h or h in ("output size", "output", "outputs", "os", "out"):
        return "output_shape"
    if h in ("activation size", "activations size", "activation", "activations", "size", "act size", "numel"):
        return "activation_size"
    if h in ("layer", "layers", "name", "layer name", "layer type", "type", "layer type", "module") or h.startswith(
        "layer"
    ):
        return "layer"
    return None


@dataclass
class Table:
    """A table as read: headers, data rows (cells as text) and torchsummary-style total lines."""

    headers: list[str]
    rows: list[list[str]]
    total_lines: list[tuple[str, str]] = field(default_factory=list)


def _split_markdown(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", s)]


def read_table(text: str) -> Table:
    """CSV, TSV or Markdown, told apart by the text itself. ``#`` lines in CSV/TSV are comments."""
    totals: list[tuple[str, str]] = []
    lines = []
    for line in text.splitlines():
        m = TOTAL_LINE.match(line.strip().strip("|").strip())
        if m and line.count("|") <= 1 and "\t" not in line:
            totals.append((m.group("what").lower(), m.group("n")))
            continue
        lines.append(line)
    md = [ln for ln in lines if ln.strip().startswith("|")]
    if md:
        rows = [_split_markdown(ln) for ln in md if not re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", ln)]
    else:
        body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
        if not body:
            raise SpecError("the table is empty")
        delimiter = "\t" if any("\t" in ln for ln in body) else ","
        reader = csv.reader(io.StringIO("\n".join(body)), delimiter=delimiter, strict=True)
        rows = []
        try:
            for r in reader:
                rows.append([c.strip() for c in r])
        except csv.Error as e:
            where = f"row {len(rows)}" if rows else "the header"
            raise SpecError(
                f"{where} does not read as {'TSV' if delimiter == chr(9) else 'CSV'}: {e}",
                hint='a cell holding a comma or a quote is written in double quotes: "conv(8, f=5)"',
            ) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise SpecError("no table found: give a header row and at least one row (CSV, TSV or a Markdown table)")
    for number, r in enumerate(rows[1:], start=1):
        if any(c.strip() for c in r[len(rows[0]) :]):
            raise SpecError(
                f"row {number} has {len(r)} cells but the header names {len(rows[0])}, so its cells would be "
                "graded under the wrong columns",
                hint="a | inside a Markdown cell is written \\|"
                if md
                else 'a cell holding a comma is written in double quotes: "conv(8, f=5)"',
            )
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return Table(rows[0], rows[1:], totals)


@dataclass(frozen=True, slots=True)
class Cell:
    """One graded cell. ``row`` counts the table's data rows from 1."""

    row: int | None
    layer: str
    column: str
    written: str
    expected: Any
    ok: bool
    why: str

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
    """Every graded cell, with the rows that matched no layer and the layers no row gave."""

    cells: tuple[Cell, ...]
    missing_rows: tuple[dict[str, Any], ...]
    extra_rows: tuple[dict[str, Any], ...]
    ignored_columns: tuple[str, ...]
    report: Report

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
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        lines = []
        for c in self.wrong_cells():
            where = f"row {c.row}" if c.row is not None else "footer"
            expected = fmt(c.expected) if isinstance(c.expected, (int, float)) else _shown(c.written, c.expected)
            lines.append(f"✗ {where} {c.layer}, {c.column}: written {c.written}, right {expected}")
            lines.append(f"    {c.why}")
        for m in self.missing_rows:
            lines.append(f"missing row: layer {m['index']} {m['layer']} has no row in the table")
        for x in self.extra_rows:
            lines.append(f"extra row: row {x['row']} {x['layer']!r} matches no layer")
        if self.ignored_columns:
            lines.append("not graded: " + ", ".join(repr(h) for h in self.ignored_columns))
        lines.append(f"{self.right} cells right, {self.wrong} wrong")
        return "\n".join(lines) + "\n"


def _shape_str(v: Any) -> str:
    if isinstance(v, list):
        return "(" + ", ".join(str(x) for x in v) + ")"
    return str(v)


# ---------------------------------------------------------------- matching


def label_kind(label: str) -> str | None:
    """The layer kind a row label names: ``CONV1 (f=5, s=1)`` → conv, ``MaxPool2d-4`` → maxpool, or None."""
    m = re.match(r"\s*\**\s*([A-Za-z][A-Za-z0-9_]*?)(?:[-_ ]?\d+)?\s*(?:[:(\s-]|$)", label)
    if not m:
        return None
    for word in (m.group(1), re.sub(r"\d+$", "", m.group(1))):
        alias = resolve(word) if word else None
        if alias is not None:
            return alias.kind
        if word.lower() in ("input", "inputlayer"):
            return "input"
    return None


def _family(kind: str) -> str:
    k = REGISTRY.get(kind)
    return k.family if k else kind


def _score(label: str, row: Row, shape_ok: bool) -> float:
    kind = label_kind(label) if label else None
    s = 1.0
    if kind is not None:
        if label.strip().lower() == row.name.lower() or kind == row.kind:
            s += 3
        elif _family(kind) == _family(row.kind):
            s += 2
        else:
            return -10.0
    return s + (1.0 if shape_ok else 0.0)


def align(
    labels: list[str], rows: tuple[Row, ...], shape_hits: list[list[bool]]
) -> list[tuple[int | None, int | None]]:
    """Needleman–Wunsch alignment of table rows to report rows; ``None`` marks a gap."""
    n, m = len(labels), len(rows)
    extra, missing = -2.0, -1.0
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        best[0][j] = best[0][j - 1] + (0.0 if rows[j - 1].kind == "input" else missing)
        move[0][j] = "r"
    for i in range(1, n + 1):
        best[i][0] = best[i - 1][0] + extra
        move[i][0] = "t"
        for j in range(1, m + 1):
            options = [
                (best[i - 1][j - 1] + _score(labels[i - 1], rows[j - 1], shape_hits[i - 1][j - 1]), "d"),
                (best[i - 1][j] + extra, "t"),
                (best[i][j - 1] + (0.0 if rows[j - 1].kind == "input" else missing), "r"),
            ]
            best[i][j], move[i][j] = max(options, key=lambda o: o[0])
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        mv = move[i][j]
        if mv == "d":
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif mv == "t":
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


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
    return "; ".join(chosen) if chosen else f"{quantity} = 0"


def _grade_number(written: str, expected: int) -> tuple[bool, str | None]:
    try:
        n = parse_number(written)
    except UnreadableError as e:
        return False, e.message
    return n.matches(expected), None


def _expected_shape(w: WrittenShape, row: Row, layout: Layout) -> tuple[int, ...]:
    """The row's shape in the layout the cell writes: a batch axis (``[-1, 8, 28, 28]``) means channels first."""
    return show_shape(row.output_shape, Layout.chw if w.batch else layout)


def _grade_shape(written: str, row: Row, layout: Layout) -> tuple[bool, list[int], str | None]:
    try:
        w = parse_shape(written)
    except UnreadableError as e:
        return False, list(show_shape(row.output_shape, layout)), e.message
    expected = _expected_shape(w, row, layout)
    return shape_matches(w, expected), list(expected), None


def _shown(w_text: str, expected: list[int]) -> str:
    try:
        return parse_shape(w_text).show(tuple(expected))
    except UnreadableError:
        return _shape_str(expected)


def grade(table: Table, report: Report, layout: Layout | None = None) -> CheckResult:
    """Match the table's rows to the report's layers and grade every recognised cell."""
    kinds = [classify(h) for h in table.headers]
    layer_col = kinds.index("layer") if "layer" in kinds else None
    if layer_col is None:
        # seed 001 leaves the layer column's header empty: take the first empty-headed text column
        for i, h in enumerate(table.headers):
            texts = [r[i] for r in table.rows if r[i].strip()]
            if not h.strip() and texts and sum(not re.match(r"^[\d.,\s]+$", t) for t in texts) > len(texts) / 2:
                layer_col = i
                kinds[i] = "layer"
                break
    graded = [i for i, k in enumerate(kinds) if k in COLUMNS and k != "layer"]
    ignored = tuple(h for i, h in enumerate(table.headers) if kinds[i] is None and h.strip())
    if not graded and not table.total_lines:
        raise SpecError(
            "no column to grade: name them Output shape, Activation size, Params, FLOPs or MACs",
            hint="headers found: " + ", ".join(repr(h) for h in table.headers),
        )
    lay = layout or report.layout
    shape_col = kinds.index("output_shape") if "output_shape" in kinds else None

    body: list[tuple[int, list[str]]] = []
    total_rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(table.rows, start=1):
        if any(TOTAL_WORD.match(c) for c in cells):
            total_rows.append((number, cells))
        else:
            body.append((number, cells))

    labels = [cells[layer_col] if layer_col is not None else "" for _, cells in body]
    hits = []
    for _, cells in body:  # each written shape is read once, then compared with every layer's
        written = None
        if shape_col is not None and not is_blank(cells[shape_col]):
            try:
                written = parse_shape(cells[shape_col])
            except UnreadableError:
                pass
        hits.append(
            [written is not None and shape_matches(written, _expected_shape(written, r, lay)) for r in report.rows]
        )
    pairs = align(labels, report.rows, hits)

    out: list[Cell] = []
    missing: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    for ti, ri in pairs:
        if ti is None:
            row = report.rows[ri]  # type: ignore[index]
            if row.kind != "input":
                missing.append({"index": row.index, "layer": row.name})
            continue
        number, cells = body[ti]
        label = labels[ti] or f"row {number}"
        if ri is None:
            extra.append({"row": number, "layer": label})
            continue
        row = report.rows[ri]
        for ci in graded:
            text = cells[ci]
            if is_blank(text):
                continue
            what, header = kinds[ci], table.headers[ci]
            if what == "output_shape":
                ok, expected, problem = _grade_shape(text, row, lay)
                why = _step_text(report, row, "output shape")
            else:
                expected = getattr(row, what)
                ok, problem = _grade_number(text, expected)
                why = _step_text(report, row, QUANTITY[what])
            if problem:
                why = f"{problem}; {why}"
            out.append(Cell(number, row.name if not labels[ti] else labels[ti], header, text, expected, ok, why))

    totals = {s.quantity: str(s) for s in total_steps(report)}
    t = report.totals
    for number, cells in total_rows:
        for ci in graded:
            text = cells[ci]
            what = kinds[ci]
            if is_blank(text) or TOTAL_WORD.match(text) or what == "output_shape":
                continue
            expected = getattr(t, what)
            ok, problem = _grade_number(text, expected)
            why = totals.get(f"total {QUANTITY[what]}", f"total {QUANTITY[what]} = {fmt(expected)}")
            out.append(
                Cell(number, "Total", table.headers[ci], text, expected, ok, f"{problem}; {why}" if problem else why)
            )
    for what, text in table.total_lines:
        expected = {"total": t.params, "trainable": t.trainable_params, "non-trainable": t.non_trainable_params}[what]
        ok, problem = _grade_number(text, expected)
        why = totals["total params"] if what == "total" else f"{what} params = {fmt(expected)}"
        label = f"{what.capitalize()} params"
        out.append(Cell(None, label, label, text, expected, ok, f"{problem}; {why}" if problem else why))
    return CheckResult(tuple(out), tuple(missing), tuple(extra), ignored, report)


# ---------------------------------------------------------------- a table that holds its own notation


def spec_from_table(table: Table, input: str | tuple[int, ...] | None = None) -> str:  # noqa: A002
    """The notation a table spells out row by row: ``conv(32, f=7, s=4)`` in its layer column."""
    kinds = [classify(h) for h in table.headers]
    if "layer" not in kinds:
        raise SpecError("without --spec, the table needs a layer column holding the notation, e.g. conv(32, f=7, s=4)")
    col = kinds.index("layer")
    shape_col = kinds.index("output_shape") if "output_shape" in kinds else None
    input_col = next((i for i, h in enumerate(table.headers) if re.search(r"input", h, re.IGNORECASE)), None)
    calls: list[str] = []
    first_input: str | None = None
    for number, cells in enumerate(table.rows, start=1):
        text = cells[col].strip()
        if not text or any(TOTAL_WORD.match(c) for c in cells):
            continue
        if label_kind(text) == "input":
            if "(" in text:
                first_input = text
            elif shape_col is not None and not is_blank(cells[shape_col]):
                first_input = "input(" + ", ".join(str(n) for n in parse_shape(cells[shape_col]).dims) + ")"
            continue
        if not NOTATION.match(text) or label_kind(text) is None:
            raise SpecError(f"row {number}: {text!r} is not a layer in the notation (e.g. conv(32, f=7, s=4))")
        if not calls and first_input is None and input is None and input_col is not None and cells[input_col]:
            first_input = "input(" + ", ".join(str(n) for n in parse_shape(cells[input_col]).dims) + ")"
        calls.append(text)
    if not calls:
        raise SpecError("the table's layer column holds no layers")
    if first_input is None and input is None:
        raise SpecError("the table does not give the input", hint="add an input row, an Input size column or --input")
    return " -> ".join(([first_input] if first_input else []) + calls)


def check(
    table: str | Path,
    spec: str | Path | Report | None = None,
    *,
    input: str | tuple[int, ...] | None = None,  # noqa: A002 - the user's word
    flops: Convention | str = Convention.seed,
    layout: Layout | str | None = None,
) -> CheckResult:
    """Grade a hand-made table (text, or a path to a CSV/TSV/Markdown file) against ``spec``.

    ``spec`` is the notation, a path to a file holding it, or a Report. Without
    ``spec`` the table's layer column must hold the notation per row.
    """
    from cnncalc.analyze import enum_option
    from cnncalc.api import analyze

    if isinstance(table, Path) or (isinstance(table, str) and "\n" not in table and Path(table).is_file()):
        try:
            text = Path(table).read_text(encoding="utf-8")
        except OSError as e:
            raise SpecError(f"cannot read {table}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise SpecError(f"{table} is not a text file (CSV, TSV or Markdown in UTF-8)") from None
    else:
        text = str(table)
    parsed = read_table(text)
    lay = None if layout is None else enum_option(Layout, layout, "layout")
    if isinstance(spec, Path):
        try:
            spec = spec.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise SpecError(f"cannot read the spec {spec}") from None
    if isinstance(spec, Report):
        report = spec
    else:
        source = spec if spec is not None else spec_from_table(parsed, input)
        report = analyze(source, input=input, flops=flops, layout=lay or Layout.hwc)
    return grade(parsed, report, lay)
