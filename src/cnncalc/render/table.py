"""The terminal table, drawn with rich."""

from __future__ import annotations

import io

from cnncalc.render import HEADERS, NUMERIC, cell, columns_for, footer_lines, total_cell
from cnncalc.report import Report

# Plain text for pipes and files: columns lined up with spaces, ASCII rules under the header and above the totals.
PLAIN = (
    "    \n"  # top edge
    "    \n"  # header row
    " -- \n"  # under the header
    "    \n"  # between rows (not drawn)
    "    \n"  # a row
    " -- \n"  # above the footer
    "    \n"  # footer row
    "    \n"  # bottom edge
)


def render(
    report: Report, *, width: int | None = None, columns: tuple[str, ...] | None = None, box: bool = True
) -> str:
    """The report as a table with totals in the footer and the convention below: box-drawn, or plain text.

    Numbers are never wrapped or cut (``940,8…`` would be a wrong number): when
    the table is wider than ``width``, names, shapes and headers wrap at spaces
    (a shape after its commas), and if even that does not fit, the table is drawn
    wider than asked. ``box=False`` draws no box, only ASCII rules, for a pipe or a file.
    """
    from rich import box as boxes
    from rich.console import Console
    from rich.table import Table

    columns = columns_for(report, columns)
    rows = [[cell(report, row, col) for col in columns] for row in report.rows]
    footers = ["" if col == "index" else "Total" if col == "name" else total_cell(report, col) for col in columns]
    texts = [[HEADERS[col], footers[i], *(r[i] for r in rows)] for i, col in enumerate(columns)]
    natural = [max(len(t) for t in column) for column in texts]
    longest_word = [max(len(w) for t in column for w in (t.split() or [""])) for column in texts]
    asked = width or 120
    widths: list[int | None] = [None] * len(columns)
    overhead = 3 * len(columns) + 1  # a space either side of each cell, and the borders
    if sum(natural) + overhead > asked:
        # every column starts at its longest word (a number is one word, never cut); text columns share the rest
        widths = list(longest_word)
        spare = asked - overhead - sum(widths)
        for i, col in enumerate(columns):
            if col not in NUMERIC and spare > 0:
                grow = min(spare, natural[i] - longest_word[i])
                widths[i] += grow  # type: ignore[operator]
                spare -= grow
        asked = max(asked, sum(widths) + overhead)  # type: ignore[arg-type]

    style = boxes.HEAVY_HEAD if box else boxes.Box(PLAIN, ascii=True)
    table = Table(
        title=report.title or None,
        show_footer=True,
        header_style="bold",
        footer_style="bold",
        box=style,
        show_edge=box,
    )
    for i, col in enumerate(columns):
        table.add_column(
            HEADERS[col],
            justify="right" if col in NUMERIC else "left",
            footer=footers[i],
            width=widths[i],
            overflow="fold",
        )
    for r in rows:
        table.add_row(*r)
    out = io.StringIO()
    console = Console(file=out, width=asked, color_system=None, force_terminal=False, soft_wrap=False)
    console.print(table)
    for line in footer_lines(report):
        console.print(line, highlight=False, markup=False)
    return out.getvalue()
