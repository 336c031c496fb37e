"""Fuzzing the notation: any text gives a Report or a CnnCalcError, never another exception.

Two kinds of text: arbitrary unicode, and near-valid notation drawn from a
grammar-like strategy (layer names with misspellings and labels, random
positional and keyword arguments, sizes, tuples, arrows, newlines, brackets,
repetition and definitions), now and then with one character changed. A Report
must also render in every format.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.hostile import python_words

import cnncalc
from cnncalc.layers import ALIASES, REGISTRY
from cnncalc.notation import build

# More examples for a deeper search: CNNCALC_FUZZ_EXAMPLES=5000 python3 -m pytest tests/test_fuzz.py
EXAMPLES = int(os.environ.get("CNNCALC_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KIND_NAMES = sorted(ALIASES)
PARAM_WORDS = sorted({w for k in REGISTRY.values() for p in k.params for w in (p.name, *p.aliases)})
MISSPELLINGS = ["cnv", "convv", "Conf", "maxpol", "poool", "desne", "fcc", "relu6x", "sofmax", "bn2", "x", "_", "I"]
LABELS = ["CONV1", "POOL2", "FC3", "conv_1", "fc-2", "Softmax", "FCwB", "FC", "Input", "INPUT", "out"]


def check(text: str, input: str | None = None) -> None:  # noqa: A002
    """The property: a Report that renders everywhere, or a CnnCalcError with a message."""
    try:
        report = cnncalc.analyze(text, input=input)
    except cnncalc.CnnCalcError as e:
        assert str(e)
        assert not python_words(str(e)), str(e)  # said in the user's words
        return
    assert isinstance(report, cnncalc.Report)
    for render in (report.table, report.to_markdown, report.to_csv, report.to_json, report._repr_html_):
        assert render()
    for row in report.rows:
        assert row.activation_size == math.prod(row.output_shape) * report.batch
        assert min(row.params, row.buffers, row.macs, row.flops) >= 0


# ---------------------------------------------------------------- a grammar-like strategy

ints = st.one_of(
    st.integers(-3, 40),
    st.integers(-(10**6), 10**12),
    st.integers(2**62, 2**70),  # around int64's limit
    st.sampled_from([0, 1, 2, 3, 5, 224]),
)
floats = st.sampled_from(["0.5", "2.5", ".1", "1e3", "-1.", "1e-400", "1e400", "3.0", "0." + "3" * 40, "1e308"])
# numbers that break arithmetic or int(): infinity, overflowing products, other scripts' digits, 5,000 digits
hostile_numbers = st.sampled_from(
    ["int(1e400)", "1e300*1e300", "round(1e308*10)", "4611686018427387904*4", "٣", "3x٣", "int(1e308)",
     "max(1e308, 1e308*2)", "divisible(1e308)", "ceil(1e300*1e10)", "1/0", "(2, 3)*4", "nan", "inf"]
)  # fmt: skip
sizes = st.lists(st.integers(0, 12), min_size=2, max_size=4).map(lambda v: "x".join(map(str, v)))
words = st.sampled_from(
    ["same", "valid", "SAME", "true", "false", "none", "yes", "relu", "hwc", "chw", "foo", "'same'"]
)
scalars = st.one_of(ints.map(str), floats, sizes, words, st.just("9" * 5000), hostile_numbers)  # past int's limit
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4).map(lambda v: "(" + ", ".join(v) + ("," if len(v) == 1 else "") + ")"),
    max_leaves=8,
)
names = st.one_of(
    st.sampled_from(KIND_NAMES),
    st.sampled_from(MISSPELLINGS + LABELS),
    st.text(alphabet="abcfgilnoprstuvxCFP_0123", min_size=1, max_size=6),
)
keywords = st.one_of(st.sampled_from(PARAM_WORDS), st.sampled_from(["kernal", "strid", "paddin", "x", "F", "S"]))
arguments = st.one_of(values, st.tuples(keywords, values).map(lambda kv: f"{kv[0]}={kv[1]}"))
# Layers that are usually valid, so that most programs reach the analysis and the renderers.
PLAUSIBLE = [
    "conv({n}, f={k})",
    "CONV1({n}, f={k}, s={s}, p={p})",
    "conv({n}, f={k}x{k2}, d={d}, g={g})",
    "conv({n}, kernel_size=({k}, {k2}), stride={s}, padding=same)",
    "conv({n}, f={k}, p=valid, bias=false)",
    "conv({n}, f={k}, p=(({p}, {d}), ({d}, {p})))",
    "maxpool({k})",
    "POOL2({k}, s={s})",
    "avgpool({k}, s={s}, p={p}, ceil_mode=true)",
    "maxpool({k}, d={d}, ceil=true)",
    "deconv({n}, f={k}, s={s}, op={p})",
    "dwconv(f={k}, m={g})",
    "fc({n})",
    "FC3({n}, bias=false)",
    "FCwB({n})",
    "softmax({n})",
    "dense({n}, activation=relu)",
    "relu",
    "tanh",
    "bn",
    "dropout(0.{p})",
    "flatten",
    "gap",
    "adaptiveavgpool({k})",
    "identity",
]
small = st.one_of(st.integers(1, 3), st.integers(1, 3), st.integers(-1, 6))
plausible = st.tuples(
    st.sampled_from(PLAUSIBLE), st.integers(0, 24), small, small, small, small, small, st.integers(1, 3)
).map(lambda t: t[0].format(n=t[1], k=t[2], k2=t[3], s=t[4], p=abs(t[5]), d=t[6], g=t[7]))
calls = st.one_of(
    plausible,
    plausible,
    names,
    st.tuples(names, st.lists(arguments, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
)
arrows = st.sampled_from(["->", " -> ", "→", " → ", "\n-> ", " ->\n  ", "-", ">", " "])


def chains(element: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(element, st.lists(st.tuples(arrows, element), max_size=5)).map(
        lambda t: t[0] + "".join(a + e for a, e in t[1])
    )


elements = st.recursive(
    calls,
    lambda inner: st.tuples(chains(inner), st.sampled_from(["*", "×", "* ", ""]), st.integers(-1, 3)).map(
        lambda t: f"[{t[0]}] {t[1]}{t[2]}"
    ),
    max_leaves=6,
)
heads = st.one_of(
    st.just(""),
    st.sampled_from(["input(32,32,3) -> ", "input(1024) -> ", "input -> ", "input(8, 9, 9, layout=chw) -> "]),
    st.lists(st.integers(1, 40).map(str), min_size=1, max_size=4).map(lambda v: f"input({', '.join(v)}) -> "),
    st.lists(st.integers(-1, 20).map(str), max_size=4).map(lambda v: f"input({', '.join(v)}) -> "),
)
statements = st.one_of(
    st.tuples(heads, chains(elements)).map("".join),
    st.tuples(names, chains(elements)).map(lambda t: f"{t[0]} = {t[1]}"),
)
programs = st.tuples(
    st.lists(statements, min_size=1, max_size=4),
    st.sampled_from(["\n", "; ", "\n\n", "  # comment\n"]),
).map(lambda t: t[1].join(t[0]))


good_arrows = st.sampled_from(["->", " -> ", " → ", "\n  -> ", " ->\n  "])
good_elements = st.one_of(
    plausible,
    plausible,
    st.tuples(st.lists(plausible, min_size=1, max_size=3), st.integers(1, 3)).map(
        lambda t: f"[{' -> '.join(t[0])}] * {t[1]}"
    ),
)
good_programs = st.tuples(
    st.sampled_from(["", "FC = dense(bias=false)\n", "block = conv(4, f=3, p=1) -> relu\n"]),
    st.tuples(st.integers(4, 40), st.integers(4, 40), st.integers(1, 4)).map(lambda t: "input({}, {}, {})".format(*t)),
    st.lists(st.tuples(good_arrows, st.one_of(good_elements, st.sampled_from(["FC(10)", "block"]))), max_size=8),
).map(lambda t: t[0] + t[1] + "".join(a + e for a, e in t[2]))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A program with at most one character inserted, deleted or replaced."""
    text = draw(st.one_of(programs, good_programs))
    how = draw(st.sampled_from(["keep", "keep", "insert", "delete", "replace"]))
    if how == "keep" or not text:
        return text
    i = draw(st.integers(0, len(text) - 1))
    ch = draw(st.sampled_from(list("()[],=*x→->#\n;'\"0.") + ["\x00", "é", "\t"]))
    if how == "insert":
        return text[:i] + ch + text[i:]
    if how == "delete":
        return text[:i] + text[i + 1 :]
    return text[:i] + ch + text[i + 1 :]


input_options = st.one_of(
    st.none(),
    st.sampled_from(["32,32,3", "1024", "28x28x1", "(8, 8, 2)", "0", "-1,3", "a,b", "", "3.5", "1,1,1,1,1"]),
)


# ---------------------------------------------------------------- the properties


@FUZZ
@given(st.text(), st.one_of(st.none(), st.text(max_size=12)))
@example("", None)
@example("\x00", None)
@example("→→", None)
@example("input(", None)
@example("relu", "٣,٣")
def test_any_unicode(text: str, input: str | None):  # noqa: A002
    check(text, input)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("input(32,3)->conv[]*x=fcpool\n#;,.→ '\"")), max_size=60))
def test_notation_alphabet(text: str):
    check(text)


@FUZZ
@given(mutated(), input_options)
def test_near_valid_notation(text: str, input: str | None):  # noqa: A002
    check(text, input)


@FUZZ
@given(programs, input_options)
def test_structured_programs(text: str, input: str | None):  # noqa: A002
    check(text, input)


@FUZZ
@given(good_programs)
def test_plausible_programs(text: str):
    check(text)


# ---------------------------------------------------------------- what probing found, kept


def test_empty_input_shape_is_an_error_not_an_index_error():
    with pytest.raises(cnncalc.ArgumentError, match="empty"):
        cnncalc.analyze("input(()) -> fc(2)")


DOUBLING = "def b0 = relu -> relu\n" + "".join(f"def b{i} = b{i - 1} -> b{i - 1}\n" for i in range(1, 41))


@pytest.mark.parametrize(
    ("text", "layers"),
    [
        ("input(3) -> [[[relu] * 1000] * 1000] * 1000", 1000**3 + 1),  # 10⁹ layers from a short line, and the input
        # a: 1000 layers; b: 10 a's; c: 1000 b's = 10⁷; and the input
        ("a = [relu] * 1000\nb = " + " -> ".join(["a"] * 10) + "\nc = [b] * 1000\ninput(3) -> c", 10**7 + 1),
        (DOUBLING + "input(3) -> b40", 2**41 + 1),  # blocks that double one another: 2^41 relus, and the input
    ],
)
def test_nested_repetition_is_refused_early_not_built(text: str, layers: int):
    """The count a text asks for is worked out from the text, before a node is made (the layers limit)."""
    with pytest.raises(cnncalc.LimitError, match=f"at least {layers:,} layers, over the limit of 250,000 \\(layers\\)"):
        cnncalc.analyze(text)


def test_adaptive_pool_to_a_huge_target_is_closed_form():
    """Window sizes of an adaptive pool sum to n + o − gcd(n, o) per axis, without a loop over o."""
    r = cnncalc.analyze("input(99999999999, 5, 1) -> adaptiveavgpool((99999999, 3))", flops="all")
    assert r.shown_shape(r.rows[1]) == (99_999_999, 3, 1)
    # by hand, n = 5 → o = 3: windows [0,2) [1,4) [3,5) = 2 + 3 + 2 = 7 = 5 + 3 − 1
    # n = 99,999,999,999 = 1000·o + 999 with o = 99,999,999 = 9·11,111,111, so gcd(n, o) = gcd(o, 999) = 9
    n, o = 99_999_999_999, 99_999_999
    assert math.gcd(n, o) == 9
    assert r.rows[1].flops == (n + o - 9) * 7  # one add-and-divide per window element under 'all'
    small = cnncalc.analyze("input(5, 5, 1) -> adaptiveavgpool(3)", flops="all")
    assert small.rows[1].flops == 7 * 7


@pytest.mark.parametrize(
    "text",
    [
        "input(3) -> " + "[" * 1000 + "relu" + "] * 1" * 1000,
        "input(3) -> fc(2, bias=" + "(" * 1000 + "1" + ")" * 1000 + ")",
    ],
)
def test_deep_nesting_is_a_syntax_error_not_a_recursion_error(text: str):
    with pytest.raises(cnncalc.NotationSyntaxError, match="brackets nested more than 100 deep"):
        cnncalc.analyze(text)


def test_nesting_within_the_limit_works():
    r = cnncalc.analyze("input(3) -> " + "[" * 100 + "relu" + "] * 1" * 100)
    assert [row.kind for row in r.rows] == ["input", "relu"]


def test_definitions_chained_deeply_are_refused_not_a_recursion_error():
    text = "d0 = relu\n" + "\n".join(f"d{i} = d{i - 1}" for i in range(1, 2000)) + "\ninput(3) -> d1999"
    with pytest.raises(cnncalc.SpecError, match=f"definitions use one another more than {build.MAX_DEPTH} deep"):
        cnncalc.analyze(text)
    shallow = "d0 = relu\n" + "\n".join(f"d{i} = d{i - 1} -> relu" for i in range(1, 50)) + "\ninput(3) -> d49"
    assert len(cnncalc.analyze(shallow).rows) == 1 + 50


@pytest.mark.parametrize(
    "text",
    [
        "input(" + "9" * 5000 + ")",  # beyond Python's 4,300-digit int conversion limit
        "input(3x" + "9" * 5000 + ")",
        "input(3) -> [relu] * " + "9" * 5000,
        "input(9223372036854775808) -> relu",  # 2^63
    ],
)
def test_numbers_beyond_int64_are_a_syntax_error(text: str):
    with pytest.raises(cnncalc.NotationSyntaxError, match="is too large"):
        cnncalc.analyze(text)


def test_tensors_beyond_int64_elements_are_refused():
    big = "1" + "0" * 18  # 10^18 fits int64; five of them multiplied do not
    with pytest.raises(cnncalc.ShapeError, match="more than 2\\^63 − 1 elements"):
        cnncalc.analyze(f"input({big},{big},{big},{big},{big}) -> relu")
    r = cnncalc.analyze("input(9223372036854775807) -> relu")
    assert r.rows[1].activation_size == 2**63 - 1
    assert "9,223,372,036,854,775,807" in r.table()


def test_graph_with_huge_numbers_is_refused():
    from cnncalc.graph import Graph, Node

    g = Graph((Node("in", "input", "input", (3, 4, 5)), Node("a", "conv", "a", (3,), (("kernel", 10**5000),), ("in",))))
    with pytest.raises(cnncalc.ArgumentError, match="'kernel' is too large"):
        cnncalc.analyze(g)
