"""The notation's syntax tree, of plain objects (no counting here), and the values written in it.

:func:`parse_statements` reads a text: a hand-written reader (:mod:`cnncalc.notation.quick`) takes
a well-formed one, and lark (:mod:`cnncalc.notation.parser`, imported only then) reads any other
and says what is wrong, so a summary of a well-formed text never imports lark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import NotationSyntaxError
from cnncalc.records import maker


@dataclass(frozen=True, slots=True)
class Call:
    """``conv(8, f=5)`` as written: the name, its positional and keyword arguments, and where it stands."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    line: int
    column: int
    has_parens: bool = True

    def source(self, label: str | None = None) -> str:
        """How the call reads in a message: ``conv(16, f=5)``."""
        name = label or self.name
        if not self.has_parens:
            return name
        parts = [show(v) for v in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs]
        return f"{name}({', '.join(parts)})"


# Call(name, args, kwargs, line, column, has_parens), made quicker: a text has a call per layer (cnncalc.records)
make_call = maker(Call, ("name", "args", "kwargs", "line", "column", "has_parens"))


@dataclass(frozen=True, slots=True)
class Repeat:
    """``[conv(64, f=3) -> relu] * 2``."""

    chain: tuple[Call | Repeat, ...]
    times: int | str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Statement:
    """A chain, optionally bound to a name (``FC = dense(bias=false)``)."""

    chain: tuple[Call | Repeat, ...]
    name: str | None = None
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Block:
    """``def basic(c, s=1) { ... }``: statements used like one layer, with parameters.

    ``params`` lists each parameter's name and default (``REQUIRED`` when it has none).
    """

    name: str
    params: tuple[tuple[str, Any], ...]
    body: tuple[Statement, ...]
    line: int = 1
    column: int = 1


REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Expr:
    """Arithmetic waiting for names to get values: ``4*c``, ``divisible(32*width)``."""

    op: str
    args: tuple[Any, ...]

    def names(self) -> list[str]:
        out: list[str] = []
        for a in self.args:
            if isinstance(a, Expr):
                out += a.names()
            elif isinstance(a, str):
                out.append(a)
        return out

    def __str__(self) -> str:
        if self.op in BINARY:
            return f"{show(self.args[0])}{self.op}{show(self.args[1])}"
        return f"{self.op}({', '.join(show(a) for a in self.args)})"


def divisible(v: float, d: int = 8) -> int:
    """A channel count rounded to a multiple of ``d``, never below 90% of ``v`` (MobileNet's rule).

    >>> divisible(32 * 0.75), divisible(1280 * 1.0), divisible(16 * 0.35)
    (24, 1280, 8)
    """
    new = max(d, int(v + d / 2) // d * d)
    return new + d if new < 0.9 * v else new


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
}
FUNCTIONS = {
    "int": lambda x: int(x),
    "round": lambda x: int(round(x)),
    "ceil": lambda x: -int(-x // 1),
    "floor": lambda x: int(x // 1),
    "max": max,
    "min": min,
    "divisible": divisible,
}


def evaluate(op: str, args: tuple[Any, ...]) -> Any:
    """Work out ``op`` on ``args`` when every argument is a number; else an :class:`Expr` to finish later.

    Every result is a finite number that fits in 64 bits: arithmetic never gives infinity, NaN or a number
    too long to use (``1e300*1e300``, ``int(1e308)``, a product of many large numbers) without a word.
    """
    if any(isinstance(a, (str, Expr)) for a in args):
        return Expr(op, args)
    if any(isinstance(a, bool) or not isinstance(a, (int, float)) for a in args):
        raise NotationSyntaxError(f"{op} works on numbers, got {', '.join(show(a) for a in args)}")
    try:
        result = BINARY[op](*args) if op in BINARY else FUNCTIONS[op](*args)
    except ZeroDivisionError:
        raise NotationSyntaxError(f"division by zero in {Expr(op, args)}") from None
    except TypeError:
        raise NotationSyntaxError(f"{op} takes other arguments than {len(args)}") from None
    except OverflowError:
        raise NotationSyntaxError(f"{Expr(op, args)} is too large to work out") from None
    if result.__class__ is float and not math.isfinite(result):
        raise NotationSyntaxError(f"{Expr(op, args)} is too large (beyond 1.8e308)")
    if result.__class__ is int and not -INT_LIMIT <= result <= INT_LIMIT:
        raise NotationSyntaxError(f"{Expr(op, args)} is too large (at most {INT_LIMIT:,})")
    return result


def show(v: Any) -> str:
    if v.__class__ is int or v.__class__ is str:  # most values
        return str(v)
    if isinstance(v, Expr):
        return str(v)
    if isinstance(v, Size):
        return "x".join(str(x) for x in v)
    if isinstance(v, tuple):
        return "(" + ", ".join(show(x) for x in v) + ")"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, float) and v.is_integer() and 1000 <= abs(v) < 1e16:  # 1e9 reads as 1000000000, 1e300 as 1e+300
        return str(int(v))
    return str(v)


class Size(tuple):
    """A size written ``5x5``: a tuple that remembers how it was written."""


INT_LIMIT = 2**63 - 1  # sizes are int64 in every framework


def whole(text: str, tok: Any) -> int:  # tok: a token with its line and column (lark's, or the quick reader's)
    """A whole number as written, or a NotationSyntaxError if it is beyond int64 (never an overflow later)."""
    if len(text) < 19:  # below 10¹⁸, sign included: within int64
        return int(text)
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > len(str(INT_LIMIT)) or abs(int(text)) > INT_LIMIT:
        raise NotationSyntaxError(
            f"the number {_short(text)} is too large (at most {INT_LIMIT:,})", line=tok.line, column=tok.column
        )
    return int(text)


def decimal(text: str, tok: Any) -> float:
    """A number written with a point or an exponent (``0.5``, ``1e-3``): finite, and not longer than a number may be.

    >>> decimal("2.5", None), decimal("1e3", None)
    (2.5, 1000.0)
    """
    if len(text) <= 24:  # the usual case, quickly: too short for more than 30 digits, so only infinity is left
        x = float(text)
        if x - x == 0:  # finite (infinity minus itself is NaN)
            return x
    from cnncalc.errors import ArgumentError
    from cnncalc.numbers import number

    try:
        return float(number(text, f"the number {_short(text)}"))
    except ArgumentError as e:
        message = e.message if "digits" in e.message else f"the number {_short(text)} is too large (beyond 1.8e308)"
        line, column = getattr(tok, "line", None), getattr(tok, "column", None)
        raise NotationSyntaxError(message, line=line, column=column) from None


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


WORDS = {"true": True, "false": False, "yes": True, "no": False, "none": None, "null": None}


def _block_params(name: Any, arglist: list | None) -> tuple[tuple[str, Any], ...]:
    """``(c, s=1)`` as ``(("c", REQUIRED), ("s", 1))``; a parameter is a plain name."""
    out: list[tuple[str, Any]] = []
    for key, value in arglist or []:
        word = key or value
        if not key and not (isinstance(value, str) and value.isidentifier()):
            raise NotationSyntaxError(
                f"block '{name}': a parameter must be a name, got {show(value)}",
                hint="e.g. def basic(c, s=1) { ... }",
                line=name.line,
                column=name.column,
            )
        if any(w == word for w, _ in out):
            raise NotationSyntaxError(
                f"block '{name}' names parameter '{word}' twice", line=name.line, column=name.column
            )
        if not key and any(d is not REQUIRED for _, d in out):
            raise NotationSyntaxError(
                f"block '{name}': parameter '{word}' without a default follows one with a default",
                line=name.line,
                column=name.column,
            )
        out.append((word, value if key else REQUIRED))
    return tuple(out)


MAX_DEPTH = 100


def caret(text: str, line: int, column: int) -> str:
    """The line of ``text`` and a caret under ``column`` (both 1-based); a long line is shown around the column.

    >>> print(caret("input(8) -> relu -> fx(2)", 1, 21))
      input(8) -> relu -> fx(2)
                          ^
    """
    lines = text.split("\n")  # as lark counts lines (splitlines would also split at \x0b, \u2028, ...)
    src = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    if len(src) > CONTEXT:  # a window of the line, so that one error stays a few lines long
        start = max(0, min(column - 1 - CONTEXT // 2, len(src) - CONTEXT))
        shown = ("…" if start else "") + src[start : start + CONTEXT] + ("…" if start + CONTEXT < len(src) else "")
        column = column - start + (1 if start else 0)
        src = shown
    return f"  {src}\n  {' ' * (column - 1)}^"


CONTEXT = 100  # characters of a line shown under an error


def parse_statements(text: str) -> list[Statement | Block]:
    """The statements of ``text``, or a NotationSyntaxError with a caret under the place.

    A text is refused before it is read when it has more tokens (names, numbers, signs) than
    ``notation_tokens`` allows: each costs memory while the text is read.
    """
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as some editors write one, is not text
    from cnncalc.limits import guard, value
    from cnncalc.notation.quick import count_tokens, read

    if len(text) > value("notation_tokens"):  # a shorter text cannot hold more tokens than it has characters
        n = count_tokens(text)
        guard("notation_tokens", n, f"the text has {n:,} tokens")

    quick = read(text)  # a well-formed text, read by hand (lark reads the rest, and says what is wrong)
    if quick is not None:
        return quick
    from cnncalc.notation.parser import read_with_lark  # lark is imported only here

    return read_with_lark(text)
