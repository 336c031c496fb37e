"""Recurrent layers: every elementwise op of a time step under ``all``, the bias adds included; and
lstm(128, return_sequences=false), as Keras users write it, keeps the last step only."""

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


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_return_sequences_false_is_the_last_step(kind, bidirectional):
    torch = pytest.importorskip("torch")
    torch_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    bi = "true" if bidirectional else "false"
    every = cnncalc.analyze(f"input(10, 32) -> {kind}(64, bidirectional={bi})")
    last = cnncalc.analyze(f"input(10, 32) -> {kind}(64, bidirectional={bi}, return_sequences=false)")
    module = torch_class(32, 64, batch_first=True, bidirectional=bidirectional)
    out, _ = module(torch.zeros(1, 10, 32))
    assert last.shown_shape(last.rows[1]) == tuple(out[:, -1].shape[1:])  # (64,) or (128,)
    assert every.shown_shape(every.rows[1]) == tuple(out.shape[1:])  # (10, 64) or (10, 128)
    assert last.rows[1].params == every.rows[1].params == sum(p.numel() for p in module.parameters())
    assert last.rows[1].macs == every.rows[1].macs  # every step is still computed


def test_return_sequences_false_feeds_a_dense_layer_as_keras_models_do():
    r = cnncalc.analyze("input(10, 32) -> lstm(64, return_sequences=false) -> fc(10)")
    # lstm: 4·(64·32 + 64·64 + 2·64) = 25,088; dense on the last state: (64 + 1)·10 = 650
    assert [row.params for row in r.rows] == [0, 25_088, 650]
    assert r.rows[1].macs == 10 * (4 * 64 * 32 + 4 * 64 * 64)  # 245,760
    assert "return_sequences=false: the output is the hidden state after the last of the 10 steps" in r.rows[1].notes
