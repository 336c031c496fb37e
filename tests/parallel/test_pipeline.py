"""Pipelines: stages take the blocks evenly in order, each keeps the micro-batches its torch schedule keeps in
flight (the schedule's own warm-up counts are the oracle), sends its outputs and receives their gradients."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError
from cnncalc.parallel.layout import parse_layout
from cnncalc.parallel.ranks import in_flight, schedule_ops

NET = "def blk() = fc(64) -> relu\ninput(64) -> [blk] * 4 -> fc(10)"


def step(layout: str, batch: int = 16):
    return cnncalc.analyze(NET, batch=batch, train=True, flops="matmul", parallel=layout).parallel


def test_stages_hold_their_blocks_and_split_the_work():
    whole = cnncalc.analyze(NET, batch=16, train=True, flops="matmul").training
    p = step("pp=2,microbatches=8")
    first, last = p.rank(0), p.rank(1)
    # the first stage holds the input and two blocks (2·(64·64 + 64) params), the last two blocks and the head
    assert first.param_bytes == 2 * (64 * 64 + 64) * 4
    assert last.param_bytes == (2 * (64 * 64 + 64) + 64 * 10 + 10) * 4
    assert first.flops + last.flops == whole.flops


def test_in_flight_micro_batches_follow_the_schedules():
    """1F1B: stage s holds min(m, pp − s); GPipe: all m; each per micro-batch, the step's input once, whole."""
    m = 8
    one = step("pp=2,microbatches=8")
    gpipe = step("pp=2,microbatches=8,schedule=gpipe")
    per_mb = one.rank(1).saved_bytes  # the last stage: one micro-batch in flight
    assert one.rank(1).activation_bytes == per_mb
    assert gpipe.rank(1).activation_bytes == m * per_mb
    # stage 0: its first layer keeps the input, a view of the whole batch: counted once (16·64·4 B)
    whole_input = 16 * 64 * 4
    first = one.rank(0).saved_bytes - whole_input // m
    assert one.rank(0).activation_bytes == 2 * first + whole_input
    assert gpipe.rank(0).activation_bytes == m * first + whole_input


def test_interleaved_warm_up_is_torchs():
    """The interleaved schedule's in-flight chunks: torch's own warm-up count (the forwards before the first
    backward), and one more forward before that backward."""
    schedules = pytest.importorskip("torch.distributed.pipelining.schedules")
    for pp, m in ((2, 4), (4, 8), (4, 4), (2, 6)):
        layout = parse_layout(f"pp={pp},microbatches={m},schedule=interleaved,vpp=2")
        rounds = max(1, m // pp)
        for rank in range(pp):
            warm = schedules._get_warmup_ops(rank, 2, m // rounds, pp, m)
            assert in_flight(layout, rank) == min(warm + 1, 2 * m)
    for pp, m in ((2, 4), (4, 8)):
        layout = parse_layout(f"pp={pp},microbatches={m}")
        for rank in range(pp):
            assert in_flight(layout, rank) == min(m, pp - rank)
            assert [op for op, _ in schedule_ops(layout, rank, [rank])].count("F") == m


def test_sends_and_receives():
    p = step("pp=2,microbatches=4")
    mb = 16 // 4 * 64 * 4  # a micro-batch of the block's output, 4 samples of 64 float32
    first, last = p.rank(0).communication, p.rank(1).communication
    assert (first.send, first.recv) == (4 * mb, 4 * mb)  # activations forward, their gradients back
    assert (last.send, last.recv) == (4 * mb, 4 * mb)
    assert p.bubble_fraction == pytest.approx(1 / 5)  # (pp − 1)/(m + pp − 1)


def test_pp_split_places_blocks_as_asked():
    p = cnncalc.analyze(NET, batch=16, train=True, parallel="pp=2,microbatches=2", pp_split="1,3").parallel
    assert p.rank(0).param_bytes == (64 * 64 + 64) * 4
    with pytest.raises(ArgumentError, match="4 layers .blocks. do not split evenly over pp=3"):
        step("pp=3,microbatches=4", batch=12)
    with pytest.raises(ArgumentError, match="no repeated blocks"):
        cnncalc.analyze("input(8) -> fc(8) -> fc(8)", batch=4, train=True, parallel="pp=2")
