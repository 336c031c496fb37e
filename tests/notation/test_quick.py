"""The hand-written reader gives lark's syntax tree for every text it takes, and takes no text lark refuses."""

from __future__ import annotations

import dataclasses
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

from cnncalc.errors import CnnCalcError
from cnncalc.notation.parser import _parser
from cnncalc.notation.quick import read

ZOO = [p.read_text(encoding="utf-8") for p in files("cnncalc.zoo").iterdir() if p.name.endswith(".cnn")]


def typed(v: Any) -> Any:
    """``v`` with the type of every part (a Size is not a plain tuple; 1 is not 1.0 or True)."""
    if dataclasses.is_dataclass(v):
        return (type(v).__name__, tuple(typed(getattr(v, f.name)) for f in dataclasses.fields(v)))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(typed(x) for x in v))
    return (type(v).__name__, repr(v))


def lark(text: str) -> Any:
    try:
        return _parser().parse(text)
    except (CnnCalcError, UnexpectedInput):
        return None


def same_as_lark(text: str) -> None:
    quick = read(text)
    if quick is None:  # left to lark
        return
    expected = lark(text)
    assert expected is not None, f"the quick reader takes a text lark refuses: {text!r}"
    assert typed(quick) == typed(expected)


@pytest.mark.parametrize("text", ZOO)
def test_the_quick_reader_takes_every_zoo_model_as_lark_does(text):
    assert read(text) is not None
    same_as_lark(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n# only a comment\n",
        "input(32,32,3) -> conv(8, f=5) -> pool(2) -> fc(10)",
        "input(8, 8, 3)\n-> conv(4, f=3x3, p=(1, 1)) # a comment\n  -> relu;\ngap -> fc(2, bias=false,)",
        "x = input(4, 4, 2)\ny = x -> conv(2, f=1)\nadd(x, y)",
        "def b(c, s=1) {\n  y = conv(c, f=3, s=s, p=1) -> bn\n  add(y, in) -> relu\n}\ninput(8,8,4) -> [b(4)] * 2",
        "def sep(c) = dw(3) -> conv(int(c*0.75), f=1)\ninput(8,8,4) -> sep(8)",
        "input(8) -> reshape(-1, 2) -> fc(2 + 3 - 1) -> fc(10 // 3) -> fc(9 / 3) -> dropout(-.5) -> dropout(+1e-3)",
        "input(8) -> fc(units=(), bias=(none), act='gelu') -> fc(4, act=\"relu\") -> x(())",
        "input(3 × 3 × 2) → conv(2, f=3) -> [relu] × n",
        "a = b = c",
        "input(8) -> fc(c -1)",
        "input(8) -> fc(2,,)",
        "def e() { }",
        "def f(c) = relu -> fc(c)\ndef",
        "input(8) -> unknownfunc(2)(3)",
        "input(8) -> fc(sqrt(4))",
        "input(8) -> fc(1/0)",
        "input(8) -> fc(3x\n3)",
        "input(8)\n(3)",
        "conv\n-> relu\n* 2",
    ],
)
def test_the_quick_reader_agrees_with_lark_or_leaves_the_text_to_it(text):
    same_as_lark(text)


atoms = st.one_of(
    st.integers(-5, 300).map(str),
    st.sampled_from(["0.5", ".5", "1e3", "-2.", "3x3", "2 x 2", "4×4", "'gelu'", '"a b"', "true", "none", "c", "s"]),
)
values = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", " - ", "-", "*", "/", "//", "×"]), inner).map("".join),
        st.lists(inner, max_size=3).map(lambda v: "(" + ", ".join(v) + ")"),
        st.tuples(st.sampled_from(["int", "max", "divisible", "nope"]), st.lists(inner, max_size=2)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
    ),
    max_leaves=6,
)
arguments = st.one_of(values, st.tuples(st.sampled_from(["f", "s", "p", "bias", "def"]), values).map("=".join))
calls = st.one_of(
    st.sampled_from(["relu", "bn", "gap", "in", "def", "x"]),
    st.tuples(st.sampled_from(["conv", "fc", "input", "b"]), st.lists(arguments, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    ),
)
joins = st.sampled_from([" -> ", "->", "\n-> ", " ->\n", "→", " ", "\n", "; ", "-", ","])
chains = st.recursive(
    calls,
    lambda inner: st.one_of(
        st.tuples(inner, joins, inner).map("".join),
        st.tuples(inner, st.sampled_from(["*", " × ", "*\n"]), st.sampled_from(["2", "n", "-1", "0"])).map(
            lambda t: f"[{t[0]}] {t[1]}{t[2]}"
        ),
    ),
    max_leaves=6,
)
statements = st.one_of(
    chains,
    st.tuples(st.sampled_from(["x", "y", "def"]), chains).map(" = ".join),
    st.tuples(st.sampled_from(["b", "b(c)", "b(c, s=1)", "b()"]), st.lists(chains, max_size=3)).map(
        lambda t: f"def {t[0]} {{\n" + "\n".join(t[1]) + "\n}"
    ),
    st.tuples(st.sampled_from(["b", "b(c)"]), chains).map(lambda t: f"def {t[0]} = {t[1]}"),
)
programs = st.lists(statements, max_size=4).map("\n".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_generated_texts(text):
    same_as_lark(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("in(32,3)->conv[]*x=fc\n#;,.→ '\"{}+-/d×e5")), max_size=50))
def test_texts_of_the_notations_characters(text):
    same_as_lark(text)
