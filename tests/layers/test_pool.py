"""Seed 003's flat pool (a pool on a vector) takes the same arguments as any pool, none silently ignored."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ShapeError


def test_flat_pool_dilation_counts():
    # window 2 dilated by 2 spans 2·(2 − 1) + 1 = 3; stride = window = 2: floor((12 − 3)/2) + 1 = 5
    # (PyTorch: nn.MaxPool1d(2, dilation=2) on a length-12 signal gives 5)
    r = cnncalc.analyze("input(12) -> maxpool(2, d=2)")
    assert r.rows[-1].output_shape == (5,)


def test_flat_pool_pads_at_most_half_its_window():
    # PyTorch refuses padding 2 for a window of 2; so does every other pool here
    with pytest.raises(ShapeError, match="more than half the window"):
        cnncalc.analyze("input(12) -> maxpool(2, p=2)")


def test_flat_pool_rank_is_checked():
    with pytest.raises(ShapeError, match="asked for 2 spatial axes"):
        cnncalc.analyze("input(12) -> maxpool2d(3)")


def test_seed_003_flat_pool_unchanged():
    # 128 → floor((128 − 3)/3) + 1 = 42, one FLOP per output under seed
    row = cnncalc.analyze("input(128) -> maxpool(3)").rows[-1]
    assert (row.output_shape, row.flops) == ((42,), 42)
