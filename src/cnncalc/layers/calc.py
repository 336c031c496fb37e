"""The calculator every layer kind writes into: each figure recorded with the worked formula that gives it.

A kind receives the shapes of its inputs (channels first, no batch axis) and a
:class:`Calc`; it sets the output shape and records parameters, MACs and the
extra FLOPs of each convention, each with its formula, so that a report and its
explanation can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import Convention, Framework, Layout, show_shape
from cnncalc.errors import ShapeError

Shape = tuple[int, ...]
MAX_ELEMENTS = 2**63 - 1  # PyTorch, ONNX and TensorFlow index a tensor with int64


def fmt(n: int | float) -> str:
    """A number as the tables show it: ``1,060,400``."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.4g}"
    return f"{int(n):,}"


def prod(values: Sequence[int]) -> int:
    return math.prod(values)


def times(values: Sequence[int | str]) -> str:
    """``[7, 7, 3]`` as ``7·7·3``."""
    return "·".join(str(v) for v in values) if values else "1"


@dataclass(frozen=True, slots=True)
class Step:
    """One line of worked arithmetic: ``params = (5·5·3 + 1)·8 = 608``.

    ``parts`` break a figure down the way a worksheet does (a convolution's parameters: ``WE: 5·5·3 = 75``,
    ``75·8 = 600``, ``Bias: 1·8 = 8``); the one-line ``formula`` says the same in one expression.
    """

    quantity: str
    formula: str
    value: Any
    parts: tuple[Step, ...] = ()

    def __str__(self) -> str:
        value = self.value
        shown = fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        if self.formula and self.formula != shown:
            return f"{self.quantity} = {self.formula} = {shown}"
        return f"{self.quantity} = {shown}"


@dataclass(frozen=True, slots=True)
class Window:
    """How a spatial layer maps positions along one axis (for the receptive field and the window's drawing).

    ``pad_end`` and ``ceil_mode`` complete the picture of the axis (how far the padded input reaches, and
    whether a last window may overhang it); the receptive field needs only the first four.
    """

    kernel: int
    stride: int
    pad_begin: int
    dilation: int = 1
    pad_end: int = 0
    ceil_mode: bool = False


class Calc:
    """What a kind computes for one layer, each figure with its formula.

    MACs and the convention-specific extra FLOPs are recorded per sample; the
    analysis multiplies by the batch (and by any leading axes the front-end
    marked as repetitions). ``layout`` is how the shapes the user wrote are
    ordered (the notation's hwc, or chw); ``framework`` is whose counting
    convention applies where frameworks differ (torch or keras).
    """

    def __init__(
        self,
        convention: Convention,
        layout: Layout = Layout.hwc,
        framework: Framework = Framework.torch,
        *,
        empty_ok: bool = False,
    ) -> None:
        self.convention = convention
        self.empty_ok = empty_ok  # a traced model may hold empty tensors (a key-value cache before its first step)
        self.layout = layout
        self.framework = framework
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.shape: Shape | None = None
        self.params_total = 0
        self.param_tensors = 0  # how many tensors hold the parameters (an optimizer keeps state per tensor)
        self.trainable_total = 0
        self.tied = False  # its weight is another layer's (a head tied to the embedding): it trains there
        self.buffers_total = 0
        self.macs_total = 0
        self.macs_formulas: list[str] = []
        self.extra: dict[Convention, list[tuple[int, str]]] = {c: [] for c in Convention}
        self.windows: tuple[Window, ...] | None = None
        # what a language model's serving figures need (cnncalc.llm): set by the kinds that know them
        self.cache_per_token = 0  # elements kept per position for later tokens (a KV cache)
        self.cache_window: int | None = None  # at most this many positions kept (a sliding window)
        self.inactive = 0  # parameters a position does not use (the experts its router did not pick)
        self.quantizable = 0  # weight-matrix elements a weight quantization applies to
        # how attention is counted: keys at a decode step's context (None: the operands'), the causal half
        self.context: int | None = None
        self.causal_half = False
        self.batch_reduced = False  # its output is one for the whole batch (a loss), not one per sample

    def shown(self, shape: Shape) -> str:
        """A core shape as the user sees it, as a product: ``5·5·16`` for (16, 5, 5) in hwc."""
        return times(show_shape(shape, self.layout))

    def step(self, quantity: str, formula: str, value: Any, parts: tuple[Step, ...] = ()) -> Any:
        self.steps.append(Step(quantity, formula, value, parts))
        return value

    def note(self, text: str) -> None:
        self.notes.append(text)

    def out(self, shape: Sequence[int]) -> Shape:
        shape = tuple(int(x) for x in shape)
        if prod(shape) > MAX_ELEMENTS and all(n > 0 for n in shape):
            raise ShapeError("the output would have more than 2^63 − 1 elements, more than any framework can index")
        for n in shape:
            if n <= 0 and not (n == 0 and self.empty_ok):
                raise ShapeError(f"the output would have size {n} on an axis ({shape})")
        self.shape = shape
        return shape

    def params(
        self,
        value: int,
        formula: str,
        *,
        trainable: bool = True,
        what: str = "params",
        tensors: int = 1,
        parts: tuple[Step, ...] = (),
    ) -> int:
        """Record ``value`` parameters held in ``tensors`` tensors (a weight and a bias are two) and their ``parts``."""
        self.params_total += value
        if trainable:
            self.trainable_total += value
            self.param_tensors += tensors
        return self.step(what, formula, value, parts)

    def buffers(self, value: int, formula: str) -> int:
        self.buffers_total += value
        return self.step("buffers", formula, value)

    def macs(self, value: int, formula: str) -> int:
        self.macs_total += value
        self.macs_formulas.append(formula)
        return value

    def flops_extra(self, value: int, formula: str, conventions: Sequence[Convention]) -> None:
        """FLOPs beyond 2·MACs that the given conventions count (pooling, bias, activations)."""
        if value:
            for c in conventions:
                self.extra[c].append((value, formula))

    def elementwise(self, value: int, formula: str) -> None:
        """Elementwise work: counted by the ``all`` convention only."""
        self.flops_extra(value, formula, (Convention.all,))

    def cache(self, per_token: int, window: int | None, formula: str) -> None:
        """Elements kept per position for later tokens (a KV cache), at most ``window`` positions."""
        self.cache_per_token += per_token
        self.cache_window = window
        self.step("cache per token", formula, per_token)

    def window(self, windows: Sequence[Window]) -> None:
        self.windows = tuple(windows)


def need_spatial(x: Shape, what: str, *, ranks: Sequence[int] = (2, 3, 4)) -> int:
    """The number of spatial axes of ``x``, or a ShapeError saying why ``what`` cannot take it."""
    if len(x) not in ranks:
        if len(x) == 1:
            raise ShapeError(
                f"{what} needs an input with spatial axes, but it gets a flat vector of {x[0]:,}",
                hint="put it before the flatten / fc layers",
            )
        raise ShapeError(f"{what} cannot take an input of {len(x) - 1} spatial axes")
    return len(x) - 1
