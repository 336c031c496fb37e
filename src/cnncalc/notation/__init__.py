"""The text notation: ``input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)``."""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.graph import Graph
from cnncalc.notation.build import build_graph
from cnncalc.notation.syntax import parse_statements


def parse(text: str, input_shape: tuple[int, ...] | None = None, params: dict[str, Any] | None = None) -> Graph:
    """The Graph of a network written in the notation.

    ``input_shape`` (as shown, channels last) serves a bare ``input`` or a
    chain that does not start with one; ``params`` gives values to names
    the text uses (a zoo model's ``classes``, ``size``), over the defaults its
    ``# args: classes=1000, size=224`` line declares.
    """
    if not isinstance(text, str):  # lark would fail inside with an AttributeError or TypeError
        hint = (
            "for a YAML/JSON spec loaded as data, use cnncalc.frontends.spec.from_dict(data)"
            if isinstance(text, dict)
            else None
        )
        raise SpecError(
            f"a network is the text notation, a Graph or a cnncalc.Net (got {type(text).__name__})", hint=hint
        )
    declared = arguments(text)  # a text may declare its arguments and their defaults: `# args: size=224`
    return build_graph(parse_statements(text), text, input_shape, {**declared, **(params or {})})


ARGS_LINE = re.compile(r"^#\s*args:\s*(?P<args>.*)$", re.MULTILINE)


def value_of(text: str) -> int | float | str:
    """An argument's value as written: a whole number, a number, or a word."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def arguments(text: str) -> dict[str, int | float | str]:
    """The arguments a notation text declares with their defaults, from its ``# args:`` line.

    >>> arguments("# args: classes=1000, size=224")   # the line a zoo file opens with
    {'classes': 1000, 'size': 224}
    """
    m = ARGS_LINE.search(text)
    defaults: dict[str, int | float | str] = {}
    if m:
        for part in m.group("args").split(","):
            if part.strip():
                k, _, v = part.partition("=")
                defaults[k.strip()] = value_of(v.strip())
    return defaults


__all__ = ["ARGS_LINE", "arguments", "parse", "value_of"]
