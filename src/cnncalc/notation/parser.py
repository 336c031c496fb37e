"""Parse the text notation into a syntax tree of plain objects (no counting here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

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
    times: int
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Statement:
    """A chain, optionally bound to a name (``FC = dense(bias=false)``)."""

    chain: tuple[Call | Repeat, ...]
    name: str | None = None
    line: int = 1
    column: int = 1


def show(v: Any) -> str:
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
        return Repeat(chain, whole(str(times), times), first.line, first.column)

    def chain(self, items: list[Any]) -> tuple[Any, ...]:
        return tuple(items)

    @v_args(inline=True)
    def definition(self, name: Token, chain: tuple[Any, ...]) -> Statement:
        return Statement(chain, str(name), name.line, name.column)

    def program(self, items: list[Any]) -> list[Statement]:
        out = []
        for item in items:
            if isinstance(item, Statement):
                out.append(item)
            elif item:
                out.append(Statement(item, None, item[0].line, item[0].column))
        return out


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


@cache
def _parser() -> Lark:
    grammar = files("cnncalc.notation").joinpath("grammar.lark").read_text(encoding="utf-8")
    # The transformer runs inside the LALR parser, so no parse tree is built (see benchmarks/README.md).
    return Lark(
        grammar,
        start="program",
        parser="lalr",
        lexer="basic",
        postlex=_Continuations(),
        maybe_placeholders=True,
        transformer=_ToAst(),
    )


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
    "$END": "the end of the text",
}


def parse_statements(text: str) -> list[Statement]:
    """The statements of ``text``, or a NotationSyntaxError with a caret under the place."""
    try:
        return _parser().parse(text)
    except CnnCalcError as err:  # raised by a transformer method, with the place but not yet the caret
        if err.line is not None and err.context is None:
            err.context = caret(text, err.line, err.column or 1)
        raise err from None
    except VisitError as e:
        if isinstance(e.orig_exc, CnnCalcError):
            err = e.orig_exc
            if err.line is not None and err.context is None:
                err.context = caret(text, err.line, err.column or 1)
            raise err from None
        raise
    except UnexpectedInput as e:
        raise _syntax_error(text, e) from None


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
    return NotationSyntaxError(
        f"unexpected {got}" + (f"; expected {expected}" if expected else ""),
        line=line,
        column=column,
        context=caret(text, line, column),
    )


def _expected(e: UnexpectedInput) -> str:
    names = sorted({FRIENDLY.get(t, t) for t in (getattr(e, "expected", None) or ()) if not t.startswith("__")})
    return ", ".join(names[:6])
