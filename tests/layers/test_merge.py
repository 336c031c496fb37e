"""matmul broadcasts its leading axes and, when it cannot, names the shapes the user wrote."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ShapeError


def test_matmul_broadcasts_leading_axes():
    # (2, 5, 12) @ (12, 7): the matrix b serves both of a's 2 matrices; MACs 2·5·12·7 = 840
    row = cnncalc.analyze("a = input(2, 5, 12)\nb = input(12, 7)\nmatmul(a, b)").rows[-1]
    assert row.macs == 840
    assert cnncalc.analyze("a = input(2, 5, 12)\nb = input(12, 7)\nmatmul(a, b)").shown_shape(row) == (2, 5, 7)


def test_matmul_leading_axes_mismatch_names_the_inputs():
    with pytest.raises(ShapeError, match=r"\(2, 5, 12\) and \(3, 12, 7\)") as e:
        cnncalc.analyze("a = input(2, 5, 12)\nb = input(3, 12, 7)\nmatmul(a, b)")
    assert "matmul" in (e.value.hint or "")
