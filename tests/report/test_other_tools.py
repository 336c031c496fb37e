"""``--flops as=TOOL``: every test model's total, and each module's figure, equal the tool's own output.

The oracles are the tools themselves (the bench and test extras install them; a test is skipped where
one is missing): torchinfo's ``summary``, fvcore's ``FlopCountAnalysis`` (``total``, ``by_module``),
ptflops' ``get_model_complexity_info`` (pytorch backend), thop's ``profile`` (``ret_layer_info``) and
calflops' ``calculate_flops``, each run on a real forward of the same PyTorch model. For the zoo's
ResNet-50 written in the notation, the figures the tools print for torchvision's resnet50
(reference measurements: torchinfo 4,089,238,376; fvcore 4,111,512,576; ptflops 4,132,436,968;
thop 4,133,742,592; calflops 8,211,108,352 FLOPs).
"""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

import cnncalc
from cnncalc import zoo
from cnncalc.errors import ArgumentError

RESNET50_PUBLISHED = {
    "torchinfo": 4_089_238_376,
    "fvcore": 4_111_512_576,
    "ptflops": 4_132_436_968,
    "thop": 4_133_742_592,
    "calflops": 8_211_108_352,
}


@pytest.mark.parametrize("tool", sorted(RESNET50_PUBLISHED))
def test_zoo_resnet50_gives_each_tools_published_figure(tool):
    report = zoo.analyze("resnet50", flops=f"as={tool}")
    assert report.totals.flops == RESNET50_PUBLISHED[tool]
    assert report.totals.macs == (4_089_184_256 if tool != "calflops" else 4_089_184_256)  # calflops' MACs too


def test_the_footer_and_header_name_the_tool(cli):
    result = cli("zoo", "lenet5", "--flops", "as=thop")
    assert result.exit_code == 0, result.output
    assert "thop MACs" in result.stdout.splitlines()[1]
    assert "FLOPs convention: as=thop — thop 0.1.1's MACs, by its rules" in result.stdout
    wrong = cli("zoo", "lenet5", "--flops", "as=keras")
    assert wrong.exit_code == 2 and "unknown tool 'keras'" in wrong.stderr
    train = cli("zoo", "lenet5", "--flops", "as=fvcore", "--train")
    assert train.exit_code == 2 and "--train counts with cnncalc's conventions" in train.stderr


def test_module_tools_refuse_the_notations_transformer_layers():
    with pytest.raises(ArgumentError, match="do not say which modules"):
        zoo.analyze("vit_b_16", flops="as=thop")
    # fvcore counts operations: ViT-B/16 as torchvision builds it, 16,867,412,736 (reference measurement)
    assert zoo.analyze("vit_b_16", flops="as=fvcore").totals.flops == 16_867_412_736
    assert zoo.analyze("vit_b_16", flops="as=calflops").totals.flops == 33_723_326_208


def test_compare_puts_every_convention_side_by_side(cli):
    text = zoo.model("resnet50").text
    result = cli("compare", text)
    assert result.exit_code == 0, result.output
    for tool, total in RESNET50_PUBLISHED.items():
        line = next(x for x in result.stdout.splitlines() if x.startswith(f"as={tool}"))
        assert f"{total:,}" in line
    assert "4,089,184,256" in result.stdout  # cnncalc's MACs


torch = pytest.importorskip("torch")
MODELS = {
    "seed003": ("NeuralNetwork", (1, 1, 28, 28)),
    "cnn_bn": ("CnnBn", (1, 3, 32, 32)),
    "resnet18": ("resnet18", (1, 3, 64, 64)),
    "resnet50": ("resnet50", (1, 3, 64, 64)),
    "mobilenet_v2": ("MobileNetV2", (1, 3, 64, 64)),
}


def build(name: str):
    from support import torch_models

    torch.manual_seed(0)
    return getattr(torch_models, MODELS[name][0])().eval()


def quiet(call):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def tool_total(tool: str, model, shape) -> int:
    x = torch.zeros(shape)
    if tool == "torchinfo":
        torchinfo = pytest.importorskip("torchinfo")
        return quiet(lambda: torchinfo.summary(model, input_size=shape, verbose=0)).total_mult_adds
    if tool == "fvcore":
        fvcore = pytest.importorskip("fvcore.nn")
        analysis = fvcore.FlopCountAnalysis(model, (x,))
        analysis.unsupported_ops_warnings(False)
        return quiet(analysis.total)
    if tool == "ptflops":
        ptflops = pytest.importorskip("ptflops")
        macs, _ = quiet(
            lambda: ptflops.get_model_complexity_info(
                model, tuple(shape[1:]), as_strings=False, print_per_layer_stat=False, backend="pytorch"
            )
        )
        return macs
    if tool == "thop":
        thop = pytest.importorskip("thop")
        return quiet(lambda: thop.profile(model, inputs=(x,), verbose=False))[0]
    calflops = pytest.importorskip("calflops")
    flops, _, _ = quiet(
        lambda: calflops.calculate_flops(
            model=model, input_shape=tuple(shape), output_as_string=False, print_results=False, print_detailed=False
        )
    )
    return flops


@pytest.mark.parametrize("tool", sorted(RESNET50_PUBLISHED))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_total_equals_the_tools_own(name, tool):
    model, shape = build(name), MODELS[name][1]
    mine = cnncalc.from_torch(model, shape, flops=f"as={tool}", depth=99).totals.flops  # before the tool touches it
    assert mine == int(tool_total(tool, model, shape))


def tree_rows(model, shape, tool):
    report = cnncalc.from_torch(model, shape, flops=f"as={tool}", depth=99, tree=True)
    root = type(model).__name__
    return {("" if r.source == root else r.source): r.flops for r in report.rows if r.branch}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fvcore_by_module_equals_every_modules_row(name):
    fvcore = pytest.importorskip("fvcore.nn")
    model, shape = build(name), MODELS[name][1]
    analysis = fvcore.FlopCountAnalysis(model, (torch.zeros(shape),))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    theirs = quiet(analysis.by_module)
    mine = tree_rows(model, shape, "fvcore")
    assert mine and all(mine[path] == theirs[path] for path in mine), name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_thop_layer_info_equals_every_modules_row(name):
    thop = pytest.importorskip("thop")
    model, shape = build(name), MODELS[name][1]
    mine = tree_rows(model, shape, "thop")  # first: thop leaves buffers of its own on the modules (thop#82)
    _, _, layers = quiet(lambda: thop.profile(model, inputs=(torch.zeros(shape),), verbose=False, ret_layer_info=True))

    def walk(tree, prefix=""):
        for child, (ops, _params, below) in tree.items():
            path = f"{prefix}{child}"
            yield path, ops
            yield from walk(below, path + ".")

    theirs = dict(walk(layers))
    assert theirs and all(mine.get(path, 0) == int(ops) for path, ops in theirs.items()), name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_torchinfo_leaf_layers_equal_every_modules_row(name):
    torchinfo = pytest.importorskip("torchinfo")
    model, shape = build(name), MODELS[name][1]
    summary = quiet(lambda: torchinfo.summary(model, input_size=shape, verbose=0, depth=99))
    paths = {id(m): p for p, m in model.named_modules()}
    theirs = [(paths[id(layer.module)], layer.macs) for layer in summary.summary_list if layer.is_leaf_layer]
    report = cnncalc.from_torch(model, shape, flops="as=torchinfo", depth=99, tree=False)
    leaves = {p for p, _ in theirs}
    mine = [(r.source, r.flops) for r in report.rows if r.source in leaves]
    assert mine == theirs, name
