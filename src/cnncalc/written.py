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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cnncalc.errors import CnnCalcError

BLANK = {"", "-", "–", "—", "n/a", "na", "none", "?", "...", "…"}
SUFFIX = {"k": 10**3, "K": 10**3, "M": 10**6, "m": 10**6, "G": 10**9, "B": 10**9, "g": 10**9, "T": 10**12}
UNITS = re.compile(
    r"(flops?|macs?|params?|parameters?|operations?|ops|bytes|weights?)\b\.?",
    re.IGNORECASE,
)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})
_WESTERN = re.compile(r"\d{1,3}(,\d{3})+")
_INDIAN = re.compile(r"\d{1,2}(,\d{2})*,\d{3}")
_SPACED = re.compile(r"\d{1,3}( \d{3})+")
_APOS = re.compile(r"\d{1,3}('\d{3})+")
_DOTTED = re.compile(r"\d{1,3}(\.\d{3})+")
_NUMBER = re.compile(r"(?P<num>\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[+-]?\d+))?\s*(?P<suffix>[kKmMgGBT])?")


class UnreadableError(CnnCalcError):
    """A table cell that is not a number or a shape."""


@dataclass(frozen=True, slots=True)
class WrittenNumber:
    """A number read from a cell, with the tolerance its written precision implies.

    A plain whole number is exact (tolerance 0); ``1.2M`` means anything that
    rounds to 1.2 million, so its tolerance is half of 0.1M.
    """

    text: str
    value: int | float
    tolerance: float = 0.0

    def matches(self, expected: int | float) -> bool:
        return abs(expected - self.value) <= self.tolerance + 1e-9 * max(1.0, abs(expected))


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
        elif re.fullmatch(r"\d+,\d+\s*[kKmMgGBT]?", t) and not _WESTERN.fullmatch(t):
            t = t.replace(",", ".")
    grouped = None
    for pattern, sep in ((_WESTERN, ","), (_INDIAN, ","), (_SPACED, " "), (_APOS, "'")):
        m = pattern.match(t)
        if m and (m.end() == len(t) or not t[m.end()].isdigit()):
            grouped = m.group(0).replace(sep, "") + t[m.end() :]
            break
    if grouped is None and re.search(r"\d[, ']\d", t):
        raise UnreadableError(f"cannot read {original.strip()!r} as a number (its digit grouping is irregular)")
    t = (grouped if grouped is not None else t).strip()
    m = _NUMBER.fullmatch(t)
    if not m:
        raise UnreadableError(f"cannot read {original.strip()!r} as a number")
    num, exp, suffix = m.group("num"), m.group("exp"), m.group("suffix")
    try:
        d = Decimal(num)
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise UnreadableError(f"cannot read {original.strip()!r} as a number") from None
    scale = Decimal(10) ** int(exp) if exp else Decimal(1)
    scale *= SUFFIX[suffix] if suffix else 1
    value = d * scale
    decimals = len(num.split(".", 1)[1]) if "." in num else 0
    exact = not suffix and not exp
    tolerance = 0.0 if exact else float(Decimal(10) ** -decimals * scale / 2)
    if exact and decimals:
        tolerance = float(Decimal(10) ** -decimals / 2)
    out: int | float = int(value) if value == value.to_integral_value() and exact else float(value)
    if isinstance(out, float) and out.is_integer() and exact:
        out = int(out)
    return WrittenNumber(original.strip(), out, tolerance)


_SHAPE_TIMES = re.compile(r"^\d+(\s*[x×X*·]\s*\d+)+$")
_ITEM = r"(?:-?\d+|None|none|null)"
_SHAPE_BRACKETS = re.compile(rf"^[(\[]\s*{_ITEM}(\s*,\s*{_ITEM})*\s*,?\s*[)\]]$")
_LISTED = re.compile(r"^\[\s*(\(.*\))\s*\]$")  # Keras 2 writes an input layer's shape [(None, 28, 28, 1)]


def _one_shape(part: str) -> WrittenShape | None:
    p = part.strip().rstrip(".").strip()
    listed = _LISTED.match(p)
    if listed:
        p = listed.group(1)
    if _SHAPE_TIMES.match(p):
        return WrittenShape(tuple(int(x) for x in re.split(r"\s*[x×X*·]\s*", p)), False, "times")
    if _SHAPE_BRACKETS.match(p):
        words = re.findall(r"-?\d+|[A-Za-z]+", p)
        batch, batch_word = False, ""
        if len(words) > 1 and words[0] in ("-1", "0", "None", "none", "null"):
            words, batch, batch_word = words[1:], True, words[0]
        if any(not w.lstrip("-").isdigit() for w in words):
            return None  # None anywhere but the batch axis: a size Keras does not know
        items = [int(w) for w in words]
        if any(n <= 0 for n in items):
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
        raise UnreadableError(f"cannot read {text.strip()!r} as a shape")
    multi = [s for s in found if len(s.dims) > 1]
    return multi[-1] if multi else found[-1]


def shape_matches(written: WrittenShape, expected: tuple[int, ...]) -> bool:
    """Whether a written shape is ``expected`` (a vector may be written ``(120, 1)`` or ``(1, 120)``)."""
    if written.dims == expected:
        return True
    if len(expected) == 1:
        return written.dims in ((expected[0], 1), (1, expected[0]))
    return False
