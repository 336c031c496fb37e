"""What the sweep tests share: specs with arguments, reading a dataset back, and a point's summary as the oracle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NET = """# args: width=16, k=3, size=32
def blk(c, s=1) {
  y = conv(c, f=k, s=s, p=1, bias=false) -> bn -> relu
  y -> conv(c, f=3, p=1) -> bn
}
input(size, size, 3) -> blk(width) -> blk(2*width, s=2) -> maxpool(2) -> gap -> fc(10)
"""

SPACE = """
def make(width=16, depth=2, act="relu"):
    print("building", width, depth)  # the user's own prints go to stderr
    body = " -> ".join(f"conv({width * (i + 1)}, f=3, p=1) -> {act}" for i in range(depth))
    return f"input(16, 16, 3) -> {body} -> gap -> fc(10)"
"""

HF = Path(__file__).resolve().parents[1] / "data" / "hf"


def read(folder: Path) -> list[dict[str, Any]]:
    """Every row of a sweep's dataset, as Python values, in the points' order."""
    import pyarrow.dataset as ds

    rows = ds.dataset(str(folder), format="parquet").to_table().to_pylist()
    return sorted(rows, key=lambda r: r["point"])


def flat_totals(summary_json: str) -> dict[str, Any]:
    """``summary --format json``'s totals, nested keys dotted, a list as its JSON text (a part a report does not
    have, such as training without --train, is left out)."""
    totals = json.loads(summary_json)["totals"]
    out: dict[str, Any] = {}

    def walk(d: dict[str, Any], prefix: str) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            elif isinstance(v, list):
                out[f"{prefix}{k}"] = json.dumps(v, ensure_ascii=False)
            elif v is not None or prefix:
                out[f"{prefix}{k}"] = v

    walk(totals, "")
    return out


def assert_row_is(row: dict[str, Any], expected: dict[str, Any], arguments: list[str]) -> None:
    """The row's figures are the summary's, field by field, and it has no figure the summary lacks."""
    assert row["error"] is None, row["error"]
    for k, v in expected.items():
        assert k in row, f"the row has no column {k}"
        assert row[k] == v, f"{k}: sweep {row[k]!r}, summary {v!r} (point {row['point']})"
    figures = {k for k, v in row.items() if v is not None} - {"point", "error", *arguments}
    assert figures <= set(expected), figures - set(expected)
