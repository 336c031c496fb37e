"""Model files fuzzed with hypothesis: random bytes and real files mutated (a field dropped, a dim changed,
an op renamed) give a report or a CnnCalcError, never another exception."""

from __future__ import annotations

import copy
import functools
import json
import tempfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support.keras_models import MODELS  # noqa: E402
from support.onnx_models import export  # noqa: E402
from support.torch_models import ZOO  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.frontends.keras import graph_of_config  # noqa: E402
from cnncalc.frontends.onnx import graph_of_model  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOLDER = Path(tempfile.mkdtemp(prefix="cnncalc-fuzz-"))
ONNX_MODELS = ("cnn_bn", "small_unet", "lstm_tagger", "functional")


@functools.cache
def onnx_bytes(name: str) -> bytes:
    factory, example, _ = ZOO[name]
    torch.manual_seed(0)
    return export(factory().eval(), example(), FOLDER / f"{name}.onnx").read_bytes()


@functools.cache
def keras_doc(name: str) -> str:
    return MODELS[name]().to_json()


def counts_or_says_why(run) -> None:
    try:
        report = run()
    except CnnCalcError as e:
        assert str(e)
        return
    assert report.totals.params >= 0 and report.totals.macs >= 0


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([".onnx", ".keras", ".json"]))
def test_random_bytes(data, suffix):
    path = FOLDER / f"random{suffix}"
    path.write_bytes(data)
    counts_or_says_why(lambda: cnncalc.analyze(str(path), input=(1, 3, 32, 32) if suffix == ".onnx" else None))


@FUZZ
@given(st.sampled_from(ONNX_MODELS), st.data())
def test_mutated_onnx_models(name, data):
    m = onnx.ModelProto()
    m.ParseFromString(onnx_bytes(name))
    nodes = m.graph.node
    what = data.draw(st.sampled_from(["attribute", "input", "op", "dim", "node", "initializer", "input dims"]))
    i = data.draw(st.integers(0, len(nodes) - 1))
    node = nodes[i]
    if what == "attribute" and node.attribute:
        del node.attribute[data.draw(st.integers(0, len(node.attribute) - 1))]
    elif what == "input" and node.input:
        del node.input[data.draw(st.integers(0, len(node.input) - 1))]
    elif what == "op":
        node.op_type = data.draw(st.sampled_from(["Conv", "Relu", "MatMul", "Reshape", "LSTM", "Nope", "Concat", ""]))
    elif what == "node":
        del nodes[i]
    elif what == "initializer" and m.graph.initializer:
        t = m.graph.initializer[data.draw(st.integers(0, len(m.graph.initializer) - 1))]
        if t.dims:
            t.dims[data.draw(st.integers(0, len(t.dims) - 1))] = data.draw(st.integers(0, 70))
    elif what in ("dim", "input dims"):
        dims = m.graph.input[0].type.tensor_type.shape.dim
        dims[data.draw(st.integers(0, len(dims) - 1))].dim_value = data.draw(st.integers(0, 40))
    batch = data.draw(st.sampled_from([None, 1, 3]))
    shape = None if batch is None else tuple(d.dim_value or batch for d in m.graph.input[0].type.tensor_type.shape.dim)
    counts_or_says_why(lambda: cnncalc.analyze(graph_of_model(m, input=shape)))


def _mutate(value, data, depth=0):
    """Drop a key, change a number, or rename a class somewhere in a Keras config."""
    if isinstance(value, dict) and value:
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["drop", "deeper", "rename"]))
        if action == "drop":
            del value[key]
        elif action == "rename" and "class_name" in value:
            value["class_name"] = data.draw(st.sampled_from(["Dense", "Conv2D", "LSTM", "Mystery", "Add", ""]))
        else:
            value[key] = _mutate(value[key], data, depth + 1)
        return value
    if isinstance(value, list) and value:
        j = data.draw(st.integers(0, len(value) - 1))
        value[j] = _mutate(value[j], data, depth + 1)
        return value
    if isinstance(value, bool) or value is None:
        return data.draw(st.sampled_from([True, False, None, "x"]))
    if isinstance(value, (int, float)):
        return data.draw(st.sampled_from([0, -1, 1, 3, 7.5, 10**6, None]))
    return value


@FUZZ
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_mutated_keras_configs(name, data):
    doc = json.loads(keras_doc(name))
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate(copy.deepcopy(doc), data)
    counts_or_says_why(lambda: cnncalc.analyze(graph_of_config(doc)))
