"""Numbers and shapes as people write them in hand-made tables.

Numbers: ``62,958``, Indian grouping ``2,62,400``, ``1 197 476``, ``62958.0``,
``1.2M`` / ``4.1G`` (checked to the precision written), and a cell that
shows its working, ``(1024 × 256 + 256) = 2,62,400``, is read after its last
``=``. Shapes: ``(28, 28, 8)``, ``28x28x8``, ``28 × 28 × 8``, ``[-1, 8, 28, 28]``
(a leading ``-1`` is torchsummary's batch axis, channels first), ``(None, 28, 28, 8)``
(Keras' batch axis, channels last), ``(120, 1)`` for a vector.

>>> parse_number("2,62,400").value
262400
>>> n = parse_number("1.2M"); (n.value, n.tolerance)
(1200000.0, 50000.0)
>>> parse_shape("[-1, 8, 28, 28]")
WrittenShape(dims=(8, 28, 28), batch=True, style='list', batch_word='-1')
>>> parse_shape("(None, 28, 28, 8)").dims
(28, 28, 8)
>>> parse_number("1.197.476", decimal_comma=True).value  # a semicolon table groups with dots
1197476

Digits are ASCII (``٣`` is not 3 here), and a number is at most 30 digits long with its exponent
(``1e309`` and ``9e999`` are not read as numbers, so they are graded wrong, never as infinity).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnncalc.errors import CnnCalcError

BLANK = {"", "-", "–", "—", "n/a", "na", "none", "?", "...", "…"}
SUFFIX = {"k": 10**3, "K": 10**3, "M": 10**6, "m": 10**6, "G": 10**9, "B": 10**9, "g": 10**9, "T": 10**12}
UNITS = re.compile(
    r"(flops?|macs?|params?|parameters?|operations?|ops|bytes|weights?)\b\.?",
    re.IGNORECASE,
)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})
# Digits are ASCII [0-9] throughout: Python's \d and int() also take other scripts' digits ('٣' is 3).
_WESTERN = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")
_INDIAN = re.compile(r"[0-9]{1,2}(,[0-9]{2})*,[0-9]{3}")
_SPACED = re.compile(r"[0-9]{1,3}( [0-9]{3})+")
_APOS = re.compile(r"[0-9]{1,3}('[0-9]{3})+")
_DOTTED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
_NUMBER = re.compile(
    r"(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?P<exp>[+-]?[0-9]{1,6}))?\s*(?P<suffix>[kKmMgGBT])?"
)


class UnreadableError(CnnCalcError):
    """A table cell that is not a number or a shape."""


@dataclass(frozen=True, slots=True)
class WrittenNumber:
    """A number read from a cell: its value, the precision it is written at, and its significant digits.

    The grading rule, written here once: a written number is right when it equals the true value, or when
    it is the true value rounded to the precision it is written at and keeps at least two significant
    digits. ``1.2M`` is written to the 0.1M, so it is right for anything from 1,150,000 to 1,250,000;
    ``1k`` keeps one significant digit, so it is right for 1,000 alone, never for 608.

    >>> [parse_number(t).matches(62_958) for t in ("62,958", "63k", "62.96k", "0.063M", "62958.0")]
    [True, True, True, True, True]
    >>> parse_number("1.2M").matches(1_197_476)
    True
    >>> [parse_number(t).matches(608) for t in ("608", "0.61k", "1k", "1e3", "0M", "0e4", "0.6k", "609")]
    [True, True, False, False, False, False, False, False]
    >>> parse_number("1k").matches(1000), parse_number("0M").matches(0)   # equal is right
    (True, True)

    ``tolerance`` is half the place value of the last written digit (0 for a plain whole number),
    ``significant`` the significant digits written (2 for ``1.2M``, 1 for ``1k``, 0 for ``0M``).
    """

    text: str
    value: int | float
    tolerance: float = 0.0
    significant: int = 0
    exact: Fraction = Fraction(0)  # the value, exactly
    unit: Fraction = Fraction(1)  # the place value of the last written digit
    whole: int | None = None  # the value when it is a whole number written to a whole unit (the common case)

    def matches(self, true: int | float) -> bool:
        """Whether the cell is right for ``true`` (the rule above)."""
        if self.whole is not None and type(true) is int:  # whole numbers: exact, in integers
            off = abs(true - self.whole)
            return off == 0 or (self.significant >= 2 and 2 * off <= self.unit.numerator)
        try:  # most pairs the aligner tries are far apart: said by floats, without exact arithmetic
            if abs(float(true) - self.value) > 1.000001 * self.tolerance + 1e-6 * abs(float(true)) + 1e-6:
                return False
        except OverflowError:
            pass
        off = abs(Fraction(true) - self.exact)
        return off == 0 or (self.significant >= 2 and 2 * off <= self.unit)


@dataclass(frozen=True, slots=True)
class WrittenShape:
    """A shape read from a cell: its dimensions without the batch axis, and how it was written."""

    dims: tuple[int, ...]
    batch: bool = False
    style: str = "tuple"  # tuple "(28, 28, 8)", list "[-1, 8, 28, 28]", times "28x28x8", plain "1024"
    batch_word: str = ""  # how the batch axis is written: "-1" or "0" (torchsummary), "None" (Keras)

    @property
    def channels_last(self) -> bool | None:
        """Whether the axes are channels last, when the way the batch is written tells it: Keras' ``None``
        is channels last, torchsummary's ``-1`` channels first; None when the cell does not say."""
        if not self.batch:
            return None
        return self.batch_word.lower() == "none"

    def show(self, dims: tuple[int, ...]) -> str:
        """``dims`` written the way this cell writes shapes."""
        if self.style == "times":
            return "x".join(str(n) for n in dims)
        batch = (self.batch_word or "-1",) if self.batch else ()
        if self.style == "list":
            return "[" + ", ".join(str(n) for n in batch + tuple(dims)) + "]"
        if self.style == "plain" and len(dims) == 1:
            return str(dims[0])
        items = batch + tuple(dims)
        return "(" + ", ".join(str(n) for n in items) + ("," if len(items) == 1 else "") + ")"


def clean(text: str) -> str:
    """Drop LaTeX and markdown dressing: ``$\\text{floor}(x) = 42$`` → ``floor(x) = 42``."""
    t = text.translate(_SPACES).strip()
    t = t.replace("$", "").replace("**", "").replace("`", "")
    t = re.sub(r"\\(text|mathrm|operatorname|mathbf)\{([^}]*)\}", r"\2", t)
    t = t.replace("\\times", "×").replace("\\cdot", "·").replace("\\left", "").replace("\\right", "")
    t = t.replace("\\,", "").replace("\\ ", " ").replace("~", "")
    return t.strip()


def quoted(text: str) -> str:
    """A cell's text for a message: quoted, and cut short when it is long.

    >>> quoted("conv"), quoted("x" * 100)[:12], len(quoted("x" * 100))
    ("'conv'", "'xxxxxxxxxxx", 62)
    """
    t = text.strip()
    return repr(t) if len(t) <= 60 else repr(t[:57] + "...")


def listed(texts: Sequence[Any], most: int = 12, show: Callable[[Any], str] = quoted) -> str:
    """Cells or headers for a message: the first ``most`` of them, each :func:`quoted`, and how many more.

    >>> listed(["Layer", "Params"])
    "'Layer', 'Params'"
    >>> listed([str(i) for i in range(5000)], most=2)
    "'0', '1' and 4,998 more"
    """
    more = len(texts) - most
    return ", ".join(show(t) for t in texts[:most]) + (f" and {more:,} more" if more > 0 else "")


def is_blank(text: str) -> bool:
    return clean(text).lower() in BLANK


def _result_part(text: str) -> str:
    """The part after the last ``=``: a cell that shows its working is graded on its result."""
    return text.rsplit("=", 1)[-1].strip() if "=" in text else text


def parse_number(text: str, *, decimal_comma: bool = False) -> WrittenNumber:
    """A number as people write it, or an UnreadableError saying what was found.

    ``decimal_comma``: the table comes from a locale that writes ``1,5`` for one and a half and
    may group thousands with dots (a semicolon CSV from a German or French spreadsheet):
    ``1.197.476`` is then 1,197,476 and ``1,2M`` is 1.2M.
    """
    original = text
    t = _result_part(clean(text))
    t = UNITS.sub("", t).strip().rstrip(".").strip()
    if t.startswith("~") or t.startswith("≈"):
        t = t[1:].strip()
    if decimal_comma:
        if _DOTTED.fullmatch(t.split(" ")[0].rstrip("kKmMgGBT")):
            t = t.replace(".", "")
        elif re.fullmatch(r"[0-9]+,[0-9]+\s*[kKmMgGBT]?", t) and not _WESTERN.fullmatch(t):
            t = t.replace(",", ".")
    grouped = None
    for pattern, sep in ((_WESTERN, ","), (_INDIAN, ","), (_SPACED, " "), (_APOS, "'")):
        m = pattern.match(t)
        if m and (m.end() == len(t) or not t[m.end()].isdigit()):
            grouped = m.group(0).replace(sep, "") + t[m.end() :]
            break
    if grouped is None and re.search(r"[0-9][, '][0-9]", t):
        raise UnreadableError(f"cannot read {quoted(original)} as a number (its digit grouping is irregular)")
    t = (grouped if grouped is not None else t).strip()
    m = _NUMBER.fullmatch(t)
    if not m:
        if any(ch.isdigit() and not ch.isascii() for ch in t):
            raise UnreadableError(f"cannot read {quoted(original)} as a number: write its digits with 0-9")
        raise UnreadableError(f"cannot read {quoted(original)} as a number")
    return _written(original.strip(), m.group("num"), m.group("exp"), m.group("suffix"))


def _written(text: str, num: str, exp: str | None, suffix: str | None) -> WrittenNumber:
    """The number ``num`` ×10^``exp`` × ``suffix``, refused when it needs more digits than a number may have."""
    from cnncalc.numbers import max_digits

    whole, _, fraction = num.partition(".")
    digits = (whole + fraction).lstrip("0")
    power = int(exp or 0) + (len(str(SUFFIX[suffix])) - 1 if suffix else 0)  # 10^power scales the digits
    unit_power = power - len(fraction)  # the place of the last written digit
    if whole.lstrip("0"):
        top = len(whole.lstrip("0")) - 1 + power
    else:
        top = unit_power - len(digits) + 1 if digits else unit_power
    limit = max_digits()
    if len(digits) > limit or (digits and top >= limit):
        raise UnreadableError(
            f"cannot read {quoted(text)} as a number: it has more than the {limit} digits a number may have"
        )
    if abs(unit_power) > limit:
        raise UnreadableError(f"cannot read {quoted(text)} as a number: its exponent is out of range")
    unit = Fraction(10) ** unit_power
    exact = int(digits or "0") * unit
    plain = not suffix and not exp
    value: int | float = int(exact) if plain and exact.denominator == 1 else float(exact)
    tolerance = 0.0 if plain and not fraction else float(unit / 2)
    whole = exact.numerator if exact.denominator == 1 and unit.denominator == 1 else None
    return WrittenNumber(text, value, tolerance, len(digits), exact, unit, whole)


_SHAPE_TIMES = re.compile(r"^[0-9]+(\s*[x×X*·]\s*[0-9]+)+$")
_ITEM = r"(?:-?[0-9]+|None|none|null)"
_SHAPE_BRACKETS = re.compile(rf"^[(\[]\s*{_ITEM}(\s*,\s*{_ITEM})*\s*,?\s*[)\]]$")
_LISTED = re.compile(r"^\[\s*(\(.*\))\s*\]$")  # Keras 2 writes an input layer's shape [(None, 28, 28, 1)]


def _sizes(words: list[str]) -> tuple[int, ...] | None:
    """Sizes written in ASCII digits, or None when one is longer than a number may be."""
    from cnncalc.numbers import max_digits

    if any(len(w.lstrip("-").lstrip("0")) > max_digits() for w in words):
        return None
    return tuple(int(w) for w in words)


def _one_shape(part: str) -> WrittenShape | None:
    p = part.strip().rstrip(".").strip()
    listed = _LISTED.match(p)
    if listed:
        p = listed.group(1)
    if _SHAPE_TIMES.match(p):
        dims = _sizes(re.split(r"\s*[x×X*·]\s*", p))
        return None if dims is None else WrittenShape(dims, False, "times")
    if _SHAPE_BRACKETS.match(p):
        words = re.findall(r"-?[0-9]+|[A-Za-z]+", p)
        batch, batch_word = False, ""
        if len(words) > 1 and words[0] in ("-1", "0", "None", "none", "null"):
            words, batch, batch_word = words[1:], True, words[0]
        if any(not w.lstrip("-").isdigit() for w in words):
            return None  # None anywhere but the batch axis: a size Keras does not know
        items = _sizes(words)
        if items is None or any(n <= 0 for n in items):
            return None
        style = "list" if p.startswith("[") else "tuple"
        return WrittenShape(tuple(items), batch, style, batch_word)
    try:
        n = parse_number(p)
    except UnreadableError:
        return None
    if isinstance(n.value, int) and n.tolerance == 0 and n.value > 0:
        return WrittenShape((n.value,), False, "plain")
    return None


def parse_shape(text: str) -> WrittenShape:
    """A shape as people write it; ``18x18x128 = 41472`` is the shape 18x18x128 (the rest is its size)."""
    parts = [p for p in clean(text).split("=") if p.strip()]
    found = [s for s in (_one_shape(p) for p in parts) if s is not None]
    if not found:
        raise UnreadableError(f"cannot read {quoted(text)} as a shape")
    multi = [s for s in found if len(s.dims) > 1]
    return multi[-1] if multi else found[-1]


def shape_matches(written: WrittenShape, expected: tuple[int, ...]) -> bool:
    """Whether a written shape is ``expected`` (a vector may be written ``(120, 1)`` or ``(1, 120)``)."""
    if written.dims == expected:
        return True
    if len(expected) == 1:
        return written.dims in ((expected[0], 1), (1, expected[0]))
    return False
