"""transformer(bias=false) against nn.TransformerEncoderLayer(bias=False), whose layer norms lose β too."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import cnncalc  # noqa: E402


@pytest.mark.parametrize("bias", [True, False])
def test_transformer_params_follow_pytorch_bias(bias):
    m = nn.TransformerEncoderLayer(32, 4, 64, bias=bias, batch_first=True)
    expected = sum(p.numel() for p in m.parameters())
    # by hand, d = 32, ff = 64: with bias 4·(32·32 + 32) + (32 + 1)·64 + (64 + 1)·32 + 2·2·32 = 8,544;
    # without, 4·32·32 + 2·32·64 + 2·32 (two layer norms, γ only) = 8,256
    assert expected == (8544 if bias else 8256)
    row = cnncalc.analyze(f"input(9, 32) -> transformer(4, 64, bias={bias})").rows[-1]
    assert row.params == expected
