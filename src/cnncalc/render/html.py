"""HTML for Jupyter (``Report._repr_html_``)."""

from __future__ import annotations

from html import escape

from cnncalc.render import NUMERIC, columns_for, footer_lines, header, parse_units, table_cells, total_cell
from cnncalc.report import Report


def render(report: Report, *, columns: tuple[str, ...] | None = None, units: str = "raw", expand: bool = False) -> str:
    """The table as HTML for Jupyter, counts in ``units`` (see :func:`cnncalc.render.table.render`)."""
    units = parse_units(units)
    columns = columns_for(report, columns)

    def td(text: str, col: str, tag: str = "td") -> str:
        align = "right" if col in NUMERIC else "left"
        return f'<{tag} style="text-align:{align}">{escape(text)}</{tag}>'

    parts = ['<table class="cnncalc">']
    if report.title:
        parts.append(f"<caption>{escape(report.title)}</caption>")
    parts.append(
        "<thead><tr>" + "".join(td(header(c, units, report), c, "th") for c in columns) + "</tr></thead><tbody>"
    )
    cells, collapsed = table_cells(report, columns, units, expand)
    for texts in cells:
        parts.append("<tr>" + "".join(td(t, c) for t, c in zip(texts, columns)) + "</tr>")
    parts.append("</tbody><tfoot><tr>")
    parts.append("".join(td("Total" if c == "name" else total_cell(report, c, units=units), c, "th") for c in columns))
    parts.append("</tr></tfoot></table>")
    parts.append("<p>" + "<br>".join(escape(line) for line in footer_lines(report, collapsed)) + "</p>")
    return "".join(parts)
