"""A Markdown (pipe) table with the totals row and the convention below."""

from __future__ import annotations

from cnncalc.render import NUMERIC, cell, columns_for, footer_lines, header, parse_units, total_cell
from cnncalc.report import Report


def render(report: Report, *, columns: tuple[str, ...] | None = None, units: str = "raw") -> str:
    """The table in Markdown, counts in ``units`` (see :func:`cnncalc.render.table.render`)."""
    units = parse_units(units)
    columns = columns_for(report, columns)
    head = "| " + " | ".join(header(c, units) for c in columns) + " |"
    rule = "|" + "|".join("---:" if c in NUMERIC else "---" for c in columns) + "|"
    lines = [f"### {report.title}", ""] if report.title else []
    lines += [head, rule]
    for row in report.rows:
        lines.append("| " + " | ".join(cell(report, row, c, units=units).replace("|", "\\|") for c in columns) + " |")
    totals = ["Total" if c == "name" else total_cell(report, c, units=units) for c in columns]
    totals = [f"**{t}**" if t else "" for t in totals]
    lines.append("| " + " | ".join(totals) + " |")
    lines.append("")
    lines += [f"{line}  " for line in footer_lines(report, markdown=True)]
    if report.parallel is not None:
        from cnncalc.render.ranks import markdown_table

        lines += markdown_table(report)
    return "\n".join(lines) + "\n"
