"""Hugging Face models through the PyTorch front-end, against PyTorch itself.

Small configs, random init, nothing downloaded. For each model, with the inputs it
takes (masks, decoder ids, use_cache=False): parameters equal ``numel``,
``--flops matmul`` equals FlopCounterMode on a real CPU forward (math SDPA,
autograd on, oneDNN off; plus the grouped matrix products it has no formula for),
and every module call's output shape equals the real forward's. These forwards
read values (mask checks, routing) and run here because cnncalc traces with fake
tensors.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from support.oracles import real_calls, real_flops, shape_texts  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import CnnCalcError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
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


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    build, inputs = CASES[request.param]
    torch.manual_seed(0)
    model = build()
    given = inputs()
    report = cnncalc.from_torch(model, given, flops="matmul", depth=99)
    return request.param, model, given, report


def test_params_equal_numel(case):
    name, model, given, report = case
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    assert report.totals.buffers == sum(b.numel() for b in model.buffers())
    assert sum(r.params for r in report.rows) == report.totals.params


def test_matmul_flops_equal_flop_counter_mode(case):
    name, model, given, report = case
    assert report.totals.flops == real_flops(model, **given) > 0
    assert report.uncounted_ops == ()


def test_output_shapes_equal_a_real_forward(case):
    name, model, given, report = case
    calls = real_calls(model, **given)
    rows = [r for r in report.rows if r.node_id != calls[0][0]]
    assert [r.node_id for r in rows] == [path for path, _ in calls[1:]]
    for row, (path, shapes) in zip(rows, calls[1:]):
        assert row.shape_text == shape_texts(shapes, BATCH), path


def test_mixtral_eager_experts_name_the_line_and_the_way_out():
    # the eager experts loop in Python over the experts the router picked (nonzero): no shape-only trace can run
    # them; the message points at the model's line and at the two implementations that count the same
    model = T.MixtralModel(T.MixtralConfig(**MIXTRAL, experts_implementation="eager"))
    with pytest.raises(CnnCalcError) as info:
        cnncalc.from_torch(model, dict(input_ids=ids(), use_cache=False))
    text = str(info.value)
    assert "reads tensor values" in text and "modeling_mixtral.py:" in text
    assert "experts_implementation='grouped_mm' or 'batched_mm'" in text


def test_named_inputs_by_size_and_dtype_from_the_cli(tmp_path, cli):
    path = tmp_path / "tiny_llama.py"
    path.write_text(
        "import transformers as T\n"
        f"class Tiny(T.LlamaModel):\n    def __init__(self):\n        super().__init__(T.LlamaConfig(**{DECODER!r}))\n",
        encoding="utf-8",
    )
    args = ["summary", f"{path}:Tiny", "--input", "input_ids=2,12", "--input", "attention_mask=2,12", "--flops"]
    result = cli(*args, "matmul", "--kwarg", "use_cache=false", "--format", "json")
    assert result.exit_code == 0, result.stderr
    torch.manual_seed(0)
    model = T.LlamaModel(T.LlamaConfig(**DECODER))
    import json

    data = json.loads(result.stdout)
    assert data["totals"]["flops"] == real_flops(model, input_ids=ids(), attention_mask=mask(), use_cache=False)
    wrong = cli("summary", f"{path}:Tiny", "--input", "input_idz=2,12")
    assert wrong.exit_code == 2 and "takes no input 'input_idz'" in wrong.stderr and "input_ids" in wrong.stderr
