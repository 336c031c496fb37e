"""Layer kinds, one family a module; importing this package fills the registry."""

from cnncalc.layers import (  # noqa: F401  (registration)
    activation,
    attention,
    conv,
    decoder,
    dense,
    elementwise,
    loss,
    merge,
    moe,
    norm,
    pool,
    recurrent,
    reshape,
    traced,
)
from cnncalc.layers.base import ALIASES, REGISTRY, Args, Calc, Kind, Param, Step, Window, bind, register, resolve

__all__ = ["ALIASES", "REGISTRY", "Args", "Calc", "Kind", "Param", "Step", "Window", "bind", "register", "resolve"]
