"""``--where "params < 5e6 and flops < 4e9"``: a condition on a row's columns, read and evaluated without ``eval``.

Python's expression syntax is read by :func:`ast.parse` (which runs nothing) and only these forms are
accepted: numbers, words in quotes, ``True``/``False``, column names (dotted ones too:
``memory.peak_activation_bytes``, ``training.flops``), ``+ - * / // % **``, comparisons (chained ones too,
``1e6 < params <= 5e6``), ``in``/``not in`` a list of values, ``and``, ``or``, ``not``, and the functions
``abs``, ``min``, ``max``. Anything else is refused when the sweep starts, before any point runs, as is a
name that is not a column. A column a point has no value for (a point that failed) makes every
comparison with it false.

>>> keep = Condition.read("params < 5e6 and flops < 4e9", {"params", "flops"})
>>> keep({"params": 11_689_512, "flops": 3.6e9}), keep({"params": 1_000_000, "flops": 3.6e9})
(False, True)
>>> Condition.read("__import__('os')", {"params"})
Traceback (most recent call last):
    ...
cnncalc.errors.ArgumentError: --where: a call of __import__ is not allowed (only abs, min, max)
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Collection
from typing import Any

from cnncalc.errors import ArgumentError, CnnCalcError, type_name

MAX_CHARS = 2000
MAX_DEPTH = 40
MAX_BITS = 256  # the largest integer arithmetic may make (about 77 digits): 10**10**10 is refused, not computed

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max}

Evaluate = Callable[[dict[str, Any]], Any]


class Condition:
    """A checked condition: call it on a row (a dict of column values) for True or False."""

    def __init__(self, text: str, run: Evaluate, names: frozenset[str]) -> None:
        self.text, self._run, self.names = text, run, names

    def __call__(self, row: dict[str, Any]) -> bool:
        try:
            return _truth(self._run(row))
        except _Missing:
            return False
        except CnnCalcError:
            raise
        except (ArithmeticError, ValueError):  # a division by zero, an overflow on this row's values
            return False

    def __reduce__(self) -> tuple[Any, ...]:  # sent to a sweep's workers as its text, read again there
        return (_again, (self.text, tuple(sorted(self.names))))

    @classmethod
    def read(cls, text: object, columns: Collection[str]) -> Condition:
        """The condition ``text`` over ``columns``, or an ArgumentError saying what is not allowed and where."""
        if not isinstance(text, str):
            raise ArgumentError(f"--where must be a condition written as text (got {type_name(text)})")
        if len(text) > MAX_CHARS:
            raise ArgumentError(f"--where is {len(text):,} characters long; a condition may have {MAX_CHARS:,}")
        source = " ".join(text.splitlines()).strip()
        if not source:
            raise ArgumentError("--where is empty", hint='e.g. --where "params < 5e6 and flops < 4e9"')
        try:
            tree = ast.parse(source, mode="eval")
        except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
            where = f" at column {e.offset}" if isinstance(e, SyntaxError) and e.offset else ""
            raise ArgumentError(
                f"--where is not a condition{where}: {source[:80]!r}",
                hint="write it as Python writes a comparison: params < 5e6 and memory.peak_activation_bytes < 2**30",
            ) from None
        names: set[str] = set()
        run = _compile(tree.body, set(columns), names, 0)
        return cls(text, run, frozenset(names))


def _again(text: str, names: tuple[str, ...]) -> Condition:
    return Condition.read(text, names)


class _Missing(Exception):
    """A column without a value in this row (a point that failed): the condition is false."""


def _truth(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise ArgumentError("--where must be a condition (a comparison), not a value", hint="e.g. params < 5e6")


def _column(node: ast.expr) -> str | None:
    """``a.b.c`` as the column name ``"a.b.c"``, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _compile(node: ast.AST, columns: set[str], names: set[str], depth: int) -> Evaluate:
    """A function of the row for ``node``, after checking that every form in it is allowed."""
    if depth > MAX_DEPTH:
        raise ArgumentError(f"--where nests more than {MAX_DEPTH} deep")
    nested = depth + 1
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or isinstance(value, (int, float, str)):
            if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_BITS:
                raise ArgumentError("--where has a number too large to compare")
            if isinstance(value, float) and not math.isfinite(value):
                raise ArgumentError("--where has a number that is not finite")
            return lambda row: value
        raise ArgumentError(f"--where: {ast.unparse(node)!r} is not a number or a word in quotes")
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = _column(node)
        if name is None:
            raise ArgumentError(f"--where: {ast.unparse(node)!r} is not a column")
        if name not in columns:
            if name in ("True", "False"):  # pragma: no cover - ast reads these as constants
                pass
            near = difflib.get_close_matches(name, sorted(columns), n=3)
            hint = f"did you mean {' or '.join(near)}?" if near else f"the columns: {', '.join(sorted(columns))}"
            raise ArgumentError(f"--where: unknown column '{name}'", hint=hint)
        names.add(name)

        def read(row: dict[str, Any], name: str = name) -> Any:
            v = row.get(name)
            if v is None:
                raise _Missing
            return v

        return read
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, columns, names, nested) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda row: all(_sure(p, row) for p in parts)
        return lambda row: any(_sure(p, row) for p in parts)
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand, columns, names, nested)
        if isinstance(node.op, ast.Not):
            return lambda row: not _truth(inner(row))
        if isinstance(node.op, ast.USub):
            return lambda row: -_number(inner(row))
        if isinstance(node.op, ast.UAdd):
            return lambda row: +_number(inner(row))
        raise ArgumentError("--where: ~ is not allowed")
    if isinstance(node, ast.BinOp):
        fn = _ARITHMETIC.get(type(node.op))
        if fn is None:
            raise ArgumentError(f"--where: the operator in {ast.unparse(node)!r} is not allowed (+ - * / // % **)")
        left, right = _compile(node.left, columns, names, nested), _compile(node.right, columns, names, nested)
        power = isinstance(node.op, ast.Pow)
        return lambda row: _arith(fn, _number(left(row)), _number(right(row)), power)
    if isinstance(node, ast.Compare):
        ops = [_COMPARE.get(type(o)) for o in node.ops]
        if any(o is None for o in ops):
            raise ArgumentError("--where: only <, <=, >, >=, ==, !=, in and not in compare (not 'is')")
        terms = [_compile(node.left, columns, names, nested)] + [
            _compile(c, columns, names, nested) for c in node.comparators
        ]

        def compare(row: dict[str, Any]) -> bool:
            a = terms[0](row)
            for op, term in zip(ops, terms[1:]):
                b = term(row)
                try:
                    if not op(a, b):  # type: ignore[misc]
                        return False
                except TypeError:
                    raise ArgumentError(
                        f"--where compares {_kind(a)} with {_kind(b)}",
                        hint="a word is compared in quotes: act == 'relu'",
                    ) from None
                a = b
            return True

        return compare
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_compile(e, columns, names, nested) for e in node.elts]
        return lambda row: tuple(i(row) for i in items)
    if isinstance(node, ast.Call):
        func = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        fn = _FUNCTIONS.get(func)
        if fn is None or node.keywords or not node.args:
            raise ArgumentError(f"--where: a call of {func} is not allowed (only abs, min, max)")
        args = [_compile(a, columns, names, nested) for a in node.args]
        return lambda row: fn(*[_number(a(row)) for a in args])
    raise ArgumentError(f"--where: {ast.unparse(node)[:60]!r} is not allowed in a condition")


def _sure(part: Evaluate, row: dict[str, Any]) -> bool:
    return _truth(part(row))


def _number(v: Any) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgumentError(f"--where does arithmetic on {_kind(v)}", hint="arithmetic takes numbers")
    return v


def _arith(fn: Callable[[Any, Any], Any], a: int | float, b: int | float, power: bool) -> int | float:
    if power:
        size = abs(a) if isinstance(a, int) else 0
        if isinstance(b, (int, float)) and (abs(b) > MAX_BITS or size.bit_length() * abs(b) > MAX_BITS):
            if isinstance(a, float) or isinstance(b, float):
                return float(a) ** float(b)  # a float overflows to an error, never to hours of digits
            raise ArgumentError("--where: a power too large to work out")
    out = fn(a, b)
    if isinstance(out, int) and out.bit_length() > MAX_BITS:
        raise ArgumentError("--where: a number too large to work out")
    if isinstance(out, complex):
        raise ArgumentError("--where: a power of a negative number is not a real number")
    return out


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "True/False"
    if isinstance(v, str):
        return f"the word {v!r}"
    if isinstance(v, tuple):
        return "a list"
    return "a number"
