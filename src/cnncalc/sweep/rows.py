"""A sweep's row: the point's number and arguments, the totals of ``summary --format json`` of that point (nested
keys dotted: ``memory.peak_activation_bytes``, ``training.flops``), and ``error`` for a point that does not build.

Which figure columns a sweep has follows its settings, as the JSON's ``totals`` does: ``training.*`` with
``--train``, ``budget.*`` with ``--tokens`` or ``--hardware``, ``llm.*`` (and ``memory.weight_bytes``,
``memory.inference_bytes``) for a language model.

>>> from cnncalc import analyze
>>> f = figures(analyze("input(8) -> fc(4)"))
>>> f["params"], f["memory.param_bytes"]   # (8 + 1)·4, at 4 bytes each
(36, 144)
"""

from __future__ import annotations

import json
from typing import Any

from cnncalc.options import Options
from cnncalc.report import Report

INT64 = (1 << 63) - 1

# the budget's figures that are not whole numbers: a word, or a float
BUDGET_TYPES = {"what": "string", "hardware": "string", "steps": "double", "peak_flops": "double", "mfu": "double"}
BUDGET_TYPES["seconds"] = "double"


def figures(report: Report) -> dict[str, Any]:
    """The totals of ``report`` as ``summary --format json`` writes them, flattened: nested keys dotted, a list
    as its JSON text."""
    from cnncalc.render.json import totals_record

    out: dict[str, Any] = {}
    _flatten(totals_record(report), "", out)
    return out


def _flatten(d: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for k, v in d.items():
        if isinstance(v, dict):
            _flatten(v, f"{prefix}{k}.", out)
        elif v is None and prefix == "" and k in ("memory", "training", "llm", "budget"):
            continue  # a part the report does not have: no columns
        elif isinstance(v, (list, tuple)):
            out[f"{prefix}{k}"] = json.dumps(v, ensure_ascii=False)
        else:
            out[f"{prefix}{k}"] = v


def columns(options: Options, llm: bool) -> list[tuple[str, str]]:
    """The figure columns of a sweep with these settings and their types, in the JSON's order."""
    from cnncalc.render import json as contract

    out = [(k, "int64") for k in contract.TOTALS_KEYS]
    out += [(f"memory.{k}", "int64") for k in contract.MEMORY_KEYS]
    if llm:
        out += [(f"memory.{k}", "int64") for k in contract.MEMORY_LLM_KEYS]
    if options.train:
        out += [(f"training.{k}", "string" if k == "loss" else "int64") for k in contract.TRAINING_KEYS]
    if llm:
        out += [(f"llm.{k}", "int64") for k in contract.LLM_KEYS]
    if options.tokens is not None or options.hardware is not None or options.mfu is not None:
        out += [(f"budget.{k}", BUDGET_TYPES.get(k, "int64")) for k in contract.BUDGET_KEYS]
    return out


def found_columns(found: dict[str, Any], known: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The figure columns a point's figures have beyond ``known`` (a parallel layout's, whose keys follow the
    layout), typed by their values, in their order."""
    names = {n for n, _ in known}
    out = []
    for name, value in found.items():
        if name not in names:
            kind = type_of([value]) if value is not None else "double"
            out.append((name, "bool" if isinstance(value, bool) else kind))
    return out


def type_of(values: Any) -> str:
    """The Parquet type of an argument's column from its values: int64, double, or string."""
    kinds = set()
    for v in values:
        if isinstance(v, bool) or isinstance(v, str):
            kinds.add("string")
        elif isinstance(v, int):
            kinds.add("int64" if -INT64 - 1 <= v <= INT64 else "string")
        elif isinstance(v, float):
            kinds.add("double")
        else:
            kinds.add("string")
    if kinds <= {"int64"}:
        return "int64"
    if kinds <= {"int64", "double"}:
        return "double"
    return "string"


def fits(row: dict[str, Any], schema: list[tuple[str, str]]) -> str | None:
    """Why a row's figures cannot be stored as its columns' types (a number past 64-bit integers), or None."""
    for name, kind in schema:
        v = row.get(name)
        if kind == "int64" and isinstance(v, int) and not -INT64 - 1 <= v <= INT64:
            return f"{name} is {v:.3e}, past what a 64-bit integer column holds (9.2·10¹⁸)"
    return None
