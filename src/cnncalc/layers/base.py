"""The machinery every layer kind uses: the registry, argument binding and the calculator.

A layer kind is one function registered under a canonical name and aliases.
It receives its bound arguments, the shapes of its inputs (channels first, no
batch axis) and a :class:`Calc`; it records every number it computes together
with the worked formula that gives it, so that a report and its explanation
can never disagree.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.conventions import Convention, Layout, show_shape
from cnncalc.errors import ArgumentError, CnnCalcError, ShapeError, UnknownLayerError

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


# ---------------------------------------------------------------- arguments


@dataclass(frozen=True, slots=True)
class Param:
    """One argument a kind takes.

    ``positional`` arguments may be given without a keyword, in the order the
    kind lists them; ``aliases`` are the other words users write for it (the
    seeds' letters ``f``, ``s``, ``p`` and the frameworks' ``kernel_size``).
    """

    name: str
    aliases: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
    positional: bool = False
    variadic: bool = False


@dataclass(frozen=True, slots=True)
class Args:
    """Arguments bound to a kind's parameters; typed getters check the values.

    ``spelled`` maps a parameter to the word the user wrote, so that messages
    speak the user's language ('f' rather than 'kernel').
    """

    values: dict[str, Any]
    spelled: dict[str, str]
    given: frozenset[str]

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return name in self.given

    def _bad(self, name: str, what: str, value: Any) -> ArgumentError:
        word = self.spelled.get(name, name)
        hint = f"'{word}' is the {name.replace('_', ' ')}" if word.lower() != name.lower() else None  # s: stride
        return ArgumentError(f"'{word}' must be {what} (got {render_value(value)})", hint=hint)

    def int(self, name: str, *, minimum: int = 1) -> int:
        v = self.values.get(name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self._bad(name, "a whole number", v)
        if v < minimum:
            what = "a positive whole number" if minimum == 1 else f"a whole number ≥ {minimum}"
            raise self._bad(name, what, v)
        return v

    def optional_int(self, name: str, *, minimum: int = 1) -> int | None:
        return None if self.values.get(name) is None else self.int(name, minimum=minimum)

    def float(self, name: str, *, low: float | None = None, high: float | None = None) -> float:
        v = self.values.get(name)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self._bad(name, "a number", v)
        if (low is not None and v < low) or (high is not None and v > high):
            raise self._bad(name, f"a number from {low} to {high}", v)
        return float(v)

    def bool(self, name: str) -> bool:
        v = self.values.get(name)
        if isinstance(v, bool):
            return v
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        if isinstance(v, str) and v.lower() in ("true", "yes", "on", "false", "no", "off"):
            return v.lower() in ("true", "yes", "on")
        raise self._bad(name, "true or false", v)

    def choice(self, name: str, options: Sequence[str]) -> str:
        v = self.values.get(name)
        if isinstance(v, str) and v.lower() in options:
            return v.lower()
        raise self._bad(name, "one of " + ", ".join(options), v)

    def size(self, name: str, n_axes: int, *, minimum: int = 1) -> tuple[int, ...]:
        """A size per spatial axis: ``5``, ``5x5`` or ``(3, 5)``; one number serves every axis."""
        v = self.values.get(name)
        items = v if isinstance(v, tuple) else (v,) * n_axes
        if len(items) != n_axes:
            raise self._bad(name, f"one number or {n_axes} numbers (one per spatial axis)", v)
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
                what = "whole numbers" if minimum < 1 else "positive whole numbers"
                raise self._bad(name, what, v)
        return tuple(items)

    def padding(self, name: str, n_axes: int) -> tuple[tuple[int, int], ...] | str:
        """Padding: ``same``/``valid``, one number, one per axis, or ``((begin, end), ...)``."""
        v = self.values.get(name)
        if isinstance(v, str):
            word = v.lower()
            if word in ("same", "valid"):
                return word
            raise self._bad(name, "a number, a tuple, 'same' or 'valid'", v)
        items = v if isinstance(v, tuple) else (v,) * n_axes
        if len(items) != n_axes:
            raise self._bad(name, f"one number or {n_axes} (one per spatial axis)", v)
        pairs = []
        for item in items:
            pair = item if isinstance(item, tuple) else (item, item)
            if len(pair) != 2 or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in pair):
                raise self._bad(name, "whole numbers ≥ 0, or (begin, end) pairs", v)
            pairs.append((pair[0], pair[1]))
        return tuple(pairs)


def render_value(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(render_value(x) for x in v) + ")"
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"'{v}'"
    return str(v)


def _too_large(v: Any) -> bool:
    if isinstance(v, tuple):
        return any(_too_large(x) for x in v)
    return isinstance(v, int) and abs(v) > MAX_ELEMENTS


_WORDS: dict[str, dict[str, Param]] = {}


def _words(kind: Kind) -> dict[str, Param]:
    """Every word (lower case) that names one of the kind's parameters; built once per kind."""
    words = _WORDS.get(kind.name)
    if words is None or any(words.get(p.name.lower()) is not p for p in kind.params[:1]):
        words = {word.lower(): p for p in kind.params for word in (p.name, *p.aliases)}
        _WORDS[kind.name] = words
    return words


def bind(kind: Kind, positional: Sequence[Any], keywords: Sequence[tuple[str, Any]]) -> Args:
    """Match the user's arguments to the kind's parameters, or say which one is wrong."""
    for i, v in [*enumerate(positional, start=1), *keywords]:
        if _too_large(v):
            where = f"argument {i}" if isinstance(i, int) else f"'{i}'"
            raise ArgumentError(f"{where} is too large (every size must be at most 2^63 − 1)")
    slots = [p for p in kind.params if p.positional]
    rest = next((p for p in kind.params if p.variadic), None)
    if rest is not None:
        slots = [p for p in slots if p is not rest]
        extra = tuple(positional[len(slots) :])
        positional = positional[: len(slots)]
    if len(positional) > len(slots):
        names = ", ".join(p.name for p in slots) or "none"
        raise ArgumentError(
            f"{kind.name} takes {len(slots)} positional argument(s) ({names}), got {len(positional)}",
            hint="name the others, e.g. s=2",
        )
    values: dict[str, Any] = {p.name: p.default for p in kind.params}
    spelled: dict[str, str] = {}
    given: set[str] = set()
    for p, v in zip(slots, positional):
        values[p.name] = v
        spelled[p.name] = p.name
        given.add(p.name)
    if rest is not None and extra:
        values[rest.name] = extra
        spelled[rest.name] = rest.name
        given.add(rest.name)
    lookup = _words(kind)
    for word, v in keywords:
        p = lookup.get(word.lower())
        if p is None:
            near = difflib.get_close_matches(word.lower(), list(lookup), n=3)
            hint = f"did you mean {' or '.join(near)}?" if near else None
            accepted = ", ".join(p.name for p in kind.params)
            raise ArgumentError(f"{kind.name} has no argument '{word}' (it takes {accepted})", hint=hint)
        if p.name in given:
            raise ArgumentError(f"'{word}' is given twice")
        values[p.name] = v
        spelled[p.name] = word
        given.add(p.name)
    for p in kind.params:
        if p.required and p.name not in given:
            raise ArgumentError(f"{kind.name} needs '{p.name}'", hint=f"e.g. {kind.example}" if kind.example else None)
    return Args(values, spelled, frozenset(given))


# ---------------------------------------------------------------- calculator


@dataclass(frozen=True, slots=True)
class Step:
    """One line of worked arithmetic: ``params = (5·5·3 + 1)·8 = 608``."""

    quantity: str
    formula: str
    value: Any

    def __str__(self) -> str:
        value = self.value
        shown = fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        if self.formula and self.formula != shown:
            return f"{self.quantity} = {self.formula} = {shown}"
        return f"{self.quantity} = {shown}"


@dataclass(frozen=True, slots=True)
class Window:
    """How a spatial layer maps positions along one axis (for the receptive field)."""

    kernel: int
    stride: int
    pad_begin: int
    dilation: int = 1


class Calc:
    """What a kind computes for one layer, each figure with its formula.

    MACs and the convention-specific extra FLOPs are recorded per sample; the
    analysis multiplies by the batch.
    """

    def __init__(self, convention: Convention, layout: Layout = Layout.hwc) -> None:
        self.convention = convention
        self.layout = layout
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.shape: Shape | None = None
        self.params_total = 0
        self.trainable_total = 0
        self.buffers_total = 0
        self.macs_total = 0
        self.macs_formulas: list[str] = []
        self.extra: dict[Convention, list[tuple[int, str]]] = {c: [] for c in Convention}
        self.windows: tuple[Window, ...] | None = None

    def shown(self, shape: Shape) -> str:
        """A core shape as the user sees it, as a product: ``5·5·16`` for (16, 5, 5) in hwc."""
        return times(show_shape(shape, self.layout))

    def step(self, quantity: str, formula: str, value: Any) -> Any:
        self.steps.append(Step(quantity, formula, value))
        return value

    def note(self, text: str) -> None:
        self.notes.append(text)

    def out(self, shape: Sequence[int]) -> Shape:
        shape = tuple(int(x) for x in shape)
        if prod(shape) > MAX_ELEMENTS and all(n > 0 for n in shape):
            raise ShapeError("the output would have more than 2^63 − 1 elements, more than any framework can index")
        for n in shape:
            if n <= 0:
                raise ShapeError(f"the output would have size {n} on an axis ({shape})")
        self.shape = shape
        return shape

    def params(self, value: int, formula: str, *, trainable: bool = True, what: str = "params") -> int:
        self.params_total += value
        if trainable:
            self.trainable_total += value
        return self.step(what, formula, value)

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

    def window(self, windows: Sequence[Window]) -> None:
        self.windows = tuple(windows)


# ---------------------------------------------------------------- registry

InferFn = Callable[[Args, tuple[Shape, ...], Calc], None]


@dataclass(frozen=True, slots=True)
class Kind:
    """A layer kind: its names, the arguments it takes, and its arithmetic.

    ``inputs`` is how many inputs it takes (``None`` for any number ≥ 1, as
    add and concat); ``zero_cost`` marks kinds that do no arithmetic at all,
    an explicit list rather than a default.
    """

    name: str
    infer: InferFn
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    inputs: int | None = 1
    zero_cost: bool = False
    example: str = ""
    doc: str = ""
    family: str = ""


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name for a kind with some arguments preset: ``fcwb`` is ``dense(bias=true)``."""

    name: str
    kind: str
    preset: tuple[tuple[str, Any], ...] = ()


REGISTRY: dict[str, Kind] = {}
ALIASES: dict[str, Alias] = {}


def register(
    name: str,
    *,
    params: Sequence[Param] = (),
    aliases: Sequence[str | Alias] = (),
    inputs: int | None = 1,
    zero_cost: bool = False,
    example: str = "",
) -> Callable[[InferFn], InferFn]:
    """Register a kind under ``name`` and its aliases; a name used twice raises at import."""

    def deco(fn: InferFn) -> InferFn:
        _claim(name, Alias(name, name))
        names = []
        for a in aliases:
            alias = Alias(a.name, name, a.preset) if isinstance(a, Alias) else Alias(a, name)
            _claim(alias.name, alias)
            names.append(alias.name)
        doc = (fn.__doc__ or "").strip()
        family = fn.__module__.rsplit(".", 1)[-1]
        REGISTRY[name] = Kind(name, fn, tuple(params), tuple(names), inputs, zero_cost, example, doc, family)
        return fn

    return deco


def _claim(word: str, alias: Alias) -> None:
    key = word.lower()
    if key in ALIASES:
        raise RuntimeError(f"layer name {word!r} is registered twice")
    ALIASES[key] = alias


def resolve(word: str) -> Alias | None:
    """The kind a word names, exactly (case-insensitive), or None."""
    return ALIASES.get(word.lower())


def unknown_layer(word: str, extra_names: Sequence[str] = ()) -> UnknownLayerError:
    names = list(ALIASES) + [n.lower() for n in extra_names]
    near = difflib.get_close_matches(word.lower(), names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}?" if near else "run `cnncalc kinds` to list the layer names"
    return UnknownLayerError(f"unknown layer '{word}'", hint=hint)


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


__all__ = [
    "ALIASES",
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
    "resolve",
    "times",
    "unknown_layer",
]
