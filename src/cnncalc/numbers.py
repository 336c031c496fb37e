"""Numbers checked where they enter: every option, spec field, table cell and model attribute passes here.

Python's ``int()`` and ``float()`` take more than a person means: ``nan``, ``inf``, ``1e400`` (infinity),
digits of other scripts (``int('٣')`` is 3), and integers longer than Python will convert (4,300 digits).
These functions take what a person writes and refuse the rest with a :class:`~cnncalc.errors.ArgumentError`
naming the field.

>>> number("62958"), number("1.5e3"), number(" -7 ")
(62958, 1500.0, -7)
>>> whole("1e3", "units"), whole(4.0, "units")
(1000, 4)
>>> number("nan", "--set width")
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: --set width must be a finite number (got 'nan')
>>> whole("٣", "the batch")
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: the batch must be a whole number written with the digits 0-9 (got '٣')
>>> whole(10**40, "units")
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: units has 41 digits, more than the 30 a number may have
"""

from __future__ import annotations

import math
import re

from cnncalc.errors import ArgumentError

# A number as people type it: ASCII digits, an optional sign, a fraction and an exponent; '_' between digits.
NUMBER = re.compile(r"^[+-]?(?:[0-9](?:_?[0-9])*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
WHOLE = re.compile(r"^[+-]?[0-9](?:_?[0-9])*$")


class Digits(str):
    """A whole number written with more digits than a number may have, kept as its text.

    A reader (JSON's, YAML's) makes one instead of converting the digits (Python refuses past 4,300 of them,
    and the conversion costs time before that), so that the field reading it can say which field it is:

    >>> number(Digits("9" * 5000), "'units'")
    Traceback (most recent call last):
        ...
    cnncalc.errors.ArgumentError: 'units' has 5000 digits, more than the 30 a number may have
    """

    def digits(self) -> int:
        return sum(c.isdigit() for c in self.lstrip("+-0")) or 1


def max_digits() -> int:
    from cnncalc.limits import value

    return value("digits")


def _too_long(digits: int, what: str) -> ArgumentError:
    return ArgumentError(f"{what} has {digits} digits, more than the {max_digits()} a number may have")


def number(value: object, what: str = "the number") -> int | float:
    """A number as written (text or a Python number): an int when it is written whole, else a finite float."""
    if isinstance(value, bool):
        raise ArgumentError(f"{what} must be a number (got {value!r})")
    if isinstance(value, Digits):
        raise _too_long(value.digits(), what)
    if isinstance(value, int):
        if abs(value) >= 10 ** max_digits():  # its digits from its bits: str() refuses past 4,300 digits
            raise _too_long(int(abs(value).bit_length() * math.log10(2)) + 1, what)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArgumentError(f"{what} must be a finite number (got {value!r})")
        return value
    if not isinstance(value, str):
        raise ArgumentError(f"{what} must be a number (got {value!r})")
    text = value.strip()
    if not NUMBER.match(text):  # the pattern is linear in the text's length, whatever its length
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ArgumentError(f"{what} must be a finite number (got {value!r})")
        if any(c.isdigit() for c in text) and not text.isascii():
            raise ArgumentError(f"{what} must be a number written with the digits 0-9 (got {value!r})")
        raise ArgumentError(f"{what} must be a number (got {_short(value)})")
    mantissa = re.split(r"[eE]", text)[0]
    digits = sum(c.isdigit() for c in mantissa.lstrip("+-0.")) if mantissa.strip("+-0._") else 1
    if digits > max_digits():
        raise _too_long(digits, what)
    if WHOLE.match(text):
        return int(text)
    result = float(text)
    if not math.isfinite(result):
        raise ArgumentError(f"{what} must be a finite number (got {value!r})")
    return result


def whole(value: object, what: str = "the number", *, minimum: int | None = None) -> int:
    """A whole number (``12``, ``1e3``, ``4.0``), at least ``minimum`` when one is given."""
    if (
        isinstance(value, str)
        and not isinstance(value, Digits)
        and not value.strip().isascii()
        and any(c.isdigit() for c in value)
    ):
        raise ArgumentError(f"{what} must be a whole number written with the digits 0-9 (got {value!r})")
    try:
        n = number(value, what)
    except ArgumentError as e:
        if "digits" in e.message:
            raise
        raise ArgumentError(f"{what} must be a whole number (got {_short(value)})") from None
    if isinstance(n, float):
        if not n.is_integer():
            raise ArgumentError(f"{what} must be a whole number (got {_short(value)})")
        if abs(n) >= 10 ** max_digits():
            raise _too_long(len(str(int(abs(n)))), what)
        n = int(n)
    if minimum is not None and n < minimum:
        least = "positive" if minimum == 1 else f"at least {minimum}"
        raise ArgumentError(f"{what} must be {least} (got {_short(value)})")
    return n


def finite(
    value: object, what: str = "the number", *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """A finite real number, within ``[minimum, maximum]`` when those are given."""
    x = float(number(value, what))
    if (minimum is not None and x < minimum) or (maximum is not None and x > maximum):
        low = "" if minimum is None else f"at least {minimum:g}"
        high = "" if maximum is None else f"at most {maximum:g}"
        raise ArgumentError(f"{what} must be {' and '.join(p for p in (low, high) if p)} (got {_short(value)})")
    return x


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
