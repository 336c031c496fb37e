"""A layer's arithmetic is shared between nodes and analyses only where everything it reads is the same."""

from __future__ import annotations

import sys

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.analyze import analyze_graph


def test_a_value_python_takes_as_equal_is_not_the_same_argument():
    assert cnncalc.analyze("input(4) -> fc(2)").totals.params == 10
    with pytest.raises(cnncalc.ArgumentError, match="whole number"):
        cnncalc.analyze("input(4) -> fc(2.0)")
    with pytest.raises(cnncalc.ArgumentError, match="whole number"):
        cnncalc.analyze("input(4) -> fc(true)")
    assert cnncalc.analyze("input(4) -> fc(2)").totals.params == 10


def test_the_same_network_analysed_again_gives_the_same_report():
    first = analyze_graph(zoo.graph("resnet50"))
    again = analyze_graph(zoo.graph("resnet50"))
    assert again == first
    assert [[str(s) for s in r.steps] for r in again.rows] == [[str(s) for s in r.steps] for r in first.rows]


def test_the_settings_a_layer_is_counted_with_are_part_of_what_is_shared():
    text = "input(8, 8, 3) -> conv(4, f=3) -> relu"
    seed = cnncalc.analyze(text)
    every = cnncalc.analyze(text, flops="all")
    assert every.totals.flops > seed.totals.flops
    assert cnncalc.analyze(text).totals.flops == seed.totals.flops
    keras = cnncalc.analyze("input(8, 8, 3) -> bn", framework="keras")
    assert cnncalc.analyze("input(8, 8, 3) -> bn").totals.trainable_params == 6
    assert keras.totals.trainable_params == 6 and keras.totals.non_trainable_params == 6
    assert cnncalc.analyze("input(8, 8, 3) -> bn", framework="keras") == keras


def _afresh(name: str, **options) -> cnncalc.Report:
    """The report with nothing shared from earlier analyses: every layer worked out again."""
    analysis = sys.modules["cnncalc.analyze"]
    kept = dict(analysis._SHARED), dict(analysis._CALCS)
    analysis._SHARED.clear()
    analysis._CALCS.clear()
    try:
        return analyze_graph(zoo.graph(name), **options)
    finally:
        analysis._SHARED.update(kept[0])
        analysis._CALCS.update(kept[1])


SETTINGS = [
    {},
    {"flops": "all", "batch": 4},
    {"dtype": "float16"},
    {"layout": "chw", "flops": "matmul"},
    {"train": True},
]


@pytest.mark.parametrize("options", SETTINGS, ids=str)
def test_rows_shared_with_earlier_analyses_are_the_rows_worked_out_afresh(options):
    for name in ("mobilenet_v2", "resnet18", "vgg16"):  # the same layers under every other setting first
        for other in SETTINGS:
            analyze_graph(zoo.graph(name), **other)
    for name in ("resnet50", "resnet18", "mobilenet_v2"):
        shared = analyze_graph(zoo.graph(name), **options)
        afresh = _afresh(name, **options)
        assert shared == afresh
        assert [[str(s) for s in r.steps] for r in shared.rows] == [[str(s) for s in r.steps] for r in afresh.rows]
        assert [r.block for r in shared.rows] == [r.block for r in afresh.rows]
        assert shared.training == afresh.training


def test_a_repeated_blocks_rows_are_in_their_own_use():
    text = "def blk(c) { conv(c, f=1) -> relu }\ninput(8, 8, 4) -> blk(4) -> blk(4) -> blk(4)"
    rows = cnncalc.analyze(text).rows
    # the second and third uses copy the first's rows: each is still in its own use of the block
    assert [r.block for r in rows] == [None, "blk1", "blk1", "blk2", "blk2", "blk3", "blk3"]
    assert [r.node_id for r in rows[3:]] == ["blk2.conv", "blk2.relu", "blk3.conv", "blk3.relu"]
