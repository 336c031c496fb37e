"""Attention and the transformer block: what they count under ``all``, and their parameters against PyTorch's."""

from __future__ import annotations

import pytest

import cnncalc


def test_attention_flops_under_all():
    # input(5, 16), 4 heads: MACs 4·5·16·16 + 2·5·5·16 = 5,120 + 800 = 5,920
    # elementwise: scaling 4·5·5 = 100, softmax 3·4·5·5 = 300, the four projections' biases 4·5·16 = 320
    row = cnncalc.analyze("input(5, 16) -> attention(4)", flops="all").rows[-1]
    assert row.macs == 5920
    assert row.flops == 2 * 5920 + 100 + 300 + 320


@pytest.mark.parametrize("bias", [True, False])
def test_transformer_params_follow_pytorch_bias(bias):
    nn = pytest.importorskip("torch").nn
    m = nn.TransformerEncoderLayer(32, 4, 64, bias=bias, batch_first=True)
    expected = sum(p.numel() for p in m.parameters())
    # by hand, d = 32, ff = 64: with bias 4·(32·32 + 32) + (32 + 1)·64 + (64 + 1)·32 + 2·2·32 = 8,544;
    # without, 4·32·32 + 2·32·64 + 2·32 (two layer norms, γ only) = 8,256
    assert expected == (8544 if bias else 8256)
    row = cnncalc.analyze(f"input(9, 32) -> transformer(4, 64, bias={bias})").rows[-1]
    assert row.params == expected
