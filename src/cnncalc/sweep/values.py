"""The values a sweep gives an argument, and the grid of every combination: nothing is listed before it is used.

``--vary NAME=VALUES``, where VALUES is items separated by commas, each

- a value: ``2048``, ``0.5``, ``relu`` (a word), ``|nor_conv_3x3~0|+|...|`` (a cell string);
- a range with its last value included: ``16..48`` (step 1), ``16..48:8`` (16, 24, 32, 40, 48), ``1..0:-0.25``;
- powers: ``log2:32..1024`` (32, 64, …, 1024: each the one before times 2), ``log2:32..1024:2`` (times 4);
- ``all``: every value of an argument that has a known set (``zoo:nb201``'s ``arch``: its 15,625 cells).

Every number passes :mod:`cnncalc.numbers` (no NaN, infinity, other scripts' digits, over-long integers).
A grid's points are numbered as ``itertools.product`` lists them (the last ``--vary`` changing fastest).

>>> axis("w", "16..48:8").values()
[16, 24, 32, 40, 48]
>>> axis("d", "log2:32..1024").values()
[32, 64, 128, 256, 512, 1024]
>>> g = Grid([axis("a", "1,2,3"), axis("b", "x,y")])
>>> len(g), g.point(0), g.point(5)
(6, {'a': 1, 'b': 'x'}, {'a': 3, 'b': 'y'})
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnncalc.errors import ArgumentError
from cnncalc.numbers import number

_RANGE = re.compile(r"^(?P<start>[^.:]+(?:\.[0-9]+)?)\.\.(?P<stop>[^:]+?)(?::(?P<step>.+))?$")
_LOG = re.compile(r"^log(?P<base>[0-9]+):(?P<rest>.+)$", re.IGNORECASE)
_NUMERIC_START = re.compile(r"^[+\-.0-9]")
_NOT_NUMBERS = ("nan", "inf", "infinity")


def value_of(text: str, what: str) -> int | float | str:
    """One value as written: a number (checked by :mod:`cnncalc.numbers`) or a word.

    >>> value_of("64", "w"), value_of("1.5", "w"), value_of("gelu", "act")
    (64, 1.5, 'gelu')
    """
    t = text.strip()
    if not t:
        raise ArgumentError(f"{what} has an empty value", hint="values are separated by commas: --vary w=16,32,64")
    looks_numeric = (
        _NUMERIC_START.match(t) is not None
        or t.lower().lstrip("+-") in _NOT_NUMBERS
        or (any(c.isdigit() for c in t) and not t.isascii() and not any(c.isalpha() and c.isascii() for c in t))
    )
    if looks_numeric:
        return number(t, what)
    if not t.isprintable():
        raise ArgumentError(f"{what} has a value with control characters ({t!r})")
    return t


class _Lazy(Sequence[Any]):
    """Values made when asked for: ``count`` of them, the ``i``-th by :meth:`at`."""

    count = 0

    def __len__(self) -> int:
        return self.count

    @property
    def size(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> Any:  # type: ignore[override]
        if not 0 <= i < self.count:
            raise IndexError(i)
        return self.at(i)

    def at(self, i: int) -> Any:
        raise NotImplementedError


class _Range(_Lazy):
    """``start, start + step, …`` up to ``stop`` included (exact: fractions, never a float's rounding)."""

    def __init__(self, start: Fraction, stop: Fraction, step: Fraction, integral: bool, what: str) -> None:
        if step == 0:
            raise ArgumentError(f"{what}: a range's step cannot be 0")
        count = (stop - start) // step + 1
        if count < 1:
            raise ArgumentError(
                f"{what}: the range from {_show(start)} to {_show(stop)} by {_show(step)} has no values",
                hint="a range counts up to its last value: 16..64:16 (a negative step counts down: 64..16:-16)",
            )
        self.start, self.step, self.count, self.integral = start, step, int(count), integral

    def at(self, i: int) -> Any:
        v = self.start + i * self.step
        return int(v) if self.integral else float(v)


class _Powers(_Lazy):
    """``start, start·base^step, …`` up to ``stop`` included."""

    def __init__(self, start: Fraction, stop: Fraction, base: int, step: int, integral: bool, what: str) -> None:
        if start <= 0 or step < 1:
            raise ArgumentError(f"{what}: powers start from a positive number and step by at least 1 (log2:32..1024)")
        factor = Fraction(base) ** step
        count, v = 0, start
        while v <= stop:
            count += 1
            v *= factor
            if count > 4096:  # a number has at most a few hundred digits: this many powers pass any stop
                break
        if count < 1:
            raise ArgumentError(f"{what}: the powers from {_show(start)} to {_show(stop)} have no values")
        self.start, self.factor, self.count, self.integral = start, factor, count, integral

    def at(self, i: int) -> Any:
        v = self.start * self.factor**i
        return int(v) if self.integral and v.denominator == 1 else float(v)


def _show(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"


def _exact(text: str, what: str) -> tuple[Fraction, bool]:
    """A range's number as a fraction (exact), and whether it was written whole."""
    v = number(text.strip(), what)
    if isinstance(v, int):
        return Fraction(v), True
    return Fraction(text.strip().replace("_", "")), False


@dataclass(frozen=True)
class Axis:
    """One varied argument: its name and its values (lists, ranges and powers, one after the other)."""

    name: str
    parts: tuple[Sequence[Any], ...]
    text: str

    @property
    def size(self) -> int:
        """How many values (a Python int: a range may hold more than ``len()`` can say)."""
        return sum(_size(p) for p in self.parts)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> Any:
        for p in self.parts:
            n = _size(p)
            if i < n:
                return p[i]
            i -= n
        raise IndexError(i)

    def values(self) -> list[Any]:
        """Every value, as a list (for a small axis)."""
        return [self[i] for i in range(self.size)]


def _size(part: Sequence[Any]) -> int:
    size = getattr(part, "size", None)
    return size if isinstance(size, int) else len(part)


def axis(name: str, text: str, choices: Sequence[Any] | None = None) -> Axis:
    """The axis ``--vary NAME=TEXT``; ``choices`` is every value of an argument that has a known set (``all``)."""
    what = f"--vary {name}"
    if not isinstance(text, str):
        text = ",".join(str(v) for v in text) if isinstance(text, (list, tuple, range)) else str(text)
    parts: list[Sequence[Any]] = []
    items: list[Any] = []
    for raw in text.split(","):
        item = raw.strip()
        if item.lower() == "all":
            if choices is None:
                raise ArgumentError(
                    f"{what}=all: {name} has no list of every value",
                    hint=f"give its values: --vary {name}=a,b,c or a range --vary {name}=16..64:16",
                )
            if items:
                parts.append(tuple(items))
                items = []
            parts.append(choices)
            continue
        log = _LOG.match(item)
        rng = _RANGE.match(log["rest"] if log else item) if ".." in item else None
        if ".." in item and rng is None:
            raise ArgumentError(f"{what}: {item!r} is not a range", hint="a range is START..STOP or START..STOP:STEP")
        if rng is None:
            if log:
                raise ArgumentError(f"{what}: {item!r} is not a range of powers", hint="e.g. log2:32..1024")
            items.append(value_of(item, what))
            continue
        if items:
            parts.append(tuple(items))
            items = []
        start, whole_start = _exact(rng["start"], what)
        stop, whole_stop = _exact(rng["stop"], what)
        if log:
            base = int(log["base"])
            if base < 2 or base > 1000:
                raise ArgumentError(f"{what}: powers of {base}? the base is a whole number from 2 to 1000 (log2:)")
            step = int(number(rng["step"], what)) if rng["step"] else 1
            parts.append(_Powers(start, stop, base, step, whole_start, what))
        else:
            step_value, whole_step = _exact(rng["step"], what) if rng["step"] else (Fraction(1), True)
            parts.append(_Range(start, stop, step_value, whole_start and whole_stop and whole_step, what))
    if items:
        parts.append(tuple(items))
    return Axis(name, tuple(parts), text)


class Grid:
    """Every combination of the axes' values, numbered as ``itertools.product`` lists them."""

    def __init__(self, axes: Sequence[Axis]) -> None:
        self.axes = tuple(axes)
        self.sizes = tuple(a.size for a in self.axes)
        size = 1
        for n in self.sizes:
            size *= n
        self.size = size  # a Python int: exact however large

    def __len__(self) -> int:
        return self.size

    def point(self, index: int) -> dict[str, Any]:
        """The values of point ``index``."""
        out: list[tuple[str, Any]] = []
        for a, n in zip(reversed(self.axes), reversed(self.sizes)):
            index, i = divmod(index, n)
            out.append((a.name, a[i]))
        return dict(reversed(out))


class Sample:
    """``count`` distinct points of a grid, chosen at random by ``seed`` (the same seed, the same points, in the
    same order, on every machine and Python): point ``k`` is a keyed permutation of the grid's numbers applied to
    ``k``, so nothing is listed or remembered to draw without repeats.

    >>> s = Sample(1_000_000, 5, seed=1)
    >>> len({s.index(k) for k in range(5)}), all(0 <= s.index(k) < 1_000_000 for k in range(5))
    (5, True)
    """

    def __init__(self, size: int, count: int, seed: int) -> None:
        self.size, self.count, self.seed = size, count, seed
        bits = max(2, (size - 1).bit_length())
        self.half = (bits + 1) // 2  # a permutation of 2^(2·half) numbers; those past the grid are stepped over
        self.mask = (1 << self.half) - 1

    def index(self, k: int) -> int:
        """The grid number of the ``k``-th point drawn."""
        x = k
        while True:
            x = self._permute(x)
            if x < self.size:
                return x

    def _permute(self, x: int) -> int:
        """A Feistel network of four rounds over 2·half bits: a bijection, keyed by the seed."""
        left, right = x >> self.half, x & self.mask
        for r in range(4):
            left, right = right, left ^ (_mix(right, self.seed, r) & self.mask)
        return (left << self.half) | right


_M64 = (1 << 64) - 1


def _mix(x: int, seed: int, r: int) -> int:
    """A 64-bit mix of ``x``, the seed and the round (splitmix64's finaliser): the same on every platform."""
    z = (x + (seed & _M64) * 0x9E3779B97F4A7C15 + (r + 1) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)
