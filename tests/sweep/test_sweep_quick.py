"""A sweep's quick path (block uses made and counted once across the points: ``analyze_totals`` of a quick build)
gives exactly the totals and memory of the whole analysis, point after point with the same stores, or says it
cannot (None) and the whole analysis is the answer."""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc import zoo
from cnncalc.analyze import analyze_graph
from cnncalc.errors import CnnCalcError, LimitError
from cnncalc.notation import parse
from cnncalc.notation.build import Uses
from cnncalc.notation.syntax import parse_statements
from cnncalc.options import Options
from cnncalc.sweep.rows import figures

analysis = sys.modules["cnncalc.analyze"]

SETTINGS = [
    Options.make(),
    Options.make(flops="all", batch=3),
    Options.make(dtype="float16", layout="chw"),
    Options.make(framework="keras", flops="matmul"),
]


class Quick:
    """A sweep's stores for one text: the block uses its quick builds keep, and the blocks its analyses counted."""

    def __init__(self) -> None:
        self.uses, self.blocks, self.read = Uses(), {}, {}

    def figures(self, text: str, values: dict, options: Options, shape=None):
        """The quick path's figures, None when it cannot count this point, or the error's words. The text is read
        once, as a sweep reads its spec: the stores find its statements again point after point."""
        try:
            if text not in self.read:
                self.read[text] = parse_statements(text)
            graph = parse(text, shape, **_given(values), statements=self.read[text], store=self.uses)
            report = analysis.analyze_totals(graph, options, self.blocks)
        except CnnCalcError as e:
            return ("error", type(e).__name__)
        return None if report is None else figures(report)


def _given(values: dict) -> dict:
    """A zoo model's values as the text's names (``params``); else the text's arguments, checked (``values``)."""
    return {"params": values} if "arch" in values or "classes" in values else {"values": values}


def whole(text: str, values: dict, options: Options, shape=None):
    try:
        return figures(analyze_graph(parse(text, shape, **_given(values)), options))
    except CnnCalcError as e:
        return ("error", type(e).__name__)


def same(quick, full) -> bool:
    if quick is None:
        return True  # the sweep takes the whole analysis
    if isinstance(quick, tuple) or isinstance(full, tuple):  # an error: the sweep asks the whole analysis for it
        return isinstance(full, tuple)
    return quick == full


@pytest.mark.parametrize("name", zoo.names())
def test_every_zoo_model_under_every_setting(name):
    quick = Quick()
    text, values = zoo.model(name).text, zoo.values(name)
    counted = 0
    for options in SETTINGS * 2:  # twice: the second time from the stores
        q = quick.figures(text, values, options)
        assert same(q, whole(text, values, options)), name
        counted += q is not None
    language_model = "decoder(" in text or "transformer(" in text or "embedding(" in text
    assert (
        counted == 0
        if name in {"llama2_7b", "llama3_8b", "mistral_7b", "mixtral_8x7b", "qwen2_7b", "gemma_7b"}
        else (counted > 0 or language_model)
    )


def test_nb201s_cells_point_after_point():
    quick = Quick()
    text = zoo.model("nb201").text
    every = zoo.choices("nb201")["arch"]
    rng = random.Random(201)
    for i in range(120):
        values = zoo.values("nb201", arch=every[rng.randrange(len(every))], N=rng.choice([1, 2, 5]))
        options = SETTINGS[i % len(SETTINGS)]
        q = quick.figures(text, values, options)
        assert q is not None and q == whole(text, values, options), values["arch"]


WIDTHS = """# args: w1=64, w2=128, size=64, act=relu
def basic(c) {
  y = conv(c, f=3, p=1, bias=false) -> bn -> act -> conv(c, f=3, p=1, bias=false) -> bn
  add(y, in) -> act
}
def down(c, s=2) {
  y = conv(c, f=3, s=s, p=1, bias=false) -> bn -> act -> conv(c, f=3, p=1, bias=false) -> bn
  shortcut = in -> conv(c, f=1, s=s, bias=false) -> bn
  add(y, shortcut) -> act
}
x = input(size, size, 3) -> conv(w1, f=7, s=2, p=3) -> bn -> act
y = x -> [basic(w1)] * 2
z = y -> down(w2) -> basic(w2)
w = x -> down(w2, s=4)
add(z, w) -> gap -> fc(10)
"""


def test_widths_arguments_and_a_residual_around_blocks():
    quick = Quick()
    rng = random.Random(18)
    for i in range(80):
        values = {
            "w1": rng.choice([8, 16, 24]),
            "w2": rng.choice([16, 32]),
            "size": rng.choice([16, 32, 7]),
            "act": rng.choice(["relu", "gelu", "identity"]),
            "down.s": rng.choice([1, 2, 4]),
        }
        options = SETTINGS[i % len(SETTINGS)]
        q = quick.figures(WIDTHS, values, options)
        assert same(q, whole(WIDTHS, values, options)), values
        # the quick path counts every point but those whose blocks end with a view (act=identity: the whole analysis)
        assert (q is None) == (values["act"] == "identity")


body_lines = st.sampled_from(
    [
        "conv(c, f=1)",
        "y = conv(c, f=k, p=1) -> bn",
        "z = in -> fc(c)",
        "add(y, in)",
        "concat(y, z) -> relu",
        "y = relu",
        "v = in -> identity",
        "u = in -> dropout(0.1) -> conv(c, f=1)",
        "[relu -> conv(c, f=1)] * 2",
        "t = y -> conv(c, f=3, p=1)",  # a node nothing reads: an output to the end
        "two",
        "in -> zero",
        "fc(c) -> fc",
        "flatten",
        "inner(c)",
    ]
)
uses = st.sampled_from(["b(w)", "b(w)", "b(4)", "b(w, k=k)", "[b(w)] * 2", "inner(w)", "b(w) -> b(w)", "two"])
top = st.one_of(
    st.lists(uses, min_size=1, max_size=4).map(lambda u: "x = input(8, 8, 4) -> " + " -> ".join(u)),
    st.lists(uses, min_size=1, max_size=3).map(lambda u: "y2 = x -> " + " -> ".join(u) + "\nadd(x, y2)"),
    st.lists(uses, min_size=1, max_size=3).map(lambda u: "v2 = x -> identity -> " + " -> ".join(u)),
)
points = st.lists(
    st.fixed_dictionaries({"w": st.sampled_from([2, 4, 6]), "k": st.sampled_from([1, 3])}), min_size=2, max_size=5
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(body_lines, min_size=1, max_size=5), st.lists(top, min_size=1, max_size=3), points)
def test_generated_texts_point_after_point(body, statements, values):
    text = (
        "# args: w=4, k=1\ntwo = relu -> conv(w, f=k, p=1) -> bn\ndef inner(c) { fc(c) }\n"
        "def b(c, k=1) {\n" + "\n".join(body) + "\n}\n" + "\n".join(statements)
    )
    quick = Quick()
    for i, v in enumerate(values):
        options = SETTINGS[i % len(SETTINGS)]
        assert same(quick.figures(text, v, options), whole(text, v, options)), (text, v)


def test_a_point_asking_a_repetition_for_more_is_counted_before_it_is_made():
    # b44 makes two relus 2^44 times over when d = 2: (2·2^44 + 1 input) layers, told from the text at once, even
    # though the quick build after the first point no longer counts what it has counted before
    text = (
        "# args: d=1\ndef b0(c) { relu -> relu }\n"
        + "".join(f"def b{i}(c) {{ [b{i - 1}(c + 1)] * d }}\n" for i in range(1, 45))
        + "input(8) -> b44(1)\n"
    )
    uses = Uses()
    assert len(parse(text, values={"d": 1}, store=uses).nodes) >= 2
    with pytest.raises(LimitError, match=f"the repetition makes the network at least {2 * 2**44 + 1:,} layers"):
        parse(text, values={"d": 2}, store=uses)
