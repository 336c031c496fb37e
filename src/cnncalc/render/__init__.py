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
    "rf": "RF",
    "rf_jump": "RF jump",
    "rf_start": "RF start",
    "bytes_read": "Bytes read",
    "bytes_written": "Bytes written",
    "intensity": "FLOPs/byte",
    "source": "Source",
    "node_id": "Node",
    "inputs": "Reads",
}
DEFAULT_COLUMNS = ("index", "name", "output_shape", "activation_size", "params", "macs", "flops")
NUMERIC = {"index", "activation_size", "params", "trainable_params", "buffers", "macs", "flops"}
NUMERIC |= {"rf", "rf_jump", "rf_start", "bytes_read", "bytes_written", "intensity"}


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    """``--columns name,output_shape,params,rf`` as a tuple of column names, or a SpecError naming the choices."""
    from cnncalc.errors import SpecError

    if text is None or not text.strip():
        return None
    names = tuple(c.strip().lower() for c in text.split(",") if c.strip())
    unknown = [c for c in names if c not in HEADERS]
    if unknown:
        raise SpecError(f"unknown column {unknown[0]!r} (choose from {', '.join(HEADERS)})")
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
    """``(28, 28, 8)`` in hwc; ``[-1, 8, 28, 28]`` style is left to front-ends that show a batch axis."""
    if row.shape_text:
        return row.shape_text
    shape = report.shown_shape(row)
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def cell(report: Report, row: Row, column: str, *, grouped: bool = True) -> str:
    """One cell as text: thousands separators when ``grouped``, exact integers otherwise."""
    if column == "inputs":
        return ", ".join(row.inputs)
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
    m = report.memory
    if m is not None:
        train = ", ".join(f"{name} {human_bytes(v)}" for name, v in m.training_bytes)
        lines.append(
            f"Memory ({m.dtype}, {m.bytes_per_element} B/element): params {human_bytes(m.param_bytes)}, "
            f"buffers {human_bytes(m.buffer_bytes)}, activations {human_bytes(m.activation_bytes)}, "
            f"peak inference activations {human_bytes(m.peak_activation_bytes)}"
        )
        lines.append(f"Training estimate (params + grads + optimizer state + activations): {train}")
    if report.llm is not None:
        lines += llm_lines(report)
    lines += list(report.notes)
    if report.uncounted_ops:
        listed = "; ".join(
            f"{op.name} ×{op.calls} (in {', '.join(op.modules[:3])}{', …' if len(op.modules) > 3 else ''})"
            for op in report.uncounted_ops
        )
        lines.append(f"Uncounted ops (no counting rule; not in MACs or FLOPs): {listed}")
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
