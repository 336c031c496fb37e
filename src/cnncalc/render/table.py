"""The terminal table, drawn with rich."""

from __future__ import annotations

import io

from cnncalc.render import HEADERS, NUMERIC, cell, columns_for, footer_lines, total_cell
from cnncalc.report import Report


def render(report: Report, *, width: int | None = None, columns: tuple[str, ...] | None = None) -> str:
    """The report as a box-drawn table with totals in the footer and the convention below."""
    from rich.console import Console
    from rich.table import Table

    columns = columns_for(report, columns)
    table = Table(title=report.title or None, show_footer=True, header_style="bold", footer_style="bold")
    for col in columns:
        footer = "Total" if col == "name" else total_cell(report, col)
        if col == "index":
            footer = ""
        table.add_column(HEADERS[col], justify="right" if col in NUMERIC else "left", footer=footer)
    for row in report.rows:
        table.add_row(*(cell(report, row, col) for col in columns))
    out = io.StringIO()
    console = Console(file=out, width=width or 120, color_system=None, force_terminal=False, soft_wrap=False)
    console.print(table)
    for line in footer_lines(report):
        console.print(line, highlight=False, markup=False)
    return out.getvalue()
