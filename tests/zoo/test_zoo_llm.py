"""The zoo's language models: each is exact, and the same network as its Hugging Face config.

The notation (``decoder``, ``gqa``, ``moe`` blocks) and the config front-end go through the same
kinds, so every total agrees under every FLOPs convention; the config's own totals are checked
against transformers in tests/frontends/test_hf.py, and the published figures here.
"""

from __future__ import annotations

import pytest
from support.hf_configs import config

import cnncalc
from cnncalc import zoo
from cnncalc.options import Options

LLMS = ("llama2_7b", "llama3_8b", "mistral_7b", "mixtral_8x7b", "qwen2_7b", "gemma_7b")
PUBLISHED = {  # parameter counts as the model cards give them (Gemma 7B and Qwen2 7B: transformers' numel)
    "llama2_7b": 6_738_415_616,
    "llama3_8b": 8_030_261_248,
    "mistral_7b": 7_241_732_096,
    "mixtral_8x7b": 46_702_792_704,
    "qwen2_7b": 7_615_616_512,
    "gemma_7b": 8_537_680_896,
}


def figures(r: cnncalc.Report) -> tuple:
    t, llm = r.totals, r.llm
    return (
        t.params,
        t.macs,
        t.flops,
        t.activation_size,
        r.memory.peak_activation_bytes,
        llm.active_params,
        llm.kv_cache_bytes_per_token,
        llm.kv_cache_bytes,
        llm.decode_flops_per_token,
    )


@pytest.mark.parametrize("flops", ["matmul", "all"])
@pytest.mark.parametrize("name", LLMS)
def test_the_zoo_and_the_config_give_the_same_totals(name, flops):
    written = zoo.analyze(name, flops=flops, dtype="bfloat16", length=64)
    from_config = cnncalc.from_hf_config(config(name), (1, 64), flops=flops, dtype="bfloat16")
    assert figures(written) == figures(from_config)
    assert written.totals.params == PUBLISHED[name]


def test_mixtral_in_the_zoo_has_its_published_active_params():
    assert zoo.analyze("mixtral_8x7b").llm.active_params == 12_879_925_248


def test_the_decoder_block_is_usable_in_the_notation_with_lora():
    # Llama-2-7B's q_proj and v_proj adapters, written as notation: the figure PEFT prints
    r = zoo.analyze("llama2_7b", options=Options.make(lora="r=8,alpha=16,targets=q_proj,v_proj"))
    assert r.totals.trainable_params == 4_194_304
