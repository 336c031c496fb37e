"""Under ``all`` every normalisation costs the same per element: 5 for the statistics and normalising
(mean, centre, square, sum, scale), plus 2 when it has γ and β — layer, group and instance norm alike."""

from __future__ import annotations

import pytest

import cnncalc

# input(5, 5, 6): 5·5·6 = 150 elements; 5·150 = 750 without γ and β, 7·150 = 1,050 with them
CASES = [
    ("layernorm(affine=false)", 750),
    ("layernorm", 1050),
    ("groupnorm(3, affine=false)", 750),
    ("groupnorm(3)", 1050),
    ("instancenorm", 750),
    ("instancenorm(affine=true)", 1050),
]


@pytest.mark.parametrize(("layer", "flops"), CASES)
def test_norm_flops_under_all(layer, flops):
    row = cnncalc.analyze(f"input(5, 5, 6) -> {layer}", flops="all").rows[-1]
    assert (row.macs, row.flops) == (0, flops)
