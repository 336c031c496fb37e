"""A training run over a number of tokens, and time at a device's peak: --tokens, --hardware, --mfu."""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc import CnnCalcError

LM = "input(128) -> embedding(1000, 64) -> fc(1000)"


def test_a_training_run_by_hand():
    b = cnncalc.analyze(LM, flops="matmul", train=True, tokens="1.28M").budget
    forward = 2 * 128 * 64 * 1000  # fc(1000) on 64 features at each of 128 positions
    step = forward + 2 * forward  # its input's and its weight's gradients (the embedding's is a scatter)
    assert (b.tokens, b.tokens_per_step, b.steps) == (1_280_000, 128, 10_000)
    assert b.flops == step * 10_000
    n = 64 * 1000 + 1000  # the fc's params: a token uses them; the embedding's lookups do no arithmetic
    assert (b.six_nd_params, b.six_nd_flops) == (n, 6 * n * 1_280_000)
    assert b.what == "training run" and b.seconds is None


def test_the_batch_multiplies_the_tokens_of_a_step():
    b = cnncalc.analyze(LM, train=True, tokens=1024, batch=4).budget
    assert b.tokens_per_step == 4 * 128 and b.steps == 2


def test_time_at_a_devices_peak_and_utilisation():
    r = cnncalc.analyze(LM, flops="matmul", train=True, tokens="1.28M", hardware="H100 SXM", mfu=0.4)
    b = r.budget
    assert b.peak_flops == 67e12  # the datasheet's FP32 (not TF32) rate, the report being float32
    assert b.seconds == pytest.approx(b.flops / (67e12 * 0.4))
    half = cnncalc.analyze(LM, train=True, hardware="h100-sxm", dtype="bfloat16").budget
    assert half.what == "training step" and half.peak_flops == 1979e12 / 2  # dense: the datasheet's sparse / 2
    assert half.seconds == pytest.approx(half.flops / half.peak_flops) and half.mfu == 1.0
    forward = cnncalc.analyze(LM, hardware="a100-80gb").budget
    assert forward.what == "forward" and forward.flops == cnncalc.analyze(LM).totals.flops


def test_llama_2_7b_against_six_n_d():
    from support.hf_configs import config

    b = cnncalc.from_hf_config(config("llama2_7b"), (1, 4096), flops="matmul", train=True, tokens="2T").budget
    # N: Llama-2-7B's 6,738,415,616 parameters less its 32,000 × 4,096 token embedding
    n = 6_738_415_616 - 32_000 * 4096
    assert (b.six_nd_params, b.six_nd_flops) == (n, 6 * n * 2 * 10**12)
    assert b.steps == 2 * 10**12 / 4096
    # cnncalc counts more than the rule of thumb: the attention's scores and weighted sums (4·layers·L·d a
    # token forward, twice that back), which at a context of 4,096 come to 12·32·4096·4096 / (6·N) ≈ 0.16
    extra = 3 * 4 * 32 * 4096 * 4096 * 2 * 10**12
    assert b.flops == pytest.approx(b.six_nd_flops + extra, rel=1e-3)


def test_json_and_footer(cli):
    args = ["summary", LM, "--train", "--tokens", "2e6", "--hardware", "a100-80gb", "--mfu", "0.5"]
    data = json.loads(cli(*args, "--format", "json").stdout)["totals"]["budget"]
    assert set(data) == {
        "what",
        "flops",
        "tokens",
        "tokens_per_step",
        "steps",
        "six_nd_flops",
        "hardware",
        "peak_flops",
        "mfu",
        "seconds",
    }
    assert data["tokens"] == 2_000_000 and data["mfu"] == 0.5 and data["hardware"] == "NVIDIA A100 80GB SXM"
    text = cli(*args).stdout
    assert "Training run: 2,000,000 tokens = 15,625 steps of 128 tokens" in text
    assert "Time of the training run on NVIDIA A100 80GB SXM (float32, 19.5 TFLOPS dense) at MFU 0.5" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tokens", "1e6"], "--tokens counts a training run: it goes with --train"),
        (["--mfu", "0.4"], "--mfu goes with --hardware"),
        (["--hardware", "h100-sxm", "--mfu", "1.5"], "above 0 and at most 1"),
        (["--train", "--tokens", "1.5"], "tokens must be a positive whole number"),
        (["--hardware", "h200"], "unknown hardware 'h200'"),
        (["--hardware", "v100", "--dtype", "bfloat16"], "v100 has no published bfloat16 peak"),
    ],
)
def test_bad_run_options_say_why_and_exit_2(cli, args, message):
    out = cli("summary", LM, *args)
    assert out.exit_code == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_tokens_need_a_sequence_input():
    with pytest.raises(CnnCalcError, match="neither token ids"):
        cnncalc.analyze("input(32,32,3) -> conv(8, f=5)", train=True, tokens=10**6)
