"""Parse the text notation into a syntax tree of plain objects (no counting here)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from cnncalc.errors import CnnCalcError, NotationSyntaxError


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
    """Work out ``op`` on ``args`` when every argument is a number; else an :class:`Expr` to finish later."""
    if any(isinstance(a, (str, Expr)) for a in args):
        return Expr(op, args)
    if any(isinstance(a, bool) or not isinstance(a, (int, float)) for a in args):
        raise NotationSyntaxError(f"{op} works on numbers, got {', '.join(show(a) for a in args)}")
    try:
        return BINARY[op](*args) if op in BINARY else FUNCTIONS[op](*args)
    except ZeroDivisionError:
        raise NotationSyntaxError(f"division by zero in {Expr(op, args)}") from None
    except TypeError:
        raise NotationSyntaxError(f"{op} takes other arguments than {len(args)}") from None


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
    return str(v)


class Size(tuple):
    """A size written ``5x5``: a tuple that remembers how it was written."""


INT_LIMIT = 2**63 - 1  # sizes are int64 in every framework


def whole(text: str, tok: Token) -> int:
    """A whole number as written, or a NotationSyntaxError if it is beyond int64 (never an overflow later)."""
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > len(str(INT_LIMIT)) or abs(int(text)) > INT_LIMIT:
        shown = text if len(text) <= 24 else text[:20] + "…"
        raise NotationSyntaxError(
            f"the number {shown} is too large (at most {INT_LIMIT:,})", line=tok.line, column=tok.column
        )
    return int(text)


WORDS = {"true": True, "false": False, "yes": True, "no": False, "none": None, "null": None}


class _ToAst(Transformer):
    @v_args(inline=True)
    def int(self, tok: Token) -> int:
        return whole(str(tok), tok)

    @v_args(inline=True)
    def float(self, tok: Token) -> float:
        return float(tok)

    @v_args(inline=True)
    def size(self, tok: Token) -> Size:
        return Size(whole(x, tok) for x in str(tok).replace("×", "x").replace(" ", "").split("x"))

    @v_args(inline=True)
    def string(self, tok: Token) -> str:
        return str(tok)[1:-1]

    @v_args(inline=True)
    def word(self, tok: Token) -> Any:
        return WORDS.get(str(tok).lower(), str(tok))

    @v_args(inline=True)
    def add(self, a: Any, b: Any) -> Any:
        return evaluate("+", (a, b))

    @v_args(inline=True)
    def sub(self, a: Any, b: Any) -> Any:
        return evaluate("-", (a, b))

    @v_args(inline=True)
    def mul(self, a: Any, b: Any) -> Any:
        return evaluate("*", (a, b))

    @v_args(inline=True)
    def div(self, a: Any, b: Any) -> Any:
        return evaluate("/", (a, b))

    @v_args(inline=True)
    def floordiv(self, a: Any, b: Any) -> Any:
        return evaluate("//", (a, b))

    def func(self, items: list[Any]) -> Any:
        name, *args = items
        if str(name) not in FUNCTIONS:
            raise NotationSyntaxError(
                f"unknown function '{name}' in a value (functions: {', '.join(FUNCTIONS)})",
                line=name.line,
                column=name.column,
            )
        return evaluate(str(name), tuple(args))

    def tuple(self, items: list[Any]) -> tuple[Any, ...]:
        return tuple(x for x in items if x is not None or items != [None])

    @v_args(inline=True)
    def positional(self, v: Any) -> tuple[str, Any]:
        return ("", v)

    @v_args(inline=True)
    def keyword(self, name: Token, v: Any) -> tuple[str, Any]:
        return (str(name), v)

    def arglist(self, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        return items

    def call(self, items: list[Any]) -> Call:
        name: Token = items[0]
        has_parens = len(items) > 1
        arglist = items[1] if has_parens and items[1] is not None else []
        args, kwargs, seen_kw = [], [], False
        for key, value in arglist:
            if key:
                kwargs.append((key, value))
                seen_kw = True
            elif seen_kw:
                raise NotationSyntaxError(
                    f"in {name}(...), a positional argument follows a keyword argument",
                    hint="put sizes first, keywords after: conv(16, f=5)",
                    line=name.line,
                    column=name.column,
                )
            else:
                args.append(value)
        return Call(str(name), tuple(args), tuple(kwargs), name.line, name.column, has_parens)

    @v_args(inline=True)
    def repeat(self, chain: tuple[Any, ...], times: Token) -> Repeat:
        first = chain[0]
        count = whole(str(times), times) if times.type == "INT" else str(times)
        return Repeat(chain, count, first.line, first.column)

    @v_args(inline=True)
    def blockline(self, name: Token, arglist: list | None, chain: tuple[Any, ...]) -> Block:
        body = (Statement(chain, None, chain[0].line, chain[0].column),)
        return Block(str(name), _block_params(name, arglist), body, name.line, name.column)

    @v_args(inline=True)
    def block(self, name: Token, arglist: list | None, body: list[Statement]) -> Block:
        if not body:
            raise NotationSyntaxError(f"block '{name}' is empty", line=name.line, column=name.column)
        return Block(str(name), _block_params(name, arglist), tuple(body), name.line, name.column)

    def body(self, items: list[Any]) -> list[Statement]:
        return self.program(items)

    def chain(self, items: list[Any]) -> tuple[Any, ...]:
        return tuple(items)

    @v_args(inline=True)
    def definition(self, name: Token, chain: tuple[Any, ...]) -> Statement:
        return Statement(chain, str(name), name.line, name.column)

    def program(self, items: list[Any]) -> list[Statement]:
        out = []
        for item in items:
            if isinstance(item, (Statement, Block)):
                out.append(item)
            elif item:
                out.append(Statement(item, None, item[0].line, item[0].column))
        return out


def _block_params(name: Token, arglist: list | None) -> tuple[tuple[str, Any], ...]:
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


class _Continuations:
    """Drop newlines that do not end a statement: inside brackets, and next to an arrow or '='."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        pending: list[Token] = []
        previous: str | None = None
        for tok in stream:
            if tok.type == "_NL":
                if depth == 0 and previous not in (None, "_ARROW", "EQUAL", "COMMA", "LPAR", "LSQB"):
                    pending.append(tok)
                continue
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
                if depth > MAX_DEPTH:  # every level costs a frame or two later on: refuse, rather than overflow
                    raise NotationSyntaxError(
                        f"brackets nested more than {MAX_DEPTH} deep", line=tok.line, column=tok.column
                    )
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(depth - 1, 0)
            if pending and tok.type not in ("_ARROW", "_TIMES"):
                yield pending[0]
            pending = []
            previous = tok.type
            yield tok


def grammar_text() -> str:
    """The notation's grammar, ``grammar.lark``, as shipped in the package.

    It is read beside this file; only a package that is not in files (in a zip) is read through
    importlib.resources, whose import and first lookup cost a summary several milliseconds.
    """
    try:
        return Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    except OSError:
        from importlib.resources import files

        return files("cnncalc.notation").joinpath("grammar.lark").read_text(encoding="utf-8")


def cache_file() -> str | bool:
    """Where lark keeps the notation's parser tables: a file in the user's own cache folder
    (``$XDG_CACHE_HOME/cnncalc`` or ``~/.cache/cnncalc``), or False when that cannot be made.

    Not lark's default, the shared temporary folder: there another user could leave a file
    under the expected name, and the cache is a pickle.
    """
    import lark

    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cnncalc"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return str(folder / f"notation-lark{lark.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}.cache")


def build_parser(grammar: str | None = None, *, cache: bool | str | None = None) -> Lark:
    """The LALR parser of ``grammar`` (default: ``grammar.lark``), its tables built once and then cached.

    Building the tables costs more than everything else ``cnncalc summary`` does on a small network,
    so lark's cache keeps them, at :func:`cache_file` unless ``cache`` says otherwise (a path, or
    False). The cache is keyed by a hash of the grammar text and the options, so an edited grammar
    is never served from an older cache; when the file cannot be read or written, lark builds the
    tables as if there were no cache. The transformer runs inside the LALR parser, so no parse tree
    is built (see benchmarks/README.md).
    """
    if cache is None:
        cache = cache_file()
    return Lark(
        grammar_text() if grammar is None else grammar,
        start="program",
        parser="lalr",
        lexer="basic",
        postlex=_Continuations(),
        maybe_placeholders=True,
        transformer=_ToAst(),
        cache=cache,
    )


@cache
def _parser() -> Lark:
    return build_parser()


FRIENDLY = {
    "_ARROW": "an arrow ->",
    "NAME": "a layer name",
    "INT": "a whole number",
    "FLOAT": "a number",
    "SIZE": "a size like 5x5",
    "STRING": "a quoted word",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "EQUAL": "'='",
    "_TIMES": "'*' and a count",
    "_SEP": "a new line",
    "_NL": "a new line",
    "SEMICOLON": "';'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "DEF": "def",
    "$END": "the end of the text",
}


def parse_statements(text: str) -> list[Statement | Block]:
    """The statements of ``text``, or a NotationSyntaxError with a caret under the place."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as some editors write one, is not text
    from cnncalc.notation.quick import read

    quick = read(text)  # a well-formed text, read by hand (lark reads the rest, and says what is wrong)
    if quick is not None:
        return quick
    try:
        return _parser().parse(text)
    except CnnCalcError as err:  # raised by a transformer method (lark does not wrap it) or the post-lexer
        if err.line is None:
            err.line, err.column = _failing_token(text)
        if err.line is not None and err.context is None:
            err.context = caret(text, err.line, err.column or 1)
        raise err from None
    except UnexpectedInput as e:
        raise _syntax_error(text, e) from None


def _failing_token(text: str) -> tuple[int | None, int | None]:
    """Where a mistake without a place was found: arithmetic on plain numbers (``1/0``) holds no token.

    Only on the error path: the text is read again, token by token, to the one whose reading raised.
    """
    last: Token | None = None
    try:
        for tok in _parser().parse_interactive(text).iter_parse():
            last = tok
    except CnnCalcError:
        if last is not None:
            return last.line, last.column
    return None, None


def caret(text: str, line: int, column: int) -> str:
    """The line of ``text`` and a caret under ``column`` (both 1-based)."""
    lines = text.split("\n")  # as lark counts lines (splitlines would also split at \x0b, \u2028, ...)
    src = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    return f"  {src}\n  {' ' * (column - 1)}^"


def _syntax_error(text: str, e: UnexpectedInput) -> NotationSyntaxError:
    line, column = getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END"):
        lines = text.rstrip().splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        expected = _expected(e)
        return NotationSyntaxError(
            "the text ends too early" + (f"; expected {expected}" if expected else ""),
            line=line,
            column=column,
            context=caret(text, line, column),
        )
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        ch = ch if ch.isprintable() else f"U+{ord(ch):04X}"  # an invisible character, named
        return NotationSyntaxError(
            f"unexpected character '{ch}'",
            hint="layers are joined by -> or →, arguments go in (…)",
            line=line,
            column=column,
            context=caret(text, line, column),
        )
    tok = e.token if isinstance(e, UnexpectedToken) else None
    got = f"'{tok}'" if tok is not None and str(tok).strip() else "a new line"
    expected = _expected(e)
    signed = (
        tok is not None
        and tok.type in ("INT", "FLOAT")
        and str(tok)[0] in "+-"
        and bool({"PLUS", "_MINUS"} & set(getattr(e, "expected", None) or ()))  # where arithmetic could go on
    )
    return NotationSyntaxError(
        f"unexpected {got}" + (f"; expected {expected}" if expected else ""),
        # c-1 reads as c and the number -1: the sign sticks to the number
        hint=f"write spaces around {str(tok)[0]} between two values: c {str(tok)[0]} 1" if signed else None,
        line=line,
        column=column,
        context=caret(text, line, column),
    )


# Arithmetic is allowed inside arguments (4*c, size//32), but "expected '+'" helps nobody who
# forgot a comma: operators are named only when nothing else would fit.
OPERATORS = {"_TIMES": "'*'", "PLUS": "'+'", "_MINUS": "'-'", "SLASH": "'/'", "DOUBLESLASH": "'//'"}


def _expected(e: UnexpectedInput) -> str:
    terminals = {t for t in (getattr(e, "expected", None) or ()) if not t.startswith("__")}
    others = terminals - set(OPERATORS)
    if others:
        names = sorted({FRIENDLY.get(t, t) for t in others})
    else:
        names = sorted(OPERATORS[t] for t in terminals)
    return ", ".join(names[:6])
