"""Frozen dataclasses made and copied quickly: the records a network has hundreds or thousands of.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, and
:func:`dataclasses.replace` goes through it too: for a Row of 30 fields that is several
microseconds, and an analysis of ResNet-50 makes or copies 175 rows. The functions here are
written out once per use as straight-line code. An instance of a class with slots gets each
slot set in turn; one without (a Node, a Row) gets its ``__dict__`` whole, made as one dict
(a copy of the defaults, or of the record copied, with the fields given set): about twice as
quick, at some 500 more bytes a record. They check nothing: their callers pass values of
the fields' types, as the dataclass' own ``__init__`` would receive them.
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
    defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    names = {f"_default_{n}": v for n, v in defaults.items()}
    if positional is None:
        params = "*, " + ", ".join(f"{f.name}=_default_{f.name}" if f.name in defaults else f.name for f in fields(cls))
        given = {f.name: f.name for f in fields(cls)}
        start = None  # every field is given: a dict written out whole
    else:
        params = ", ".join(positional)
        given = {n: n for n in positional}
        names["_defaults"] = {n: v for n, v in defaults.items() if n not in positional}
        start = "_defaults"
    return _written(cls, f"def make({params}):", given, start, names)


def copier(cls: type, params: str, changed: dict[str, str]) -> Callable[..., Any]:
    """``copy(params)``: a copy of its first parameter, an instance of ``cls``, with the ``changed`` fields set
    from their expressions of the parameters."""
    known = {f.name for f in fields(cls)}
    if not set(changed) <= known:  # pragma: no cover - a misspelt field would be added to the copy silently
        raise TypeError(f"{cls.__name__} has no field {sorted(set(changed) - known)}")
    original = params.split(",")[0].strip()
    return _written(cls, f"def copy({params}):", changed, original, {}, copy=True)


def _written(
    cls: type,
    head: str,
    given: dict[str, str],
    start: str | None,
    names: dict[str, Any],
    *,
    copy: bool = False,
) -> Callable[..., Any]:
    """The function ``head``, making an instance of ``cls`` with the ``given`` fields (expressions of its
    parameters) and the others from ``start``: the record a copy is made of, or the dict of the defaults."""
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **names}
    lines = [head, "    _object = _new(_cls)"]
    if "__slots__" in vars(cls):
        for f in fields(cls):
            rest = f"{start}.{f.name}" if copy else f"{start}[{f.name!r}]"
            scope[f"_set_{f.name}"] = vars(cls)[f.name].__set__
            lines.append(f"    _set_{f.name}(_object, {given.get(f.name) or rest})")
    else:
        where = next(k for k in cls.__mro__ if "__dict__" in vars(k))  # the class that gives instances a __dict__
        scope["_set_dict"] = vars(where)["__dict__"].__set__
        if start is None:
            lines.append("    _values = {" + ", ".join(f"{n!r}: {v}" for n, v in given.items()) + "}")
        else:
            lines.append(f"    _values = {start}.__dict__.copy()" if copy else f"    _values = {start}.copy()")
            lines += [f"    _values[{n!r}] = {v}" for n, v in given.items()]
        lines.append("    _set_dict(_object, _values)")
    exec("\n".join([*lines, "    return _object"]), scope)
    return scope[head[4 : head.index("(")]]
