"""The window, seen: a convolution's or a pool's kernel sliding along one axis of its padded input, as SVG.

The picture every course draws (the convolution-arithmetic guide's): the input's cells with the padding on
both ends, the kernel's taps at one output position (spaced by the dilation), the stride between positions,
and the output's cells. Every figure comes from the layer's row: its recorded window (kernel, stride,
padding, dilation) and the output size explain prints, so the drawing cannot disagree with the arithmetic.
Positions the formula leaves out are drawn too: the cells no window reaches when the division is floored.

>>> from cnncalc import analyze
>>> a = along(analyze("input(7,7,1) -> conv(1, f=3, s=2, p=1, d=2)"), 2, "W")
>>> a.out, a.taps(0), a.taps(2)  # floor((7 + 2·1 − 2·(3 − 1) − 1)/2) + 1 = 3 windows
(3, (-1, 1, 3), (3, 5, 7))
>>> a.unreached()  # the padded input is −1 … 7: every position is reached
()
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from cnncalc.conventions import axis_names
from cnncalc.errors import ArgumentError
from cnncalc.layers.base import Step, Window, fmt
from cnncalc.report import Report, Row


@dataclass(frozen=True, slots=True)
class Along:
    """One spatial axis of a windowed layer: input size ``n``, its window, and the ``out`` positions it gives.

    Coordinates are the input's: 0 … n−1 are real cells, −pad_begin … −1 and n … n+pad_end−1 the padding.
    ``step`` is the explain line of the output size on this axis.
    """

    layer: int
    name: str
    axis: str
    n: int
    window: Window
    out: int
    step: Step | None

    def taps(self, position: int) -> tuple[int, ...]:
        """The input cells the kernel reads at output ``position``: ``position·s − p_begin + t·d`` for each tap t."""
        w = self.window
        start = position * w.stride - w.pad_begin
        return tuple(start + t * w.dilation for t in range(w.kernel))

    def unreached(self) -> tuple[int, ...]:
        """Cells of the padded input after the last window's last tap: what the floored division leaves out."""
        last = self.taps(self.out - 1)[-1]
        return tuple(range(last + 1, self.n + self.window.pad_end))


def along(report: Report, layer: int, axis: str | None = None) -> Along:
    """The window of row ``layer`` (numbered as the table shows) along ``axis`` (H, W…; default the last)."""
    row = _row(report, layer)
    windows = row.windows
    if not windows:
        raise ArgumentError(
            f"layer {layer} ({row.name}) slides no window: only convolutions and pools can be drawn",
            hint="choose a conv or pool row",
        )
    names = axis_names(len(windows))
    chosen = (axis or names[-1]).upper()
    if chosen not in names:
        raise ArgumentError(f"layer {layer} ({row.name}) has the axes {', '.join(names)}, not '{axis}'")
    i = names.index(chosen)
    source = next((r for r in report.rows if r.node_id == row.inputs[0]), None) if row.inputs else None
    if source is None:
        raise ArgumentError(f"layer {layer} ({row.name}) reads no row of this report, so its input cannot be drawn")
    spatial_in = source.output_shape[-len(windows) :]
    spatial_out = row.output_shape[-len(windows) :]
    step = next((s for s in row.steps if s.quantity == f"output {chosen}"), None)
    return Along(layer, row.name, chosen, spatial_in[i], windows[i], spatial_out[i], step)


def _row(report: Report, layer: int) -> Row:
    if isinstance(layer, bool) or not isinstance(layer, int):
        raise ArgumentError(f"the layer is the row's number in the table (got {layer!r})")
    for row in report.rows:
        if row.index == layer:
            return row
    raise ArgumentError(f"there is no layer {layer}: the table's rows are 1 to {len(report.rows)}")


# ---------------------------------------------------------------- the SVG

CELL_MAX, WIDTH, MIN_WIDTH = 28, 760, 660  # a cell's largest width, the width cells are fitted into, the least


def window_svg(report: Report, layer: int, axis: str | None = None, position: int = 0) -> str:
    """The drawing of row ``layer``'s window along ``axis``, showing output ``position`` (every position is in it).

    Each output position is a group ``<g class="window" data-position="j" data-taps="…">``; the one shown has
    the class ``current`` (the page steps through them by moving that class). Input cells are
    ``<rect class="cell input|pad|unreached" data-i="…">``, output cells ``<rect class="cell output" data-j="…">``.
    """
    a = along(report, layer, axis)
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < a.out:
        raise ArgumentError(f"the output position on {a.axis} is 0 to {a.out - 1} (got {position!r})")
    w = a.window
    first, last = -w.pad_begin, a.n + w.pad_end - 1
    reach = max(last, a.taps(a.out - 1)[-1])  # a ceil_mode window may overhang the padded end
    cells = reach - first + 1
    size = max(4.0, min(CELL_MAX, WIDTH / max(cells, a.out)))
    left, top_in, top_out, height = 20.0, 78.0, 190.0, 280.0
    width = max(MIN_WIDTH, left * 2 + size * max(cells, a.out))
    unreached = set(a.unreached())
    x_in = lambda i: left + (i - first) * size  # noqa: E731 - a coordinate, read where it is used
    out_left = left + (size * cells - size * a.out) / 2 if a.out < cells else left
    x_out = lambda j: out_left + j * size  # noqa: E731

    title = f"layer {a.layer} {a.name}: the window along {a.axis}"
    what = f"kernel {w.kernel}, stride {w.stride}, padding {w.pad_begin}"
    what += f"+{w.pad_end}" if w.pad_end != w.pad_begin else ""
    what += f", dilation {w.dilation}" if w.dilation != 1 else ""
    what += ", ceil_mode" if w.ceil_mode else ""
    formula = str(a.step) if a.step is not None else f"output {a.axis} = {fmt(a.out)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cnncalc-window" viewBox="0 0 {width:.1f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" data-layer="{a.layer}" data-axis="{a.axis}" data-n="{a.n}" '
        f'data-kernel="{w.kernel}" data-stride="{w.stride}" data-pad-begin="{w.pad_begin}" '
        f'data-pad-end="{w.pad_end}" data-dilation="{w.dilation}" data-out="{a.out}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        "<style>.cell{stroke:#555;stroke-width:.5}.input{fill:#fff}.pad{fill:#ddd}.unreached{fill:#f6d3d3}"
        ".overhang{fill:#fff;stroke-dasharray:2 2}.output{fill:#fff}.tap{fill:#0550ae;fill-opacity:.75}"
        ".window{display:none}.window.current{display:inline}"
        ".window .hit{fill:#0550ae;fill-opacity:.3}text{font:12px sans-serif;fill:#222}.axis{font-size:10px}"
        "line{stroke:#0550ae;stroke-width:1}</style>",
        f'<text x="{left}" y="18">{escape(title)}: {escape(what)}</text>',
        f'<text x="{left}" y="36" class="formula">{escape(formula)}</text>',
        f'<text x="{left}" y="{top_in - 8}">input: {a.n} cells'
        + (f", padded by {w.pad_begin} before and {w.pad_end} after" if w.pad_begin or w.pad_end else "")
        + "</text>",
    ]
    for i in range(first, reach + 1):
        cls = "overhang" if i > last else "pad" if i < 0 or i >= a.n else "input"
        cls += " unreached" if i in unreached else ""
        box = f'x="{x_in(i):.1f}" y="{top_in}" width="{size:.1f}" height="{size:.1f}"'
        parts.append(f'<rect class="cell {cls}" data-i="{i}" {box}/>')
        if size >= 16:  # room for the cell's index under it
            parts.append(
                f'<text class="axis" x="{x_in(i) + size / 2:.1f}" y="{top_in + size + 12:.1f}" '
                f'text-anchor="middle">{i}</text>'
            )
    parts.append(f'<text x="{left}" y="{top_out - 8}">output: {a.out} positions</text>')
    for j in range(a.out):
        parts.append(
            f'<rect class="cell output" data-j="{j}" x="{x_out(j):.1f}" y="{top_out}" width="{size:.1f}" '
            f'height="{size:.1f}"/>'
        )
    for j in range(a.out):
        taps = a.taps(j)
        current = " current" if j == position else ""
        group = [
            f'<g class="window{current}" data-position="{j}" data-taps="{",".join(map(str, taps))}">',
            f'<rect class="hit" x="{x_out(j):.1f}" y="{top_out}" width="{size:.1f}" height="{size:.1f}"/>',
        ]
        for t in taps:
            group.append(
                f'<rect class="tap" data-i="{t}" x="{x_in(t):.1f}" y="{top_in}" width="{size:.1f}" '
                f'height="{size:.1f}"/>'
            )
            group.append(
                f'<line x1="{x_in(t) + size / 2:.1f}" y1="{top_in + size:.1f}" x2="{x_out(j) + size / 2:.1f}" '
                f'y2="{top_out:.1f}"/>'
            )
        start = j * w.stride
        group.append(
            f'<text x="{left}" y="{top_out + size + 22:.1f}">position {j}: taps at '
            f"{escape(', '.join(map(str, taps)))} (start {j}·{w.stride} − {w.pad_begin} = {start - w.pad_begin})"
            "</text>"
        )
        group.append("</g>")
        parts += group
    if unreached:
        gone = sorted(unreached)
        cells_text = f"cell {gone[0]} is" if len(gone) == 1 else f"cells {gone[0]}–{gone[-1]} are"
        nxt = a.taps(a.out)
        parts.append(
            f'<text x="{left}" y="{top_out + size + 42:.1f}" class="floor">{cells_text} in no window: position '
            f"{a.out} would read {nxt[0]}–{nxt[-1]}, past the last cell {last} (the division is floored)</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
