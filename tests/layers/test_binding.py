"""reshape and permute take their sizes by keyword too, a single number included (it was a TypeError)."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError


def test_reshape_shape_keyword_one_number():
    # 8·8·3 = 192 values into one axis of 192
    r = cnncalc.analyze("input(8,8,3) -> reshape(shape=192)")
    assert r.rows[-1].output_shape == (192,)


def test_reshape_shape_keyword_tuple():
    r = cnncalc.analyze("input(4,3) -> reshape(shape=(3,4))")
    assert r.shown_shape(r.rows[-1]) == (3, 4)


def test_permute_dims_keyword():
    r = cnncalc.analyze("input(4,3) -> permute(dims=(1,0))")
    assert r.shown_shape(r.rows[-1]) == (3, 4)
    with pytest.raises(ArgumentError, match="each of the 2 axes once"):
        cnncalc.analyze("input(4,3) -> permute(dims=1)")
