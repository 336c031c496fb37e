"""The library's entry points: from a spec to a Report."""

from __future__ import annotations

import re
from typing import Any

from cnncalc.analyze import analyze_graph
from cnncalc.conventions import Convention, Layout
from cnncalc.errors import SpecError
from cnncalc.graph import Graph
from cnncalc.notation import parse as _parse_notation
from cnncalc.report import Report

_SHAPE_SPLIT = re.compile(r"\s*[,x×]\s*|\s+")


def parse_shape(text: str | int | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """An input shape from ``"32,32,3"``, ``"32x32x3"``, ``"(32, 32, 3)"``, a tuple, or one number (token ids).

    >>> parse_shape("32x32x3")
    (32, 32, 3)
    """
    if isinstance(text, (tuple, list)):
        items = list(text)
    elif not isinstance(text, str):
        items = [text]  # input=128, as a spec's `input: 128`
    else:
        inner = text.strip().strip("()[]").strip().removesuffix(",").strip()  # (1024,) is one number
        # an empty item ('8,,3', '8,x,3') is a mistake, never silently dropped
        items = _SHAPE_SPLIT.split(inner) if inner else []
    shape = []
    for item in items:
        try:
            if isinstance(item, bool) or (isinstance(item, float) and not item.is_integer()):
                raise ValueError  # int() would make 8.7 into 8 and True into 1 without a word
            n = int(item)
        except (TypeError, ValueError):
            raise SpecError(f"the input shape must be whole numbers like 32,32,3 (got {text!r})") from None
        if n < 1:
            raise SpecError(f"the input shape must be positive (got {text!r})")
        shape.append(n)
    if not shape:
        raise SpecError("the input shape is empty", hint="e.g. --input 32,32,3")
    return tuple(shape)


def parse(text: str, input: str | int | tuple[int, ...] | None = None) -> Graph:  # noqa: A002 - the user's word
    """The Graph of a network written in the text notation."""
    return _parse_notation(text, None if input is None else parse_shape(input))


def analyze(
    spec: str | Graph | Any,
    *,
    input: str | int | tuple[int, ...] | None = None,  # noqa: A002
    flops: Convention | str = Convention.seed,
    batch: int = 1,
    layout: Layout | str = Layout.hwc,
    title: str = "",
    dtype: str = "float32",
) -> Report:
    """Every layer's shape, parameters, MACs and FLOPs, with totals.

    ``spec`` is the text notation, a Graph or a :class:`cnncalc.Net`; ``input`` (channels last, as
    the notation writes it) serves a bare ``input``; ``flops`` names the FLOPs
    convention (``seed``, ``matmul`` or ``all``); ``dtype`` (float32, float16,
    bfloat16, int8) sets the element size of the memory figures.

    >>> [r.flops for r in analyze("input(28,28,1) -> conv(5, f=3) -> fc(10)").rows]  # 2·5·(3·3·1)·(26·26)
    [0, 60840, 67600]
    """
    if hasattr(spec, "graph") and callable(spec.graph):  # a cnncalc.Net
        spec = spec.graph()
    graph = spec if isinstance(spec, Graph) else parse(spec, input)
    title = title or graph.title
    return analyze_graph(graph, convention=flops, batch=batch, layout=layout, title=title, dtype=dtype)
