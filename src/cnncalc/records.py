"""Frozen dataclasses made and copied quickly: the records a network has hundreds or thousands of.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, and
:func:`dataclasses.replace` goes through it too: for a Row of 30 fields that is several
microseconds, and an analysis of ResNet-50 makes or copies 175 rows. The functions here are
written out once per use as straight-line code that fills a plain twin of the class, with
the same slots in the same order and no frozen ``__setattr__``, then gives the new object
the record's class (Python allows ``__class__`` to change between classes of the same
layout): several times quicker than setting the slots through their descriptors, at the
memory of slots. They check nothing: their callers pass values of the fields' types, as the
dataclass' own ``__init__`` would receive them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any


def maker(cls: type, positional: tuple[str, ...] | None = None) -> Callable[..., Any]:
    """``make(...)``, as ``cls(...)``: ``positional`` fields by position and the others at their defaults, or, when
    ``positional`` is None, every field by keyword (those with defaults may be left out)."""
    if any(f.default_factory is not MISSING for f in fields(cls)):  # pragma: no cover - not for these records
        raise TypeError(f"{cls.__name__} has a field with a default factory")
    defaults = {f"_default_{f.name}": f.default for f in fields(cls) if f.default is not MISSING}
    if positional is None:
        params = "*, " + ", ".join(
            f.name if f"_default_{f.name}" not in defaults else f"{f.name}=_default_{f.name}" for f in fields(cls)
        )
        values = {f.name: f.name for f in fields(cls)}
    else:
        params = ", ".join(positional)
        values = {f.name: f.name if f.name in positional else f"_default_{f.name}" for f in fields(cls)}
    return _written(cls, f"def make({params}):", values, defaults)


def copier(cls: type, params: str, changed: dict[str, str]) -> Callable[..., Any]:
    """``copy(params)``: a copy of its first parameter, an instance of ``cls``, with the ``changed`` fields set
    from their expressions of the parameters."""
    known = {f.name for f in fields(cls)}
    if not set(changed) <= known:  # pragma: no cover - a misspelt field would be left as it was, silently
        raise TypeError(f"{cls.__name__} has no field {sorted(set(changed) - known)}")
    original = params.split(",")[0].strip()
    values = {f.name: changed.get(f.name, f"{original}.{f.name}") for f in fields(cls)}
    return _written(cls, f"def copy({params}):", values, {})


def _written(cls: type, head: str, values: dict[str, str], names: dict[str, Any]) -> Callable[..., Any]:
    """The function ``head``, making an instance of ``cls`` with each field from its expression in ``values``."""
    slots = vars(cls).get("__slots__")
    if slots is None or tuple(slots) != tuple(values):  # pragma: no cover - these records keep their fields in slots
        raise TypeError(f"{cls.__name__} does not keep its fields in slots")
    twin = type(f"_{cls.__name__}Fields", (), {"__slots__": tuple(slots)})
    lines = [head, "    _object = _new(_twin)"]
    lines += [f"    _object.{n} = {v}" for n, v in values.items()]
    lines += ["    _object.__class__ = _cls", "    return _object"]
    scope: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls, **names}
    exec("\n".join(lines), scope)
    return scope[head[4 : head.index("(")]]
