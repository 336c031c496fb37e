"""CSV: one row per layer, exact integers, shapes as ``28x28x8``."""

from __future__ import annotations

import csv
import io

from cnncalc.render import HEADERS, cell
from cnncalc.report import Report

COLUMNS = (
    "index",
    "name",
    "kind",
    "output_shape",
    "activation_size",
    "params",
    "trainable_params",
    "buffers",
    "macs",
    "flops",
)


def render(report: Report, *, columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for row in report.rows:
        values = []
        for col in columns:
            if col == "output_shape":
                values.append("x".join(str(n) for n in report.shown_shape(row)))
            else:
                values.append(cell(report, row, col, grouped=False))
        w.writerow(values)
    return out.getvalue()


__all__ = ["HEADERS", "render"]
