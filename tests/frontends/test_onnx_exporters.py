"""One model, one answer: every plain-torch test model exported by both of PyTorch's ONNX exporters, as users
export (``torch.onnx.export(model, (x,), path)`` with ``dynamo=False`` and ``dynamo=True``, defaults
otherwise), counts as the PyTorch front-end counts the module itself.

Parameters, MACs and FLOPs under ``seed``, ``matmul`` and ``all`` are equal, or the report names what the
exporter changed and the test checks the change against the torch model itself:

- constant folding folds each batch norm into the convolution before it: the file lacks the norm's γ and β
  (2·C parameters) and the convolution carries a bias (C values, new when the torch convolution had none);
  under ``all`` the norm's elementwise work is gone;
- a weight tied to two layers (an output head sharing the embedding) is stored a second time, transposed;
- the dynamo exporter folds ``cls_token.expand(batch, -1, -1)`` into a tensor of the batch's size;
- attention, SiLU and GELU written as their parts count their elementwise work as written under ``all``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import tempfile
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from support.onnx_models import distinct_weights  # noqa: E402
from support.torch_models import ZOO  # noqa: E402

import cnncalc  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
FOLDER = Path(tempfile.mkdtemp(prefix="cnncalc-exporters-"))
CONVENTIONS = ("seed", "matmul", "all")
EXPORTERS = {"classic": False, "dynamo": True}


@functools.cache
def model_and_input(name: str):
    factory, example, _ = ZOO[name]
    torch.manual_seed(0)
    return distinct_weights(factory().eval()), example()


@functools.cache
def exported(name: str, exporter: str) -> Path | str:
    """The model's ONNX file, or why the exporter itself cannot write it."""
    if exporter == "dynamo" and importlib_missing("onnxscript"):
        return "the dynamo exporter needs onnxscript, which is not installed"
    model, x = model_and_input(name)
    path = FOLDER / f"{name}-{exporter}.onnx"
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), str(path), dynamo=EXPORTERS[exporter])
    except Exception as e:  # noqa: BLE001 - the exporter's own failure: the case is skipped, saying why
        return f"the {exporter} exporter cannot export {name}: {type(e).__name__}: {str(e)[:200]}"
    return path


def importlib_missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def folded_norms(model) -> tuple[int, int]:
    """What folding the batch norms removes, from the torch model: (γ and β values, biases the convs gain)."""
    removed = gained = 0
    last_conv = None
    for m in model.modules():
        if isinstance(m, torch.nn.modules.conv._ConvNd):
            last_conv = m
        elif isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            removed += 2 * m.num_features
            gained += m.num_features if last_conv is not None and last_conv.bias is None else 0
    return removed, gained


def tied_values(model) -> int:
    """Values of parameters that two modules share (counted once by torch)."""
    seen: dict[int, int] = {}
    for _, p in model.named_parameters(remove_duplicate=False):
        seen[id(p)] = seen.get(id(p), -1) + 1
    by_id = {id(p): p for p in model.parameters()}
    return sum(by_id[i].numel() * extra for i, extra in seen.items())


@pytest.mark.parametrize("exporter", sorted(EXPORTERS))
@pytest.mark.parametrize("name", sorted(ZOO))
def test_both_exporters_count_as_the_module(name, exporter):
    path = exported(name, exporter)
    if isinstance(path, str):
        pytest.skip(path)
    model, x = model_and_input(name)
    theirs = {c: cnncalc.from_torch(model, x, flops=c).totals for c in CONVENTIONS}
    reports = {c: cnncalc.from_onnx(path, tuple(x.shape), flops=c) for c in CONVENTIONS}
    ours = {c: r.totals for c, r in reports.items()}
    notes = " | ".join(reports["seed"].notes)

    assert reports["seed"].uncounted_ops == ()
    assert ours["seed"].macs == theirs["seed"].macs
    for c in ("seed", "matmul"):
        assert ours[c].flops == theirs[c].flops, c

    expected = theirs["seed"].params
    removed, gained = folded_norms(model)
    if removed and "folded the batch norms" in notes:  # constant folding: γ and β gone, biases in their place
        assert f"({removed:,} parameters)" in notes
        expected += gained - removed
    tied = tied_values(model)
    if tied:  # stored again, transposed; the report says which values are counted twice
        assert re.search(rf"its {tied:,} values are counted twice", notes), notes
        expected += tied
    if name == "small_vit" and exporter == "dynamo":  # the class token (1, 1, 64) folded as expanded to batch 2
        assert "expand (128 values) is not one of the model's parameters" in notes
        expected += 128 - 64
    assert ours["seed"].params == expected

    if ours["all"].flops != theirs["all"].flops:
        assert "folded the batch norms" in notes or "as their parts" in notes, notes


def test_a_norm_folded_into_a_biased_convolution_is_named_by_both_exporters():
    # SmallUNet's first convolution has a bias and a batch norm of 8 channels after it: 16 parameters gone
    for exporter in EXPORTERS:
        path = exported("small_unet", exporter)
        if isinstance(path, str):
            pytest.skip(path)
        notes = cnncalc.from_onnx(path, (1, 3, 15, 15)).notes
        assert any("folded the batch norms" in n and "(16 parameters)" in n for n in notes), (exporter, notes)


def test_adaptive_average_pooling_written_as_reduce_mean_counts_as_the_pool():
    # dynamo writes AdaptiveAvgPool2d(1) as ReduceMean over (H, W) keeping them; seed counts 1 FLOP per output:
    # ResNet-18's 512 channels at batch 1
    path = exported("resnet18", "dynamo")
    if isinstance(path, str):
        pytest.skip(path)
    r = cnncalc.from_onnx(path, (1, 3, 112, 112))
    pool = [row for row in r.node_rows if row.kind == "adaptiveavgpool"]
    assert len(pool) == 1 and pool[0].flops == 512


class Padded(torch.nn.Module):
    """Padding three ways: ZeroPad2d, a reflect-padded convolution and F.pad with a value; then a global pool."""

    def __init__(self):
        super().__init__()
        self.zero = torch.nn.ZeroPad2d((1, 2, 0, 1))
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
        self.pool = torch.nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = torch.nn.functional.pad(self.conv(self.zero(x)), (1, 1, 1, 1), value=0.5)
        return self.pool(x).flatten(1)


@pytest.mark.parametrize("exporter", sorted(EXPORTERS))
def test_pad_as_each_exporter_writes_it(exporter, tmp_path):
    # the classic exporter computes Pad's pads with a small graph (ConstantOfShape, Concat, a reversed Slice,
    # Transpose) and gives the pad value as an input; the dynamo exporter stores them as initializers: either
    # way the pads are no rows and no parameters. Conv on (3, 9, 11) reflect-padded to (3, 11, 13): 4·27 + 4 = 112
    # parameters, 4·27·(9·11) = 10,692 MACs; the pool 4 outputs
    if exporter == "dynamo" and importlib_missing("onnxscript"):
        pytest.skip("the dynamo exporter needs onnxscript, which is not installed")
    model, x = Padded().eval(), torch.randn(1, 3, 8, 8)
    path = tmp_path / "padded.onnx"
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), dynamo=EXPORTERS[exporter])
    for c in CONVENTIONS:
        ours, theirs = cnncalc.from_onnx(path, (1, 3, 8, 8), flops=c), cnncalc.from_torch(model, x, flops=c)
        assert (ours.totals.params, ours.totals.macs, ours.totals.flops) == (
            theirs.totals.params,
            theirs.totals.macs,
            theirs.totals.flops,
        ), c
    assert (ours.totals.params, ours.totals.macs) == (112, 10_692)
    assert ours.totals.activation_size == theirs.totals.activation_size
    assert not [row for row in ours.node_rows if row.kind == "tensor"]  # no constant shown as a row
