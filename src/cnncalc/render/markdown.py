"""A Markdown (pipe) table with the totals row and the convention below."""

from __future__ import annotations

from cnncalc.render import NUMERIC, columns_for, footer_lines, header, parse_units, table_cells, total_cell
from cnncalc.report import Report


def render(report: Report, *, columns: tuple[str, ...] | None = None, units: str = "raw", expand: bool = False) -> str:
    """The table in Markdown, counts in ``units`` (see :func:`cnncalc.render.table.render`)."""
    units = parse_units(units)
    columns = columns_for(report, columns)
    head = "| " + " | ".join(header(c, units, report) for c in columns) + " |"
    rule = "|" + "|".join("---:" if c in NUMERIC else "---" for c in columns) + "|"
    lines = [f"### {report.title}", ""] if report.title else []
    lines += [head, rule]
    cells, collapsed = table_cells(report, columns, units, expand)
    for texts in cells:
        lines.append("| " + " | ".join(t.replace("|", "\\|") for t in texts) + " |")
    totals = ["Total" if c == "name" else total_cell(report, c, units=units) for c in columns]
    totals = [f"**{t}**" if t else "" for t in totals]
    lines.append("| " + " | ".join(totals) + " |")
    lines.append("")
    lines += [f"{line}  " for line in footer_lines(report, collapsed, markdown=True)]
    if report.parallel is not None:
        from cnncalc.render.ranks import markdown_table

        lines += markdown_table(report)
    return "\n".join(lines) + "\n"
