"""Hugging Face models built from the configs in tests/data/hf/, without weights: the oracle for the config front-end.

Every model is made by transformers itself from a config dict, on the meta device (no
memory) or small and on the CPU; nothing is downloaded (HF_HUB_OFFLINE).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from support.hf_configs import config, names  # noqa: F401  (re-exported for the tests)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

MOE = ("mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v3")
SMALL = {  # a Llama-like model small enough to run on the CPU in the tests
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
}


def build(data: dict[str, Any], *, meta: bool = True) -> Any:
    """The causal language model transformers builds from ``data``: eager attention, batched experts."""
    cfg = transformers.AutoConfig.for_model(**data)
    kw = {"attn_implementation": "eager"}
    if data["model_type"] in MOE:
        kw["experts_implementation"] = "batched_mm"
    archs = data.get("architectures") or []
    cls = getattr(transformers, archs[0], None) if archs else None
    make = (
        (lambda: cls._from_config(cfg, **kw))
        if cls is not None
        else (lambda: transformers.AutoModelForCausalLM.from_config(cfg, **kw))
    )
    if meta:
        with torch.device("meta"):
            return make()
    torch.manual_seed(0)
    return make().eval()


def inputs(cfg: Any, ids: Any) -> dict[str, Any]:
    """The forward's token inputs: an encoder-decoder reads the same length on both sides."""
    return {"input_ids": ids, "decoder_input_ids": ids} if cfg.is_encoder_decoder else {"input_ids": ids}


def forward_flops(model: Any, length: int) -> int:
    """FlopCounterMode's total over the model's forward on ``(1, length)`` token ids, with fake tensors for weights."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.utils.flop_counter import FlopCounterMode

    with FakeTensorMode(allow_non_fake_inputs=True):
        fake = model.to_empty(device="cpu")
        ids = torch.zeros((1, length), dtype=torch.long)
        with FlopCounterMode(display=False) as counter:
            fake(**inputs(model.config, ids), use_cache=False)
    return counter.get_total_flops()
