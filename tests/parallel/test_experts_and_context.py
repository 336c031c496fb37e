"""Expert and context parallelism: the arithmetic (torch has no runtime for them that the gloo harness runs)."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.errors import ArgumentError

MIXTRAL = {
    "model_type": "mixtral",
    "vocab_size": 256,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_local_experts": 4,
    "num_experts_per_tok": 2,
}
LLAMA = {**MIXTRAL, "model_type": "llama"}
del LLAMA["num_local_experts"], LLAMA["num_experts_per_tok"]


def mixtral(layout: str, batch: int = 8, length: int = 16):
    return cnncalc.from_hf_config(MIXTRAL, input=(batch, length), train=True, parallel=layout).parallel


def test_experts_spread_over_replicas():
    whole = mixtral("dp=4").rank(0)
    spread = mixtral("dp=4,ep=2").rank(0)
    experts = 2 * 4 * (64 * 2 * 128 + 128 * 64)  # two layers of 4 experts: gate_up (2·128×64) and down (64×128)
    assert whole.param_bytes - spread.param_bytes == experts // 2 * 4  # half the experts on each rank
    # each layer's routed copies (64 features × 2 picks × 16 positions × 2 sequences a rank, float32) are sent to
    # their experts and back, forward and backward
    routed = 64 * 2 * 16 * 2 * 4
    assert spread.communication.all_to_all == 2 * 4 * routed
    assert whole.communication.all_to_all == 0
    with pytest.raises(ArgumentError, match="its 4 experts .* do not split over ep=8"):
        mixtral("dp=8,ep=8", batch=8)
    with pytest.raises(ArgumentError, match="this network has no experts"):
        cnncalc.from_hf_config(LLAMA, input=(8, 16), train=True, parallel="dp=2,ep=2")


def test_context_parallel_splits_the_sequence():
    one = cnncalc.from_hf_config(LLAMA, input=(2, 64), train=True, flops="matmul", parallel="dp=1").parallel.rank(0)
    two = cnncalc.from_hf_config(LLAMA, input=(2, 64), train=True, flops="matmul", parallel="cp=2").parallel.rank(0)
    assert two.flops * 2 == pytest.approx(one.flops, rel=0.01)
    assert two.activation_bytes < one.activation_bytes * 0.6
    # each attention passes its keys and values (2 kv heads of 16: 32 floats a position) around the ring, once in
    # forward and (with their gradients) twice in backward
    kv = 2 * (2 * 32 * 32 * 4)  # keys and values of 32 positions of a rank's 2 sequences
    assert two.communication.send == two.communication.recv == 2 * 3 * kv
    with pytest.raises(ArgumentError, match="sequence of 63 positions does not split over cp=2"):
        cnncalc.from_hf_config(LLAMA, input=(2, 63), train=True, parallel="cp=2")
