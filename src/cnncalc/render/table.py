"""The terminal table: box-drawn or plain text, with the footer lines under it.

The table is drawn here, line by line, as rich draws it; rich itself is imported only for
what needs its layout engine (a table too wide for the width, a footer line to wrap at a
character that is not one cell wide, a title too long for its line, text rich reads as
markup or emoji). A summary in a pipe thus imports neither rich's console nor its table.
tests/test_render.py holds the two drawings to each other, character for character.
"""

from __future__ import annotations

import io
import re

from cnncalc.render import NUMERIC, columns_for, footer_lines, header, total_cell
from cnncalc.report import Report

# The eight lines of a box as rich writes them: top edge; header row (left, vertical, right);
# under the header; a row; between rows (not drawn); above the footer; footer row; bottom edge.
# Plain text for pipes and files: columns lined up with spaces, ASCII rules under the header and above the totals.
PLAIN = (
    "    \n"  # top edge
    "    \n"  # header row
    " -- \n"  # under the header
    "    \n"  # a row
    "    \n"  # between rows (not drawn)
    " -- \n"  # above the footer
    "    \n"  # footer row
    "    \n"  # bottom edge
)
HEAVY_HEAD = (  # rich.box.HEAVY_HEAD
    "┏━┳┓\n┃ ┃┃\n┡━╇┩\n│ ││\n├─┼┤\n├─┼┤\n│ ││\n└─┴┘\n"
)

# Characters rich measures as one cell and prints as they are: ASCII, Latin-1 and the Latin,
# Greek and Cyrillic blocks rich takes as one cell wide without looking them up, and the
# punctuation cnncalc writes (– — … → ≈ ≤ ≥ −). Text with anything else is left to rich.
ONE_CELL = re.compile(r"[ -~\u00a0-\u00ac\u00ae-\u02ff\u0370-\u0482\u2013\u2014\u2026\u2192\u2212\u2248\u2264\u2265]*")
# What rich would read as markup (a tag, or an escaped bracket) or as an emoji code (:smile:).
MARKUP = re.compile(r"\\|\[[a-z#/@]")
EMOJI = re.compile(r":\S*:")
WORD = re.compile(r"\s*\S+\s*")  # rich's word: the word and the spaces after it


def render(
    report: Report,
    *,
    width: int | None = None,
    columns: tuple[str, ...] | None = None,
    box: bool = True,
    units: str = "raw",
    expand: bool = False,
) -> str:
    """The report as a table with totals in the footer and the convention below: box-drawn, or plain text.

    Numbers are never wrapped or cut (``940,8…`` would be a wrong number): when
    the table is wider than ``width``, names, shapes and headers wrap at spaces
    (a shape after its commas), and if even that does not fit, the table is drawn
    wider than asked. With no ``width`` (a pipe, a file, a notebook) the table is
    drawn whole, and the lines below it wrap at 120 or the table's width.
    ``box=False`` draws no box, only ASCII rules, for a pipe or a file, and leaves every line under the
    table whole (one line a fact, for grep). ``units`` shows counts exactly (``raw``), each in its own
    unit (``auto``: ``25.6 M``) or all in one (``k``, ``M``, ``G``, ``T``; the header names it). A tree's
    rows are drawn under their parents; identical consecutive blocks are one row ``× N`` unless ``expand``.
    """
    from cnncalc.render import parse_units, table_cells

    units = parse_units(units)
    columns = columns_for(report, columns)
    rows, collapsed = table_cells(report, columns, units, expand)
    footers = [
        "" if col == "index" else "Total" if col == "name" else total_cell(report, col, units=units) for col in columns
    ]
    headers = [header(col, units, report) for col in columns]
    texts = [[headers[i], footers[i], *(r[i] for r in rows)] for i, col in enumerate(columns)]
    natural = [max(len(t) for t in column) for column in texts]
    longest_word = [max(len(w) for t in column for w in (t.split() or [""])) for column in texts]
    widths: list[int | None] = [None] * len(columns)
    overhead = 3 * len(columns) + 1  # a space either side of each cell, and the borders
    asked = width or max(120, sum(natural) + overhead)
    lines = footer_lines(report, collapsed)
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
    else:
        drawn = draw(report.title, columns, texts, natural, lines, asked, box)
        if drawn is not None:
            return drawn
    return draw_with_rich(report.title, columns, headers, rows, footers, widths, lines, asked, box)


def plain_text(text: str) -> bool:
    """Whether rich would print ``text`` as it is, one cell a character: no markup, emoji code or wide character."""
    return (
        ONE_CELL.fullmatch(text) is not None
        and text == text.strip()
        and not ("[" in text and MARKUP.search(text))
        and not (":" in text and EMOJI.search(text))
    )


def draw(
    title: str,
    columns: tuple[str, ...],
    texts: list[list[str]],
    natural: list[int],
    lines: list[str],
    width: int,
    box: bool,
) -> str | None:
    """The table as rich draws it when every column has its natural width, or None to leave it to rich.

    ``texts`` holds each column's header, footer and cells; ``lines`` go under the table, wrapped at ``width``.
    """
    if len(texts[0]) < 3 or not all(plain_text(t) for column in texts for t in column):
        return None
    edges = box  # a box has its edges drawn; plain text has none
    b = (HEAVY_HEAD if box else PLAIN).splitlines()
    cells = [w + 2 for w in natural]  # a space either side
    total = sum(cells) + len(cells) - 1 + (2 if edges else 0)
    if title and (not plain_text(title) or len(title) > total):
        return None
    out: list[str] = []
    if title:
        pad = (total - len(title)) // 2
        out.append(" " * pad + title + " " * (total - len(title) - pad))

    def rule(chars: str) -> str:
        inner = chars[2].join(chars[1] * w for w in cells)
        return chars[0] + inner + chars[3] if edges else inner

    def row(chars: str, i: int) -> str:
        parts = []
        for c, column in enumerate(texts):
            text = column[i]
            if columns[c] in NUMERIC:
                parts.append(" " + text.rjust(natural[c]) + " ")
            else:
                parts.append(" " + text.ljust(natural[c]) + " ")
        inner = chars[2].join(parts)
        return chars[0] + inner + chars[3] if edges else inner

    if edges:
        out.append(rule(b[0]))
    out.append(row(b[1], 0))
    out.append(rule(b[2]))
    out.extend(row(b[3], i) for i in range(2, len(texts[0])))
    out.append(rule(b[5]))
    out.append(row(b[6], 1))
    if edges:
        out.append(rule(b[7]))
    out += under(lines, width, box)
    return "\n".join(out) + "\n"


PHRASE_END = re.compile(r"(?:; |, | — )")


def phrases(line: str) -> list[str]:
    """``line`` cut after each ``; ``, ``, `` and `` — `` outside brackets: the pieces a footer line may wrap between.

    >>> phrases("Total params: 608 (608, 2.4 KiB at float32); trainable 608, non-trainable 0")
    ['Total params: 608 (608, 2.4 KiB at float32); ', 'trainable 608, ', 'non-trainable 0']
    """
    pieces: list[str] = []
    depth = start = 0
    for i, ch in enumerate(line):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0 and (m := PHRASE_END.match(line, i)) is not None and m.start() == i:
            end = m.end()
            pieces.append(line[start:end])
            start = end
    pieces.append(line[start:])
    return [p for p in pieces if p]


def wrap_phrases(line: str, width: int, indent: str = "  ") -> list[str]:
    """A footer line wrapped between its phrases (see :func:`phrases`), its later lines indented.

    Only a phrase longer than the whole width is broken inside, at spaces, as :func:`wrap` breaks a line.

    >>> wrap_phrases("Memory: params 245.9 KiB, buffers 0 B, activations 51.3 KiB", 40)
    ['Memory: params 245.9 KiB, buffers 0 B,', '  activations 51.3 KiB']
    """
    measure = len if plain_text(line) else _cells
    if measure(line) <= width:
        return [line]
    pieces: list[str] = []
    room = max(width - len(indent), 1)
    for phrase in phrases(line):
        if measure(phrase.rstrip()) > room:
            pieces += [w.group() for w in WORD.finditer(phrase)]
        else:
            pieces.append(phrase)
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current.strip() and measure((current + piece).rstrip()) > width:
            out.append(current.rstrip())
            current = indent + piece.lstrip()
        else:
            current += piece
        while measure(current.rstrip()) > width:  # one word wider than the line: cut it
            cut = _cut(current, width, measure)
            out.append(current[:cut])
            current = indent + current[cut:]
    if current.strip():
        out.append(current.rstrip())
    return out


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _cut(text: str, width: int, measure) -> int:  # noqa: ANN001 - len or cell_len
    """Where to cut ``text`` so the first part fits ``width`` cells (at least one character)."""
    cut = len(text)
    while cut > 1 and measure(text[:cut]) > width:
        cut -= 1
    return cut


def under(lines: list[str], width: int, box: bool) -> list[str]:
    """The lines under the table: each whole in plain text (a pipe or a file), else wrapped between phrases."""
    if not box:
        return list(lines)
    return [piece for line in lines for piece in wrap_phrases(line, width)]


def wrap(line: str, width: int) -> list[str]:
    """``line`` wrapped at ``width`` as rich wraps a printed line (one cell a character).

    A word goes to the next line when it does not fit on this one, its spaces after it kept
    as far as the width; a word longer than the width is cut into pieces of the width.
    """
    if len(line) <= width:
        return [line]
    breaks: list[int] = []
    offset = 0
    for match in WORD.finditer(line):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for n, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if n == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    out = []
    for a, b in zip([0, *breaks], [*breaks, len(line)]):
        piece = line[a:b]
        if len(piece) > width:  # spaces past the width are dropped, as many as are over
            stripped = piece.rstrip()
            piece = piece[: max(len(stripped), width)]
        out.append(piece[:width])
    return out


def draw_with_rich(
    title: str,
    columns: tuple[str, ...],
    headers: list[str],
    rows: list[list[str]],
    footers: list[str],
    widths: list[int | None],
    lines: list[str],
    width: int,
    box: bool,
) -> str:
    """The table drawn by rich: columns at ``widths`` (None: natural), text wrapped to fit, as rich lays it out."""
    from rich import box as boxes
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=title or None,
        show_footer=True,
        header_style="bold",
        footer_style="bold",
        box=boxes.HEAVY_HEAD if box else boxes.Box(PLAIN, ascii=True),
        show_edge=box,
    )
    for i, col in enumerate(columns):
        table.add_column(
            headers[i],
            justify="right" if col in NUMERIC else "left",
            footer=footers[i],
            width=widths[i],
            overflow="fold",
        )
    for r in rows:
        table.add_row(*r)
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False, soft_wrap=False)
    console.print(table)
    below = under(lines, width, box)
    return out.getvalue() + "".join(line + "\n" for line in below)
