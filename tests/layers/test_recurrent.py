"""Recurrent kinds as Keras users write them: lstm(128, return_sequences=false) keeps the last step only."""

from __future__ import annotations

import pytest
import torch

import cnncalc


@pytest.mark.parametrize(
    ("kind", "torch_class"), [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU), ("rnn", torch.nn.RNN)]
)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_return_sequences_false_is_the_last_step(kind, torch_class, bidirectional):
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
