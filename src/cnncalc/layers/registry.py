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
class Kind:
    """A layer kind: its names, the arguments it takes, and its arithmetic.

    ``inputs`` is how many inputs it takes (``None`` for any number ≥ 1, as
    add and concat); ``zero_cost`` marks kinds that do no arithmetic at all,
    an explicit list rather than a default; ``view`` marks kinds whose output
    shares its input's storage (flatten, reshape, dropout at inference): they
    add nothing to the activation total or the peak.
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
        _claim(name, Alias(name, name))
        names = []
        for a in aliases:
            alias = Alias(a.name, name, a.preset) if isinstance(a, Alias) else Alias(a, name)
            _claim(alias.name, alias)
            names.append(alias.name)
        doc = (fn.__doc__ or "").strip()
        family = fn.__module__.rsplit(".", 1)[-1]
        REGISTRY[name] = Kind(name, fn, tuple(params), tuple(names), inputs, zero_cost, example, doc, family, view)
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
