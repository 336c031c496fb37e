"""LoRA adapters against PEFT itself: the trainable count it reports and the FLOPs its model runs.

A small Llama is built by transformers on the CPU and wrapped by PEFT; cnncalc counts the same
adapters three ways: from the config (``--lora`` on Hugging Face module names), on the traced base
model (module paths), and by tracing PEFT's own model (its frozen and trainable tensors).
"""

from __future__ import annotations

import pytest
from support.hf_models import SMALL, build, torch

import cnncalc

peft = pytest.importorskip("peft")

LLAMA = {"model_type": "llama", **SMALL}
TARGETS = ["q_proj", "v_proj", "down_proj"]
LENGTH = 7


def _peft_model():
    base = build(LLAMA, meta=False)
    lora = peft.LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0)
    return base, peft.get_peft_model(build(LLAMA, meta=False), lora)


def test_lora_matches_peft_three_ways():
    from torch.utils.flop_counter import FlopCounterMode

    base, adapted = _peft_model()
    trainable = sum(p.numel() for p in adapted.parameters() if p.requires_grad)
    total = sum(p.numel() for p in adapted.parameters())
    # by hand: per layer q 4·(32 + 32), v 4·(32 + 16), down 4·(48 + 32); two layers
    assert trainable == 2 * (4 * 64 + 4 * 48 + 4 * 80) == 1536
    ids = torch.randint(0, 64, (1, LENGTH))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        adapted(input_ids=ids, use_cache=False)
    spec = "r=4,alpha=8,targets=" + ",".join(TARGETS)
    from_config = cnncalc.from_hf_config(base.config.to_dict(), (1, LENGTH), flops="matmul", lora=spec)
    inputs = {"input_ids": (1, LENGTH)}
    on_base = cnncalc.from_torch(base, inputs, kwargs={"use_cache": False}, flops="matmul", lora=spec)
    on_peft = cnncalc.from_torch(adapted, inputs, kwargs={"use_cache": False}, flops="matmul")
    for report in (from_config, on_base, on_peft):
        t = report.totals
        assert (t.trainable_params, t.params, t.flops) == (trainable, total, counter.get_total_flops())


def test_lora_on_notation_labels():
    # input(16, 32) -> q = fc(32): A is 4·32, B 32·4; base 32·32 + 32 frozen; MACs 16·(32·32 + 32·4 + 4·32)
    r = cnncalc.analyze("x = input(16, 32)\nq = x -> fc(32)\nq -> fc(8)", lora="r=4,alpha=8,targets=q")
    assert r.totals.trainable_params == 4 * 32 + 32 * 4
    assert r.totals.params == 32 * 32 + 32 + 4 * 32 + 32 * 4 + 32 * 8 + 8
    assert r.totals.macs == 16 * (32 * 32 + 32 * 4 + 4 * 32) + 16 * 32 * 8


def test_lora_needs_targets_and_a_rank():
    with pytest.raises(cnncalc.CnnCalcError, match="needs the layers"):
        cnncalc.analyze("input(4, 8) -> fc(8)", lora="r=4")
    with pytest.raises(cnncalc.CnnCalcError, match="must be positive"):
        cnncalc.analyze("input(4, 8) -> fc(8)", lora="r=0,targets=fc")
    with pytest.raises(cnncalc.CnnCalcError, match="'out' matches no layer"):
        cnncalc.analyze("input(4, 8) -> fc(8)", lora="r=2,targets=out")


def test_lora_training_step_matches_peft():
    # a real training step of PEFT's model: only the adapters get gradients; the frozen base layers still
    # pass the input gradient back to the adapters before them. The three ways count the same step.
    from support.oracles import real_training

    base, adapted = _peft_model()
    ids = torch.randint(0, 64, (2, LENGTH))
    real = real_training(adapted, input_ids=ids, use_cache=False)
    spec = "r=4,alpha=8,targets=" + ",".join(TARGETS)
    inputs = {"input_ids": (2, LENGTH)}
    reports = {
        "config": cnncalc.from_hf_config(base.config.to_dict(), (2, LENGTH), flops="matmul", lora=spec, train=True),
        "base": cnncalc.from_torch(base, inputs, kwargs={"use_cache": False}, flops="matmul", lora=spec, train=True),
        "peft": cnncalc.from_torch(adapted, inputs, kwargs={"use_cache": False}, flops="matmul", train=True),
    }
    for way, report in reports.items():
        t = report.training
        assert (t.forward_flops, t.backward_flops, t.gradient_bytes) == (
            real.forward_flops,
            real.backward_flops,
            real.gradient_bytes,
        ), way
    assert reports["peft"].training.saved_activation_bytes == real.saved_bytes
