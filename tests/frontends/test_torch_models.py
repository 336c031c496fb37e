"""The torch front-end against PyTorch itself, on a dozen models written in plain torch.

Oracles: parameters from ``numel`` (deduplicated, as ``model.parameters()`` does),
FLOPs from ``torch.utils.flop_counter.FlopCounterMode`` on a real CPU forward (math
SDPA, grad enabled, oneDNN off, so that it sees every matmul), output shapes from
forward hooks on a real forward.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from support.oracles import real_calls, real_flops, shape_texts  # noqa: E402
from support.torch_models import ZOO  # noqa: E402

from cnncalc import from_torch  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:TF32 acceleration")


@pytest.fixture(scope="module", params=sorted(ZOO))
def case(request):
    factory, example, published = ZOO[request.param]
    torch.manual_seed(0)
    model = factory()
    x = example()
    return request.param, model, x, published


def test_params_equal_numel_deduplicated(case):
    name, model, x, published = case
    report = from_torch(model, x)
    expected = sum(p.numel() for p in model.parameters())  # parameters() yields a tied tensor once
    assert report.totals.params == expected
    assert report.totals.trainable_params == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert report.totals.buffers == sum(b.numel() for b in model.buffers())
    assert sum(r.params for r in report.rows) == expected, "every parameter in exactly one row"
    if published is not None:
        assert expected == published


def test_matmul_flops_equal_flop_counter_mode(case):
    name, model, x, _ = case
    report = from_torch(model, x, flops="matmul")
    oracle = real_flops(model, x)
    assert oracle > 0
    assert report.totals.flops == oracle
    assert report.totals.flops == 2 * report.totals.macs
    assert sum(r.flops for r in report.rows) == report.totals.flops


def test_output_shapes_equal_a_real_forward(case):
    name, model, x, _ = case
    report = from_torch(model, x, depth=99)
    calls = real_calls(model, x)
    root_path = calls[0][0]
    # a row per module call (the model's own operations between them are rows of their own, not module calls)
    rows = [r for r in report.rows if r.branch and r.node_id != root_path]
    assert [r.node_id for r in rows] == [path for path, _ in calls[1:]]
    assert not {r.node_id for r in report.rows if not r.branch} & {path for path, _ in calls}
    for row, (path, shapes) in zip(rows, calls[1:]):
        assert row.shape_text == shape_texts(shapes, x.shape[0]), path


def test_nothing_is_left_uncounted_in_the_zoo(case):
    name, model, x, _ = case
    report = from_torch(model, x, flops="all")
    assert report.uncounted_ops == ()


def test_user_model_is_left_untouched(case):
    name, model, x, _ = case
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    model.train()
    from_torch(model, x)
    assert model.training and all(m.training for m in model.modules())
    for n, p in model.named_parameters():
        assert p.device.type == "cpu" and torch.equal(p.detach(), before[n]), n
