"""Bugs found in review r1, each with the input that showed it."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import SpecError


@pytest.mark.parametrize("shape", [(8.7, 8, 3), [True, 8, 3], (8, 8, 2.5)])
def test_input_shape_with_a_fraction_or_a_bool_is_an_error(shape):
    # int() would have read (8.7, 8, 3) as (8, 8, 3) and True as 1: a silently wrong input
    with pytest.raises(SpecError, match="whole numbers"):
        cnncalc.analyze("input -> conv(4, f=3)", input=shape)


def test_input_shape_with_whole_floats_still_reads():
    # 32.0 is a whole number: the shape is (32, 32, 3), shown channels last
    assert cnncalc.parse_shape((32.0, 32, 3)) == (32, 32, 3)


def test_one_number_is_a_shape_in_analyze_and_net():
    # input=8 (token ids, or a flat vector) crashed with AttributeError / TypeError;
    # a spec's `input: 8` already meant (8,). fc(2) on 8 numbers: 8·2 weights + 2 biases = 18
    assert cnncalc.analyze("input -> fc(2)", input=8).rows[-1].params == 18
    net = cnncalc.Net(input=8)
    net.fc(2)
    assert net.analyze().rows[-1].params == 18


def test_net_analyze_takes_the_dtype_as_analyze_does():
    # Net.analyze had no dtype=. conv(4, f=3) on 8x8x3: 4·3·3·3 + 4 = 112 params;
    # activations 8·8·3 + 6·6·4 = 336 elements; float16 is 2 bytes each
    net = cnncalc.Net(input=(8, 8, 3))
    net.conv(4, 3)
    memory = net.analyze(dtype="float16").memory
    assert (memory.param_bytes, memory.activation_bytes) == (2 * 112, 2 * 336)
    assert memory == cnncalc.analyze(net, dtype="float16").memory


def test_net_with_a_bad_input_shape_says_so_at_once():
    with pytest.raises(SpecError, match="whole numbers"):
        cnncalc.Net(input=(8, "a", 3))


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("def b(c) { y = conv(c, f=3, p=1); b(c) }\ninput(8,8,4) -> b(4)", r"\(b -> b\)"),
        ("blk = conv(4, f=1) -> blk\ninput(8,8,4) -> blk", r"\(blk -> blk\)"),
        ("def a(c) = b(c)\ndef b(c) = a(c)\ninput(8,8,4) -> a(4)", r"\(a -> b -> a\)"),
    ],
)
def test_a_block_that_uses_itself_is_named_as_such(text, path):
    # was "unknown layer 'b'; did you mean b or bn?" -- the name exists, it is recursive
    with pytest.raises(SpecError, match=r"uses itself " + path):
        cnncalc.parse(text)


def test_a_definition_may_still_shadow_the_kind_it_refines():
    # `dense = dense(bias=false)`: the inner dense is the built-in kind, not a recursion; 8·3 weights
    net = cnncalc.analyze("dense = dense(bias=false)\ninput(8) -> dense(3)")
    assert net.rows[-1].params == 24


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        # the caret goes under the token read just after the arithmetic: here the ')' after 1/0
        ("input(8,8,3) -> conv(4, f=1/0)", "division by zero in 1/0", 30),
        ("input(8,8,3) -> conv(true*2, f=1)", r"\* works on numbers", 28),
        ("input(8,8,3) -> conv(int(1, 2), f=3)", "int takes other arguments than 2", 31),
    ],
)
def test_arithmetic_on_plain_numbers_says_where(text, message, column):
    # these had no line, no column and no caret: "error: division by zero in 1/0"
    from cnncalc.errors import NotationSyntaxError

    with pytest.raises(NotationSyntaxError, match=message) as info:
        cnncalc.parse(text)
    assert (info.value.line, info.value.column) == (1, column)
    assert info.value.context.endswith(" " * (column - 1) + "^")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("x = input(8,8,4)\ndef b(c) { y = conv(c, f=1); add(y, x) }\nx -> b(4) -> fc(2)", 30),
        ("x = input(8,8,4)\ndef b(c) { y = x -> conv(c, f=1); add(y, in) }\nx -> b(4) -> fc(2)", 16),
    ],
)
def test_a_top_level_node_named_inside_a_block_is_explained(text, column):
    # was "add reads 'x', which is not a node defined before it" (x is defined before) and
    # "unknown layer 'x'": the real reason is that a block sees only 'in' and its own nodes
    with pytest.raises(SpecError, match="'x' is a node outside the block") as info:
        cnncalc.parse(text)
    assert (info.value.line, info.value.column) == (2, column)


def test_a_block_may_still_reuse_a_top_level_name_for_its_own_node():
    # inside the block, x is the block's own node (a 1x1 conv: 4·4 + 4 = 20 params), not the top-level x
    text = "x = input(8,8,4)\ndef b(c) { x = in -> conv(c, f=1); add(x, in) }\nx -> b(4)"
    assert [r.params for r in cnncalc.analyze(text).rows] == [0, 20, 0]


def test_a_preset_contradiction_is_an_error_in_every_front_end():
    # FCwB is dense with bias=true; the notation refused FCwB(4, bias=false), while the spec and
    # the Python API silently built a dense without bias (8·8·3·4 = 768 params, not 772)
    from cnncalc.errors import ArgumentError
    from cnncalc.frontends.spec import from_dict

    with pytest.raises(ArgumentError, match="FCwB always has bias=true"):
        cnncalc.parse("input(8,8,3) -> FCwB(4, bias=false)")
    with pytest.raises(ArgumentError, match=r"layer 1 \(FCwB\): FCwB always has bias=true"):
        from_dict({"input": [8, 8, 3], "layers": [{"kind": "FCwB", "args": [4], "bias": False}]})
    net = cnncalc.Net(input=(8, 8, 3))
    with pytest.raises(ArgumentError, match="FCwB always has bias=true"):
        net.layer("FCwB", 4, bias=False)
    net.layer("FCwB", 4, bias=True)  # saying what the name already says is fine: 768 + 4 biases
    assert net.analyze().rows[-1].params == 772


@pytest.mark.parametrize(
    "spec, got", [(5, "an int"), (None, "None"), (b"input(8) -> fc(2)", "a bytes"), ([1, 2], "a list")]
)
def test_analyze_of_something_that_is_not_a_network_says_so(spec, got):
    # these failed inside lark: AttributeError 'NoneType' object has no attribute 'char_pos', TypeError
    with pytest.raises(TypeError, match=rf"^'spec' must be the text notation.*{got}\)$") as caught:
        cnncalc.analyze(spec)
    assert isinstance(caught.value, cnncalc.CnnCalcError) and "NoneType" not in str(caught.value)


def test_analyze_reads_a_spec_given_as_a_dict():
    assert cnncalc.analyze({"input": [8], "layers": [{"kind": "fc", "args": [2]}]}).totals.params == 8 * 2 + 2
    with pytest.raises(SpecError, match="relu has no input"):
        cnncalc.analyze({"layers": ["relu"]})


def test_a_minus_without_spaces_is_explained():
    # c-1 lexes as the name c and the number -1; docs/notation-graphs.md asks for spaces, now the error does too
    from cnncalc.errors import NotationSyntaxError

    with pytest.raises(NotationSyntaxError, match="unexpected '-1'") as info:
        cnncalc.parse("def b(c) = conv(c-1, f=1)\ninput(8,8,4) -> b(5)")
    assert info.value.hint == "write spaces around - between two values: c - 1"
    with pytest.raises(NotationSyntaxError, match="unexpected '-1'") as info:
        cnncalc.parse("input(8) -> fc(2) -1")  # no arithmetic can go on after fc(2): no such hint
    assert info.value.hint is None
    assert cnncalc.analyze("def b(c) = conv(c - 1, f=1)\ninput(8,8,4) -> b(5)").rows[-1].params == 4 * 4 + 4
