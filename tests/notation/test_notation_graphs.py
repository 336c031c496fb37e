"""Graphs that are not a chain, in the text notation: named nodes, references, add/concat, blocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc.errors import CnnCalcError, ShapeError, SpecError
from cnncalc.graph import Graph, Node

RESIDUAL = """
x = input(8, 8, 4)
y = x -> conv(4, f=3, p=1) -> relu
add(x, y) -> gap -> fc(2)
"""


def test_residual_add_reads_both_branches():
    r = cnncalc.analyze(RESIDUAL)
    kinds = [row.kind for row in r.rows]
    assert kinds == ["input", "conv", "relu", "add", "globalavgpool", "dense"]
    add = r.rows[3]
    assert add.inputs == ("x", "y")
    assert r.shown_shape(add) == (8, 8, 4)
    # hand count: conv (3·3·4 + 1)·4 = 148; fc (4 + 1)·2 = 10
    assert r.totals.params == 148 + 10
    assert r.rows[1].inputs == ("x",)


def test_named_node_ids_are_the_names():
    r = cnncalc.analyze(RESIDUAL)
    assert [row.node_id for row in r.rows[:3]] == ["x", "conv", "y"]


def test_merge_later_in_a_chain_reads_previous_layer_and_reference():
    r = cnncalc.analyze("x = input(8,8,4)\nx -> conv(4, f=3, p=1) -> bn -> add(x) -> relu")
    add = r.rows[3]
    assert add.kind == "add" and add.inputs == ("bn", "x")


def test_concat_sums_channels_and_branches_share_a_node():
    text = """
    x = input(16, 16, 3)
    a = x -> conv(8, f=1)
    b = x -> conv(16, f=3, p=1)
    c = x -> maxpool(3, s=1, p=1)
    concat(a, b, c, axis=channels) -> conv(10, f=1)
    """
    r = cnncalc.analyze(text)
    cat = next(row for row in r.rows if row.kind == "concat")
    assert cat.inputs == ("a", "b", "c")
    assert r.shown_shape(cat) == (16, 16, 8 + 16 + 3)
    assert r.rows[-1].params == (8 + 16 + 3) * 10 + 10
    # execution order: every node after its inputs
    seen: set[str] = set()
    for row in r.rows:
        assert all(i in seen for i in row.inputs)
        seen.add(row.node_id)


def test_concat_on_the_last_shown_axis_is_channels():
    r = cnncalc.analyze("x = input(4,4,2)\ny = x -> conv(3, f=1)\nconcat(x, y, axis=-1)")
    assert r.shown_shape(r.rows[-1]) == (4, 4, 5)
    r = cnncalc.analyze("x = input(4,4,2)\ny = x -> identity\nconcat(x, y, axis=0)")
    assert r.shown_shape(r.rows[-1]) == (8, 4, 2)


def test_add_shape_mismatch_names_both_shapes_and_the_node():
    text = "x = input(8,8,4)\ny = x -> conv(6, f=3, p=1)\nadd(x, y)"
    with pytest.raises(ShapeError) as e:
        cnncalc.analyze(text)
    msg = str(e.value)
    assert "(8, 8, 4)" in msg and "(8, 8, 6)" in msg
    assert e.value.layer_index == 3 and "add(x, y)" in msg


def test_add_broadcasts_a_channel_vector():
    r = cnncalc.analyze("x = input(4,4,3)\ng = x -> gap\nadd(x, g)")
    assert r.shown_shape(r.rows[-1]) == (4, 4, 3)


def test_unknown_reference_is_an_error_with_the_place():
    with pytest.raises(SpecError) as e:
        cnncalc.analyze("x = input(4,4,3)\nadd(x, zz)")
    assert "zz" in str(e.value) and e.value.line == 2


def test_alias_used_as_a_node_gets_a_hint():
    with pytest.raises(SpecError) as e:
        cnncalc.analyze("x = input(4,4,3)\na = conv(3, f=1)\nadd(x, a)")
    assert "a = x ->" in str(e.value)


def test_reference_in_the_middle_of_a_chain_is_an_error():
    with pytest.raises(SpecError, match="can only start a chain"):
        cnncalc.analyze("x = input(4,4,3)\ny = x -> relu\ny -> x")


def test_cycle_in_a_graph_names_the_nodes():
    g = Graph(
        (
            Node("i", "input", "input", (4,)),
            Node("a", "relu", "relu", inputs=("b",)),
            Node("b", "relu", "relu", inputs=("a",)),
        )
    )
    with pytest.raises(SpecError, match="cycle through 'a', 'b'"):
        cnncalc.analyze(g)


BLOCKS = """
def basic(c, s=1) {
  y = conv(c, f=3, s=s, p=1, bias=false) -> bn -> relu -> conv(c, f=3, p=1, bias=false) -> bn
  add(y, in) -> relu
}
def down(c, s=2) {
  y = conv(c, f=3, s=s, p=1, bias=false) -> bn -> relu -> conv(c, f=3, p=1, bias=false) -> bn
  sc = in -> conv(c, f=1, s=s, bias=false) -> bn
  add(y, sc) -> relu
}
input(32, 32, 16) -> [basic(16)] * 2 -> down(32) -> gap -> fc(10)
"""


def test_blocks_with_arguments_expand_like_resnet_stages():
    r = cnncalc.analyze(BLOCKS)
    # basic(16): two 3x3 convs 16->16 without bias (2·9·16·16) and two bn (2·2·16)
    basic = 2 * 9 * 16 * 16 + 2 * 2 * 16
    # down(32): 3x3 16->32, 3x3 32->32, 1x1 16->32 shortcut, three bn of 32
    down = 9 * 16 * 32 + 9 * 32 * 32 + 16 * 32 + 3 * 2 * 32
    assert r.totals.params == 2 * basic + down + (32 * 10 + 10)
    assert r.shown_shape(r.rows[-3]) == (16, 16, 32)  # the last relu of down, s=2
    adds = [row for row in r.rows if row.kind == "add"]
    assert len(adds) == 3
    assert adds[0].inputs == ("basic1.y", "input")
    assert [row.name for row in r.rows[1:4]] == ["basic1.conv", "basic1.bn", "basic1.relu"]


def test_block_argument_errors():
    with pytest.raises(SpecError, match="needs 'c'"):
        cnncalc.analyze("def b(c) = conv(c, f=1)\ninput(4,4,3) -> b")
    with pytest.raises(SpecError, match="no parameter 'k'"):
        cnncalc.analyze("def b(c) = conv(c, f=1)\ninput(4,4,3) -> b(3, k=2)")
    with pytest.raises(SpecError, match="needs an input shape"):
        cnncalc.analyze("def b(c) = conv(c, f=1)\nb(3)")


def test_one_line_block_and_repetition_count_as_parameter():
    r = cnncalc.analyze("def stack(c, n=2) = [conv(c, f=3, p=1) -> relu] * n\ninput(8,8,3) -> stack(4, n=3)")
    assert [row.kind for row in r.rows].count("conv") == 3


def test_a_block_cannot_use_itself():
    with pytest.raises(CnnCalcError):
        cnncalc.analyze("def b(c) { in -> conv(c, f=1) -> b(c) }\ninput(4,4,3) -> b(3)")


def test_old_semantics_still_hold():
    # an alias, and a chain that continues from the previous statement
    r = cnncalc.analyze("FC = dense(bias=false)\ninput(10)\nFC(5)")
    assert r.rows[-1].params == 50


TOKENS = [
    "x",
    "=",
    "input(8,8,4)",
    "input(6, 5)",
    "input(7)",
    "->",
    "add",
    "(",
    ")",
    ",",
    "y",
    "in",
    "def",
    "b",
    "{",
    "}",
    "\n",
    "conv(4, f=3, p=1)",
    "concat(x, y)",
    "add(x, y)",
    "[",
    "]",
    "*",
    "2",
    "n",
    "relu",
    "embedding(10, 4)",
    "lstm(3)",
    "attention(2)",
    "transformer(2)",
    "se(2)",
    "matmul(x, y)",
    "reshape(-1, 4)",
    "select(0)",
    "mul(x)",
    "y = x -> relu",
    "def b(c) = conv(c, f=1)",
    "b(3)",
    "classtoken",
    "posembedding",
    "upsample(2)",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_graph_notation_fuzz_gives_a_report_or_a_cnncalc_error(tokens):
    try:
        cnncalc.analyze(" ".join(tokens))
    except CnnCalcError:
        pass


def test_arithmetic_in_values_with_block_and_model_arguments():
    from cnncalc.notation import parse

    text = "def b(c, w=0.5) = conv(int(c*w), f=3, p=1) -> conv(divisible(c*w), f=1) -> conv(c//2 + 1, f=1)\n"
    text += "input(8, 8, 3) -> b(48) -> fc(2*classes)"
    r = cnncalc.analyze(parse(text, None, {"classes": 5}))
    # int(48·0.5) = 24; divisible(24) = 24; 48//2 + 1 = 25; 2·5 = 10
    assert [r.shown_shape(row)[-1] for row in r.rows] == [3, 24, 24, 25, 10]
    with pytest.raises(SpecError, match="'w' has no value"):
        cnncalc.analyze("input(8,8,3) -> conv(w*2)")
    with pytest.raises(CnnCalcError, match="unknown function 'foo'"):
        cnncalc.analyze("input(8,8,3) -> conv(foo(2))")


def test_tables_show_node_and_reads_columns_only_for_graphs():
    md = cnncalc.analyze(RESIDUAL).to_markdown()
    assert "| Node | Reads |" in md
    assert "| add | add | x, y |" in md.replace("  ", " ")
    chain = cnncalc.analyze("input(8,8,4) -> conv(4, f=3) -> relu")
    assert "Reads" not in chain.to_markdown() and "Reads" not in chain.table()


def test_a_text_declares_its_arguments_with_defaults():
    # a zoo file's text runs as it is: `# args: classes=1000, size=224` gives the names their defaults
    from cnncalc import zoo

    text = zoo.model("resnet18").text
    assert cnncalc.analyze(text).totals.params == 11_689_512  # torchvision's resnet18
    assert cnncalc.analyze("# args: n=10\ninput(8) -> fc(n)").totals.params == 8 * 10 + 10
