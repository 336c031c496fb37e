"""Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models"), Table 2: the
activation bytes of one transformer layer, evaluated for their GPT-3 175B configuration (s = 2048, h = 12288,
a = 96, t = 8, b = 1, 16-bit activations), beside cnncalc's figure for the same layer; every difference is
explained term by term below and in docs/parallel.md (PyTorch eager keeps what Megatron's kernels do not, and
the reverse).

The layer, as GPT-3 runs it: LN → QKV (one packed projection) → attention (softmax, dropout) → projection →
dropout → residual; LN → h→4h → GeLU → 4h→h → dropout → residual. Written with the attention core (QKᵀ,
softmax, dropout, attention over V) as a ``def``, ``--recompute blocks`` checkpoints exactly that core: Megatron's
selective recomputation; written as one ``def``, the whole layer: full recomputation.
"""

from __future__ import annotations

import pytest

import cnncalc

S, H, A, T = 2048, 12288, 96, 8  # b = 1
SBH = S * H
SCORES = A * S * S  # as²b

CORE = f"""
def core() {{
  q = in -> split({H})
  k = in -> split({H}, start={H})
  v = in -> split({H}, start={2 * H})
  sdpa(q, k, v, heads={A}, dropout=0.1, causal=true)
}}
"""
BODY = f"""
a = X -> layernorm -> fc({3 * H}, tp=colwise) -> core -> fc({H}, tp=rowwise) -> dropout(0.1)
r = add(X, a)
m = r -> layernorm -> fc({4 * H}, tp=colwise) -> gelu -> fc({H}, tp=rowwise) -> dropout(0.1)
add(r, m)
"""
LAYER = f"{CORE}\nx = input({S}, {H})\n{BODY.replace('X', 'x')}"  # the attention core a block: selective
WHOLE = f"{CORE}\ndef gpt3() {{\n{BODY.replace('X', 'in')}}}\ninput({S}, {H}) -> gpt3"  # the layer a block


def saved(spec: str, parallel: str, recompute: str = "none") -> int:
    """The bytes one rank keeps for backward for the layer (one micro-batch's, without a checkpointed block's
    rerun)."""
    report = cnncalc.analyze(spec, train=True, dtype="float16", recompute=recompute, parallel=parallel)
    return report.parallel.rank(0).saved_bytes


# what cnncalc keeps that Table 2 does not, term by term (16-bit activations, b = 1)
PACKED_V = 4 * SBH  # v is a view of the packed q/k/v output: autograd keeps all 3h of it where Megatron keeps v
MASKS = SBH + SBH  # the two dropout masks: PyTorch's CPU kernel keeps them at the activations' 2 bytes, not 1
SOFTMAX_MASK = SCORES  # the attention dropout's mask, likewise
STATS = 2 * 2 * S * 4  # each layer norm's float32 mean and inverse deviation per position
GATHERED = 2 * (2 * SBH - 2 * SBH // T)  # sequence parallel: the QKV's and h→4h's inputs kept gathered whole


def test_no_parallelism():
    table = SBH * 34 + 5 * SCORES  # sbh(34 + 5as/h)
    assert saved(LAYER, "dp=1") == table + PACKED_V + MASKS + SOFTMAX_MASK + STATS


@pytest.mark.parametrize("t", [T, 2, 4])
def test_tensor_parallel(t):
    table = SBH * 10 + SBH * 24 // t + 5 * SCORES // t  # sbh(10 + 24/t + 5as/(ht))
    # the packed q/k/v is split by heads; the masks after the projections are whole on every rank; the softmax's
    # split by heads
    assert saved(LAYER, f"tp={t}") == table + PACKED_V // t + MASKS + SOFTMAX_MASK // t + STATS


def test_tensor_and_sequence_parallel():
    table = (SBH * 34 + 5 * SCORES) // T  # sbh/t·(34 + 5as/h)
    # Megatron keeps each layer norm's output split over the sequence and gathers it again in backward; a PyTorch
    # linear keeps the input it multiplied: the gathered whole
    ours = table + PACKED_V // T + MASKS // T + SOFTMAX_MASK // T + STATS // T + GATHERED
    assert saved(LAYER, f"tp={T},sp") == ours


def test_selective_recomputation():
    """The attention core checkpointed: the 5as/h term goes; the core keeps its input, the packed q/k/v (q, k and v:
    6sbh/t, as Table 2's 4sbh/t + 2sbh/t)."""
    table = SBH * 34 // T  # sbh/t·34
    ours = table + MASKS // T + STATS // T + GATHERED  # the packed tensor is the core's input: no more kept for v
    assert saved(LAYER, f"tp={T},sp", recompute="blocks") == ours


def test_full_recomputation():
    """The layer checkpointed whole keeps only its input: 2sbh, as Table 2 says."""
    assert saved(WHOLE, "dp=1", recompute="blocks") == 2 * SBH
