"""The text notation: ``input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)``."""

from __future__ import annotations

from typing import Any

from cnncalc.errors import SpecError
from cnncalc.graph import Graph
from cnncalc.notation.build import build_graph
from cnncalc.notation.parser import parse_statements


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
    from cnncalc.zoo import arguments

    declared = arguments(text)  # a text may declare its arguments and their defaults: `# args: size=224`
    return build_graph(parse_statements(text), text, input_shape, {**declared, **(params or {})})


__all__ = ["parse"]
