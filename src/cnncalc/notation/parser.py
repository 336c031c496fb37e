"""lark's reading of the notation: the grammar, its cached tables, the syntax tree from its parse tree, and
the mistakes it finds, said in cnncalc's words (imported only for a text the quick reader does not take)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from cnncalc.errors import CnnCalcError, NotationSyntaxError
from cnncalc.notation.syntax import (  # noqa: F401 - the syntax tree and its values, read here as before
    BINARY,
    FUNCTIONS,
    INT_LIMIT,
    MAX_DEPTH,
    REQUIRED,
    WORDS,
    Block,
    Call,
    Expr,
    Repeat,
    Size,
    Statement,
    _block_params,
    caret,
    decimal,
    divisible,
    evaluate,
    parse_statements,
    show,
    whole,
)


class _ToAst(Transformer):
    @v_args(inline=True)
    def int(self, tok: Token) -> int:
        return whole(str(tok), tok)

    @v_args(inline=True)
    def float(self, tok: Token) -> float:
        return decimal(str(tok), tok)

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


def read_with_lark(text: str) -> list[Statement | Block]:
    """The statements of ``text`` as lark's parser reads them, or a NotationSyntaxError with a caret under the place.

    :func:`~cnncalc.notation.syntax.parse_statements` comes here for the texts its quick reader does not take.
    """
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
        if ch.isdigit():  # a digit of another script: Python's int() would take it, cnncalc does not
            message, hint = f"the digit '{ch}' is not one of 0-9", "write numbers with the digits 0-9"
        else:
            ch = ch if ch.isprintable() else f"U+{ord(ch):04X}"  # an invisible character, named
            message, hint = f"unexpected character '{ch}'", "layers are joined by -> or →, arguments go in (…)"
        return NotationSyntaxError(message, hint=hint, line=line, column=column, context=caret(text, line, column))
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
