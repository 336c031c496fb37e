"""A table that holds its own network: the layer column written in the notation, row by row.

>>> from cnncalc.check.read import read_table
>>> spec_from_table(read_table('Layer,Params\\n"input(32,32,3)",0\\n"conv(8, f=5)",608\\n'))
'input(32,32,3) -> conv(8, f=5)'
"""

from __future__ import annotations

import re

from cnncalc.check.align import label_kind
from cnncalc.check.columns import classify
from cnncalc.check.grade import TOTAL_WORD
from cnncalc.check.read import Table
from cnncalc.errors import SpecError
from cnncalc.written import is_blank, parse_shape, quoted

NOTATION = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*(\(.*\))?\s*$")
GIVE_SPEC = 'give the network with --spec, e.g. --spec "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)"'


def spec_from_table(table: Table, input: str | tuple[int, ...] | None = None) -> str:  # noqa: A002
    """The notation a table spells out row by row: ``conv(32, f=7, s=4)`` in its layer column."""
    kinds = [classify(h) for h in table.headers]
    if "layer" not in kinds:
        raise SpecError(
            "without --spec, the table needs a layer column holding the notation, e.g. conv(32, f=7, s=4)",
            hint=GIVE_SPEC,
        )
    col = kinds.index("layer")
    shape_col = kinds.index("output_shape") if "output_shape" in kinds else None
    input_col = next((i for i, h in enumerate(table.headers) if re.search(r"input", h, re.IGNORECASE)), None)
    calls: list[str] = []
    first_input: str | None = None
    for number, cells in enumerate(table.rows, start=1):
        text = cells[col].strip()
        if not text or any(TOTAL_WORD.match(c) for c in cells):
            continue
        if label_kind(text) == "input":
            if "(" in text:
                first_input = text
            elif shape_col is not None and not is_blank(cells[shape_col]):
                first_input = "input(" + ", ".join(str(n) for n in parse_shape(cells[shape_col]).dims) + ")"
            continue
        if not NOTATION.match(text) or label_kind(text) is None:
            if not calls:  # the very first layer is no notation: the column holds labels
                raise SpecError(
                    f"without --spec, the layer column must hold the notation, and row {number} holds {quoted(text)}",
                    hint=GIVE_SPEC,
                )
            raise SpecError(f"row {number}: {quoted(text)} is not a layer in the notation (e.g. conv(32, f=7, s=4))")
        if not calls and first_input is None and input is None and input_col is not None and cells[input_col]:
            first_input = "input(" + ", ".join(str(n) for n in parse_shape(cells[input_col]).dims) + ")"
        calls.append(text)
    if not calls:
        raise SpecError("the table's layer column holds no layers", hint=GIVE_SPEC)
    if first_input is None and input is None:
        raise SpecError(
            "the table does not give the input",
            hint="add an input row, an Input size column or --input; or " + GIVE_SPEC,
        )
    return " -> ".join(([first_input] if first_input else []) + calls)
