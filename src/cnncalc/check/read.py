"""Reading a hand-made table as people paste it, into headers and rows of cell text.

The format is told by the text itself:

- a box-drawn table: Keras 3's ``model.summary()``, any rich table, cnncalc's own;
- Markdown, with or without the outer pipes;
- a space-aligned printout: Keras 2's ``model.summary()``, torchsummary's ``summary()``;
- CSV separated by commas, semicolons (decimal-comma spreadsheets) or tabs.

A UTF-8 byte order mark is dropped; ``Total params: N`` lines, wherever they stand,
are kept for grading against the totals. A row with more cells than the header is an
error naming the row and the cell; a shorter one is read and noted, never dropped.

>>> t = read_table("Layer;Output shape;Params\\nconv;(28, 28, 8);608\\n")
>>> (t.source, t.headers, t.rows)
('semicolon CSV', ['Layer', 'Output shape', 'Params'], [['conv', '(28, 28, 8)', '608']])
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from cnncalc.errors import SpecError
from cnncalc.written import listed, quoted

TOTAL_LINE = re.compile(
    r"^\s*(?P<what>total|trainable|non-trainable)\s+params\s*:\s*(?P<n>.+?)\s*(\([^)]*\))?\s*$", re.IGNORECASE
)
MODEL_LINE = re.compile(r'^\s*Model:\s*"[^"]*"\s*$')  # Keras prints the model's name above its summary
COMMENT = re.compile(r"#(?![,;\t|])")  # '# Seed 001 ...' is a comment, '#,Layer,Params' a header
RULE = re.compile(r"^\s*([=_\-─━])\1{7,}\s*$")  # ====, ____, ---- lines in printouts
MD_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
BOX_BARS = "│┃║"
BOX_SPLIT = re.compile(f"[{BOX_BARS}]")
KERAS_SHAPE = re.compile(r"^\s*\[?\(None,")  # Keras writes the batch axis None: (None, 26, 26, 32)
LINES_PER_ROW = 10  # a printout's row takes at most this many lines (its cells wrapped, a rule between rows)
WIDE_GAP = re.compile(r"\S+(?: \S+)*")  # a printout's cells are separated by two spaces or more


@dataclass
class Table:
    """A table as read: headers, data rows (cells as text), ``Total params``-style lines, and how it was read.

    ``source`` names the format found (``CSV``, ``semicolon CSV``, ``TSV``, ``Markdown``, ``box-drawn``,
    ``Keras summary``, ``torchsummary``); ``keras`` is set when the table is a Keras ``model.summary()``
    (its ``Model: "..."`` line, or shapes written ``(None, ...)``); ``notes`` say what was read in a way
    the student should know (a short row); ``decimal_comma`` that numbers may be written ``1.197.476``.
    """

    headers: list[str]
    rows: list[list[str]]
    total_lines: list[tuple[str, str]] = field(default_factory=list)
    source: str = "CSV"
    keras: bool = False
    notes: list[str] = field(default_factory=list)
    decimal_comma: bool = False


def read_table(text: str) -> Table:
    """A table from text in any of the formats above, or a SpecError saying why none reads."""
    from cnncalc.limits import guard, value

    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    cap = value("check_rows")
    count = text.count("\n") + 1  # a row takes a line, or a few where a printout wraps its cells
    if count > LINES_PER_ROW * cap:
        guard(
            "check_rows",
            count // LINES_PER_ROW,
            f"the table has {count:,} lines, room for {count // LINES_PER_ROW:,} rows or more",
        )
    lines = text.split("\n")
    totals: list[tuple[str, str]] = []
    kept: list[str | None] = []  # a total line is replaced by None: it ends a printout's body
    for line in lines:
        bare = line.strip().strip("|").strip()
        m = TOTAL_LINE.match(bare)
        if m and line.count("|") <= 1 and "\t" not in line and not BOX_SPLIT.search(line):
            # "34,826 (136.04 KB)" (Keras), "62,958 (trainable 62,958, non-trainable 0); buffers: 0" (cnncalc)
            totals.append((m.group("what").lower(), re.split(r"[(;]", m.group("n"))[0].strip()))
            kept.append(None)
        else:
            kept.append(line)
    table = _read_markup(text) or _read_box(kept) or _read_markdown(kept) or _read_aligned(kept)
    table = table or _read_delimited(kept)
    table.total_lines = totals
    keras_shapes = any(KERAS_SHAPE.match(c) for r in table.rows for c in r)
    table.keras = keras_shapes or any(line is not None and MODEL_LINE.match(line) for line in kept)
    if table.keras and table.source in ("box-drawn", "printout"):
        table.source = "Keras summary"
    _check_widths(table)
    guard("check_rows", len(table.rows), f"the table has {len(table.rows):,} rows")
    return table


# ---------------------------------------------------------------- HTML and LaTeX (exercises handed out)


def _read_markup(text: str) -> Table | None:
    """An HTML ``<table>`` or a LaTeX ``tabular`` (see :mod:`cnncalc.check.markup`)."""
    from cnncalc.check.markup import html_table, latex_table

    for source, reader in (("HTML", html_table), ("LaTeX", latex_table)):
        found = reader(text)
        if found is not None:
            headers, rows = found
            return Table(headers, rows, source=source)
    return None


# ---------------------------------------------------------------- box-drawn (Keras 3, rich)


def _is_box_rule(line: str) -> bool:
    s = line.strip()
    return bool(s) and all(0x2500 <= ord(ch) <= 0x257F or ch == " " for ch in s) and not BOX_SPLIT.search(s)


def _read_box(lines: list[str | None]) -> Table | None:
    """A table drawn with box characters: cells between vertical bars, rows between rules (or wrapped lines)."""
    content = [i for i, ln in enumerate(lines) if ln is not None and len(BOX_SPLIT.findall(ln)) >= 2]
    if not content:
        return None
    first, last = content[0], content[-1]
    block: list[tuple[str, str]] = []  # ("rule", "") or ("row", line)
    for line in lines[first : last + 1]:
        if line is None or not line.strip():
            continue
        if _is_box_rule(line):
            block.append(("rule", ""))
        elif len(BOX_SPLIT.findall(line)) >= 2:
            block.append(("row", line))
    rule_at = next((i for i, (k, _) in enumerate(block) if k == "rule"), None)
    if rule_at is None or rule_at == 0:  # no rule under the header: its first line is the header
        header_lines, body = [block[0][1]], block[1:]
    else:
        header_lines, body = [ln for _, ln in block[:rule_at]], block[rule_at + 1 :]
    headers = _join_lines([_box_cells(ln) for ln in header_lines])
    rules_inside = sum(k == "rule" for k, _ in body[:-1])
    one_row_per_block = rules_inside >= 2  # rich's show_lines, as Keras 3 draws its summary
    numeric = [i for i, h in enumerate(headers) if _numeric_header(h)]
    rows: list[list[str]] = []
    group: list[list[str]] = []
    for kind, line in [*body, ("rule", "")]:
        if kind == "rule":
            if group:
                rows += _group_rows(group, numeric, one_row_per_block)
            group = []
            continue
        group.append(_box_cells(line))
    width = len(headers)
    rows = [r[:width] + [""] * (width - len(r)) for r in rows]
    return Table(headers, rows, source="box-drawn")


def _box_cells(line: str) -> list[str]:
    """The cells of one drawn line, each with its padding (so a cell's width is known)."""
    parts = BOX_SPLIT.split(line)
    return parts[1:-1] if len(parts) > 2 else parts


def _group_rows(group: list[list[str]], numeric: list[int], one_row: bool) -> list[list[str]]:
    """Lines drawn between two rules as rows: one row, or a new row at each line that holds a number."""
    if one_row or not numeric:
        return [_join_lines(group)] if one_row else [[c.strip() for c in g] for g in group]
    rows: list[list[list[str]]] = []
    for cells in group:
        starts = any(i < len(cells) and cells[i].strip() for i in numeric)
        if starts or not rows:
            rows.append([cells])
        else:
            rows[-1].append(cells)
    return [_join_lines(r) for r in rows]


def _join_lines(lines: list[list[str]]) -> list[str]:
    """One row from the lines a cell was wrapped over: words rejoined with a space, a word cut at the edge without.

    A fragment that fills its cell to the edge, followed by one that starts with a digit or a closing
    bracket, was cut mid-word (``batch_normalization_1`` / ``2``, ``(None, 128, 1`` / ``28, 64)``);
    ``Activation`` / ``size`` filling its cell is two words.
    """
    width = max(len(c) for c in lines)
    out: list[str] = []
    for col in range(width):
        text = ""
        previous_full = False
        for cells in lines:
            raw = cells[col] if col < len(cells) else ""
            piece = raw.strip()
            if not piece:
                continue
            cut = previous_full and (piece[0].isdigit() or piece[0] in ")]},")
            text = piece if not text else text + ("" if cut else " ") + piece
            previous_full = len(raw.rstrip()) >= len(raw) - 1  # only the right-hand padding space is left
        out.append(text)
    return out


def _numeric_header(header: str) -> bool:
    from cnncalc.check.columns import classify

    return classify(header) in ("params", "flops", "macs", "activation_size") or header.strip() in ("#", "Param #")


# ---------------------------------------------------------------- Markdown


def split_markdown(line: str) -> list[str]:
    """The cells of a Markdown table line, with or without the outer pipes; ``\\|`` is a pipe inside a cell."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", s)]


def _read_markdown(lines: list[str | None]) -> Table | None:
    """The first Markdown table: the line above a ``---|---`` row is its header, the lines below it its rows."""
    at = next((i for i, ln in enumerate(lines) if ln is not None and i > 0 and MD_DELIMITER.match(ln)), None)
    if at is None:
        return None
    header_at = at - 1
    while header_at >= 0 and (lines[header_at] is None or not lines[header_at].strip()):  # type: ignore[union-attr]
        header_at -= 1
    if header_at < 0 or "|" not in (lines[header_at] or ""):
        return None
    headers = split_markdown(lines[header_at])  # type: ignore[arg-type]
    bare = not lines[header_at].strip().startswith("|")  # type: ignore[union-attr]
    rows: list[list[str]] = []
    notes: list[str] = []
    end = at + 1
    while end < len(lines):
        line = lines[end]
        if line is None:  # a Total params line below the table
            end += 1
            continue
        if not line.strip() or "|" not in line:
            break
        cells = split_markdown(line)
        if bare and len(cells) < len(headers) and line.strip().startswith("|"):
            # in a table without outer pipes, "| 28x28x8 | 608" has an empty first cell
            cells = ["", *cells]
        rows.append(cells)
        end += 1
    later = next((i for i in range(end, len(lines)) if lines[i] is not None and MD_DELIMITER.match(lines[i])), None)
    if later is not None:
        notes.append(f"only the first table is graded; another starts at line {later}")
    return Table(headers, rows, source="Markdown", notes=notes)


# ---------------------------------------------------------------- space-aligned printouts (Keras 2, torchsummary)


def _chunks(line: str) -> list[tuple[int, int, str]]:
    """The pieces of a line separated by two spaces or more, with where each starts and ends."""
    return [(m.start(), m.end(), m.group(0)) for m in WIDE_GAP.finditer(line.expandtabs(8).rstrip())]


def _header_of_printout(lines: list[str | None]) -> int | None:
    """The line naming two known columns with wide gaps between them and no delimiter: a printout's header."""
    from cnncalc.check.columns import classify

    for i, line in enumerate(lines):
        if line is None or any(ch in line for ch in "\t;,|") or BOX_SPLIT.search(line):
            continue
        titles = [t for _, _, t in _chunks(line)]
        known = [classify(t) for t in titles]
        if len(titles) >= 2 and sum(k is not None for k in known) >= 2 and "layer" in known:
            return i
    return None


def _read_aligned(lines: list[str | None]) -> Table | None:
    """A space-aligned printout: columns where the header's titles stand, rows until the closing ``====``."""
    from cnncalc.check.columns import classify

    at = _header_of_printout(lines)
    if at is None:
        return None
    titles = _chunks(lines[at])  # type: ignore[arg-type]
    headers = [t for _, _, t in titles]
    above = lines[at - 1] if at else None
    if above is not None and above.strip() and not RULE.match(above):
        # a header wrapped over two lines ("Output" above "shape"), as a narrow table draws it
        merged = [f"{a} {h}".strip() for (a, _), h in zip(_place(above, titles), headers)]
        if sum(classify(h) is not None for h in merged) >= sum(classify(h) is not None for h in headers):
            headers = merged
    body: list[str | None] = []
    started = False
    for line in lines[at + 1 :]:
        if line is None:  # a Total params line: the table is over
            break
        if RULE.match(line):
            if started and line.strip().startswith("="):
                break  # the closing rule
            body.append(None)  # a row separator (Keras 2.x draws ____ between rows)
            continue
        if not line.strip():
            body.append(None)  # Keras 2.13+ leaves a blank line after each row
            continue
        started = True
        body.append(line)
    while body and body[-1] is None:
        body.pop()
    while body and body[0] is None:
        body.pop(0)
    # Keras 2 separates every row (blank lines, ____ rules); a single rule above a Total row separates no rows
    separated = sum(line is None for line in body) >= 2
    placed = [_place(line, titles) if line is not None else None for line in body]
    ends = [0] * len(headers)
    for cells in placed:
        for i, (_, end) in enumerate(cells or []):
            ends[i] = max(ends[i], end)
    numeric = [i for i, h in enumerate(headers) if _numeric_header(h)]
    rows: list[list[str]] = []
    group: list[list[tuple[str, int]]] = []

    def close() -> None:
        if group:
            rows.append(_join_placed(group, ends))

    for cells in placed:
        if cells is None:
            close()
            group = []
            continue
        starts = not separated and (not numeric or any(cells[i][0] for i in numeric))
        if starts and group:
            close()
            group = []
        group.append(cells)
    close()
    torchsummary = any(re.match(r"\s*\[-1,", c) for r in rows for c in r)
    return Table(headers, rows, source="torchsummary" if torchsummary else "printout")


def _split_at_titles(line: str, titles: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The pieces of ``line``, a piece that runs on into the next column cut where that column's title starts.

    Keras 2 before 2.13 pads a field to its column and puts a single space before the next
    (``max_pooling2d (MaxPooling2D) (None, 13, 13, 32)``); its fields start where the titles start.
    A piece that starts right of the previous title's end is not cut (torchsummary right-aligns a
    long shape ``[-1, 128, 112, 112]`` to the left of its title's start).
    """
    line = line.expandtabs(8)
    out = []
    for start, end, _ in _chunks(line):
        for k in range(1, len(titles)):
            cut = titles[k][0]
            if start <= titles[k - 1][1] and start < cut < end and line[cut - 1] == " ":
                out.append((start, cut - 1, line[start : cut - 1].rstrip()))
                start = cut
        out.append((start, end, line[start:end]))
    return out


def _place(line: str, titles: list[tuple[int, int, str]]) -> list[tuple[str, int]]:
    """Each piece of ``line`` under its header title, with where it ends.

    A line with one piece per title takes them in order (torchsummary pushes a whole line right
    when a name is longer than its column); otherwise each piece goes under the title it overlaps
    most, else the nearest.
    """
    pieces = _chunks(line)
    if len(pieces) == len(titles):
        return [(text, end) for _, end, text in pieces]
    cells: list[list[tuple[str, int]]] = [[] for _ in titles]
    for start, end, text in _split_at_titles(line, titles):
        overlaps = [min(end, e) - max(start, s) for s, e, _ in titles]
        best = max(range(len(titles)), key=lambda i: overlaps[i])
        if overlaps[best] <= 0:
            gaps = [max(s - end, start - e) for s, e, _ in titles]
            best = min(range(len(titles)), key=lambda i: gaps[i])
        cells[best].append((text, end))
    return [(" ".join(t for t, _ in c), max((e for _, e in c), default=0)) for c in cells]


def _join_placed(lines: list[list[tuple[str, int]]], ends: list[int]) -> list[str]:
    """One row from a printout's wrapped lines: a piece reaching its column's right edge was cut mid-word."""
    out = []
    for col in range(len(ends)):
        text = ""
        full = False
        for cells in lines:
            piece, end = cells[col]
            if not piece:
                continue
            text = piece if not text else text + ("" if full else " ") + piece
            full = end >= ends[col]
        out.append(text)
    return out


# ---------------------------------------------------------------- CSV, TSV, semicolons


DELIMITERS = (("\t", "TSV"), (";", "semicolon CSV"), (",", "CSV"), ("|", "pipe-separated"))


def _read_delimited(lines: list[str | None]) -> Table:
    """CSV with the delimiter that splits the header into the most cells and the rows most evenly."""
    body = [ln for ln in lines if ln is not None and ln.strip() and not COMMENT.match(ln.lstrip())]
    body = [ln for ln in body if not MODEL_LINE.match(ln)]  # Keras' 'Model: "sequential"' above its table
    if not body:
        raise SpecError("the table is empty")
    choices = []
    for rank, (delimiter, name) in enumerate(DELIMITERS):
        try:
            cells = len(next(csv.reader([body[0]], delimiter=delimiter)))
        except csv.Error:  # the only error a lenient reader raises: csv's cap on a cell's length
            raise SpecError(
                f"the header has a cell of more than {csv.field_size_limit():,} characters",
                hint="a header names the columns: Layer, Output shape, Params, MACs, FLOPs",
            ) from None
        if cells >= 2 or delimiter == ",":
            choices.append((delimiter, name, rank))
    best: tuple | None = None
    failure: SpecError | None = None
    for delimiter, name, rank in choices:
        try:
            rows = _split(body, delimiter, name)
        except SpecError as e:
            failure = failure or e
            continue
        even = sum(len(r) == len(rows[0]) for r in rows[1:])
        key = (len(rows[0]) >= 2, even, len(rows[0]), -rank)
        if best is None or key > best[0]:
            best = (key, rows, name)
    if best is None:
        assert failure is not None
        raise failure
    _, rows, name = best
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise SpecError("no table found: give a header row and at least one row (CSV, TSV or a Markdown table)")
    return Table(rows[0], rows[1:], source=name, decimal_comma=name == "semicolon CSV")


def _split(body: list[str], delimiter: str, name: str) -> list[list[str]]:
    if delimiter == "|":
        return [split_markdown(ln) for ln in body]
    rows: list[list[str]] = []
    try:
        for r in csv.reader(io.StringIO("\n".join(body)), delimiter=delimiter, strict=True):
            rows.append([c.strip() for c in r])
    except csv.Error as e:
        where = f"row {len(rows)}" if rows else "the header"
        if "field limit" in str(e):  # csv's own cap on a cell (131,072 characters): said in the table's terms
            raise SpecError(
                f"{where} has a cell of more than {csv.field_size_limit():,} characters",
                hint="a cell holds a name, a shape or a number; a quote left open runs a cell on to the end",
            ) from None
        raise SpecError(
            f"{where} does not read as {name}: {_csv_reason(e)}",
            hint='a cell holding a comma or a quote is written in double quotes: "conv(8, f=5)"',
        ) from None
    if delimiter == "\t" and any(len(r) != len(rows[0]) for r in rows):
        # tabs typed to line columns up: "conv\t\t28x28x8\t608" is three cells, when that makes every row fit
        collapsed = [[c.strip() for c in re.split(r"\t+", ln.strip("\t"))] for ln in body]
        if all(len(r) == len(collapsed[0]) for r in collapsed):
            return collapsed
    return rows


def _csv_reason(e: csv.Error) -> str:
    """csv's reason, in the table's words."""
    text = str(e)
    if "unexpected end of data" in text or "EOF" in text:
        return "a quote is left open to the end of the table"
    if "expected after" in text:
        return "a quote closes a cell but more text follows it in the same cell"
    if "new-line character seen in unquoted field" in text:
        return "a line ends inside a cell"
    return text


# ---------------------------------------------------------------- rows against the header


def _header(table: Table, j: int) -> str:
    """The header of column ``j`` (from 0) for a message: quoted, or its number when it is blank."""
    return quoted(table.headers[j]) if table.headers[j].strip() else f"column {j + 1}"


def _check_widths(table: Table) -> None:
    """A row longer than the header is an error (its cells would go under the wrong columns); a shorter one a note."""
    if not table.rows:
        raise SpecError("no table found: give a header row and at least one row (CSV, TSV or a Markdown table)")
    width = len(table.headers)
    for number, r in enumerate(table.rows, start=1):
        over = [(i, c) for i, c in enumerate(r[width:], start=width + 1) if c.strip()]
        if over:
            i, c = over[0]
            raise SpecError(
                f"row {number} has {len(r)} cells but the header names {width}, so its cells would be graded "
                f"under the wrong columns (cell {i}, {quoted(c)}, is under no header)",
                hint="a | inside a Markdown cell is written \\|"
                if table.source == "Markdown"
                else 'a cell holding a comma is written in double quotes: "conv(8, f=5)"',
            )
        if len(r) < width:
            missing = listed(range(len(r), width), show=lambda j: _header(table, j))
            table.notes.append(
                f"row {number} has {len(r):,} cells where the header names {width:,}: {missing} left empty"
            )
        table.rows[number - 1] = r[:width] + [""] * (width - len(r))
