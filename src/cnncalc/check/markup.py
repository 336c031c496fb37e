"""Tables written in markup: an HTML ``<table>`` and a LaTeX ``tabular``, as exercises are handed out.

A student may fill the exercise in the format it came in (``cnncalc quiz --format html`` or ``latex``);
these readers give its headers and rows as cell text, for :mod:`cnncalc.check.read` to grade like any
other table.

>>> html_table("<table><tr><th>Layer</th><th>Params</th></tr><tr><td>conv(8, f=5)</td><td>608</td></tr></table>")
(['Layer', 'Params'], [['conv(8, f=5)', '608']])
>>> latex_table(r"\\begin{tabular}{lr} \\textbf{Layer} & Params \\\\ \\hline conv & 62{,}958 \\\\ \\end{tabular}")
(['Layer', 'Params'], [['conv', '62,958']])
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from cnncalc.errors import SpecError

TABULAR = re.compile(r"\\begin\{tabular\}(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})?(?P<body>.*?)\\end\{tabular\}", re.DOTALL)
LATEX_ESCAPES = {r"\_": "_", r"\&": "&", r"\%": "%", r"\#": "#", r"\$": "$", r"\{": "{", r"\}": "}", "{,}": ","}


class _Cells(HTMLParser):
    """Rows of cell text from the first ``<table>`` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.header: list[bool] = []
        self.cell: list[str] | None = None
        self.tables = 0
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "table":
            self.tables += 1
        elif tag == "tr" and self.tables:
            self.rows.append([])
            self.header.append(True)
        elif tag in ("td", "th") and self.rows:
            self.cell = []
            if tag == "td":
                self.header[-1] = False

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.tables:
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_table(text: str) -> tuple[list[str], list[list[str]]] | None:
    """The first HTML table's headers (its first row) and data rows, or None when the text holds no table."""
    if "<table" not in text.lower():
        return None
    parser = _Cells()
    parser.feed(text)
    rows = [r for r in parser.rows if r]
    if not rows:
        raise SpecError("the HTML table has no rows with cells (<tr><td>…</td></tr>)")
    return rows[0], rows[1:]


def _latex_cell(cell: str) -> str:
    text = re.sub(r"\\(?:textbf|textit|emph|text|mathrm)\{([^{}]*)\}", r"\1", cell)
    for escaped, plain in LATEX_ESCAPES.items():
        text = text.replace(escaped, plain)
    text = text.replace("$", "").replace(r"\times", "x").replace("~", " ")
    return " ".join(unescape(text).split())


def latex_table(text: str) -> tuple[list[str], list[list[str]]] | None:
    """The first ``tabular``'s headers (its first row) and data rows, or None when the text holds none."""
    m = TABULAR.search(text)
    if m is None:
        return None
    body = re.sub(r"(?<!\\)%.*", "", m.group("body"))  # comments
    body = re.sub(r"\\(?:hline|toprule|midrule|bottomrule|cline\{[^}]*\})", " ", body)
    rows = []
    for line in re.split(r"\\\\", body):
        if not line.strip():
            continue
        rows.append([_latex_cell(c) for c in re.split(r"(?<!\\)&", line)])
    if not rows:
        raise SpecError("the LaTeX tabular has no rows (cells separated by &, rows ended by \\\\)")
    return rows[0], rows[1:]
