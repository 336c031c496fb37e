"""Training figures from the notation and the CLI, by hand: backward FLOPs, what is kept, optimizer state,
mixed precision, frozen layers, checkpointed blocks, and the errors."""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc import CnnCalcError, zoo

NET = "input(32,32,3) -> conv(8, f=5) -> bn -> fc(10)"
KEYS = {
    "loss",
    "forward_flops",
    "backward_flops",
    "flops",
    "saved_activation_bytes",
    "param_bytes",
    "gradient_bytes",
    "optimizer_bytes",
    "peak_bytes",
}


def test_a_training_step_by_hand():
    t = cnncalc.analyze(NET, flops="matmul", train=True).training
    conv, fc = 8 * 75 * 784, 6272 * 10  # forward MACs: 8 filters of 5·5·3 at 28·28 positions; 6,272 inputs to 10
    assert t.forward_flops == 2 * (conv + fc)
    # the conv's input is the image (no gradient): its weight gradient only; fc: its input's and its weight's
    assert t.backward_flops == 2 * conv + 2 * 2 * fc
    # kept: conv its input 3,072 floats; bn its input 6,272 and 8 means and 8 inverse deviations; fc its input
    assert t.saved_activation_bytes == (3072 + 6272 + 16 + 6272) * 4
    params = 608 + 16 + 62_730
    assert (t.param_bytes, t.gradient_bytes) == (params * 4, params * 4)
    assert t.optimizer_bytes == 2 * params * 4 + 6 * 4  # Adam: two moments, a float32 step for each of 6 tensors
    # the peak: params, bn's two running buffers of 8, gradients, Adam, and all that is kept, the output and the
    # loss (their sum, one float32) made from it
    states = params * 4 + 16 * 4 + params * 4 + t.optimizer_bytes
    assert t.peak_bytes == states + t.saved_activation_bytes + 10 * 4 + 4


@pytest.mark.parametrize(("optimizer", "moments", "steps"), [("sgd", 0, 0), ("momentum", 1, 0), ("adamw", 2, 1)])
def test_each_optimizer_keeps_its_state(optimizer, moments, steps):
    t = cnncalc.analyze(NET, train=True, optimizer=optimizer).training
    assert t.optimizer_bytes == moments * 63_354 * 4 + steps * 6 * 4


def test_mixed_precision_keeps_float32_master_weights_and_state():
    t = cnncalc.analyze(NET, train=True, dtype="bfloat16", master_weights=True).training
    params = 63_354
    assert t.param_bytes == params * 2 + params * 4  # bfloat16 weights and their float32 master copies
    assert t.gradient_bytes == params * 2
    assert t.optimizer_bytes == 2 * params * 4 + 6 * 4  # Adam's moments in float32
    assert t.saved_activation_bytes == (3072 + 6272 + 6272) * 2 + 16 * 4  # bn's statistics stay float32


def test_a_frozen_layer_and_the_layers_before_it_run_no_backward():
    t = cnncalc.analyze(
        "input(32,32,3) -> conv(8, f=5, freeze=true) -> bn -> fc(10)", flops="matmul", train=True
    ).training
    fc = 6272 * 10
    assert t.backward_flops == 2 * 2 * fc  # the conv, frozen and first, computes nothing
    assert t.saved_activation_bytes == (6272 + 16 + 6272) * 4  # bn's input and statistics, fc's input
    assert t.gradient_bytes == (16 + 62_730) * 4
    by_name = cnncalc.analyze(NET, flops="matmul", train=True, freeze=["conv"]).training
    assert by_name == t


def test_a_frozen_layer_after_a_trainable_one_still_passes_the_gradient_back():
    net = "input(16) -> fc(8) -> relu -> fc(8, freeze=true) -> fc(4)"
    t = cnncalc.analyze(net, flops="matmul", train=True).training
    # fc(4): input and weight gradients 2·32; the frozen fc(8): its input's 64; the first fc: its weight's 128
    assert t.backward_flops == 2 * (2 * 32 + 64 + 128)


def test_recompute_blocks_keeps_each_blocks_input_and_runs_it_again():
    net = "def blk(c) = conv(c, f=3, p=1) -> bn -> relu\ninput(8,8,4) -> blk(4) -> blk(4) -> fc(3)"
    plain = cnncalc.analyze(net, flops="matmul", train=True).training
    t = cnncalc.analyze(net, flops="matmul", train=True, recompute="blocks").training
    conv = 4 * 36 * 64  # MACs of each conv: 4 filters of 3·3·4 at 8·8 positions
    # without: the image, each conv's output and bn's 4 means and 4 inverse deviations, each relu's output
    # (the next conv's and fc's input); each tensor 8·8·4 = 256 floats
    assert plain.saved_activation_bytes == (256 + 2 * (256 + 8 + 256)) * 4
    # with: each block keeps only its input (the image, the first block's output), and fc its input
    assert t.saved_activation_bytes == (256 + 256 + 256) * 4
    # in the backward each block's forward runs again: its conv's MACs once more
    assert t.backward_flops == plain.backward_flops + 2 * 2 * conv


def test_json_has_the_training_keys_and_each_row_its_part(cli):
    out = cli("summary", NET, "--train", "--flops", "matmul", "--format", "json")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["totals"]["training"]) == KEYS
    layers = data["layers"]
    assert sum(r["backward_flops"] for r in layers) == data["totals"]["training"]["backward_flops"]
    assert sum(r["saved_bytes"] for r in layers) == data["totals"]["training"]["saved_activation_bytes"]
    plain = json.loads(cli("summary", NET, "--format", "json").stdout)
    assert plain["totals"]["training"] is None and "backward_flops" not in plain["layers"][1]


def test_the_footer_and_explain_show_the_step(cli):
    table = cli("summary", NET, "--train", "--optimizer", "sgd").stdout
    assert "Training step FLOPs: forward" in table and "Training memory (sgd)" in table
    assert "Training convention:" in table
    text = cli("explain", NET, "--train", "--flops", "matmul").stdout
    assert "backward MACs = 470,400 (weight gradient) = 470,400" in text  # the conv's: 8·75·784
    assert "saved for backward = input 12,288 B" in text  # the image, 3,072 floats
    assert "saved for backward = input 25,088 B + batch statistics 64 B = 25,152 B" in text  # bn's
    assert "total backward FLOPs" in text and "training peak (adam" in text


def test_zoo_takes_train_from_the_cli_and_the_api(cli):
    out = cli("zoo", "lenet5", "--train", "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["totals"]["training"] == {
        k: getattr(zoo.analyze("lenet5", train=True).training, k) for k in KEYS
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--freeze", "encoder"], "--freeze 'encoder' matches no layer (it could match: bn, conv, fc, input)"),
        (["--recompute", "blocks"], "this network has no blocks to checkpoint"),
        (["--optimizer", "lamb"], "unknown optimizer 'lamb' (choose sgd, momentum, adam, adamw)"),
    ],
)
def test_bad_training_options_say_why_and_exit_2(cli, args, message):
    out = cli("summary", NET, "--train", *args)
    assert out.exit_code == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_training_options_without_train_are_a_mistake(cli):
    out = cli("summary", NET, "--optimizer", "sgd")
    assert out.exit_code == 2 and "--optimizer goes with --train" in out.stderr


def test_the_freeze_keyword_takes_true_or_false():
    with pytest.raises(CnnCalcError, match="'freeze' must be true or false"):
        cnncalc.analyze("input(8) -> fc(4, freeze=3)", train=True)
