"""A Markdown (pipe) table with the totals row and the convention below."""

from __future__ import annotations

from cnncalc.render import HEADERS, NUMERIC, cell, columns_for, footer_lines, total_cell
from cnncalc.report import Report


def render(report: Report, *, columns: tuple[str, ...] | None = None) -> str:
    columns = columns_for(report, columns)
    head = "| " + " | ".join(HEADERS[c] for c in columns) + " |"
    rule = "|" + "|".join("---:" if c in NUMERIC else "---" for c in columns) + "|"
    lines = [f"### {report.title}", ""] if report.title else []
    lines += [head, rule]
    for row in report.rows:
        lines.append("| " + " | ".join(cell(report, row, c).replace("|", "\\|") for c in columns) + " |")
    totals = ["Total" if c == "name" else total_cell(report, c) for c in columns]
    totals = [f"**{t}**" if t else "" for t in totals]
    lines.append("| " + " | ".join(totals) + " |")
    lines.append("")
    lines += [f"{line}  " for line in footer_lines(report, markdown=True)]
    if report.parallel is not None:
        from cnncalc.render.ranks import markdown_table

        lines += markdown_table(report)
    return "\n".join(lines) + "\n"
