"""Hostile values for the report's options: units, tree, breakdowns, columns, other tools' conventions."""

from __future__ import annotations

from hostile.cases import Case

NET = "input(8,8,3) -> conv(4, f=3) -> fc(2)"

CASES = [
    Case("units_nan", ("summary", NET, "--units", "nan"), says="units"),
    Case("units_fullwidth", ("summary", NET, "--units", "\uff2d"), says="units"),
    Case("units_number", ("summary", NET, "--units", "1e9"), says="units"),
    Case("units_long", ("summary", NET, "--units", "k" * 100_000), says="units"),
    Case("units_on_csv", ("summary", NET, "--units", "M", "--format", "csv"), says="exact integers"),
    Case("units_on_json", ("zoo", "lenet5", "--units", "auto", "--format", "json"), says="exact integers"),
]
