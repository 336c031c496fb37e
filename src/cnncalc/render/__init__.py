"""Renderers: functions from a Report to text. Nothing below them prints."""

from __future__ import annotations

from cnncalc.conventions import CONVENTION_NOTES
from cnncalc.layers.base import fmt
from cnncalc.report import Report, Row

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
    "source": "Source",
}
DEFAULT_COLUMNS = ("index", "name", "output_shape", "activation_size", "params", "macs", "flops")
NUMERIC = {"index", "activation_size", "params", "trainable_params", "buffers", "macs", "flops"}


def shape_text(report: Report, row: Row) -> str:
    """``(28, 28, 8)`` in hwc; ``[-1, 8, 28, 28]`` style is left to front-ends that show a batch axis."""
    if row.shape_text:
        return row.shape_text
    shape = report.shown_shape(row)
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def cell(report: Report, row: Row, column: str, *, grouped: bool = True) -> str:
    """One cell as text: thousands separators when ``grouped``, exact integers otherwise."""
    if column == "output_shape":
        return shape_text(report, row)
    value = getattr(row, column)
    if column in NUMERIC and isinstance(value, int):
        return fmt(value) if grouped else str(value)
    return str(value)


def total_cell(report: Report, column: str, *, grouped: bool = True) -> str:
    t = report.totals
    value = {
        "activation_size": t.activation_size,
        "params": t.params,
        "trainable_params": t.trainable_params,
        "buffers": t.buffers,
        "macs": t.macs,
        "flops": t.flops,
    }.get(column)
    if value is None:
        return ""
    return fmt(value) if grouped else str(value)


def footer_lines(report: Report) -> list[str]:
    """The totals and conventions every human-readable renderer prints under the table."""
    t = report.totals
    lines = [
        f"Total params: {fmt(t.params)} (trainable {fmt(t.trainable_params)}, "
        f"non-trainable {fmt(t.non_trainable_params)}); buffers: {fmt(t.buffers)}",
        f"Total MACs: {fmt(t.macs)}; FLOPs: {fmt(t.flops)}",
        f"FLOPs convention: {report.convention.value} — {CONVENTION_NOTES[report.convention]}",
        f"Shapes: {report.layout.value}, batch {report.batch}"
        + ("; activation sizes, MACs and FLOPs are for the whole batch" if report.batch > 1 else ""),
    ]
    lines += list(report.notes)
    if report.uncounted_ops:
        listed = "; ".join(
            f"{op.name} ×{op.calls} (in {', '.join(op.modules[:3])}{', …' if len(op.modules) > 3 else ''})"
            for op in report.uncounted_ops
        )
        lines.append(f"Uncounted ops (no counting rule; not in MACs or FLOPs): {listed}")
    return lines
