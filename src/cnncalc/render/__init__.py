"""Renderers: functions from a Report to text. Nothing below them prints.

:data:`RENDERERS` names each one (imported only when used); :func:`render` runs one by
name, so a new renderer is a function and a line here. :func:`records` gives the rows
as raw values (the JSON layers), for renderers that want numbers rather than text.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cnncalc.conventions import CONVENTION_NOTES, FRAMEWORK_NOTES, Framework, show_shape
from cnncalc.errors import ArgumentError, wrong_type
from cnncalc.layers.calc import fmt
from cnncalc.report import Report, Row

RENDERERS: dict[str, str] = {
    "table": "cnncalc.render.table:render",
    "markdown": "cnncalc.render.markdown:render",
    "csv": "cnncalc.render.csv:render",
    "json": "cnncalc.render.json:render",
    "html": "cnncalc.render.html:render",
}
"""Every renderer by name: ``module:function`` taking the Report and the renderer's keywords."""


def renderer(name: str) -> Callable[..., str]:
    """The renderer called ``name``, or an ArgumentError listing them."""
    target = RENDERERS.get(str(name).lower())
    if target is None:
        raise ArgumentError(f"unknown format '{name}' (choose {', '.join(RENDERERS)})")
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def render(report: Report, name: str, *, by: str | None = None, **options: Any) -> str:
    """``report`` rendered by the renderer called ``name`` (``columns=``, ``width=`` where it takes them).

    Each option is checked here, for every renderer: one a renderer does not take is an error naming those it
    takes (json takes none), ``columns`` must name known columns once each, ``width`` is a whole number of at
    least 20 characters, ``box`` true or false. ``by="kind"`` or ``"block"`` renders the breakdown
    (:mod:`cnncalc.breakdown`): a table of it, or in JSON a ``breakdown`` object beside the layers.
    """
    if not isinstance(report, Report):
        raise wrong_type("report", "a cnncalc Report", report)
    if not isinstance(name, str):
        raise wrong_type("format", f"a format's name ({', '.join(RENDERERS)})", name)
    draw = renderer(name)
    takes = [p.name for p in inspect.signature(draw).parameters.values() if p.kind is p.KEYWORD_ONLY]
    extra = sorted(set(options) - set(takes))
    if extra:
        raise ArgumentError(
            f"the {name} format takes no option {', '.join(extra)}", hint=f"it takes {', '.join(takes) or 'none'}"
        )
    if options.get("columns") is not None:
        options["columns"] = columns_option(options["columns"])
    if options.get("width") is not None:
        from cnncalc.numbers import whole

        if isinstance(options["width"], bool) or not isinstance(options["width"], int):
            raise wrong_type("width", "a whole number of characters", options["width"])
        options["width"] = whole(options["width"], "the width", minimum=20)
    if "box" in options and not isinstance(options["box"], bool):
        raise wrong_type("box", "True or False", options["box"])
    if by is None:
        return draw(report, **options)
    from cnncalc.breakdown import parse_by

    by = parse_by(by)
    if str(name).lower() == "json":
        return draw(report, by=by, **options)
    table = breakdown_report(report, by)
    if str(name).lower() == "csv" and options.get("columns") is None:
        options["columns"] = table.columns
    return draw(table, **options)


def columns_option(value: object) -> tuple[str, ...]:
    """``columns=`` from Python: a tuple or list of column names, or one string of them comma separated."""
    if isinstance(value, str):
        names = tuple(c.strip().lower() for c in value.split(",") if c.strip())
    elif isinstance(value, (tuple, list)) and all(isinstance(c, str) for c in value):
        names = tuple(c.strip().lower() for c in value)
    else:
        raise wrong_type("columns", "a tuple of column names such as ('name', 'params')", value)
    if not names:
        raise ArgumentError("columns names no column", hint=f"choose from {', '.join(HEADERS)}")
    return checked_columns(names)


def breakdown_report(report: Report, by: str) -> Report:
    """A report whose rows are ``report``'s breakdown by operator ``kind`` or ``block``, its totals and footer kept."""
    from dataclasses import replace as copy

    from cnncalc.breakdown import as_rows, breakdown

    rows = as_rows(breakdown(report, by))
    first = "kind" if by == "kind" else "block"
    if by == "block":
        rows = tuple(copy(r, kind="block", block=r.name, branch=True) for r in rows)
    columns = (first, "count", "params", "params_percent", "macs", "flops", "flops_percent")
    if report.training is not None:
        columns += ("backward_flops", "saved_bytes")
    said = "operator kind" if by == "kind" else "block"
    note = f"Breakdown by {said}: every layer summed once under its {said}; the totals are the network's"
    return copy(report, rows=rows, columns=columns, nodes=report.node_rows, notes=(*report.notes, note))


def records(report: Report) -> list[dict[str, Any]]:
    """One dict of raw values per row, keyed as the JSON layers are (the contract renderers build on)."""
    from cnncalc.render.json import layer_record

    return [layer_record(report, r) for r in report.rows]


# Column titles live here, once, for every renderer.
HEADERS = {
    "index": "#",
    "name": "Layer",
    "kind": "Kind",
    "output_shape": "Output shape",
    "activation_size": "Activation size",
    "params": "Params",
    "trainable_params": "Trainable",
    "buffers": "Buffers",
    "macs": "MACs",
    "flops": "FLOPs",
    "rf": "RF",
    "rf_jump": "RF jump",
    "rf_start": "RF start",
    "bytes_read": "Bytes read",
    "bytes_written": "Bytes written",
    "intensity": "FLOPs/byte",
    "source": "Source",
    "node_id": "Node",
    "inputs": "Reads",
    "input_shape": "Input shape",
    "kernel_shape": "Kernel",
    "trainable": "Trainable?",
    "params_percent": "Params %",
    "flops_percent": "FLOPs %",
    "backward_flops": "Backward FLOPs",
    "saved_bytes": "Saved for backward",
    "time": "Time",
    "count": "Layers",
    "block": "Block",
}
TRAINING_COLUMNS = ("backward_flops", "saved_bytes")
"""Columns a report has only with --train."""
DEFAULT_COLUMNS = ("index", "name", "output_shape", "activation_size", "params", "macs", "flops")
NUMERIC = {"index", "activation_size", "params", "trainable_params", "buffers", "macs", "flops"}
NUMERIC |= {"rf", "rf_jump", "rf_start", "bytes_read", "bytes_written", "intensity"}
NUMERIC |= {"params_percent", "flops_percent", "backward_flops", "saved_bytes", "time", "count"}
COUNTS = {"activation_size", "params", "trainable_params", "buffers", "macs", "flops", "backward_flops"}
"""The columns that hold counts, shown in the table's units (``--units``)."""
BYTES = {"bytes_read", "bytes_written", "saved_bytes"}
"""The columns that hold bytes: exact, or in binary units (KiB, MiB) when the table has units."""

UNITS = {"raw": 1, "auto": 0, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
"""How the table shows counts: ``raw`` exact (the default), ``auto`` each in its own unit, or all in one unit."""
PREFIXES = ("", "k", "M", "G", "T", "P", "E")


def parse_units(value: object) -> str:
    """``--units`` as one of :data:`UNITS` (k, M, G, T as written, any case), or an ArgumentError naming them.

    >>> parse_units("m"), parse_units("AUTO"), parse_units(None)
    ('M', 'auto', 'raw')
    """
    if value is None:
        return "raw"
    word = str(getattr(value, "value", value)).strip()
    for unit in UNITS:
        if word.lower() == unit.lower():
            return unit
    raise ArgumentError(f"unknown units '{value}' (choose {', '.join(UNITS)})")


def short(n: int | float) -> str:
    """A count as people read it, three significant digits and an SI prefix: ``25.6 M``, ``4.09 G``, ``608``.

    >>> short(25_557_032), short(4_089_184_256), short(608), short(999_600), short(0)
    ('25.6 M', '4.09 G', '608', '1.00 M', '0')
    """
    value = abs(float(n))
    if value < 1000:
        return fmt(n)
    step = 0
    while value >= 999.5 and step < len(PREFIXES) - 1:
        value /= 1000
        step += 1
    decimals = 2 if value < 9.995 else 1 if value < 99.95 else 0
    sign = "-" if n < 0 else ""
    return f"{sign}{value:.{decimals}f} {PREFIXES[step]}"


def scaled(n: int, units: str) -> str:
    """``n`` in the table's units: exact (``raw``), its own unit (``auto``), or a fixed unit's multiple.

    >>> scaled(25_557_032, "M"), scaled(608, "M"), scaled(608, "k"), scaled(0, "G"), scaled(48_120, "auto")
    ('25.56', '0.000608', '0.61', '0', '48.1 k')
    """
    if units == "raw":
        return fmt(n)
    if units == "auto":
        return short(n)
    x = n / UNITS[units]
    if x == 0:
        return "0"
    return f"{x:,.2f}" if abs(x) >= 0.01 else f"{x:.3g}"


def header(column: str, units: str = "raw", report: Report | None = None) -> str:
    """A column's title, with its unit when every cell is in one: ``Params (M)``; another tool's word for its figure."""
    title = HEADERS[column]
    if report is not None and report.tool is not None and column in ("flops", "macs"):
        from cnncalc.others import TOOL_TABLE

        tool = TOOL_TABLE[report.tool]
        if column == "flops":
            title = f"{tool.name} {tool.figure}"
        elif tool.macs is not None:
            title = f"{tool.name} MACs"
    if units in ("raw", "auto") or column not in COUNTS:
        return title
    return f"{title} ({units})"


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    """``--columns name,output_shape,params,rf`` as a tuple of column names, or a SpecError naming the choices."""
    from cnncalc.errors import SpecError

    if text is None or not text.strip():
        return None
    names = tuple(c.strip().lower() for c in text.split(",") if c.strip())
    return checked_columns(names, SpecError)


def checked_columns(names: tuple[str, ...], error: type[Exception] = ArgumentError) -> tuple[str, ...]:
    """Column names, each known and asked for once, or an error naming the one that is not."""
    unknown = [c for c in names if c not in HEADERS]
    if unknown:
        raise error(f"unknown column {unknown[0]!r} (choose from {', '.join(HEADERS)})")
    twice = next((c for i, c in enumerate(names) if c in names[:i]), None)
    if twice is not None:
        raise error(f"the column {twice!r} is asked for twice")
    return names


def _axes(values: tuple) -> str:
    """One value when every axis agrees, else ``11×7``."""
    if len(set(values)) == 1:
        values = values[:1]
    return "×".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def human_bytes(n: int) -> str:
    """``2,432 B``, ``23.7 MiB``: binary units, exact bytes below 1 KiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n:,} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n:,} B"  # pragma: no cover


def shape_text(report: Report, row: Row) -> str:
    """``(28, 28, 8)`` in hwc; ``[-1, 8, 28, 28]`` style is left to front-ends that show a batch axis.

    Under the keras convention shapes read as Keras prints them, the batch as None: ``(None, 28, 28, 8)``.
    """
    keras = report.framework is Framework.keras
    if row.shape_text:
        return row.shape_text.replace("[-1", "(None").replace("]", ")") if keras else row.shape_text
    shape = report.shown_shape(row)
    if keras:
        return "(" + ", ".join(["None", *map(str, shape)]) + ")"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def shapes_text(report: Report, shapes: tuple[tuple[int, ...], ...]) -> str:
    """Shapes a row reads, as its output is shown: ``(32, 32, 3)``, or ``[-1, 3, 32, 32]`` for a traced model."""
    from cnncalc.fold import shape_text as traced_text

    if not shapes:
        return "–"
    texts = []
    for shape in shapes[:3]:
        if report.traced:
            texts.append(traced_text(shape, report.batch, report.layout, None))
        else:
            shown = show_shape(shape, report.layout)
            texts.append("(" + ", ".join(str(n) for n in shown) + ("," if len(shown) == 1 else "") + ")")
    return ", ".join(texts) + (", …" if len(shapes) > 3 else "")


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole``: ``12.3%``; ``–`` when there is no whole.

    >>> percent(608, 62_958), percent(0, 10), percent(1, 0)
    ('0.966%', '0%', '–')
    """
    if not whole:
        return "–"
    value = 100 * part / whole
    return "0%" if value == 0 else f"{value:.3g}%"


def trainable_text(row: Row) -> str:
    """torchinfo's Trainable column: ``yes``, ``no`` (frozen), ``partly``, or ``–`` for a row without parameters."""
    if not row.params:
        return "–"
    if row.trainable_params == row.params:
        return "yes"
    return "no" if row.trainable_params == 0 else "partly"


def seconds_text(report: Report, row: Row) -> str:
    """A row's time at the report's hardware (--hardware): its FLOPs (and backward's) at the peak times the MFU."""
    b = report.budget
    if b is None or not b.peak_flops:
        return "–"
    from cnncalc.budget import human_seconds

    flops = row.flops + (row.backward_flops if report.training is not None else 0)
    return human_seconds(flops / (b.peak_flops * (b.mfu or 1))) if flops else "0"


def cell(report: Report, row: Row, column: str, *, grouped: bool = True, units: str = "raw") -> str:
    """One cell as text: thousands separators when ``grouped``, exact integers otherwise; counts in ``units``."""
    if column == "inputs":
        return ", ".join(row.inputs)
    if column == "input_shape":
        return shapes_text(report, row.input_shapes)
    if column == "kernel_shape":
        return "×".join(str(w.kernel) for w in row.windows) if row.windows else "–"
    if column == "trainable":
        return trainable_text(row)
    if column == "params_percent":
        return percent(row.params, report.totals.params)
    if column == "flops_percent":
        return percent(row.flops, report.totals.flops)
    if column == "time":
        return seconds_text(report, row)
    if column == "block":
        return row.block or "–"
    if column in TRAINING_COLUMNS and report.training is None:
        return "–"
    if column == "output_shape":
        return shape_text(report, row)
    if column in ("rf", "rf_jump", "rf_start"):
        f = row.receptive_field
        if f is None:
            return "–"
        return _axes({"rf": f.size, "rf_jump": f.jump, "rf_start": f.start}[column])
    if column == "intensity":
        return "–" if row.intensity is None else f"{row.intensity:,.2f}"
    value = getattr(row, column)
    if column in NUMERIC and isinstance(value, int):
        if not grouped:
            return str(value)
        if units != "raw" and column in COUNTS:
            return scaled(value, units)
        if units != "raw" and column in BYTES:
            return human_bytes(value)
        return fmt(value)
    return str(value)


def check_columns(report: Report, columns: tuple[str, ...] | None) -> None:
    """Refuse a column the report has no figures for, saying what gives them (--train, --hardware)."""
    for column in columns or ():
        if column in TRAINING_COLUMNS and report.training is None:
            raise ArgumentError(f"the {column} column needs --train (a training step's figures)")
        if column == "time" and (report.budget is None or not report.budget.peak_flops):
            raise ArgumentError("the time column needs --hardware (the device whose peak gives the time)")


def total_cell(report: Report, column: str, *, grouped: bool = True, units: str = "raw") -> str:
    t = report.totals
    value = {
        "activation_size": t.activation_size,
        "params": t.params,
        "trainable_params": t.trainable_params,
        "buffers": t.buffers,
        "macs": t.macs,
        "flops": t.flops,
        "backward_flops": report.training.backward_flops if report.training is not None else None,
        "saved_bytes": report.training.saved_activation_bytes if report.training is not None else None,
    }.get(column)
    if column in ("params_percent", "flops_percent"):
        return "100%"
    if value is None:
        return ""
    if not grouped:
        return str(value)
    if column in BYTES and units != "raw":
        return human_bytes(value)
    return scaled(value, units) if column in COUNTS else fmt(value)


COLLAPSED = (
    "A row marked × N stands for N identical consecutive blocks, its figures the N together; the rows under it "
    "are one block's (--expand shows every block)"
)


def footer_lines(report: Report, collapsed: bool = False, *, markdown: bool = False) -> list[str]:
    """The totals and conventions every human-readable renderer prints under the table (a parallel layout's rank
    classes too, but in Markdown, which draws them as a table of their own).

    Each total is given exactly and as people read it: ``Total params: 25,557,032 (25.6 M, 97.5 MiB at float32)``.
    ``collapsed`` adds the line that says what a row marked × N is.
    """
    t = report.totals
    m = report.memory
    said = [short(t.params)] if t.params >= 1000 else []
    if m is not None:
        said.append(f"{human_bytes(m.param_bytes)} at {m.dtype}")
    lines = [
        f"Total params: {fmt(t.params)}"
        + (f" ({', '.join(said)})" if said else "")
        + f"; trainable {fmt(t.trainable_params)}, non-trainable {fmt(t.non_trainable_params)}; "
        f"buffers: {fmt(t.buffers)}",
        f"MACs: {counted(t.macs)}; {figure_name(report)}: {counted(t.flops)}",
        convention_line(report),
    ]
    shapes = shapes_line(report)
    if shapes:
        lines.append(shapes)
    if report.framework is Framework.keras:
        lines.append(f"Counting convention: keras — {FRAMEWORK_NOTES[Framework.keras]}")
    if m is not None:
        lines.append(
            f"Memory ({m.dtype}, {m.bytes_per_element} B/element): params {human_bytes(m.param_bytes)}, "
            f"buffers {human_bytes(m.buffer_bytes)}, activations {human_bytes(m.activation_bytes)}, "
            f"peak inference activations {human_bytes(m.peak_activation_bytes)}"
        )
    lines += training_lines(report)
    lines += budget_lines(report)
    if report.llm is not None:
        lines += llm_lines(report)
    if report.parallel is not None and markdown is False:
        from cnncalc.render.ranks import parallel_lines

        lines += parallel_lines(report)
    lines += list(report.notes)
    if collapsed:
        lines.append(COLLAPSED)
    if report.uncounted_ops:
        listed = "; ".join(
            f"{op.name} ×{op.calls} (in {', '.join(op.modules[:3])}{', …' if len(op.modules) > 3 else ''})"
            for op in report.uncounted_ops
        )
        lines.append(f"Uncounted ops (no counting rule; not in MACs or FLOPs): {listed}")
    return lines


def figure_name(report: Report) -> str:
    """What the FLOPs total is: ``FLOPs``, or the tool's word for it (``thop MACs``, ``torchinfo mult-adds``)."""
    if report.tool is None:
        return "FLOPs"
    from cnncalc.others import TOOL_TABLE

    tool = TOOL_TABLE[report.tool]
    return f"{tool.name} {tool.figure}"


def convention_line(report: Report) -> str:
    """``FLOPs convention: seed — ...``, or the tool whose figures the FLOPs column holds."""
    if report.tool is not None:
        from cnncalc.others import convention_note

        return f"FLOPs convention: as={report.tool} — {convention_note(report.tool)}"
    return f"FLOPs convention: {report.convention.value} — {CONVENTION_NOTES[report.convention]}"


def counted(n: int) -> str:
    """A total exactly, and as people read it when it is large: ``4,089,184,256 (4.09 G)``."""
    return fmt(n) + (f" ({short(n)})" if abs(n) >= 1000 else "")


def spatial(report: Report) -> bool:
    """Whether the network's shapes have spatial axes (an image's H and W), so hwc and chw read differently.

    A language model's shapes are positions and features: no layout to name.
    """
    return any(r.receptive_field is not None or r.windows for r in report.node_rows)


def shapes_line(report: Report) -> str:
    """``Shapes: hwc, batch 1`` where shapes have spatial axes; else the batch alone, when it is more than one."""
    whole = "; activation sizes, MACs and FLOPs are for the whole batch" if report.batch > 1 else ""
    keras = report.framework is Framework.keras
    if spatial(report) or keras:
        line = f"Shapes: {report.layout.value}, batch {report.batch}{whole}"
        return line + (" (shown as Keras shows them: None is the batch axis)" if keras else "")
    return f"Batch {report.batch}{whole}" if whole else ""


def training_lines(report: Report) -> list[str]:
    """One training step's figures under the table, with the convention they follow."""
    t = report.training
    if t is None:
        return []
    recompute = ", activation checkpointing of each block" if t.recompute == "blocks" else ""
    lines = [
        f"Training step FLOPs: forward {fmt(t.forward_flops)} + backward {fmt(t.backward_flops)} = {fmt(t.flops)}"
        + recompute,
        f"Training memory ({t.optimizer}): saved for backward {human_bytes(t.saved_activation_bytes)}, "
        f"params {human_bytes(t.param_bytes)}, gradients {human_bytes(t.gradient_bytes)}, "
        f"optimizer state {human_bytes(t.optimizer_bytes)}; peak {human_bytes(t.peak_bytes)}",
        "Training convention: backward = input and weight gradients, each the forward's products (frozen weights "
        "get none; layers before the first trainable one run no backward); saved = what PyTorch's autograd keeps, "
        "each storage once; peak = params + buffers + gradients + optimizer state + activations at their largest "
        "in the forward, what autograd keeps held to the end",
    ]
    if t.loss_note:
        lines.append(f"Loss: {t.loss_note}")
    if t.unruled:
        listed = ", ".join(f"{k} ×{n}" for k, n in t.unruled)
        lines.append(f"No training rule (backward not counted): {listed}")
    return lines


def budget_lines(report: Report) -> list[str]:
    """A run's FLOPs and time (--tokens, --hardware), for the footer (see :mod:`cnncalc.budget`)."""
    b = report.budget
    if b is None:
        return []
    from cnncalc.budget import human_hours, human_seconds

    lines = []
    if b.tokens is not None:
        steps = fmt(int(b.steps)) if b.steps is not None and b.steps == int(b.steps) else f"{b.steps:,.1f}"
        lines.append(
            f"Training run: {fmt(b.tokens)} tokens = {steps} steps of {fmt(b.tokens_per_step or 0)} tokens; "
            f"FLOPs {b.flops:.4g} ({b.flops / (b.six_nd_flops or 1):.3f}× 6·N·D = {b.six_nd_flops or 0:.4g}, "
            f"N = {fmt(b.six_nd_params or 0)} params a token uses, embeddings left out)"
        )
    if b.seconds is not None:
        mfu = f" at MFU {b.mfu:g}" if b.mfu != 1 else " at its peak"
        lines.append(
            f"Time of the {b.what} on {b.hardware} ({b.dtype}, {(b.peak_flops or 0) / 1e12:,g} TFLOPS dense){mfu}: "
            f"{human_seconds(b.seconds)}, {human_hours(b.seconds / 3600)} device-hours ({b.flops:.4g} FLOPs, "
            f"{report.convention.value} convention)"
        )
    return lines


def llm_lines(report: Report) -> list[str]:
    """A language model's serving figures, for the footer (see :mod:`cnncalc.llm`)."""
    f = report.llm
    assert f is not None
    dtype = report.memory.dtype if report.memory is not None else report.dtype
    scores = "the causal half of the scores" if f.causal_half else "the full score matrix"
    decode = "not counted (see below)" if f.decode_flops_per_token is None else fmt(f.decode_flops_per_token)
    weights = f"weights {human_bytes(f.weight_bytes)}" + (f" ({f.quantization})" if f.quantization else f" ({dtype})")
    lines = [
        f"Language model: active params {fmt(f.active_params)}; KV cache {fmt(f.kv_cache_bytes_per_token)} B per "
        f"token ({dtype}), {human_bytes(f.kv_cache_bytes)} at batch {report.batch} × context {fmt(f.context)}",
        f"Prefill FLOPs {fmt(f.prefill_flops)} ({scores}); decode FLOPs per token at context {fmt(f.context)}: "
        f"{decode}",
        f"Inference memory: {weights} + buffers + KV cache + peak activations = {human_bytes(f.inference_bytes)}",
    ]
    return lines + list(f.notes)


REPEATED = (
    "params",
    "trainable_params",
    "buffers",
    "macs",
    "flops",
    "activation_size",
    "backward_flops",
    "saved_bytes",
    "bytes_read",
    "bytes_written",
    "param_tensors",
    "count",
)
"""The figures a row standing for N identical blocks holds N times."""


def _blocklike(row: Row) -> bool:
    """Whether a row stands for a block (a module call, a block's use, a composite such as a decoder layer)."""
    from cnncalc.layers.registry import REGISTRY

    kind = REGISTRY.get(row.kind)
    return row.branch or (kind is not None and (kind.block or kind.expand is not None))


def _signature(group: list[Row]) -> tuple:
    base = group[0].level
    return tuple(
        (r.level - base, r.kind, r.output_shape, r.shape_text, *(getattr(r, f) for f in REPEATED)) for r in group
    )


def shown_rows(report: Report, expand: bool = False) -> list[tuple[Row, int]]:
    """The rows a person reads, each with how many identical consecutive blocks it stands for.

    A run of N identical blocks (the 32 decoder layers of a Llama, a stage's repeated
    bottlenecks: same kind, shape and figures, and the same rows below them) is one row
    whose figures are the N together, followed by one block's rows below it; ``expand``
    shows every block. Single layers never collapse, so a hand-written table reads as written.
    """
    rows = list(report.rows)
    out: list[tuple[Row, int]] = []
    i = 0
    while i < len(rows):
        head = rows[i]
        end = i + 1
        while end < len(rows) and rows[end].level > head.level:
            end += 1
        group = rows[i:end]
        count = 1
        if not expand and _blocklike(head):
            sig = _signature(group)
            size = end - i
            while rows[i + count * size : i + (count + 1) * size] and (
                _signature(rows[i + count * size : i + (count + 1) * size]) == sig
            ):
                count += 1
        if count > 1:
            last = rows[i + (count - 1) * len(group)]
            figures = {f: getattr(head, f) * count for f in REPEATED}
            out.append((replace(head, source=_span(head.source, last.source), **figures), count))
            out += [(r, 1) for r in group[1:]]
            i += count * len(group)
        else:
            out.append((head, 1))
            i += 1
    return out


def _span(first: str, last: str) -> str:
    """The sources of a run of blocks: ``model.layers.0–31`` when they differ in a trailing number, else the first's.

    >>> _span("model.layers.0", "model.layers.31"), _span("decoder(32, 11008)", "decoder(32, 11008)")
    ('model.layers.0–31', 'decoder(32, 11008)')
    """
    a, b = first.rstrip("0123456789"), last.rstrip("0123456789")
    if a == b and a != first and b != last:
        return f"{first}–{last[len(b) :]}"
    return first


def tree_names(shown: list[tuple[Row, int]]) -> list[str]:
    """Each shown row's name, drawn under its parent as torchinfo draws a module tree (``├─``, ``└─``), ``× N``.

    >>> from cnncalc.report import Row
    >>> r = lambda name, level: Row(0, name, "k", name, (), (), 0, 0, 0, 0, 0, 0, level=level)
    >>> tree_names([(r("Net", 0), 1), (r("Block", 1), 4), (r("conv", 2), 1), (r("fc", 1), 1)])
    ['Net', '├─Block × 4', '│ └─conv', '└─fc']
    """
    levels = [row.level for row, _ in shown]
    base = min(levels, default=0)
    names = []
    for i, (row, count) in enumerate(shown):
        depth = row.level - base
        suffix = f" × {count}" if count > 1 else ""
        if depth == 0:
            names.append(row.name + suffix)
            continue

        def more(at: int, level: int) -> bool:  # another row at this level before the tree climbs above it
            for later in levels[at + 1 :]:
                if later - base < level:
                    return False
                if later - base == level:
                    return True
            return False

        prefix = "".join("│ " if more(i, lv) else "  " for lv in range(1, depth))
        names.append(prefix + ("├─" if more(i, depth) else "└─") + row.name + suffix)
    return names


def table_cells(
    report: Report, columns: tuple[str, ...], units: str = "raw", expand: bool = False
) -> tuple[list[list[str]], bool]:
    """Every shown row's cells (a tree's names drawn, repeats collapsed unless ``expand``); whether any were."""
    shown = shown_rows(report, expand)
    names = tree_names(shown)
    cells = [
        [
            names[k]
            if col == "name" or (col == "block" and row.kind == "block")
            else cell(report, row, col, units=units)
            for col in columns
        ]
        for k, (row, _) in enumerate(shown)
    ]
    return cells, any(count > 1 for _, count in shown)


def is_chain(report: Report) -> bool:
    """Whether every row reads just the row before it (then the table needs no Node/Reads columns)."""
    previous: str | None = None
    for row in report.rows:
        if row.inputs not in ((), (previous,)):
            return False
        previous = row.node_id
    return True


def columns_for(report: Report, columns: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The columns to show: those asked for, else the front-end's choice, else the default.

    The default, for a network that is not a chain, also shows which node each row is
    and which nodes it reads (Node and Reads, after the layer name).
    """
    if columns:
        return columns
    if report.columns:
        return report.columns
    columns = DEFAULT_COLUMNS
    if is_chain(report):
        return columns
    i = columns.index("name") + 1
    return (*columns[:i], "node_id", "inputs", *columns[i:])
