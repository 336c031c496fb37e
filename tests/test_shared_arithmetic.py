"""A layer's arithmetic is shared between nodes and analyses only where everything it reads is the same."""

from __future__ import annotations

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
