"""cnncalc: what every layer of a neural network does to the numbers.

>>> r = analyze("input(32,32,3) -> conv(8, f=5) -> pool(2)")
>>> r.rows[1].params          # (5·5·3 + 1)·8
608
>>> r.shown_shape(r.rows[2])  # floor((28 − 2)/2) + 1 = 14
(14, 14, 8)
"""

from __future__ import annotations

from cnncalc.api import analyze, parse, parse_shape
from cnncalc.check import check  # light: its reading, aligning and grading are imported when it runs
from cnncalc.conventions import Convention, Layout
from cnncalc.errors import (
    ArgumentError,
    CnnCalcError,
    NotationSyntaxError,
    ShapeError,
    SpecError,
    UnknownLayerError,
)
from cnncalc.frontends.net import Net
from cnncalc.graph import Graph, Node
from cnncalc.report import Report, Row, Totals

__version__ = "0.1.0"


def __getattr__(name: str):  # noqa: ANN202 - lazy attributes: `import cnncalc` never imports torch, nor check's grader
    if name == "from_torch":
        from cnncalc.frontends.torch import from_torch

        return from_torch
    if name == "CheckResult":
        from cnncalc.check.grade import CheckResult

        return CheckResult
    if name == "from_onnx":
        from cnncalc.frontends.onnx import from_onnx

        return from_onnx
    if name == "from_keras":
        from cnncalc.frontends.keras import from_keras

        return from_keras
    if name == "from_hf_config":
        from cnncalc.frontends.hf import from_hf_config

        return from_hf_config
    raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")


__all__ = [
    "ArgumentError",
    "CnnCalcError",
    "Convention",
    "Graph",
    "Layout",
    "Net",
    "Node",
    "NotationSyntaxError",
    "Report",
    "Row",
    "ShapeError",
    "SpecError",
    "Totals",
    "UnknownLayerError",
    "CheckResult",
    "analyze",
    "check",
    "parse",
    "parse_shape",
]
