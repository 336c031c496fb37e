"""Attention under ``all`` counts what its docstring says: the scaling of the scores, softmax and the bias adds."""

from __future__ import annotations

import cnncalc


def test_attention_flops_under_all():
    # input(5, 16), 4 heads: MACs 4·5·16·16 + 2·5·5·16 = 5,120 + 800 = 5,920
    # elementwise: scaling 4·5·5 = 100, softmax 3·4·5·5 = 300, the four projections' biases 4·5·16 = 320
    row = cnncalc.analyze("input(5, 16) -> attention(4)", flops="all").rows[-1]
    assert row.macs == 5920
    assert row.flops == 2 * 5920 + 100 + 300 + 320
