"""Numbers in the notation are checked where they are written, arithmetic stays finite, and a short text cannot ask
for more than the limits allow: tokens (notation_tokens) and layers (layers), counted before they are made."""

from __future__ import annotations

import pytest
from support.hostile import python_words

import cnncalc
from cnncalc import limits
from cnncalc.errors import ArgumentError, CnnCalcError, LimitError, NotationSyntaxError
from cnncalc.notation import parse


@pytest.mark.parametrize(
    ("text", "says", "column"),
    [
        ("input(8) -> fc(int(1e400))", "the number 1e400 is too large", 20),  # once: cannot convert infinity
        ("input(8) -> fc(1e400)", "the number 1e400 is too large", 16),
        ("input(8) -> fc(int(1e300*1e300))", "1e\\+300\\*1e\\+300 is too large", None),
        ("input(8) -> fc(4611686018427387904*4)", "is too large \\(at most 9,223,372,036,854,775,807\\)", None),
        ("input(8) -> fc(" + "*".join(["99999999"] * 40) + ")", "is too large", None),
        ("input(8) -> fc(" + "9" * 5000 + ")", "is too large", 16),  # past Python's 4,300-digit conversion
        ("input(8) -> dropout(0." + "5" * 5000 + ")", "has 5000 digits", 21),
        ("input(8) -> fc(٣)", "the digit '٣' is not one of 0-9", 16),  # int('٣') is 3 in Python
        ("input(8) -> conv(4, f=٣x3)", "not one of 0-9", 23),
        ("input(8) -> fc(round(1e308*10))", "too large", None),
    ],
)
def test_a_number_that_cannot_be_used_is_refused_where_it_is_written(text, says, column):
    with pytest.raises(NotationSyntaxError, match=says) as e:
        parse(text)
    assert e.value.line == 1 and (column is None or e.value.column == column), (e.value.line, e.value.column)
    assert len(str(e.value)) < 400 and not python_words(str(e.value))


def test_a_text_declaring_a_number_that_is_not_one_is_refused():
    with pytest.raises(ArgumentError, match="the argument c in the text's '# args:' line must be a finite number"):
        parse("# args: c=nan\ninput(8) -> fc(c)")
    assert parse("# args: c=4\ninput(8) -> fc(c)").nodes[-1].args == (4,)


def test_the_token_limit_is_counted_before_the_text_is_read():
    text = "input(8) -> fc(4)"  # input ( 8 ) -> fc ( 4 ): 9 tokens
    with limits.raised(notation_tokens=9):
        parse(text)
    with (
        limits.raised(notation_tokens=8),
        pytest.raises(LimitError, match="the text has 9 tokens, over the limit of 8"),
    ):
        parse(text)


def test_the_layers_limit_is_counted_before_a_block_is_made():
    chain = "input(8) -> relu -> relu -> relu -> relu"  # 5 nodes
    with limits.raised(layers=5):
        parse(chain)
    with limits.raised(layers=4), pytest.raises(LimitError, match="at least 5 layers, over the limit of 4"):
        parse(chain)
    # a block of two relus used 3 times: 1 + 3·2 = 7 nodes, told from the text before any is made
    text = "def pair = relu -> relu\ninput(8) -> [pair] * 3"
    with limits.raised(layers=7):
        assert len(parse(text).nodes) == 7
    with limits.raised(layers=6), pytest.raises(LimitError, match="at least 7 layers") as e:
        parse(text)
    assert (e.value.line, e.value.column) == (2, 14)  # the repetition, where the text asks for them
    # a block with a parameter: its count from its arguments, [relu] * n with n = 4 → 1 + 2·4 = 9
    text = "def many(n) { [relu] * n }\ninput(8) -> many(4) -> many(4)"
    with limits.raised(layers=8), pytest.raises(LimitError, match="at least 9 layers"):
        parse(text)
    with limits.raised(layers=9):
        assert len(parse(text).nodes) == 9


def test_the_estimate_never_refuses_a_network_within_the_limit():
    """Zoo models, built at exactly their own layer count, are accepted: the count from the text is not over."""
    from cnncalc import zoo

    for name in ("resnet50", "densenet121", "mobilenet_v2", "googlenet", "vit_b_16"):
        n = len(zoo.graph(name).nodes)
        with limits.raised(layers=n):
            assert len(zoo.graph(name).nodes) == n
        with limits.raised(layers=n - 1), pytest.raises(CnnCalcError, match="layers"):
            zoo.graph(name)


def test_an_error_on_a_long_line_shows_the_place_not_the_line():
    text = "input(8) -> " + " -> ".join(["relu"] * 20_000) + " -> nope"
    with pytest.raises(CnnCalcError) as e:
        cnncalc.analyze(text)
    shown = str(e.value)
    assert "nope" in shown and len(shown) < 400
    context = shown.splitlines()[1]
    caret = shown.splitlines()[2]
    assert context[caret.index("^") : caret.index("^") + 4] == "nope"
