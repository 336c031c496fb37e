"""Recurrent layers under ``all`` count every elementwise op of a time step, the bias adds included."""

from __future__ import annotations

import pytest

import cnncalc


@pytest.mark.parametrize(
    ("layer", "macs", "per_unit_step"),
    [
        # input(5, 4), h = 3, one layer: MACs 5·(G·3·4 + G·3·3)
        # LSTM per hidden unit and step: 2·4 bias adds + 4 (W_ih·x + W_hh·h) + 4 gate nonlinearities
        #   + tanh(c) + f·c + i·g + o·tanh(c) + the add of c = 8 + 4 + 4 + 1 + 3 + 1 = 21
        ("lstm(3)", 5 * (4 * 3 * 4 + 4 * 3 * 3), 21),
        ("lstm(3, bias=false)", 5 * (4 * 3 * 4 + 4 * 3 * 3), 21 - 8),
        # GRU: 2·3 bias adds + 3 sums + 3 nonlinearities + r·(W_hn·h + b_hn) + n + z·(h − n) (3) = 16
        ("gru(3)", 5 * (3 * 3 * 4 + 3 * 3 * 3), 16),
        # RNN: 2 bias adds + the sum + tanh = 4
        ("rnn(3)", 5 * (3 * 4 + 3 * 3), 4),
    ],
)
def test_recurrent_flops_under_all(layer, macs, per_unit_step):
    row = cnncalc.analyze(f"input(5, 4) -> {layer}", flops="all").rows[-1]
    assert row.macs == macs
    assert row.flops == 2 * macs + per_unit_step * 3 * 5  # h = 3 units, L = 5 steps
