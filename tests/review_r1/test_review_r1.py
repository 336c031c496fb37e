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
