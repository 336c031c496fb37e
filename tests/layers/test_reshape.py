"""explain says which position select took."""

from __future__ import annotations

import cnncalc


def test_select_shows_the_position_it_took():
    r = cnncalc.analyze("input(197, 768) -> select(0)")
    assert [str(s) for s in r.rows[1].steps][0] == "position = 0"
    assert r.rows[1].notes == ("takes position 0 of 197 (counting from 0), the first",)
    assert r.shown_shape(r.rows[1]) == (768,)


def test_select_from_the_end_shows_the_subtraction():
    r = cnncalc.analyze("input(197, 768) -> select(-1)")
    assert [str(s) for s in r.rows[1].steps][0] == "position = 197 − 1 = 196"  # the last of 197
    assert "position = 197 − 1 = 196" in cnncalc.analyze("input(197, 768) -> select(-1)").explain()
