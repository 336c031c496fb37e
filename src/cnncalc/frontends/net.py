"""The Python API: build a network call by call; each call returns the node's name.

>>> net = Net(input=(32, 32, 3))
>>> x = net.conv(16, 3, p=1, name="x")
>>> y = net.conv(16, 3, p=1)
>>> z = net.add(x, y)
>>> net.analyze().rows[-1].inputs
('x', 'conv_2')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnncalc.api import analyze, parse_shape
from cnncalc.conventions import Convention, Layout
from cnncalc.errors import CnnCalcError, UnknownLayerError
from cnncalc.frontends.common import GraphMaker, kind_of
from cnncalc.graph import Graph
from cnncalc.notation.build import is_merge
from cnncalc.report import Report


class NoSuchLayer(UnknownLayerError, AttributeError):
    """``net.cnov(...)``: a layer method no kind has; an AttributeError too, so ``hasattr(net, "cnov")`` is False."""


class Net:
    """A network built in Python: ``net.conv(64, 7, s=2, p=3)`` adds a layer after the last one.

    Every layer method takes the kind's arguments as the notation does, plus
    ``after=`` (the node to read; default the previous layer) and ``name=``. A
    merge (``add``, ``concat``, ``mul``, ``matmul``) takes the nodes it reads as
    positional arguments; given one, it also reads the previous layer.
    """

    def __init__(
        self, input: str | int | tuple[int, ...] | list[int] | None = None, *, layout: str | None = None
    ) -> None:  # noqa: A002
        self._maker = GraphMaker()
        if input is not None:
            kwargs = {"layout": layout} if layout is not None else {}
            self.layer("input", *parse_shape(input), **kwargs)

    def layer(self, kind: str, *args: Any, after: str | None = None, name: str | None = None, **kwargs: Any) -> str:
        """Add a layer of ``kind``; returns its name (give it to ``after=`` or to a merge)."""
        canonical, _ = kind_of(kind)
        inputs: list[str] | None
        if is_merge(canonical):
            inputs, args = [str(a) for a in args], ()
            if after is not None:
                inputs.insert(0, after)
        else:
            inputs = None if after is None else [after]
        kw = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())
        args = tuple(tuple(a) if isinstance(a, list) else a for a in args)
        return self._maker.layer(kind, args, kw, inputs=inputs, name=name)

    def __getattr__(self, word: str) -> Callable[..., str]:
        if word.startswith("_"):
            raise AttributeError(word)
        try:
            kind_of(word)
        except CnnCalcError as e:
            raise NoSuchLayer(f"Net has no layer kind '{word}'", hint=e.hint) from None

        def call(*args: Any, **kwargs: Any) -> str:
            return self.layer(word, *args, **kwargs)

        call.__name__ = word
        return call

    def graph(self) -> Graph:
        """The Graph built so far."""
        return self._maker.graph()

    def analyze(
        self,
        *,
        flops: Convention | str = Convention.seed,
        batch: int = 1,
        layout: Layout | str = Layout.hwc,
        title: str = "",
        dtype: str = "float32",
    ) -> Report:
        """The Report of the network built so far (the options of :func:`cnncalc.analyze`)."""
        return analyze(self.graph(), flops=flops, batch=batch, layout=layout, title=title, dtype=dtype)
