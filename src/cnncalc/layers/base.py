"""The machinery every layer kind uses, in one import: the registry, argument binding and the calculator.

Each lives in its own module (:mod:`~cnncalc.layers.registry`, :mod:`~cnncalc.layers.binding`,
:mod:`~cnncalc.layers.calc`); this module gathers their public names.
"""

from __future__ import annotations

from cnncalc.errors import CnnCalcError
from cnncalc.layers.binding import Args, Param, bind, render_value
from cnncalc.layers.calc import MAX_ELEMENTS, Calc, Shape, Step, Window, fmt, need_spatial, prod, times
from cnncalc.layers.registry import ALIASES, REGISTRY, Alias, Kind, register, resolve, unknown_layer

__all__ = [
    "ALIASES",
    "MAX_ELEMENTS",
    "REGISTRY",
    "Alias",
    "Args",
    "Calc",
    "CnnCalcError",
    "Kind",
    "Param",
    "Shape",
    "Step",
    "Window",
    "bind",
    "fmt",
    "need_spatial",
    "prod",
    "register",
    "render_value",
    "resolve",
    "times",
    "unknown_layer",
]
