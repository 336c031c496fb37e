"""Layer kinds, one family a module; importing this package fills the registry."""

from cnncalc.layers import activation, attention, conv, dense, merge, norm, pool, recurrent, reshape  # noqa: F401  (registration)
from cnncalc.layers.base import ALIASES, REGISTRY, Args, Calc, Kind, Param, Step, Window, bind, register, resolve

__all__ = ["ALIASES", "REGISTRY", "Args", "Calc", "Kind", "Param", "Step", "Window", "bind", "register", "resolve"]
