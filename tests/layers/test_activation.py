"""A fused activation counts no parameters, so PReLU (a learned slope per channel) may not be fused."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError


@pytest.mark.parametrize("text", ["input(8, 8, 4) -> conv(4, f=3, activation=prelu)", "input(10) -> fc(4, act=prelu)"])
def test_fused_prelu_is_refused(text):
    with pytest.raises(ArgumentError, match="prelu cannot be fused"):
        cnncalc.analyze(text)


def test_prelu_as_a_layer_counts_its_slopes():
    # conv: (3·3·4 + 1)·4 = 148; prelu: one slope per channel, 4
    r = cnncalc.analyze("input(8, 8, 4) -> conv(4, f=3) -> prelu")
    assert [row.params for row in r.rows[1:]] == [148, 4]
