"""The page's calls into cnncalc, run by Pyodide in a web worker: a JSON request in, a JSON answer out.

Every figure comes from cnncalc itself (the same ``analyze``, table cells, explain steps and
downloads as the CLI); this module only packs them for the page. A spec may declare its
arguments the way zoo files do (``# args: classes=1000, size=224``), so a zoo model pasted
from ``cnncalc zoo resnet50 --show`` runs as it is.

Every call answers in JSON, whatever happens: a mistake in the spec or a field is cnncalc's one
message (the same as the command line's), anything else one short "internal error" line.

>>> answer = json.loads(analyze(json.dumps({"spec": "input(32,32,3) -> conv(8, f=5)"})))
>>> answer["ok"], answer["rows"][1]["cells"][4], answer["totals"][4]   # params (5·5·3 + 1)·8
(True, '608', '608')
>>> json.loads(analyze(json.dumps({"spec": "input(8) -> fc(2)", "batch": "nan"})))["error"]["text"]
"the batch must be a whole number (got 'nan')"
"""

from __future__ import annotations

import functools
import gc
import json
from collections.abc import Callable
from typing import Any

import cnncalc
from cnncalc import zoo
from cnncalc.errors import CnnCalcError, LimitError, SpecError
from cnncalc.explain import explain_row, heading
from cnncalc.limits import value
from cnncalc.notation import parse
from cnncalc.notation.syntax import caret
from cnncalc.render import NUMERIC, columns_for, footer_lines, header, parse_units, table_cells, total_cell
from cnncalc.render.plot import layer_bars

_last: dict[str, Any] = {}  # the last good report, for explain and the downloads


def _locate(spec: str, err: CnnCalcError) -> CnnCalcError:
    """Give a layer's error (``layer 4 conv(16, f=50): ...``) a line, column and caret when its text occurs once."""
    if err.line is None and err.layer_name and spec.count(err.layer_name) == 1:
        offset = spec.index(err.layer_name)
        err.line = spec.count("\n", 0, offset) + 1
        err.column = offset - (spec.rfind("\n", 0, offset) + 1) + 1
        err.context = caret(spec, err.line, err.column)
    return err


def _error(spec: str, err: CnnCalcError) -> str:
    err = _locate(spec, err)
    headline, _, context = str(err).partition("\n")
    return json.dumps(
        {
            "ok": False,
            "error": {
                "text": headline,
                "context": context,
                "line": err.line,
                "column": err.column,
                "layer": err.layer_index,
                "hint": err.hint,
            },
        },
        ensure_ascii=False,
    )


def _internal(err: BaseException) -> str:
    """What the page says for anything but a CnnCalcError: one short line, never Python's traceback."""
    if isinstance(err, RecursionError):
        text = "the spec nests too deeply for cnncalc to read"
    elif isinstance(err, MemoryError):
        text = "the spec asks for more memory than the page has"
    else:
        text = "internal error: cnncalc could not answer this; please report it with the spec that caused it"
    return json.dumps({"ok": False, "error": {"text": text, "context": ""}})


def answered(function: Callable[[dict[str, Any]], str]) -> Callable[[str], str]:
    """A call from the page that always answers in JSON: a CnnCalcError as its one message, anything else as one
    short line (the page never shows a traceback)."""

    @functools.wraps(function)
    def call(request: str = "{}") -> str:
        spec = ""
        try:
            req = json.loads(request)
            if not isinstance(req, dict):
                raise SpecError("the page's request is not an object")
            spec = req["spec"] if isinstance(req.get("spec"), str) else ""
            return function(req)
        except CnnCalcError as err:
            return _error(spec, err)
        except Exception as err:  # noqa: BLE001 - one line for the page, whatever went wrong
            return _internal(err)

    return call


def guarded(function: Callable[[str], str]) -> Callable[[str], str]:
    """A call that reads its own request, answered in JSON whatever happens (as :func:`answered`'s are)."""

    @functools.wraps(function)
    def call(request: str = "{}") -> str:
        try:
            return function(request)
        except CnnCalcError as err:
            return _error("", err)
        except Exception as err:  # noqa: BLE001 - one line for the page, whatever went wrong
            return _internal(err)

    return call


def _choice(req: dict[str, Any], key: str, default: str) -> str:
    """A menu's value as the page sent it; cnncalc checks it against the choices, as the CLI's."""
    chosen = req.get(key, default)
    if not isinstance(chosen, str):
        raise SpecError(f"the {key} must be one of the menu's choices (got {str(chosen)[:40]!r})")
    return chosen


def _batch(req: dict[str, Any]) -> int:
    """The batch box's text as the CLI reads --batch: a whole number of at least 1, in the digits 0-9 (the box is
    text, not a number input, so what was typed reaches this check rather than a browser's silent blank)."""
    from cnncalc.numbers import whole

    given = req.get("batch", "1")
    text = given if isinstance(given, str) else json.dumps(given)
    return whole(text, "the batch", minimum=1)


def _page_cap(count: int, more: str = "") -> None:
    """The page's own cap on layers (``page_layers``): above it the command line answers, the page says so."""
    cap = value("page_layers")
    if count > cap:
        raise LimitError(
            f"this network has {count:,} layers{' ' + more if more else ''}",
            limit="page_layers",
            cap=cap,
            hint=f"the page analyses up to {cap:,}; the command line up to {value('layers'):,}: cnncalc summary",
        )


TRAINING = ("backward_flops", "saved_bytes")  # the per-layer columns a training step adds


@answered
def analyze(req: dict[str, Any]) -> str:
    """``{"spec", "flops", "layout", "dtype", "batch", "units"}`` and for a training step ``{"train": true,
    "optimizer", "freeze", "recompute"}`` -> the table's cells, totals, footer and chart data.

    The layers are counted before any is analysed: the spec's arrows first (each joins a layer), then the
    parsed graph's nodes; past ``page_layers`` the page says so.
    """
    spec = req.get("spec", "")
    if not isinstance(spec, str):
        raise SpecError("the spec must be text")
    train = bool(req.get("train"))  # the page sends "1" or ""
    batch = _batch(req)
    flops, layout, dtype = (
        _choice(req, "flops", "seed"),
        _choice(req, "layout", "hwc"),
        _choice(req, "dtype", "float32"),
    )
    units = parse_units(_choice(req, "units", "raw"))
    trained: dict[str, Any] = {}
    if train:
        trained = dict(
            train=True,
            optimizer=_choice(req, "optimizer", "adam"),
            freeze=tuple(n.strip() for n in _choice(req, "freeze", "").split(",") if n.strip()),
            recompute=_choice(req, "recompute", "none"),
        )
    _page_cap(spec.count("->") + spec.count("→") + 1, "or more")
    graph = parse(spec)
    _page_cap(len(graph.nodes))
    report = cnncalc.analyze(graph, flops=flops, layout=layout, dtype=dtype, batch=batch, **trained)
    _last["report"] = report
    columns = columns_for(report)
    # numbers first: a graph's Node and Reads columns are wide, so the page shows them after the figures
    columns = tuple(c for c in columns if c not in ("node_id", "inputs")) + tuple(
        c for c in columns if c in ("node_id", "inputs")
    )
    if train:  # the backward's FLOPs and what autograd keeps, after the forward's figures
        at = max(i for i, c in enumerate(columns) if c in ("params", "macs", "flops")) + 1
        columns = (*columns[:at], *TRAINING, *columns[at:])
    cells, collapsed = table_cells(report, columns, units)
    shown = [row for row, _ in _shown(report)]
    bars = layer_bars(report)
    return json.dumps(
        {
            "ok": True,
            "title": report.title,
            "columns": list(columns),
            "headers": [header(c, units, report) for c in columns],
            "numeric": [c in NUMERIC for c in columns],
            "rows": [{"index": r.index, "cells": texts} for r, texts in zip(shown, cells)],
            "totals": ["Total" if c == "name" else total_cell(report, c, units=units) for c in columns],
            "footer": footer_lines(report, collapsed),
            "training": _training(report),
            "chart": {
                "labels": bars.labels,
                "params": bars.params,
                "macs": bars.macs,
                "flops": bars.flops,
                "activation_bytes": bars.activation_bytes,
            },
        },
        ensure_ascii=False,
    )


def _shown(report: cnncalc.Report) -> list:
    from cnncalc.render import shown_rows

    return shown_rows(report)


def _training(report: cnncalc.Report) -> dict[str, int] | None:
    """A training step's totals as the JSON report gives them (None without one)."""
    from cnncalc.render.json import as_dict

    return as_dict(report)["totals"]["training"]


def _report() -> Any:
    report = _last.get("report")
    if report is None:
        raise SpecError("there is no table yet: write a network first")
    return report


@answered
def explain(req: dict[str, Any]) -> str:
    """``{"index"}`` -> that layer's worked arithmetic, as cnncalc explain shows it."""
    report = _report()
    index = req.get("index")
    row = next((r for r in report.rows if r.index == index and not isinstance(index, bool)), None)
    if row is None:
        raise SpecError(f"the table has no row {str(index)[:20]}")
    e = explain_row(report, row)
    return json.dumps(
        {"ok": True, "title": heading(e), "steps": [str(s) for s in e.steps], "notes": list(e.notes)},
        ensure_ascii=False,
    )


DOWNLOADS = ("csv", "json", "markdown")


@answered
def download(req: dict[str, Any]) -> str:
    """``{"format": "csv" | "json" | "markdown"}`` -> ``{"ok", "text"}``: the last report in that format."""
    fmt = req.get("format")
    if fmt not in DOWNLOADS:
        raise SpecError(f"the download format must be one of {', '.join(DOWNLOADS)} (got {str(fmt)[:20]!r})")
    report = _report()
    text = {"csv": report.to_csv, "json": report.to_json, "markdown": report.to_markdown}[fmt]()
    return json.dumps({"ok": True, "text": text}, ensure_ascii=False)


def warm(request: str = "{}") -> str:
    """Run a whole ResNet-50 through the page's path a few times (``{"times": 2}``), then forget it.

    WebAssembly starts on baseline code and optimises what runs hot in the background; doing that
    once at start-up, instead of on the user's first keystrokes, keeps every keystroke's update fast.
    """
    times = int(json.loads(request).get("times", 2))
    text = zoo.model("resnet50").text
    for _ in range(times):
        analyze(json.dumps({"spec": text}))
    _last.clear()
    gc.collect()  # the warm-up's garbage goes now, not during the first keystroke
    gc.freeze()  # and later collections skip the modules and caches that live as long as the page
    return json.dumps({"times": times})


LLM_CONTEXT = 4096  # a language model preset's sequence, as it is served: 4,096 positions in bfloat16
LLM_DTYPE = "bfloat16"


def presets(request: str = "{}") -> str:
    """The zoo as presets: ``[{"name", "description", "text", "dtype"}]``.

    A language model (a zoo model with a ``length`` argument) comes at a 4,096-position context in
    bfloat16, as it is served, rather than the zoo's short default.
    """
    out = []
    for name in zoo.names():
        m = zoo.model(name)
        text, dtype = m.text, None
        if "length" in m.defaults:
            text = _with_length(text, LLM_CONTEXT)
            dtype = LLM_DTYPE
        out.append({"name": m.name, "description": m.description, "text": text, "dtype": dtype})
    return json.dumps(out)


def _with_length(text: str, length: int) -> str:
    """A zoo text with its ``# args:`` line's ``length`` set (the spec reads its arguments from that line)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# args:"):
            args = [a.strip() for a in line[len("# args:") :].split(",") if a.strip()]
            args = [f"length={length}" if a.startswith("length=") else a for a in args]
            lines[i] = "# args: " + ", ".join(args) + "\n"
            break
    return "".join(lines)


@guarded
def grade(request: str) -> str:
    """``{"table", "spec", "flops", "layout"}`` -> the pasted table as read, every graded cell in its place.

    The table is graded as ``cnncalc check`` grades it: against the network it carries (an exercise from
    ``cnncalc quiz``), else against ``spec`` (the editor's network). Each data row comes back with its cells
    and, per cell, ``null`` (not graded) or ``{"ok", "expected", "why"}``.
    """
    from cnncalc.check import check
    from cnncalc.check.read import read_table
    from cnncalc.quiz import find_marker

    req = json.loads(request)
    text = str(req.get("table", ""))
    try:
        marked = find_marker(text)
        spec = str(marked["spec"]) if marked else (req.get("spec") or None)
        result = check(text, spec, flops=req.get("flops", "seed"), layout=req.get("layout") or None)
        table = read_table(text)
    except CnnCalcError as err:
        return json.dumps({"ok": False, "error": {"text": str(err).partition("\n")[0]}}, ensure_ascii=False)
    marks: dict[tuple[int, str], dict[str, Any]] = {}
    totals = []
    for c in result.cells:
        mark = {"ok": c.ok, "written": c.written, "expected": c.expected_text(), "why": c.why, "column": c.column}
        if c.row is None or c.row > len(table.rows):
            totals.append(mark)
        else:
            marks[(c.row, c.column)] = mark
    rows = [[marks.get((number, header)) for header in table.headers] for number, _ in enumerate(table.rows, start=1)]
    return json.dumps(
        {
            "ok": True,
            "headers": table.headers,
            "rows": [{"cells": cells, "marks": row} for cells, row in zip(table.rows, rows)],
            "totals": totals,
            "right": result.right,
            "wrong": result.wrong,
            "summary": result.to_text().rstrip("\n").splitlines()[-1],
            "missing": [str(m.get("layer", m)) for m in result.missing_rows],
            "extra": [f"row {m.get('row')}: {m.get('layer')}" for m in result.extra_rows],
            "spec": spec if marked else None,
            "format": table.source,
        },
        ensure_ascii=False,
    )


@guarded
def exercise(request: str) -> str:
    """``{"spec", "ask"}`` -> the blank exercise for that network, as Markdown to fill in (``cnncalc quiz``)."""
    from cnncalc import quiz

    req = json.loads(request)
    try:
        ex = quiz.exercise(str(req.get("spec", "")), ask=req.get("ask") or None)
    except CnnCalcError as err:
        return json.dumps({"ok": False, "error": {"text": str(err).partition("\n")[0]}}, ensure_ascii=False)
    return json.dumps({"ok": True, "text": quiz.render(ex, "markdown")}, ensure_ascii=False)


@guarded
def window(request: str) -> str:
    """``{"index", "axis"}`` -> the SVG of that row's window (every output position in it), its axes and positions."""
    from cnncalc.conventions import axis_names
    from cnncalc.draw import along, window_svg

    req = json.loads(request)
    report = _last["report"]
    index = int(req["index"])
    row = next(r for r in report.rows if r.index == index)
    if not row.windows:
        return json.dumps({"ok": False})
    axes = axis_names(len(row.windows))
    axis = req.get("axis") if req.get("axis") in axes else axes[-1]
    try:
        figure = along(report, index, axis)
        svg = window_svg(report, index, axis, 0)
    except CnnCalcError as err:
        return json.dumps({"ok": False, "error": {"text": str(err)}}, ensure_ascii=False)
    return json.dumps({"ok": True, "svg": svg, "axes": list(axes), "axis": axis, "positions": figure.out})
