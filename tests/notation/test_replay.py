"""A block used again with the same arguments is made again from its first use (a replay): the same Graph, node
for node, as reading its body again would make, whatever the body names, merges or uses."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc import zoo
from cnncalc.errors import CnnCalcError
from cnncalc.notation import parse

build = sys.modules["cnncalc.notation.build"]


def made(text: str, *, replay: bool, shape: tuple[int, ...] | None = (8, 8, 4), values: dict | None = None) -> object:
    """The Graph of ``text`` (or the error's words), with block uses replayed or every body read."""
    same_use = build._same_use
    if not replay:
        build._same_use = lambda *args: None  # no use is ever the same: every body is read
    try:
        return parse(text, shape, values)
    except CnnCalcError as e:
        return (type(e).__name__, str(e))
    finally:
        build._same_use = same_use


def replays(text: str, **given) -> int:
    calls = []
    replay = build._Builder.replay

    def counted(self, *args):
        calls.append(args)
        return replay(self, *args)

    build._Builder.replay = counted
    try:
        made(text, replay=True, **given)
    finally:
        build._Builder.replay = replay
    return len(calls)


@pytest.mark.parametrize("name", zoo.names())
def test_every_zoo_model_is_the_same_graph_with_replays(name):
    m = zoo.model(name)
    with_replay = made(m.text, replay=True, shape=None, values=zoo.values(name))
    assert isinstance(with_replay, build.Graph)
    assert with_replay == made(m.text, replay=False, shape=None, values=zoo.values(name))


def test_resnet50s_repeated_bottlenecks_are_replayed():
    # [bottleneck(64, 256)] * 2, [bottleneck(128, 512)] * 3, ... * 5, ... * 2: every use after the first of each
    assert replays(zoo.model("resnet50").text, shape=None) == 1 + 2 + 4 + 1


CASES = [
    # a named node, a merge naming it and the block's input, the use's last node renamed by the statement
    "def b(c) {\n y = conv(c, f=3, p=1) -> bn\n add(y, in) -> relu\n}\n"
    "x = input -> b(4) -> b(4)\nz = x -> b(4)\nz -> b(4)",
    # a number of another type, or another value than the default, is another use; by keyword, the same
    "def b(c, s=1) {\n conv(c, f=3, s=s) -> relu\n}\ninput -> b(4) -> b(4.0) -> b(c=4) -> b(4, s=1) -> b(4, s=2)",
    # a block redefined between its uses reads its new body
    "def b(c) { conv(c, f=1) }\ninput -> b(4) -> b(4)\ndef b(c) { fc(c) }\nx = input -> b(4) -> b(4)",
    # a definition made between the uses changes what the body's names mean
    "def b(c) { act -> fc(c) }\nact = relu\ninput -> b(4) -> b(4)\nact = tanh\nx = input -> b(4) -> b(4)",
    # a block using another block is read every time; the inner one is replayed inside it
    "def i(c) { fc(c) -> relu }\ndef o(c) {\n i(c) -> i(c)\n}\ninput -> o(4) -> o(4) -> i(4)",
    # labels that collide: block b's 11th use and block b1's first make the same prefix
    "def b(c) { fc(c) }\ndef b1(c) { fc(c) }\ninput -> [b(4)] * 12 -> b1(4) -> b1(4)",
    # branches and a concat of nodes made in the block
    "def br(c) {\n a = in -> conv(c, f=1)\n b = in -> conv(c, f=3, p=1)\n concat(a, b)\n}\ninput -> br(2) -> br(2)",
    # a repetition inside the block, and a node name that is a layer's label with a number
    "def r(c) {\n [fc(c) -> relu] * 3\n fc2 = fc(c)\n}\ninput -> r(4) -> r(4) -> r(4)",
    # a use that fails the same way both times
    "def b(c) { conv(c, f=nope) }\ninput -> b(4) -> b(4)",
    "def b(c) { add(y, in) }\ninput -> b(4) -> b(4)",
]


@pytest.mark.parametrize("text", CASES)
def test_replayed_uses_are_what_reading_the_body_makes(text):
    assert made(text, replay=True) == made(text, replay=False)


def test_uses_are_replayed_only_when_they_are_the_same():
    assert replays(CASES[0]) == 3  # the first use is read, the other three replayed
    assert replays(CASES[1]) == 2  # b(c=4) and b(4, s=1) are b(4); b(4.0) and b(4, s=2) are not
    assert replays(CASES[2]) == 2  # once per definition
    # o uses a block, so both o(4) are read; inside them, every i(4) after the first is replayed; the last i(4) is
    # used outside o (where another name could mean something else): read
    assert replays(CASES[4]) == 3


body_lines = st.sampled_from(
    [
        "conv(c, f=1)",
        "y = conv(c, f=3, s=s, p=1) -> bn",
        "z = in -> fc(c)",
        "add(y, in)",
        "concat(y, z) -> relu",
        "y = relu",
        "[relu -> fc(c)] * 2",
        "inner(c)",
        "fc(c) -> fc",
    ]
)
uses = st.sampled_from(["b(4)", "b(4)", "b(4, s=2)", "b(4.0)", "b(c=4)", "[b(4)] * 2", "inner(2)", "b(4) -> b(4)"])
top = st.one_of(
    st.lists(uses, min_size=1, max_size=4).map(lambda u: "input -> " + " -> ".join(u)),
    st.lists(uses, min_size=1, max_size=3).map(lambda u: "w = input -> " + " -> ".join(u)),
    st.lists(body_lines, min_size=1, max_size=3).map(lambda b: "def b(c, s=1) {\n" + "\n".join(b) + "\n}"),
    st.just("def inner(c) { fc(c) -> relu }"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(body_lines, min_size=1, max_size=4),
    st.lists(top, min_size=1, max_size=5),
)
def test_generated_texts_are_the_same_graph_with_replays(body, statements):
    text = "def inner(c) { fc(c) }\ndef b(c, s=1) {\n" + "\n".join(body) + "\n}\n" + "\n".join(statements)
    assert made(text, replay=True) == made(text, replay=False)
