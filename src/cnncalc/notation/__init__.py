"""The text notation: ``input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)``."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from cnncalc.errors import ArgumentError, SpecError, type_name
from cnncalc.graph import Graph
from cnncalc.notation.build import Uses, build_graph, candidates
from cnncalc.notation.syntax import REQUIRED, Block, Repeat, Statement, parse_statements
from cnncalc.numbers import number


def parse(
    text: str,
    input_shape: tuple[int, ...] | None = None,
    params: dict[str, Any] | None = None,
    *,
    values: dict[str, Any] | None = None,
    statements: list[Statement | Block] | None = None,
    store: Uses | None = None,
) -> Graph:
    """The Graph of a network written in the notation.

    ``input_shape`` (as shown, channels last) serves a bare ``input`` or a
    chain that does not start with one; ``params`` gives values to names
    the text uses (a zoo model's ``classes``, ``size``), over the defaults its
    ``# args: classes=1000, size=224`` line declares. ``values`` gives values
    to the arguments the text takes (:func:`takes`), each checked: a name it
    does not take is an error. ``statements``: the text already read. ``store``: a quick build's block uses
    (:class:`~cnncalc.notation.build.Uses`; the Graph is then for :func:`cnncalc.analyze.analyze_totals` only).
    """
    if not isinstance(text, str):  # lark would fail inside with an AttributeError or TypeError
        hint = (
            "for a YAML/JSON spec loaded as data, use cnncalc.frontends.spec.from_dict(data)"
            if isinstance(text, dict)
            else None
        )
        raise SpecError(f"a network is the text notation, a Graph or a cnncalc.Net (got {type_name(text)})", hint=hint)
    declared = arguments(text)  # a text may declare its arguments and their defaults: `# args: size=224`
    if statements is None:
        statements = parse_statements(text)
    defaults: dict[str, dict[str, Any]] = {}
    if values:
        given, defaults = split_values(text, values, statements)
        params = {**(params or {}), **given}
    return build_graph(statements, text, input_shape, {**declared, **(params or {})}, defaults, store)


ARGS_LINE = re.compile(r"^#\s*args:\s*(?P<args>.*)$", re.MULTILINE)


def value_of(text: str, what: str = "the value") -> int | float | str:
    """An argument's value as written: a whole number, a number, or a word.

    Whatever looks like a number is read as one by :func:`cnncalc.numbers.number` (``what`` names it in the
    error): ``nan``, ``inf``, ``1e400``, other scripts' digits and over-long numbers are refused, never made
    into a value that breaks the arithmetic later.

    >>> value_of("224"), value_of("0.75"), value_of("same")
    (224, 0.75, 'same')
    >>> value_of("nan", "--set width")
    Traceback (most recent call last):
        ...
    cnncalc.errors.ArgumentError: --set width must be a finite number (got 'nan')
    """
    word = text.strip()
    bare = word.lstrip("+-")
    if bare[:1].isdigit() or bare[:1] == "." or bare.lower() in ("nan", "inf", "infinity"):
        if len(word) <= 24 and word.isascii():  # the usual case, quickly: a short number of ASCII digits
            try:
                return int(word)
            except ValueError:
                pass
            try:
                x = float(word)
            except ValueError:
                x = math.inf
            if x - x == 0:  # finite
                return x
        return number(word, what)  # says what is wrong with it
    return word


def arguments(text: str) -> dict[str, int | float | str]:
    """The arguments a notation text declares with their defaults, from its ``# args:`` line.

    >>> arguments("# args: classes=1000, size=224")   # the line a zoo file opens with
    {'classes': 1000, 'size': 224}
    """
    return dict(_declared(text))


@lru_cache(maxsize=64)
def _declared(text: str) -> tuple[tuple[str, int | float | str], ...]:
    """The ``# args:`` line's names and defaults (a sweep reads the same text at every point: read once)."""
    m = ARGS_LINE.search(text)
    defaults: dict[str, int | float | str] = {}
    if m:
        for part in m.group("args").split(","):
            if part.strip():
                k, _, v = part.partition("=")
                defaults[k.strip()] = value_of(v.strip(), f"the argument {k.strip()} in the text's '# args:' line")
    return tuple(defaults.items())


def takes(text: str, statements: list[Statement | Block] | None = None) -> dict[str, Any]:
    """The arguments a text takes, with their defaults: the names of its ``# args:`` line, and
    ``block.param`` for each parameter with a default of a block its top level uses.

    >>> takes("# args: size=32\\ndef b(c, k=3) { conv(c, f=k) }\\ninput(size, size, 3) -> b(8)")
    {'size': 32, 'b.k': 3}
    """
    out: dict[str, Any] = dict(arguments(text))
    if statements is None:
        statements = parse_statements(text)
    for block in _top_blocks(statements):
        for name, default in block.params:
            if default is not REQUIRED:
                out[f"{block.name}.{name}"] = default
    return out


def split_values(
    text: str, values: dict[str, Any], statements: list[Statement | Block]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``values`` by the arguments they set: the ``# args:`` line's (the top level's names), and blocks'
    parameters (``block.param``, or ``param`` alone when one block used at the top has it and the ``# args:``
    line does not). A name the text does not take is an ArgumentError listing those it does."""
    declared = arguments(text)
    blocks = _top_blocks(statements)
    params: dict[str, Any] = {}
    defaults: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if name in declared:
            params[name] = value
            continue
        block_name, dot, param = name.rpartition(".")
        owners = [b for b in blocks if (b.name == block_name if dot else True) and any(p == param for p, _ in b.params)]
        if len(owners) == 1:
            defaults.setdefault(owners[0].name.lower(), {})[param] = value
            continue
        if len(owners) > 1:
            raise ArgumentError(
                f"'{name}' is a parameter of {', '.join(b.name for b in owners)}: say which",
                hint=f"e.g. {owners[0].name}.{param}",
            )
        takes_now = ", ".join(takes(text, statements)) or "none"
        raise ArgumentError(
            f"the text takes no argument '{name}' (it takes {takes_now})",
            hint="a text's arguments are its # args: line's names and the parameters of the blocks it uses",
        )
    return params, defaults


def _top_blocks(statements: list[Statement | Block]) -> list[Block]:
    """The blocks the top level uses (directly, in a repetition, or through a definition), in written order."""
    blocks = {st.name.lower(): st for st in statements if isinstance(st, Block)}
    used: dict[str, Block] = {}

    def walk(chain: tuple[Any, ...]) -> None:
        for element in chain:
            if isinstance(element, Repeat):
                walk(element.chain)
                continue
            for word in candidates(element.name):
                block = blocks.get(word.lower())
                if block is not None:
                    used.setdefault(word.lower(), block)
                    break

    for st in statements:
        if isinstance(st, Statement):
            walk(st.chain)
    return list(used.values())


__all__ = ["ARGS_LINE", "arguments", "parse", "split_values", "takes", "value_of"]
