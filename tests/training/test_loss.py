"""The step's loss (``--loss``), against the same step run by PyTorch with that loss.

- transformers' Llama and Mixtral (small configs, random init) traced with ``labels=``: the model's own
  cross-entropy (the logits upcast, the log-softmax kept, the shifted targets), forward and backward FLOPs
  under ``matmul`` equal to FlopCounterMode's and the bytes autograd keeps to ``saved_tensors_hooks``' (each
  storage once), in float32 and in bfloat16;
- plain models under ``sum``, ``mse`` and ``cross_entropy``, the oracle computing ``F.mse_loss`` and
  ``F.cross_entropy`` after the forward (``support.oracles.real_step``);
- a config.json's language model: its default loss is transformers' ``labels=`` cross-entropy, whose bytes are
  what the real step with labels keeps beyond the step without (the rest of the config's step is the config
  front-end's own, docs/training.md);
- the notation by hand, the CLI, and the errors.
"""

from __future__ import annotations

import json

import pytest

import cnncalc
from cnncalc import CnnCalcError

torch = pytest.importorskip("torch")
F = torch.nn.functional

from support.oracles import real_step, real_training  # noqa: E402
from support.torch_models import ZOO  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")


# ---------------------------------------------------------------- transformers' own loss, traced


def _lm(family: str, dtype: torch.dtype):
    transformers = pytest.importorskip("transformers")
    from support.hf_cases import DECODER, MIXTRAL

    torch.manual_seed(0)
    if family == "Llama":
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**DECODER, attn_implementation="eager"))
    else:
        config = transformers.MixtralConfig(**MIXTRAL, experts_implementation="batched_mm", attn_implementation="eager")
        model = transformers.MixtralForCausalLM(config)
    return model.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("family", ["Llama", "Mixtral"])
def test_a_language_model_given_labels_counts_its_own_cross_entropy(family, dtype):
    from support.hf_cases import ids

    model = _lm(family, dtype)
    tokens = ids()
    given = dict(input_ids=tokens, labels=tokens, use_cache=False)
    report = cnncalc.from_torch(model, given, flops="matmul", train=True)
    t = report.training
    real = real_step(model, lambda out: out.loss, **given)
    assert (t.forward_flops, t.backward_flops, t.gradient_bytes) == (
        real.forward_flops,
        real.backward_flops,
        real.gradient_bytes,
    )
    assert t.saved_activation_bytes == real.saved_bytes  # the contract asks within 2%; the trace keeps them all
    assert (t.loss, t.unruled) == ("cross_entropy", ())
    # the loss's own share: the float32 log-probabilities over the vocabulary, the int64 shifted targets, the
    # total weight; beside them, the same model stepped on the sum of its logits
    vocab, positions = model.config.vocab_size, tokens.numel()
    summed = real_training(model, input_ids=tokens, use_cache=False)
    assert real.saved_bytes - summed.saved_bytes == positions * vocab * 4 + positions * 8 + 4


def test_a_model_that_computes_its_own_loss_takes_no_other():
    model = _lm("Llama", torch.float32)
    from support.hf_cases import ids

    given = dict(input_ids=ids(), labels=ids(), use_cache=False)
    with pytest.raises(CnnCalcError, match="this model computes its own loss"):
        cnncalc.from_torch(model, given, train=True, loss="mse")
    assert cnncalc.from_torch(model, given, train=True, loss="none").training.loss == "cross_entropy"


# ---------------------------------------------------------------- plain models under each loss


def _targets(out: torch.Tensor, loss: str) -> tuple[torch.Tensor, ...]:
    """The loss PyTorch computes: a target of the output's shape (mse), one class per position (cross-entropy,
    the classes on axis 1 of an image's map, the last of a sequence's scores)."""
    torch.manual_seed(1)
    if loss == "mse":
        return (torch.randn_like(out),)
    classes = out.shape[-1] if out.dim() == 3 else out.shape[1]
    shape = out.shape[:-1] if out.dim() == 3 else (out.shape[0], *out.shape[2:])
    return (torch.randint(0, classes, shape),)


def _loss(name: str):
    def compute(out: torch.Tensor) -> torch.Tensor:
        (target,) = _targets(out, name)
        if name == "mse":
            return F.mse_loss(out, target)
        if out.dim() == 3:  # a sequence's scores: positions flattened, as a training loop writes it
            return F.cross_entropy(out.flatten(0, 1), target.flatten())
        return F.cross_entropy(out, target)

    return compute


PLAIN = {  # model -> the losses its output takes
    "cnn_bn": ("sum", "mse", "cross_entropy"),  # a classifier's logits (batch, 10)
    "small_unet": ("sum", "mse", "cross_entropy"),  # a map of channels (batch, C, H, W)
    "llama": ("sum", "cross_entropy"),  # token scores (batch, positions, vocab)
    "encoder": ("sum", "mse"),  # feature vectors per position
    "mlp_10": ("sum", "mse", "cross_entropy"),
}


@pytest.mark.parametrize(("name", "loss"), [(name, loss) for name, losses in sorted(PLAIN.items()) for loss in losses])
def test_a_plain_model_under_each_loss_equals_pytorchs_step(name, loss):
    factory, example, _ = ZOO[name]
    torch.manual_seed(0)
    model, x = factory(), example()
    t = cnncalc.from_torch(model, x, flops="matmul", train=True, loss=loss).training
    real = real_training(model, x) if loss == "sum" else real_step(model, _loss(loss), x)
    assert (t.forward_flops, t.backward_flops, t.saved_activation_bytes, t.gradient_bytes) == (
        real.forward_flops,
        real.backward_flops,
        real.saved_bytes,
        real.gradient_bytes,
    )
    assert t.loss == loss


def test_the_losses_differ_by_what_each_keeps():
    # the same model, three losses: what each adds to the step is its own tensors, by hand
    factory, example, _ = ZOO["cnn_bn"]
    torch.manual_seed(0)
    model, x = factory(), example()  # logits (2, 10)
    by = {
        loss: cnncalc.from_torch(model, x, train=True, loss=loss).training for loss in ("sum", "mse", "cross_entropy")
    }
    base = by["sum"].saved_activation_bytes  # the sum keeps nothing
    assert by["mse"].saved_activation_bytes == base + 2 * 10 * 4 * 2  # the logits and the target
    assert by["cross_entropy"].saved_activation_bytes == base + 2 * 10 * 4 + 2 * 8 + 4  # log-probs, targets, weight


# ---------------------------------------------------------------- a config.json's language model


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("model_type", ["llama", "mixtral"])
def test_a_configs_default_loss_is_transformers_labels_cross_entropy(model_type, dtype):
    pytest.importorskip("transformers")
    from support.hf_models import SMALL, build

    data = dict(SMALL, model_type=model_type)
    if model_type == "mixtral":
        data.update(num_local_experts=4, num_experts_per_tok=2)
    ce = cnncalc.from_hf_config(data, (2, 12), flops="matmul", train=True, dtype=dtype).training
    summed = cnncalc.from_hf_config(data, (2, 12), flops="matmul", train=True, dtype=dtype, loss="sum").training
    model = build(data, meta=False).to(getattr(torch, dtype))
    tokens = torch.randint(0, 64, (2, 12))
    real = real_step(model, lambda out: out.loss, input_ids=tokens, labels=tokens, use_cache=False)
    real_summed = real_training(model, input_ids=tokens, use_cache=False)
    assert (ce.forward_flops, ce.backward_flops, ce.gradient_bytes) == (
        real.forward_flops,
        real.backward_flops,
        real.gradient_bytes,
    )
    assert ce.loss == "cross_entropy" and summed.loss == "sum"
    # what the loss keeps: float32 log-probabilities over the vocabulary of 64 at 2·12 positions, the int64
    # shifted targets, the total weight; in bfloat16 the logits are upcast first
    kept = 2 * 12 * 64 * 4 + 2 * 12 * 8 + 4
    assert ce.saved_activation_bytes - summed.saved_activation_bytes == kept
    assert real.saved_bytes - real_summed.saved_bytes == kept


# ---------------------------------------------------------------- the notation, by hand


def test_cross_entropy_by_hand():
    t = cnncalc.analyze("input(16) -> fc(10)", train=True, loss="cross_entropy", batch=4).training
    # fc keeps its input 4·16 floats; the loss its log-probabilities 4·10 floats, 4 int64 targets, a float32 weight
    assert t.saved_activation_bytes == 4 * 16 * 4 + 4 * 10 * 4 + 4 * 8 + 4
    mse = cnncalc.analyze("input(16) -> fc(10)", train=True, loss="mse", batch=4).training
    assert mse.saved_activation_bytes == 4 * 16 * 4 + 2 * 4 * 10 * 4  # the prediction and the target


DECODER = "ids = input(8)\nids -> embedding(1000, 64) -> decoder(4, 128) -> rmsnorm -> dense(1000, bias=false)"


def test_a_decoder_in_the_notation_takes_a_language_models_cross_entropy():
    plain = cnncalc.analyze(DECODER, train=True, dtype="bfloat16", loss="sum", batch=2)
    ce = cnncalc.analyze(DECODER, train=True, dtype="bfloat16", batch=2)
    assert ce.training.loss == "cross_entropy"
    # the bfloat16 logits upcast to float32, the float32 log-probabilities kept (2·8 positions of 1,000), the
    # shifted int64 targets and the total weight
    assert (
        ce.training.saved_activation_bytes - plain.training.saved_activation_bytes == 2 * 8 * 1000 * 4 + 2 * 8 * 8 + 4
    )
    names = [r.name for r in ce.rows]
    assert names[-6:] == ["labels", "labels_padded", "shift_labels", "logits_float", "log_softmax", "loss"]
    # the peak is at the log-softmax: what the model keeps, the upcast logits and the log-probabilities (both
    # float32; the bfloat16 logits are freed once upcast) and the shifted targets
    logits = 2 * 8 * 1000
    assert ce.training.activation_peak_bytes == plain.training.saved_activation_bytes + 2 * logits * 4 + 2 * 8 * 8
    # with the sum, at its end: what the model keeps, the bfloat16 logits and the loss
    assert plain.training.activation_peak_bytes == plain.training.saved_activation_bytes + logits * 2 + 2


def test_serving_figures_leave_the_loss_out():
    trained = cnncalc.analyze(DECODER, train=True)
    served = cnncalc.analyze(DECODER)
    assert trained.llm == served.llm
    assert trained.memory == served.memory


# ---------------------------------------------------------------- the CLI and the errors


def test_the_footer_and_json_name_the_loss(cli):
    out = cli("summary", "input(16) -> fc(10)", "--train", "--loss", "cross-entropy")
    assert out.exit_code == 0, out.stderr
    assert "Loss: cross_entropy over 10 classes" in out.stdout
    data = json.loads(cli("summary", "input(16) -> fc(10)", "--train", "--format", "json").stdout)
    assert data["totals"]["training"]["loss"] == "sum"
    explained = cli("explain", "input(16) -> fc(10)", "--train", "--loss", "mse").stdout
    assert "saved for backward = input 1 40 B + input 2 40 B = 80 B" in explained
    zoo = cli("zoo", "lenet5", "--train", "--loss", "none", "--format", "json")
    assert json.loads(zoo.stdout)["totals"]["training"]["loss"] == "none"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--loss", "mse"], "--loss goes with --train"),
        (["--train", "--loss", "hinge"], "unknown loss 'hinge' (choose sum, cross_entropy, mse, none)"),
        (["--train", "--loss", ""], "unknown loss '' (choose sum, cross_entropy, mse, none)"),
    ],
)
def test_bad_loss_options_say_why_and_exit_2(cli, args, message):
    out = cli("summary", "input(16) -> fc(10)", *args)
    assert out.exit_code == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_cross_entropy_needs_class_scores():
    with pytest.raises(CnnCalcError, match="needs class scores"):
        cnncalc.analyze("input(16) -> fc(10) -> reduce(sum)", train=True, loss="cross_entropy")
