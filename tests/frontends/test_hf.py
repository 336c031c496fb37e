"""The Hugging Face config front-end against transformers itself, and against the published figures.

Each real config in tests/data/hf/ is counted three ways: by cnncalc from the config alone, by
transformers (numel of the model it builds on the meta device, FlopCounterMode over its forward
at 128 tokens with eager attention and batched experts), and by cnncalc's torch path on that
same model. The three must agree exactly.
"""

from __future__ import annotations

import json
import warnings

import pytest
from support.hf_models import SMALL, build, config, forward_flops, inputs, names, torch
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.frontends.hf import FAMILIES

LENGTH = 128


@pytest.mark.parametrize("name", names())
def test_config_transformers_and_the_torch_path_agree(name):
    data = config(name)
    model = build(data)
    report = cnncalc.from_hf_config(data, (1, LENGTH), flops="matmul")
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    kwargs = {"use_cache": False} if data["model_type"] != "bert" else None
    sizes = {name: (1, LENGTH) for name in inputs(model.config, None)}
    traced = cnncalc.from_torch(model, sizes, kwargs=kwargs, flops="matmul")
    assert report.totals.flops == forward_flops(model, LENGTH)  # last: it swaps the weights for fakes
    assert (traced.totals.params, traced.totals.macs, traced.totals.flops) == (
        report.totals.params,
        report.totals.macs,
        report.totals.flops,
    )
    assert traced.uncounted_ops == ()


@pytest.mark.parametrize("head", ["BertModel", "BertForSequenceClassification"])
def test_bert_heads_follow_architectures(head):
    data = {**config("bert_base_uncased"), "architectures": [head], "id2label": {"0": "no", "1": "yes", "2": "maybe"}}
    model = build(data)
    assert cnncalc.from_hf_config(data).totals.params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "params"),
    # the parameter counts the model cards and papers give
    [
        ("llama2_7b", 6_738_415_616),
        ("llama3_8b", 8_030_261_248),
        ("mistral_7b", 7_241_732_096),
        ("mixtral_8x7b", 46_702_792_704),
    ],
)
def test_published_parameter_counts(name, params):
    assert cnncalc.from_hf_config(config(name)).totals.params == params


def test_mixtral_active_params():
    # 2 of 8 experts per token: 46,702,792,704 − 32 layers · 6 idle experts · 3·4096·14336 = 12,879,925,248
    llm = cnncalc.from_hf_config(config("mixtral_8x7b")).llm
    assert llm.active_params == 46_702_792_704 - 32 * 6 * 3 * 4096 * 14336 == 12_879_925_248


def test_llama2_macs_at_128_tokens():
    # (params − embedding − norms)·128 + 32 layers · 2·128·128·4096 (scores and weighted sum)
    expected = (6_738_415_616 - 32000 * 4096 - 65 * 4096) * 128 + 32 * 2 * 128 * 128 * 4096
    assert cnncalc.from_hf_config(config("llama2_7b"), (1, 128)).totals.macs == expected == 850_000_871_424


@pytest.mark.parametrize(
    ("name", "per_token"),
    # bf16: layers · 2 (keys, values) · kv heads · head size · 2 bytes
    [("llama2_7b", 32 * 2 * 32 * 128 * 2), ("llama3_8b", 32 * 2 * 8 * 128 * 2)],
)
def test_kv_cache_per_token_in_bf16(name, per_token):
    assert per_token in (524_288, 131_072)
    llm = cnncalc.from_hf_config(config(name), dtype="bfloat16").llm
    assert llm.kv_cache_bytes_per_token == per_token


def test_kv_cache_at_batch_and_context_keeps_a_window_per_sliding_layer():
    # Gemma 2 9B: 21 sliding layers hold min(8192, 4096) positions, 21 global layers 8192;
    # each position 2 · 8 heads · 256 features at 2 bytes
    llm = cnncalc.from_hf_config(config("gemma2_9b"), (2, 128), dtype="bfloat16", context=8192).llm
    per_position = 2 * 8 * 256 * 2
    assert llm.kv_cache_bytes_per_token == 42 * per_position
    assert llm.kv_cache_bytes == 2 * (21 * 4096 + 21 * 8192) * per_position


def test_mla_caches_the_latent_and_the_rotary_key():
    # DeepSeek-V3: (kv_lora_rank 512 + rope 64) per layer and position
    llm = cnncalc.from_hf_config(config("deepseek_v3"), dtype="bfloat16").llm
    assert llm.kv_cache_bytes_per_token == 61 * (512 + 64) * 2


def test_lora_on_llama2_trains_what_peft_prints():
    # 32 layers · (q_proj + v_proj) · 8·(4096 + 4096)
    r = cnncalc.from_hf_config(config("llama2_7b"), lora="r=8,alpha=16,targets=q_proj,v_proj")
    assert r.totals.trainable_params == 4_194_304
    assert r.totals.params == 6_738_415_616 + 4_194_304


MOE = {"num_experts_per_tok": 2, "moe_intermediate_size": 16}
DECODERS = {
    "llama": {},
    "mistral": {"sliding_window": 5},
    "mixtral": {"num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen2_moe": {"num_experts": 4, **MOE, "shared_expert_intermediate_size": 24},
    "qwen3_moe": {"num_experts": 4, **MOE, "head_dim": 8},
    "gemma2": {"head_dim": 8, "sliding_window": 5},
    "phi3": {"pad_token_id": 0, "sliding_window": 6},
    "deepseek_v3": {
        "kv_lora_rank": 8,
        "q_lora_rank": 12,
        "qk_nope_head_dim": 4,
        "qk_rope_head_dim": 4,
        "v_head_dim": 6,
        "n_routed_experts": 4,
        **MOE,
        "n_shared_experts": 1,
        "first_k_dense_replace": 1,
        "n_group": 2,
        "topk_group": 1,
        "num_key_value_heads": 4,
    },
}


OWN_KEYS = {  # families whose configs use their own names
    "gpt2": {"vocab_size": 64, "n_embd": 32, "n_head": 4, "n_layer": 2, "n_positions": 64},
    "gpt_neox": {**SMALL, "num_key_value_heads": None, "rotary_pct": 0.5},
    "falcon": {"vocab_size": 64, "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2},
}


@pytest.mark.parametrize("model_type", sorted([*DECODERS, *OWN_KEYS]))
def test_decode_flops_per_token_match_a_real_decode_step(model_type):
    # a small model, run on the CPU: 9 prompt tokens fill the cache, then one token is decoded at context 10
    from torch.utils.flop_counter import FlopCounterMode

    data = {"model_type": model_type, **OWN_KEYS.get(model_type, {**SMALL, **DECODERS.get(model_type, {})})}
    model = build(data, meta=False)
    prompt = 9
    with torch.no_grad():
        cache = model(torch.randint(0, 64, (1, prompt)), use_cache=True).past_key_values
        with FlopCounterMode(display=False) as counter:
            model(torch.randint(0, 64, (1, 1)), cache=cache, use_cache=True)
    full = model.config.to_dict()  # as transformers writes it: every key, its own spellings
    report = cnncalc.from_hf_config(full, (1, prompt), flops="matmul", context=prompt + 1)
    assert report.llm.decode_flops_per_token == counter.get_total_flops()
    assert report.totals.params == sum(p.numel() for p in model.parameters())


def test_t5_keeps_the_decoder_self_attention_cache_and_counts_no_decode():
    r = cnncalc.from_hf_config(config("t5_small"), (1, 64))
    assert r.llm.kv_cache_bytes_per_token == 6 * 2 * 8 * 64 * 4  # decoder layers · keys and values · float32
    assert r.llm.decode_flops_per_token is None
    assert any("cross-attention" in n for n in r.notes)


def test_text_config_and_quantization_config_are_read():
    data = {"architectures": ["Wrapped"], "text_config": config("llama2_7b")}
    assert cnncalc.from_hf_config(data).totals.params == 6_738_415_616
    q = {**config("llama2_7b"), "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}
    llm = cnncalc.from_hf_config(q, dtype="bfloat16").llm
    # the decoder's weight matrices at 4 bits plus a 2-byte scale per 128; embeddings, norms and lm_head at bf16
    matrices = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008)
    rest = 6_738_415_616 - matrices
    assert llm.quantization == "int4"
    assert llm.weight_bytes == matrices // 2 + matrices // 128 * 2 + rest * 2


def test_inference_memory_adds_weights_kv_cache_and_peak_activations():
    r = cnncalc.from_hf_config(config("llama3_8b"), (1, 256), dtype="bfloat16", context=4096)
    llm, m = r.llm, r.memory
    assert llm.kv_cache_bytes == 4096 * 131_072
    assert llm.inference_bytes == m.param_bytes + m.buffer_bytes + llm.kv_cache_bytes + m.peak_activation_bytes


def test_the_causal_half_counts_the_pairs_the_mask_keeps():
    full = cnncalc.from_hf_config(config("llama2_7b"), (1, 128), flops="matmul")
    half = cnncalc.from_hf_config(config("llama2_7b"), (1, 128), flops="matmul", scores="causal")
    # per layer and head: 128·128 score pairs in full, 1 + 2 + … + 128 = 8,256 kept by the mask; 2 products each
    saved = 32 * 32 * (128 * 128 - 128 * 129 // 2) * 128 * 2 * 2
    assert full.llm.prefill_flops - half.llm.prefill_flops == saved


# ---------------------------------------------------------------- bad input


def test_an_unknown_model_type_lists_the_supported_ones():
    with pytest.raises(cnncalc.CnnCalcError) as e:
        cnncalc.from_hf_config({"model_type": "llamaa"})
    assert "llamaa" in str(e.value) and all(f in e.value.hint for f in FAMILIES)


def test_a_missing_key_is_named():
    data = {k: v for k, v in config("llama3_8b").items() if k != "intermediate_size"}
    with pytest.raises(cnncalc.CnnCalcError, match="'intermediate_size' is missing"):
        cnncalc.from_hf_config(data)


def test_a_context_beyond_the_trained_positions_warns():
    with pytest.warns(UserWarning, match="beyond the 4,096 positions"):
        r = cnncalc.from_hf_config(config("llama2_7b"), context=8192)
    assert any("beyond" in n for n in r.llm.notes)


def test_a_lora_target_that_matches_nothing_names_the_layers():
    with pytest.raises(cnncalc.CnnCalcError, match="'qproj' matches no layer") as e:
        cnncalc.from_hf_config(config("llama2_7b"), lora="r=8,targets=qproj")
    assert "q_proj" in e.value.hint and "down_proj" in e.value.hint


def test_the_cli_reads_a_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config("llama3_8b")))
    result = CliRunner().invoke(app, ["summary", str(path), "--input", "1,4096", "--format", "json"])
    assert result.exit_code == 0, result.output
    llm = json.loads(result.output)["totals"]["llm"]
    assert set(llm) == {
        "active_params",
        "kv_cache_bytes_per_token",
        "kv_cache_bytes",
        "prefill_flops",
        "decode_flops_per_token",
    }
    assert llm["kv_cache_bytes_per_token"] == 131_072  # the config's torch_dtype, bfloat16
    table = CliRunner().invoke(app, ["summary", str(path), "--context", "8192", "--quantize", "int4"])
    assert table.exit_code == 0 and "KV cache 131,072 B per token" in table.output and "(int4)" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lora", "r=8,targets=nothing"], "matches no layer"),
        (["--lora", "r=x,targets=q_proj"], "r must be a whole number"),
        (["--quantize", "int3"], "unknown quantization"),
        (["--scores", "half"], "unknown scores"),
        (["--input", "1,2,3"], "batch,positions"),
    ],
)
def test_the_cli_says_what_is_wrong_and_exits_2(tmp_path, args, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config("llama2_7b")))
    result = CliRunner().invoke(app, ["summary", str(path), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_the_cli_warns_of_a_context_beyond_the_trained_positions(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config("llama2_7b")))
    result = CliRunner().invoke(app, ["summary", str(path), "--context", "8192", "--format", "json"])
    assert result.exit_code == 0
    assert "warning: context 8,192 is beyond the 4,096 positions" in result.output


def test_an_unknown_model_type_through_the_cli(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mamba"}))
    result = CliRunner().invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "unknown model_type 'mamba'" in result.output


def test_import_cnncalc_with_from_hf_config_imports_neither_torch_nor_transformers():
    import subprocess
    import sys

    code = (
        "import sys, cnncalc; cnncalc.from_hf_config({'model_type': 'llama', 'vocab_size': 8, 'hidden_size': 8, "
        "'intermediate_size': 8, 'num_hidden_layers': 1, 'num_attention_heads': 2}); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_warnings_are_not_errors_for_contexts_within_range():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cnncalc.from_hf_config(config("llama2_7b"), context=4096)
