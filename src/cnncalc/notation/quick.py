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
from cnncalc.notation.parser import (
    FUNCTIONS,
    MAX_DEPTH,
    WORDS,
    Block,
    Call,
    Repeat,
    Size,
    Statement,
    _block_params,
    evaluate,
    whole,
)


class GiveUp(Exception):
    """The text is not one this reader takes: lark reads it."""


# the terminals of grammar.lark, in the order lark's basic lexer tries them: by priority (SIZE, FLOAT), then
# the patterns of unbounded width (a sign followed by a digit is a number's, as in lark), then the longest literals
_TOKEN = re.compile(
    r"""
    (?P<WS>[ \t\f\r]+)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<NL>\n)
  | (?P<SIZE>\d+(?:\s*[x×]\s*\d+)+(?![A-Za-z0-9_]))
  | (?P<FLOAT>[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+)
  | (?P<INT>[-+]?\d+)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<STRING>'[^'\n]*'|"[^"\n]*")
  | (?P<ARROW>->|→)
  | (?P<DSLASH>//)
  | (?P<P>[()\[\],={};*×+\-/])
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
_JOINS = (None, "ARROW", "EQUAL", "COMMA", "LPAR", "LSQB")  # a newline after one of these does not end a statement


class _Tok:
    """A token as lark's: its type, text, and 1-based line and column (the transformer's helpers read them)."""

    __slots__ = ("column", "line", "type", "value")

    def __init__(self, type_: str, value: str, line: int, column: int) -> None:
        self.type = type_
        self.value = value
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.value


def tokens(text: str) -> list[_Tok]:
    """The tokens lark's parser would be fed: newlines inside brackets or next to an arrow, '=' or ',' dropped."""
    out: list[_Tok] = []
    match = _TOKEN.match
    pos, end = 0, len(text)
    line, line_start = 1, 0
    depth = 0
    previous: str | None = None
    pending: _Tok | None = None
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise GiveUp
        kind = m.lastgroup
        value = m.group()
        column = pos - line_start + 1
        pos = m.end()
        if kind == "WS" or kind == "COMMENT":
            continue
        if kind == "NL":
            if depth == 0 and previous not in _JOINS and pending is None:
                pending = _Tok("NL", value, line, column)
            line += 1
            line_start = pos
            continue
        if kind == "P":
            kind = _PUNCT[value]
            if kind == "LPAR" or kind == "LSQB":
                depth += 1
                if depth > MAX_DEPTH:
                    raise GiveUp
            elif kind == "RPAR" or kind == "RSQB":
                depth = max(depth - 1, 0)
        elif kind == "DSLASH":
            kind = "DOUBLESLASH"
        elif kind == "NAME":
            if value == "def":
                kind = "DEF"
        elif kind == "SIZE" and "\n" in value:  # lark counts its lines; rare enough to leave to it
            raise GiveUp
        if pending is not None and kind != "ARROW" and kind != "TIMES":
            out.append(pending)
        pending = None
        previous = kind
        out.append(_Tok(kind, value, line, column))
    return out


class _Reader:
    """Recursive descent over the tokens, making what :class:`~cnncalc.notation.parser._ToAst` makes."""

    __slots__ = ("i", "separated", "toks")

    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.separated = True  # the statement just read was followed by a newline or ';'

    def peek(self) -> str | None:
        return self.toks[self.i].type if self.i < len(self.toks) else None

    def take(self, kind: str) -> _Tok:
        if self.i >= len(self.toks) or self.toks[self.i].type != kind:
            raise GiveUp
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def separators(self) -> bool:
        found = False
        while self.peek() in ("NL", "SEMICOLON"):
            self.i += 1
            found = True
        return found

    def statements(self, closing: str | None) -> list[Statement | Block]:
        """``_sep* (statement (_sep+ statement)* _sep*)?`` up to ``closing`` (a '}', or the end)."""
        out: list[Statement | Block] = []
        self.separators()
        while self.peek() != closing:
            if out and not self.separated:
                raise GiveUp
            out.append(self.statement())
            self.separated = self.separators()
        return out

    def statement(self) -> Statement | Block:
        kind = self.peek()
        if kind == "DEF":
            self.i += 1
            name = self.take("NAME")
            arglist = None
            if self.peek() == "LPAR":
                self.i += 1
                if self.peek() != "RPAR":
                    arglist = self.arglist()
                self.take("RPAR")
            if self.peek() == "EQUAL":
                self.i += 1
                chain = self.chain()
                body = (Statement(chain, None, chain[0].line, chain[0].column),)
                return Block(str(name), _block_params(name, arglist), body, name.line, name.column)  # type: ignore[arg-type]
            self.take("LBRACE")
            self.separated = True
            statements = self.statements("RBRACE")
            self.take("RBRACE")
            if not statements:
                raise GiveUp  # lark's message for an empty block
            return Block(str(name), _block_params(name, arglist), tuple(statements), name.line, name.column)  # type: ignore[arg-type]
        if kind == "NAME" and self.i + 1 < len(self.toks) and self.toks[self.i + 1].type == "EQUAL":
            name = self.toks[self.i]
            self.i += 2
            return Statement(self.chain(), name.value, name.line, name.column)
        chain = self.chain()
        return Statement(chain, None, chain[0].line, chain[0].column)

    def chain(self) -> tuple[Call | Repeat, ...]:
        items = [self.element()]
        while self.peek() == "ARROW":
            self.i += 1
            items.append(self.element())
        return tuple(items)

    def element(self) -> Call | Repeat:
        kind = self.peek()
        if kind == "LSQB":
            self.i += 1
            chain = self.chain()
            self.take("RSQB")
            self.take("TIMES")
            times = self.toks[self.i] if self.i < len(self.toks) else None
            if times is None or times.type not in ("INT", "NAME"):
                raise GiveUp
            self.i += 1
            count = whole(times.value, times) if times.type == "INT" else times.value  # type: ignore[arg-type]
            first = chain[0]
            return Repeat(chain, count, first.line, first.column)
        name = self.take("NAME")
        if self.peek() != "LPAR":
            return Call(name.value, (), (), name.line, name.column, False)
        self.i += 1
        args: list[Any] = []
        kwargs: list[tuple[str, Any]] = []
        if self.peek() != "RPAR":
            for key, value in self.arglist():
                if key:
                    kwargs.append((key, value))
                elif kwargs:
                    raise GiveUp  # lark's message: a positional argument after a keyword
                else:
                    args.append(value)
        self.take("RPAR")
        return Call(name.value, tuple(args), tuple(kwargs), name.line, name.column, True)

    def arglist(self) -> list[tuple[str, Any]]:
        """``arg ("," arg)* ","?``, each ``("", value)`` or ``(keyword, value)``."""
        out = []
        while True:
            toks = self.toks
            if self.peek() == "NAME" and self.i + 1 < len(toks) and toks[self.i + 1].type == "EQUAL":
                key = toks[self.i].value
                self.i += 2
                out.append((key, self.value()))
            else:
                out.append(("", self.value()))
            if self.peek() != "COMMA":
                return out
            self.i += 1
            if self.peek() == "RPAR":
                return out

    def value(self) -> Any:
        """``sum``: products joined by + and -, left to right."""
        left = self.product()
        while True:
            kind = self.peek()
            if kind == "PLUS":
                op = "+"
            elif kind == "MINUS":
                op = "-"
            else:
                return left
            self.i += 1
            left = evaluate(op, (left, self.product()))

    def product(self) -> Any:
        left = self.atom()
        while True:
            kind = self.peek()
            if kind == "TIMES":
                op = "*"
            elif kind == "SLASH":
                op = "/"
            elif kind == "DOUBLESLASH":
                op = "//"
            else:
                return left
            self.i += 1
            left = evaluate(op, (left, self.atom()))

    def atom(self) -> Any:
        if self.i >= len(self.toks):
            raise GiveUp
        tok = self.toks[self.i]
        kind = tok.type
        self.i += 1
        if kind == "INT":
            return whole(tok.value, tok)  # type: ignore[arg-type]
        if kind == "NAME":
            if self.peek() != "LPAR":
                return WORDS.get(tok.value.lower(), tok.value)
            self.i += 1
            values = [self.value()]
            while self.peek() == "COMMA":
                self.i += 1
                values.append(self.value())
            self.take("RPAR")
            if tok.value not in FUNCTIONS:
                raise GiveUp  # lark's message names the functions
            return evaluate(tok.value, tuple(values))
        if kind == "LPAR":
            items: list[Any] = []
            if self.peek() != "RPAR":
                items.append(self.value())
                while self.peek() == "COMMA":
                    self.i += 1
                    if self.peek() == "RPAR":
                        break
                    items.append(self.value())
            self.take("RPAR")
            return tuple(x for x in items if x is not None or items != [None]) if items else ()
        if kind == "SIZE":
            return Size(whole(x, tok) for x in tok.value.replace("×", "x").replace(" ", "").split("x"))  # type: ignore[arg-type]
        if kind == "FLOAT":
            return float(tok.value)
        if kind == "STRING":
            return tok.value[1:-1]
        raise GiveUp


def read(text: str) -> list[Statement | Block] | None:
    """The statements of a well-formed ``text``, as lark's parser gives them; None when lark should read it."""
    try:
        toks = tokens(text)
        reader = _Reader(toks)
        out = reader.statements(None)
    except (GiveUp, CnnCalcError, RecursionError):
        return None
    return out
