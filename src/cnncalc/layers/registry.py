"""The registry of layer kinds: canonical names, aliases with preset arguments, and the lookup users see."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import UnknownLayerError
from cnncalc.layers.binding import Args, Param
from cnncalc.layers.calc import Calc, Shape

InferFn = Callable[[Args, tuple[Shape, ...], Calc], None]


@dataclass(frozen=True, slots=True)
class Sub:
    """One node of a composite kind's expansion: a kind, its keywords, and the names it reads.

    ``in`` (or ``in0``, ``in1`` … for several) is the composite's input; other
    names are earlier subs of the same expansion.
    """

    name: str
    kind: str
    kwargs: tuple[tuple[str, Any], ...] = ()
    inputs: tuple[str, ...] = ("in",)


class Expansion:
    """What a composite kind is made of, built one sub-node at a time; the last one added is its output."""

    def __init__(self) -> None:
        self.subs: list[Sub] = []
        self.notes: list[str] = []

    def add(self, name: str, kind: str, *inputs: str, **kwargs: Any) -> str:
        """Add ``kind(**kwargs)`` reading ``inputs`` (default: the composite's input) as ``name``; returns the name
        it is read by: ``name``, or ``name_2``, ``name_3`` … when an earlier sub took it (a sub's name is its
        node's id within the composite, so two subs never share one)."""
        taken = {s.name for s in self.subs}
        if name in taken:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            name = f"{name}_{n}"
        self.subs.append(Sub(name, kind, tuple(kwargs.items()), tuple(inputs) or ("in",)))
        return name

    def note(self, text: str) -> None:
        self.notes.append(text)


ExpandFn = Callable[[Args, tuple[Shape, ...], Expansion], None]


@dataclass(frozen=True, slots=True)
class Kind:
    """A layer kind: its names, the arguments it takes, and its arithmetic.

    ``inputs`` is how many inputs it takes (``None`` for any number ≥ 1, as
    add and concat); ``zero_cost`` marks kinds that do no arithmetic at all,
    an explicit list rather than a default; ``view`` marks kinds whose output
    shares its input's storage (flatten, reshape, dropout at inference): they
    add nothing to the activation total or the peak. A composite kind (a
    transformer block, squeeze-and-excitation) has ``expand`` instead of
    arithmetic of its own: it is made of nodes of other kinds, and its row
    is the sum of theirs.
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
    view: bool = False
    expand: ExpandFn | None = None
    block: bool = False  # a composite that is a network's repeated block (a transformer layer): --recompute's unit


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
    view: bool = False,
    example: str = "",
) -> Callable[[InferFn], InferFn]:
    """Register a kind under ``name`` and its aliases; a name used twice raises at import."""

    def deco(fn: InferFn) -> InferFn:
        _add(name, fn, params, aliases, inputs, zero_cost, example, view, None)
        return fn

    return deco


def composite(
    name: str,
    *,
    params: Sequence[Param] = (),
    aliases: Sequence[str | Alias] = (),
    example: str = "",
    block: bool = False,
) -> Callable[[ExpandFn], ExpandFn]:
    """Register a composite kind: ``fn(args, input shapes, expansion)`` adds the nodes it is made of.

    ``block``: it is a network's repeated block (a transformer layer), which activation checkpointing recomputes.
    """

    def deco(fn: ExpandFn) -> ExpandFn:
        _add(name, _composite_infer, params, aliases, 1, False, example, False, fn, fn, block)
        return fn

    return deco


def _composite_infer(a: Args, inputs: tuple[Shape, ...], c: Calc) -> None:  # pragma: no cover - never called
    raise RuntimeError("a composite kind is expanded by the analysis, never inferred")


def _add(
    name: str,
    fn: InferFn,
    params: Sequence[Param],
    aliases: Sequence[str | Alias],
    inputs: int | None,
    zero_cost: bool,
    example: str,
    view: bool,
    expand: ExpandFn | None,
    documented: Callable[..., Any] | None = None,
    block: bool = False,
) -> None:
    """Put a kind in the registry under its name and aliases (``documented``: whose docstring it carries)."""
    _claim(name, Alias(name, name))
    names = []
    for a in aliases:
        alias = Alias(a.name, name, a.preset) if isinstance(a, Alias) else Alias(a, name)
        _claim(alias.name, alias)
        names.append(alias.name)
    source = documented or fn
    doc = (source.__doc__ or "").strip()
    family = source.__module__.rsplit(".", 1)[-1]
    REGISTRY[name] = Kind(
        name, fn, tuple(params), tuple(names), inputs, zero_cost, example, doc, family, view, expand, block
    )


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
    long = len(word) > 60  # no name is that long: nothing near it, and the message shows its start
    near = [] if long else difflib.get_close_matches(word.lower(), names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}?" if near else "run `cnncalc kinds` to list the layer names"
    return UnknownLayerError(f"unknown layer '{word[:57] + '...' if long else word}'", hint=hint)
