"""The Keras front-end against Keras itself: models built with Keras 3 (torch backend), saved as .keras.

Oracles: ``count_params()`` and the trainable and non-trainable weights' sizes, and each
layer's ``output.shape``, from Keras. The notation twins check item 4: the same network
written by hand gives the same parameters and MACs under the keras convention.
"""

from __future__ import annotations

import json
import zipfile

import pytest
from support.keras_models import MODELS, L, keras
from typer.testing import CliRunner

import cnncalc
from cnncalc.cli import app
from cnncalc.conventions import Framework
from cnncalc.errors import CnnCalcError
from cnncalc.inputs import parse_inputs

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras' torch backend and numpy 2


def size(weights) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras")
    out = {}
    for name, build in MODELS.items():
        model = build()
        path = folder / f"{name}.keras"
        model.save(path)
        out[name] = (model, path)
    return out


def test_there_are_a_dozen_models_of_every_family():
    assert len(MODELS) >= 12


@pytest.mark.parametrize("name", sorted(MODELS))
def test_params_equal_keras_count_params(saved, name):
    model, path = saved[name]
    r = cnncalc.analyze(str(path))
    assert r.framework is Framework.keras
    assert r.totals.params == model.count_params()
    assert r.totals.trainable_params == size(model.trainable_weights)
    assert r.totals.non_trainable_params == size(model.non_trainable_weights)
    assert r.totals.buffers == 0 and r.uncounted_ops == ()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_layers_output_shape_is_keras(saved, name):
    model, path = saved[name]
    r = cnncalc.analyze(str(path))
    rows = {row.name: row for row in r.rows}
    checked = 0
    for layer in model.layers:
        if isinstance(layer, L.InputLayer) or len(layer._inbound_nodes) != 1:
            continue  # a layer called twice has no single output
        row = rows.get(layer.name) or [row for n, row in rows.items() if n.startswith(layer.name + "/")][-1]
        assert r.shown_shape(row) == tuple(layer.output.shape[1:]), layer.name
        checked += 1
    assert checked >= 3


def test_a_live_model_and_its_json_count_as_the_file(saved, tmp_path):
    model, path = saved["residual"]
    from_file = cnncalc.analyze(str(path)).totals
    assert cnncalc.from_keras(model).totals == from_file
    doc = tmp_path / "model.json"
    doc.write_text(model.to_json())
    assert cnncalc.analyze(str(doc)).totals == from_file


def test_keras_models_equal_their_notation_twins_under_the_keras_convention(saved):
    lenet = cnncalc.analyze(str(saved["lenet"][1]))
    written = cnncalc.analyze(
        "input(32,32,3) -> conv(8, f=5) -> relu -> maxpool(2) -> conv(16, f=5) -> relu -> maxpool(2) -> flatten"
        " -> fc(120) -> relu -> fc(84) -> relu -> fc(10) -> softmax",
        framework="keras",
    )
    # MACs by hand: 8·(5·5·3)·(28·28) + 16·(5·5·8)·(10·10) + 400·120 + 120·84 + 84·10 = 849,320
    assert (lenet.totals.params, lenet.totals.macs) == (written.totals.params, written.totals.macs) == (62958, 849320)
    imdb = cnncalc.analyze(str(saved["imdb_lstm"][1]))
    twin = cnncalc.analyze("input(50) -> embedding(10000, 100) -> lstm(128) -> select(-1) -> fc(1)", framework="keras")
    assert (imdb.totals.params, imdb.totals.macs) == (twin.totals.params, twin.totals.macs)
    assert imdb.totals.params == 1_117_377  # Keras' own summary of this model
    bn = cnncalc.analyze(str(saved["cnn_bn"][1]))
    written_bn = cnncalc.analyze(
        "input(28,28,1) -> conv(16, f=3, p=same, bias=false) -> bn -> relu -> conv(32, f=3, s=2, p=same) -> bn"
        " -> relu -> avgpool(2) -> dropout(0.3) -> gap -> fc(10)",
        framework="keras",
    )
    assert (bn.totals.params, bn.totals.trainable_params, bn.totals.macs) == (
        written_bn.totals.params,
        written_bn.totals.trainable_params,
        written_bn.totals.macs,
    )


def test_the_torch_convention_can_be_asked_for_a_keras_file(saved):
    _, path = saved["cnn_bn"]
    r = cnncalc.analyze(str(path), framework="torch")
    assert r.totals.buffers == 2 * (16 + 32) and r.framework is Framework.torch


def test_the_cli_shows_keras_shapes_and_the_convention(saved):
    _, path = saved["lenet"]
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 0, result.output
    assert "(None, 28, 28, 8)" in result.output and "Counting convention: keras" in result.output
    assert "Total params: 62,958" in result.output


def test_bad_keras_files_exit_2(tmp_path, saved):
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    cut = tmp_path / "cut.keras"
    cut.write_bytes(saved["lenet"][1].read_bytes()[:300])
    empty = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("metadata.json", "{}")
    for bad in (junk, cut, empty, tmp_path / "missing.keras"):
        result = runner.invoke(app, ["summary", str(bad)])
        assert result.exit_code == 2, (bad, result.output)
        assert result.output.startswith("error:")


def _with_layer(doc: dict, index: int, class_name: str) -> dict:
    layer = doc["config"]["layers"][index]
    layer["class_name"] = class_name
    layer["module"] = "my_project"
    return doc


def test_a_layer_without_a_rule_is_listed_when_its_shape_is_known(saved, tmp_path):
    model, _ = saved["cnn_bn"]
    doc = _with_layer(json.loads(model.to_json()), 3, "MyActivation")  # the ReLU: the next layer gives its shape
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(doc))
    r = cnncalc.analyze(str(path))
    assert [op.name for op in r.uncounted_ops] == ["MyActivation"]
    assert r.totals.params == model.count_params()  # everything else still counts


def test_a_layer_without_a_rule_and_without_a_shape_is_an_error(tmp_path):
    doc = {
        "class_name": "Sequential",
        "config": {
            "layers": [
                {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 8]}},
                {"class_name": "Mystery", "config": {"name": "m"}},
                {"class_name": "Dense", "config": {"name": "d", "units": 2}},
            ]
        },
    }
    path = tmp_path / "mystery.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "Mystery" in result.output
    with pytest.raises(CnnCalcError):
        cnncalc.analyze(str(path))


def test_an_input_of_unknown_size_needs_input(tmp_path):
    model = keras.Sequential([keras.Input((None, 8)), L.LSTM(4)])
    path = tmp_path / "var.keras"
    model.save(path)
    result = runner.invoke(app, ["summary", str(path)])
    assert result.exit_code == 2 and "None" in result.output
    r = cnncalc.analyze(str(path), input=parse_inputs("10,8"))
    assert r.totals.params == model.count_params()


def test_import_cnncalc_imports_neither_onnx_nor_keras():
    import subprocess
    import sys

    code = (
        "import cnncalc, sys; cnncalc.analyze('input(4) -> fc(2)'); cnncalc.frontends.keras; "
        "assert not {'onnx', 'keras', 'torch', 'numpy'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", "import cnncalc.frontends.keras\n" + code], check=True)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic"])
def test_upsampling_counts_under_other_tools_as_pytorchs_upsample(interpolation):
    """UpSampling2D's interpolation reaches the tools' rules: each tool's figure is its own on nn.Upsample."""
    torch = pytest.importorskip("torch")
    from support.tool_oracles import tool_run

    model = keras.Sequential(
        [keras.Input((8, 8, 3)), L.Conv2D(5, 3, padding="same"), L.UpSampling2D(2, interpolation=interpolation)]
    )
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(3, 5, 3, padding=1), torch.nn.Upsample(scale_factor=2, mode=interpolation)
    )
    x = torch.zeros(1, 3, 8, 8)
    for tool in ("torchinfo", "fvcore", "ptflops", "thop", "calflops"):
        assert cnncalc.from_keras(model, flops=f"as={tool}").totals.flops == tool_run(tool, twin, x)[0], tool
