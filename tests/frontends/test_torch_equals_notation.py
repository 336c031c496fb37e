"""One engine: a PyTorch model and the same network written in the notation give identical totals.

Each zoo model with a plain-torch twin in ``tests/support/torch_models.py`` is counted both
ways, under every FLOPs convention and at two dtypes: parameters, MACs, FLOPs, activation
elements, activation bytes and the peak from liveness. Both go through the same kinds, so
any difference is a front-end translating wrongly.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from support.torch_models import MobileNetV2, VisionTransformer, resnet18, resnet50  # noqa: E402

import cnncalc  # noqa: E402
from cnncalc import zoo  # noqa: E402

TWINS = {  # zoo name -> (torch factory, image size, zoo arguments)
    "resnet18": (resnet18, 64, {"size": 64}),
    "resnet50": (resnet50, 64, {"size": 64}),
    "mobilenet_v2": (MobileNetV2, 64, {"size": 64}),
    "vit_b_16": (VisionTransformer, 224, {}),
}


def figures(report: cnncalc.Report) -> dict[str, int]:
    t, m = report.totals, report.memory
    return {
        "params": t.params,
        "macs": t.macs,
        "flops": t.flops,
        "activation_size": t.activation_size,
        "activation_bytes": m.activation_bytes,
        "peak_activation_bytes": m.peak_activation_bytes,
    }


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("flops", ["seed", "matmul", "all"])
@pytest.mark.parametrize("name", sorted(TWINS))
def test_the_torch_path_and_the_notation_agree(name, flops, dtype):
    factory, size, args = TWINS[name]
    with torch.device("meta"):
        model = factory()
    traced = cnncalc.from_torch(model, (1, 3, size, size), flops=flops, dtype=dtype)
    written = zoo.analyze(name, flops=flops, dtype=dtype, **args)
    assert figures(traced) == figures(written)
    assert traced.totals.params == sum(p.numel() for p in model.parameters())  # and both are PyTorch's count
    assert traced.uncounted_ops == ()


def test_batch_norm_step_counters_are_the_torch_paths_only_extra_buffers():
    # PyTorch's BatchNorm keeps num_batches_tracked, an int64 step counter, as a buffer: the torch path counts
    # it (it is in the state dict), the notation counts the statistics alone (docs/torch.md)
    with torch.device("meta"):
        model = resnet18()
    traced = cnncalc.from_torch(model, (1, 3, 64, 64))
    written = zoo.analyze("resnet18", size=64)
    norms = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert traced.totals.buffers == written.totals.buffers + norms == sum(b.numel() for b in model.buffers())


@pytest.mark.parametrize("recompute", ["none", "blocks"])
@pytest.mark.parametrize("name", sorted(TWINS))
def test_the_torch_path_and_the_notation_agree_on_a_training_step(name, recompute):
    factory, size, args = TWINS[name]
    with torch.device("meta"):
        model = factory()
    traced = cnncalc.from_torch(model, (1, 3, size, size), flops="matmul", train=True, recompute=recompute)
    written = zoo.analyze(name, flops="matmul", train=True, recompute=recompute, **args)
    a, b = traced.training, written.training
    same = ("forward_flops", "backward_flops", "saved_activation_bytes", "param_bytes", "gradient_bytes")
    assert {k: getattr(a, k) for k in same} == {k: getattr(b, k) for k in same}
    assert a.optimizer_bytes == b.optimizer_bytes  # Adam's step counter per tensor: the tensors are the same too
    # the peak holds the buffers, where the torch path has batch norm's step counters besides (see below)
    assert a.peak_bytes - traced.memory.buffer_bytes == b.peak_bytes - written.memory.buffer_bytes
    assert a.unruled == b.unruled == ()
