"""nn.AdaptiveAvgPool2d(1) runs as aten.mean inside PyTorch; its pooling FLOPs must not vanish under seed."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from cnncalc import from_torch  # noqa: E402


@pytest.mark.parametrize(
    ("pool", "outputs"),
    [
        (nn.AdaptiveAvgPool2d(1), 8 * 1 * 1),  # ResNet's avgpool: one output per channel
        (nn.AdaptiveAvgPool2d((None, 1)), 8 * 8 * 1),  # None keeps the input's 8 rows
        (nn.AdaptiveAvgPool2d(2), 8 * 2 * 2),
    ],
)
def test_adaptive_average_pool_counts_one_flop_per_output_under_seed(pool, outputs):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), pool)  # 10x10 -> 8x8 with 8 channels
    report = from_torch(model, (1, 3, 10, 10), flops="seed")
    assert report.rows[1].flops == outputs  # seed: + 1 per pooling output, as seed 000 counts pooling
    assert report.rows[1].macs == 0
    every = from_torch(model, (1, 3, 10, 10), flops="all")
    assert every.rows[1].flops == 8 * 8 * 8  # all: each of the 512 inputs is added once into its window
