"""Small Hugging Face models built by transformers itself from config dicts, random init, nothing downloaded:
the cases the PyTorch front-end is checked on (forward and training), each with the inputs it takes."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

T = transformers
VOCAB, BATCH, LENGTH = 100, 2, 12
DECODER = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
)
BERT = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
    max_position_embeddings=64,
)
SEQ2SEQ = dict(
    vocab_size=VOCAB,
    d_model=64,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=4,
    encoder_ffn_dim=128,
    decoder_ffn_dim=128,
)
T5 = dict(
    vocab_size=VOCAB,
    d_model=64,
    d_kv=16,
    d_ff=128,
    num_layers=2,
    num_decoder_layers=2,
    num_heads=4,
    decoder_start_token_id=0,
    pad_token_id=0,
)
DEBERTA = dict(
    BERT,
    relative_attention=True,
    position_buckets=32,
    pos_att_type=["p2c", "c2p"],
    norm_rel_ebd="layer_norm",
    share_att_key=True,
    max_relative_positions=-1,
    position_biased_input=False,
)
MIXTRAL = dict(DECODER, num_local_experts=4, num_experts_per_tok=2)
VIT = dict(
    hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, image_size=32, patch_size=8
)
CLIP = dict(
    text_config=dict(
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=32,
    ),
    vision_config=dict(VIT),
    projection_dim=32,
)
WHISPER = dict(
    SEQ2SEQ,
    num_mel_bins=80,
    max_source_positions=50,
    max_target_positions=64,
    decoder_start_token_id=1,
    pad_token_id=0,
)


def ids(seed: int = 0, length: int = LENGTH) -> torch.Tensor:
    return torch.randint(3, VOCAB, (BATCH, length), generator=torch.Generator().manual_seed(seed))


def mask() -> torch.Tensor:
    m = torch.ones(BATCH, LENGTH, dtype=torch.long)
    m[1, : LENGTH // 3] = 0  # the second row is padded on the left: a real mask, not all ones
    return m


def image(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def decoder(family: str, **extra):  # noqa: ANN003, ANN201
    return lambda: getattr(T, f"{family}Model")(getattr(T, f"{family}Config")(**DECODER, **extra))


def text(**extra):  # noqa: ANN003, ANN201
    return lambda: dict(input_ids=ids(), **extra)


# name -> (build the model, its inputs); the inputs are as the model takes them: tensors and keywords
CASES = {
    "bert": (lambda: T.BertModel(T.BertConfig(**BERT)), text()),
    "bert_mask": (lambda: T.BertModel(T.BertConfig(**BERT)), lambda: dict(input_ids=ids(), attention_mask=mask())),
    "bert_eager_mask": (
        lambda: T.BertModel(T.BertConfig(**BERT, attn_implementation="eager")),
        lambda: dict(input_ids=ids(), attention_mask=mask()),
    ),
    "llama": (decoder("Llama"), text(use_cache=False)),
    "llama_mask": (decoder("Llama"), text(attention_mask=mask(), use_cache=False)),
    "llama_eager_mask": (decoder("Llama", attn_implementation="eager"), text(attention_mask=mask(), use_cache=False)),
    "llama_cache": (decoder("Llama"), text()),
    "mistral": (decoder("Mistral"), text(use_cache=False)),
    "mistral_mask": (decoder("Mistral"), text(attention_mask=mask(), use_cache=False)),
    "qwen2": (decoder("Qwen2"), text(use_cache=False)),
    "qwen2_mask": (decoder("Qwen2"), text(attention_mask=mask(), use_cache=False)),
    "gpt2": (
        lambda: T.GPT2Model(T.GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=64)),
        text(attention_mask=mask(), use_cache=False),
    ),
    "t5_mask": (
        lambda: T.T5Model(T.T5Config(**T5)),
        lambda: dict(input_ids=ids(), attention_mask=mask(), decoder_input_ids=ids(1, 7), use_cache=False),
    ),
    "bart_eager": (
        lambda: T.BartModel(T.BartConfig(**SEQ2SEQ, max_position_embeddings=64, attn_implementation="eager")),
        lambda: dict(input_ids=ids(), attention_mask=mask(), decoder_input_ids=ids(1, 7), use_cache=False),
    ),
    "bart_sdpa": (
        lambda: T.BartModel(T.BartConfig(**SEQ2SEQ, max_position_embeddings=64, attn_implementation="sdpa")),
        lambda: dict(input_ids=ids(), attention_mask=mask(), decoder_input_ids=ids(1, 7), use_cache=False),
    ),
    "whisper": (
        lambda: T.WhisperModel(T.WhisperConfig(**WHISPER)),
        lambda: dict(input_features=image(BATCH, 80, 100), decoder_input_ids=ids(1, 7), use_cache=False),
    ),
    "deberta_v2": (lambda: T.DebertaV2Model(T.DebertaV2Config(**DEBERTA)), text()),
    "deberta_v2_mask": (lambda: T.DebertaV2Model(T.DebertaV2Config(**DEBERTA)), text(attention_mask=mask())),
    "mixtral_grouped_mm": (lambda: T.MixtralModel(T.MixtralConfig(**MIXTRAL)), text(use_cache=False)),
    "mixtral_batched_mm": (
        lambda: T.MixtralModel(T.MixtralConfig(**MIXTRAL, experts_implementation="batched_mm")),
        text(use_cache=False),
    ),
    "vit": (lambda: T.ViTModel(T.ViTConfig(**VIT)), lambda: dict(pixel_values=image(BATCH, 3, 32, 32))),
    "clip": (
        lambda: T.CLIPModel(T.CLIPConfig(**CLIP)),
        lambda: dict(input_ids=ids(), attention_mask=mask(), pixel_values=image(BATCH, 3, 32, 32)),
    ),
}
