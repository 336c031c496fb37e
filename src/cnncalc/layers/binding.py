"""Argument binding: match what the user wrote (``conv(16, f=5, s=2)``) to a kind's parameters, with typed getters."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnncalc.errors import ArgumentError
from cnncalc.layers.calc import MAX_ELEMENTS

if TYPE_CHECKING:
    from cnncalc.layers.registry import Kind


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


FUNCTIONAL = "functional"
"""A word every single layer takes: ``gap(functional=true)`` says it runs as a function in PyTorch
(``F.adaptive_avg_pool2d``), not as a module. No figure of cnncalc's changes; tools that count through
module hooks (``--flops as=thop``) see the difference (:mod:`cnncalc.others`)."""


def _functional_flag(kind: Kind, word: str, value: Any) -> bool:
    if kind.expand is not None:
        raise ArgumentError(f"'{word}' applies to single layers, and {kind.name} is made of several")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ArgumentError(f"'{word}' must be true or false (got {render_value(value)})")


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
        if word.lower() == FUNCTIONAL and word.lower() not in lookup:
            values[FUNCTIONAL] = _functional_flag(kind, word, v)
            continue
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
