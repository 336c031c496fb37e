"""A hand-written reader of the notation, for the texts that are well formed: the same syntax tree, faster.

lark's LALR parser (:mod:`cnncalc.notation.parser`) takes about 5 µs a token; ResNet-50's text has
some 300. This reader takes the grammar (``grammar.lark``) token for token, with the same terminals
and the same newline rule (:class:`~cnncalc.notation.parser._Continuations`), and makes the same
:class:`Call`, :class:`Repeat`, :class:`Statement` and :class:`Block` objects through the same
value functions. It does not report mistakes: on anything it does not expect (a syntax error, a
brackets nested deeper than lark allows, a value the transformer refuses) it gives
up, and lark reads the text again and says what is wrong, with its own words and caret.
"""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.notation.syntax import (
    FUNCTIONS,
    MAX_DEPTH,
    WORDS,
    Block,
    Call,
    Repeat,
    Size,
    Statement,
    _block_params,
    decimal,
    evaluate,
    make_call,
    whole,
)


class GiveUp(Exception):
    """The text is not one this reader takes: lark reads it."""


# the terminals of grammar.lark, in the order lark's basic lexer tries them: by priority (SIZE, FLOAT), then
# the patterns of unbounded width (a sign followed by a digit is a number's, as in lark), then the longest literals
_TOKEN = re.compile(
    r"""
    [\ \t\f\r]*  # ignored, as grammar.lark's %ignore, before each token
    (?:
    (?P<COMMENT>\#[^\n]*)
  | (?P<NL>\n)
  | (?P<SIZE>[0-9]+(?:\s*[x×]\s*[0-9]+)+(?![A-Za-z0-9_]))
  | (?P<FLOAT>[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+)
  | (?P<INT>[-+]?[0-9]+)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<STRING>'[^'\n]*'|"[^"\n]*")
  | (?P<ARROW>->|→)
  | (?P<DSLASH>//)
  | (?P<P>[()\[\],={};*×+\-/])
  | (?P<EOF>\Z)  # spaces at the end
    )
    """,
    re.VERBOSE,
)
_PUNCT = {
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    ",": "COMMA",
    "=": "EQUAL",
    "{": "LBRACE",
    "}": "RBRACE",
    ";": "SEMICOLON",
    "*": "TIMES",
    "×": "TIMES",
    "+": "PLUS",
    "-": "MINUS",
    "/": "SLASH",
}
_SUMS = {"PLUS": "+", "MINUS": "-"}  # a sum's operators by token kind, then a product's (grammar.lark's sum, product)
_PRODUCTS = {"TIMES": "*", "SLASH": "/", "DOUBLESLASH": "//"}
_JOINS = (None, "ARROW", "EQUAL", "COMMA", "LPAR", "LSQB")  # a newline after one of these does not end a statement


class _Tok:
    """Where a value's helpers (:func:`whole`, ``_block_params``) would place a mistake; they are only called on
    values this reader takes, and when one raises the reader gives up and lark places the mistake itself."""

    __slots__ = ("column", "line", "type", "value")

    def __init__(self, type_: str, value: str, line: int | None, column: int | None) -> None:
        self.type = type_
        self.value = value
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.value


_NOWHERE = _Tok("", "", None, None)
_END = ("END", "", 0, 0)

Token = tuple[str, str, int, int]  # type, text, line, column (1-based)


def tokens(text: str) -> list[Token]:
    """The tokens lark's parser would be fed, then an END: newlines inside brackets or next to an arrow,
    '=' or ',' dropped."""
    out: list[Token] = []
    append = out.append
    punct = _PUNCT
    pos = 0
    line, line_start = 1, 0
    depth = 0
    previous: str | None = None
    pending: Token | None = None
    for m in _TOKEN.finditer(text):
        if m.start() != pos:  # a character no terminal takes
            raise GiveUp
        kind = m.lastgroup
        pos = m.end()
        if kind == "COMMENT" or kind == "EOF":
            continue
        start = m.start(kind)
        value = text[start:pos]
        if kind == "NL":
            if depth == 0 and previous not in _JOINS and pending is None:
                pending = ("NL", value, line, pos - line_start)
            line += 1
            line_start = pos
            continue
        if kind == "P":
            kind = punct[value]
            if kind == "LPAR" or kind == "LSQB":
                depth += 1
                if depth > MAX_DEPTH:
                    raise GiveUp
            elif kind == "RPAR" or kind == "RSQB":
                depth = max(depth - 1, 0)
        elif kind == "NAME":
            if value == "def":
                kind = "DEF"
        elif kind == "DSLASH":
            kind = "DOUBLESLASH"
        elif kind == "SIZE" and "\n" in value:  # lark counts its lines; rare enough to leave to it
            raise GiveUp
        if pending is not None:
            if kind != "ARROW" and kind != "TIMES":
                append(pending)
            pending = None
        previous = kind
        append((kind, value, line, start - line_start + 1))  # type: ignore[arg-type]
    if pos != len(text):
        raise GiveUp
    append(_END)
    return out


class _Reader:
    """Recursive descent over the tokens, making what :class:`~cnncalc.notation.parser._ToAst` makes."""

    __slots__ = ("i", "separated", "toks")

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.separated = True  # the statement just read was followed by a newline or ';'

    def take(self, kind: str) -> Token:
        tok = self.toks[self.i]
        if tok[0] != kind:
            raise GiveUp
        self.i += 1
        return tok

    def separators(self) -> bool:
        toks, i = self.toks, self.i
        while toks[i][0] == "NL" or toks[i][0] == "SEMICOLON":
            i += 1
        found = i != self.i
        self.i = i
        return found

    def statements(self, closing: str) -> list[Statement | Block]:
        """``_sep* (statement (_sep+ statement)* _sep*)?`` up to ``closing`` (a '}', or the END)."""
        out: list[Statement | Block] = []
        self.separators()
        while self.toks[self.i][0] != closing:
            if out and not self.separated:
                raise GiveUp
            out.append(self.statement())
            self.separated = self.separators()
        return out

    def statement(self) -> Statement | Block:
        toks = self.toks
        kind = toks[self.i][0]
        if kind == "DEF":
            self.i += 1
            _, name, line, column = self.take("NAME")
            arglist = None
            if toks[self.i][0] == "LPAR":
                self.i += 1
                if toks[self.i][0] != "RPAR":
                    arglist = self.arglist()
                self.take("RPAR")
            where = _Tok("NAME", name, line, column)
            if toks[self.i][0] == "EQUAL":
                self.i += 1
                chain = self.chain()
                body = (Statement(chain, None, chain[0].line, chain[0].column),)
                return Block(name, _block_params(where, arglist), body, line, column)  # type: ignore[arg-type]
            self.take("LBRACE")
            statements = self.statements("RBRACE")
            self.take("RBRACE")
            if not statements:
                raise GiveUp  # lark's message for an empty block
            return Block(name, _block_params(where, arglist), tuple(statements), line, column)  # type: ignore[arg-type]
        if kind == "NAME" and toks[self.i + 1][0] == "EQUAL":
            _, name, line, column = toks[self.i]
            self.i += 2
            return Statement(self.chain(), name, line, column)
        chain = self.chain()
        return Statement(chain, None, chain[0].line, chain[0].column)

    def chain(self) -> tuple[Call | Repeat, ...]:
        items = [self.element()]
        while self.toks[self.i][0] == "ARROW":
            self.i += 1
            items.append(self.element())
        return tuple(items)

    def element(self) -> Call | Repeat:
        toks = self.toks
        kind = toks[self.i][0]
        if kind == "LSQB":
            self.i += 1
            chain = self.chain()
            self.take("RSQB")
            self.take("TIMES")
            times = toks[self.i]
            if times[0] == "INT":
                count: int | str = whole(times[1], _NOWHERE)  # type: ignore[arg-type]
            elif times[0] == "NAME":
                count = times[1]
            else:
                raise GiveUp
            self.i += 1
            first = chain[0]
            return Repeat(chain, count, first.line, first.column)
        _, name, line, column = self.take("NAME")
        if toks[self.i][0] != "LPAR":
            return make_call(name, (), (), line, column, False)
        self.i += 1
        args: list[Any] = []
        kwargs: list[tuple[str, Any]] = []
        if toks[self.i][0] != "RPAR":
            for key, value in self.arglist():
                if key:
                    kwargs.append((key, value))
                elif kwargs:
                    raise GiveUp  # lark's message: a positional argument after a keyword
                else:
                    args.append(value)
        self.take("RPAR")
        return make_call(name, tuple(args), tuple(kwargs), line, column, True)

    def arglist(self) -> list[tuple[str, Any]]:
        """``arg ("," arg)* ","?``, each ``("", value)`` or ``(keyword, value)``."""
        out = []
        toks = self.toks
        while True:
            tok = toks[self.i]
            if tok[0] == "NAME" and toks[self.i + 1][0] == "EQUAL":
                self.i += 2
                out.append((tok[1], self.value()))
            else:
                out.append(("", self.value()))
            if toks[self.i][0] != "COMMA":
                return out
            self.i += 1
            if toks[self.i][0] == "RPAR":
                return out

    def value(self) -> Any:
        """``sum``: products joined by + and -, left to right."""
        toks, i = self.toks, self.i
        if toks[i][0] == "INT" and (toks[i + 1][0] == "COMMA" or toks[i + 1][0] == "RPAR"):  # most values: a number
            self.i = i + 1
            return whole(toks[i][1], _NOWHERE)  # type: ignore[arg-type]
        return self.joined(self.product, _SUMS)

    def product(self) -> Any:
        return self.joined(self.atom, _PRODUCTS)

    def joined(self, operand: Any, operators: dict[str, str]) -> Any:
        """Operands joined by ``operators`` (token kind: operator), left to right: ``a - b + c`` is ``(a - b) + c``."""
        left = operand()
        while (op := operators.get(self.toks[self.i][0])) is not None:
            self.i += 1
            left = evaluate(op, (left, operand()))
        return left

    def atom(self) -> Any:
        toks = self.toks
        kind, text = toks[self.i][0], toks[self.i][1]
        self.i += 1
        if kind == "INT":
            return whole(text, _NOWHERE)  # type: ignore[arg-type]
        if kind == "NAME":
            if toks[self.i][0] != "LPAR":
                return WORDS.get(text.lower(), text)
            self.i += 1
            values = [self.value()]
            while toks[self.i][0] == "COMMA":
                self.i += 1
                values.append(self.value())
            self.take("RPAR")
            if text not in FUNCTIONS:
                raise GiveUp  # lark's message names the functions
            return evaluate(text, tuple(values))
        if kind == "LPAR":
            items: list[Any] = []
            if toks[self.i][0] != "RPAR":
                items.append(self.value())
                while toks[self.i][0] == "COMMA":
                    self.i += 1
                    if toks[self.i][0] == "RPAR":
                        break
                    items.append(self.value())
            self.take("RPAR")
            return tuple(x for x in items if x is not None or items != [None]) if items else ()
        if kind == "SIZE":
            return Size(whole(x, _NOWHERE) for x in text.replace("×", "x").replace(" ", "").split("x"))  # type: ignore[arg-type]
        if kind == "FLOAT":
            return decimal(text, _NOWHERE)
        if kind == "STRING":
            return text[1:-1]
        raise GiveUp


def count_tokens(text: str) -> int:
    """How many tokens ``text`` holds (comments and newlines aside), counted without keeping them."""
    n = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind != "COMMENT" and kind != "NL" and kind != "EOF":
            n += 1
    return n


def read(text: str) -> list[Statement | Block] | None:
    """The statements of a well-formed ``text``, as lark's parser gives them; None when lark should read it."""
    try:
        toks = tokens(text)
        reader = _Reader(toks)
        out = reader.statements("END")
    except (GiveUp, CnnCalcError, RecursionError, IndexError):
        return None
    return out
