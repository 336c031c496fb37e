"""cnncalc: what every layer of a neural network does to the numbers.

>>> from cnncalc import analyze
>>> r = analyze("input(32,32,3) -> conv(8, f=5) -> pool(2)")
>>> r.rows[1].params          # (5·5·3 + 1)·8
608
>>> r.shown_shape(r.rows[2])  # floor((28 − 2)/2) + 1 = 14
(14, 14, 8)
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# Every name is imported when first used (PEP 562): `import cnncalc` imports nothing else, a summary pays
# only for what it runs, and torch and check's grader come only with from_torch and CheckResult.
_WHERE = {
    "analyze": "cnncalc.api",
    "parse": "cnncalc.api",
    "parse_shape": "cnncalc.api",
    "sweep": "cnncalc.sweep",
    "check": "cnncalc.check",
    "Convention": "cnncalc.conventions",
    "Layout": "cnncalc.conventions",
    "ArgumentError": "cnncalc.errors",
    "CnnCalcError": "cnncalc.errors",
    "NotationSyntaxError": "cnncalc.errors",
    "ShapeError": "cnncalc.errors",
    "SpecError": "cnncalc.errors",
    "UnknownLayerError": "cnncalc.errors",
    "LimitError": "cnncalc.errors",
    "UserCodeError": "cnncalc.errors",
    "WrongTypeError": "cnncalc.errors",
    "Net": "cnncalc.frontends.net",
    "Graph": "cnncalc.graph",
    "Node": "cnncalc.graph",
    "Report": "cnncalc.report",
    "Row": "cnncalc.report",
    "Totals": "cnncalc.report",
    "CheckResult": "cnncalc.check.grade",
    "from_torch": "cnncalc.frontends.torch",
    "from_onnx": "cnncalc.frontends.onnx",
    "from_keras": "cnncalc.frontends.keras",
    "from_hf_config": "cnncalc.frontends.hf",
}


def __getattr__(name: str):  # noqa: ANN202
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


class _Package(types.ModuleType):
    """``cnncalc.analyze``, ``cnncalc.check`` and ``cnncalc.sweep`` are functions, though modules of the same names
    live here.

    Python binds a submodule to its package's name when it is first imported; the functions keep the names.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("analyze", "check", "sweep") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
    "LimitError",
    "UserCodeError",
    "WrongTypeError",
    "CheckResult",
    "analyze",
    "check",
    "parse",
    "parse_shape",
    "sweep",
]
