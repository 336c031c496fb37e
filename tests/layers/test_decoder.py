"""Language-model blocks written in the notation, each figure worked out by hand."""

from __future__ import annotations

import pytest

import cnncalc
from cnncalc.layers.attention import causal_pairs


def test_gqa_params_macs_and_cache():
    # d = 64, 8 query heads of 8, 2 key/value heads: q 64·64, k and v 64·16 each, o 64·64
    r = cnncalc.analyze("input(10, 64) -> gqa(8, kv_heads=2)", dtype="bfloat16")
    assert r.totals.params == 64 * 64 + 2 * 64 * 16 + 64 * 64 == 10240
    # per position the projections' MACs; the scores and weighted sum 8 heads · 10·10 · 8, twice
    assert r.totals.macs == 10 * 10240 + 2 * 8 * 10 * 10 * 8
    assert r.llm.kv_cache_bytes_per_token == 2 * 16 * 2  # keys and values of 2 heads of 8, bf16


def test_gqa_with_qk_norm_bias_and_a_window():
    # Qwen-style: q, k, v with bias, o without; per-head RMS norms of 8 on q and k
    r = cnncalc.analyze("input(10, 64) -> gqa(8, kv_heads=2, bias=true, out_bias=false, qk_norm=true, window=4)")
    assert r.totals.params == 10240 + 64 + 16 + 16 + 8 + 8
    # the cache keeps at most the last 4 positions: at context 10, 4·(16 + 16) elements, float32
    assert r.llm.kv_cache_bytes == 4 * 32 * 4


def test_swiglu_geglu_and_feedforward():
    assert cnncalc.analyze("input(4, 16) -> swiglu(32)").totals.params == 3 * 16 * 32
    geglu = cnncalc.analyze("input(4, 16) -> geglu(32)", flops="all")
    # under all: gelu on 4·32 and the product on 4·32 besides 2·MACs
    assert geglu.totals.flops == 2 * 4 * 3 * 16 * 32 + 4 * 32 + 4 * 32
    assert cnncalc.analyze("input(4, 16) -> feedforward(32)").totals.params == (16 + 1) * 32 + (32 + 1) * 16


def test_moe_active_params_and_macs():
    # 4 experts of a SwiGLU of 8 on d = 16, 2 per position, a router of 16·4
    r = cnncalc.analyze("input(6, 16) -> moe(4, 2, 8)")
    expert = 3 * 16 * 8
    assert r.totals.params == 16 * 4 + 4 * expert
    assert r.llm is None  # no attention, no cache: not a language model
    assert r.totals.macs == 6 * (16 * 4 + 2 * expert)
    d = cnncalc.analyze("input(6, 16) -> decoder(2, 8, experts=4, top_k=2)")
    assert d.llm.active_params == d.totals.params - 2 * expert


def test_moe_with_a_gated_shared_expert():
    r = cnncalc.analyze("input(6, 16) -> moe(4, 2, 8, shared_ff=12, shared_gate=true)")
    assert r.totals.params == 16 * 4 + 4 * 3 * 16 * 8 + 3 * 16 * 12 + 16


def test_mla_caches_the_latent():
    # 2 heads, latent 8, rope 4, nope 4, values 6, q through a rank of 12
    spec = "input(5, 16) -> mla(2, kv_lora_rank=8, q_lora_rank=12, qk_nope_dim=4, qk_rope_dim=4, v_head_dim=6)"
    r = cnncalc.analyze(spec)
    q = 16 * 12 + 12 + 12 * 2 * 8  # q_a_proj, its norm, q_b_proj to 2 heads of 4 + 4
    kv = 16 * (8 + 4) + 8 + 8 * 2 * (4 + 6)  # kv_a_proj_with_mqa, its norm, kv_b_proj
    assert r.totals.params == q + kv + 2 * 6 * 16
    assert r.llm.kv_cache_bytes_per_token == (8 + 4) * 4


def test_decoder_block_is_llama_s():
    # Llama-2-7B's block: 4·4096² + 3·4096·11008 + 2·4096
    assert cnncalc.analyze("input(8, 4096) -> decoder(32, 11008)").totals.params == 202_383_360


def test_rotary_under_all():
    assert cnncalc.analyze("input(128, 4096) -> rotary(32)", flops="all").totals.flops == 3 * 4096 * 128
    assert cnncalc.analyze("input(128, 4096) -> rotary(32, dims=32)", flops="all").totals.flops == 3 * 32 * 32 * 128


@pytest.mark.parametrize(
    ("length", "keys", "window", "pairs"),
    [(4, 4, None, 1 + 2 + 3 + 4), (4, 4, 2, 1 + 2 + 2 + 2), (1, 10, None, 10), (1, 10, 4, 4), (3, 5, None, 3 + 4 + 5)],
)
def test_causal_pairs(length, keys, window, pairs):
    assert causal_pairs(length, keys, window) == pairs


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("input(4, 16) -> gqa(3)", "do not split into 3 heads"),
        ("input(4, 16) -> gqa(4, kv_heads=3)", "do not share 3 key/value heads"),
        ("input(4, 16) -> moe(4, 5, 8)", "picks 5 of 4 experts"),
        ('input(4, 16) -> gqa(4, names="a,b")', "4: q_proj, k_proj, v_proj, o_proj"),
        ("input(4, 16) -> split(8, start=12)", "past the end of 16 features"),
    ],
)
def test_bad_blocks_say_why(spec, message):
    with pytest.raises(cnncalc.CnnCalcError, match=message):
        cnncalc.analyze(spec)
