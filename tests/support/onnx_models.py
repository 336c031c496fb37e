"""ONNX files for the ONNX front-end's tests: plain-torch models exported as users export them, and small
hand-built graphs (``onnx.helper``) for what an exporter rarely writes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper  # noqa: E402


def distinct_weights(model: torch.nn.Module) -> torch.nn.Module:
    """Every float parameter and buffer set to values no other tensor repeats, so no exporter merges two."""
    start = 1
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                n = t.numel()
                t.copy_((torch.arange(start, start + n, dtype=torch.float64) * 1e-7).reshape(t.shape))
                start += n
    return model


def export(model: torch.nn.Module, example: torch.Tensor, path: Path, *, folding: bool = False) -> Path:
    """``torch.onnx.export`` as the tests ask: opset 17, a dynamic batch axis, training mode preserved.

    ``folding``: constant folding in eval mode, as many users export (batch norms fold into the convolutions).
    """
    name = "ids" if example.dtype == torch.int64 else "input"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (example,),
            str(path),
            opset_version=17,
            input_names=[name],
            dynamic_axes={name: {0: "batch"}},
            do_constant_folding=folding,
            training=torch.onnx.TrainingMode.EVAL if folding else torch.onnx.TrainingMode.PRESERVE,
            dynamo=False,
        )
    return path


def weight(name: str, *shape: int, dtype: int = TensorProto.FLOAT) -> onnx.TensorProto:
    n = 1
    for d in shape:
        n *= d
    return helper.make_tensor(name, dtype, shape, [0] * n if dtype != TensorProto.FLOAT else [0.0] * n)


def model(nodes, inputs, outputs=(), initializers=(), opset: int = 17, domains=()) -> onnx.ModelProto:
    """A model of ``nodes``; ``inputs`` as (name, shape, elem type) with symbolic axes as strings."""
    graph = helper.make_graph(
        list(nodes),
        "test",
        [helper.make_tensor_value_info(n, t, s) for n, s, t in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        list(initializers),
    )
    opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, 1) for d in domains)]
    return helper.make_model(graph, opset_imports=opsets)
