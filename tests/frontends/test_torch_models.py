"""The torch front-end against PyTorch itself, on a dozen models written in plain torch.

Oracles: parameters from ``numel`` (deduplicated, as ``model.parameters()`` does),
FLOPs from ``torch.utils.flop_counter.FlopCounterMode`` on a real CPU forward (math
SDPA, grad enabled, oneDNN off, so that it sees every matmul), output shapes from
forward hooks on a real forward.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from support.torch_models import ZOO, real_flops  # noqa: E402

from cnncalc import from_torch  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:TF32 acceleration")


def real_calls(model, x) -> list[tuple[str, list[tuple[int, ...]]]]:
    """(module path, output shapes) of every module call of a real forward, in call order."""
    names = {id(m): n for n, m in model.named_modules()}
    calls, stack, handles = [], [], []

    def pre(m, args):
        calls.append([names[id(m)] or type(m).__name__, None])
        stack.append(len(calls) - 1)

    def post(m, args, out):
        leaves = torch.utils._pytree.tree_leaves(out)
        calls[stack.pop()][1] = [tuple(t.shape) for t in leaves if isinstance(t, torch.Tensor)]

    for m in model.modules():
        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return [(path, shapes) for path, shapes in calls]


def torchsummary_text(shape: tuple[int, ...], batch: int) -> str:
    """How torchsummary writes a shape: the batch axis as -1."""
    return "[" + ", ".join(["-1" if i == 0 and n == batch else str(n) for i, n in enumerate(shape)]) + "]"


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
    rows = [r for r in report.rows if r.node_id != root_path]
    assert [r.node_id for r in rows] == [path for path, _ in calls[1:]]
    batch = x.shape[0]
    for row, (path, shapes) in zip(rows, calls[1:]):
        expected = ", ".join(torchsummary_text(s, batch) for s in shapes[:3]) + (", …" if len(shapes) > 3 else "")
        assert row.shape_text == expected, path


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
